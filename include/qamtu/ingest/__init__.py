"""Ingestion: landing → immutable archive → parse → validate → load, with receipts and quarantine.

Public API: :func:`ingest_new` (one run over everything new in landing) and :func:`print_summary`.
The modules, in the order a file meets them: :mod:`.landing` (keys, ids, key-only file rules),
:mod:`.parse` (formats → text cells, by the contract), :mod:`.stage` (SQL typing in the working
DuckDB, validation plumbing), :mod:`.suites` (GX suites generated from the contracts; GX and SQL
routes), :mod:`.load` (raw layer, quarantine, bookkeeping), :mod:`.receipts`, :mod:`.run`.
"""

from qamtu.ingest.run import ingest_new, print_summary

__all__ = ["ingest_new", "print_summary"]
