"""Quality gates (write–audit–publish): Great Expectations suites on the candidate marts, cross-source
and cross-period checks, the audit report, and promotion of audited marts.

Public API:

- :func:`build_candidate` ``(period=None, settings=None, echo=print)``: dbt marts into ``marts_candidate``;
- :func:`run_audit` ``(period, settings=None, echo=print, schema="marts_candidate", parameters=None)``:
  the verdict (``publishable``), ``failures`` and ``warnings`` (each naming expectation, severity,
  figure, value, region/operator/settlement and source submissions), results JSON and HTML report
  under ``<YYYY-MM>/`` in the storage area ``audit``;
- :func:`promote` ``(settings=None, period=None, echo=print)``: audited candidate → ``marts`` in one
  transaction, only for periods whose latest audit passed on exactly the rows now in the candidate.
"""

from qamtu.quality.audit import audit_warehouse, run_audit
from qamtu.quality.candidate import PromotionRefused, build_candidate, promote
from qamtu.quality.suites import load_suites

__all__ = ["PromotionRefused", "audit_warehouse", "build_candidate", "load_suites", "promote", "run_audit"]
