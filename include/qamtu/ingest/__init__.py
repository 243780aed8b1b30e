"""Ingestion: landing → immutable archive → parse → validate → load, with receipts and quarantine.

Public API: :func:`ingest_new` (one run over everything new in landing; returns an
:class:`IngestSummary`) and :func:`print_summary`. The modules, one per step in the order a file
meets them: :mod:`.landing` (discover: keys, ids, key-only file rules, the scratch copy),
:mod:`.archive`, :mod:`.parse` (formats → text cells, by the contract; a file into the working
database) with :mod:`.stage` (SQL typing in the working DuckDB, validation plumbing),
:mod:`.suites` (validate: GX suites generated from the contracts; GX and SQL routes), :mod:`.load`
(raw layer, quarantine, bookkeeping), :mod:`.receipts`; :mod:`.run` calls them in order and
:mod:`.summary` says what the run did.
"""

from qamtu.ingest.run import ingest_new
from qamtu.ingest.summary import IngestSummary, print_summary

__all__ = ["IngestSummary", "ingest_new", "print_summary"]
