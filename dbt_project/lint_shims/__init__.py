"""What sqlfluff's jinja templater lacks of dbt to render this project offline (see /.sqlfluff).

sqlfluff's ``apply_dbt_builtins`` gives ``ref``, ``source``, ``config``, ``is_incremental`` and ``this``;
these two complete it for our models and macros without a dbt compile or a warehouse connection:

- ``var(name, default)``: the project's own ``vars:`` from dbt_project.yml (sqlfluff's returns "item");
- ``adapter.dispatch(name, package)``: the ``duckdb__<name>`` macro, else ``default__<name>``, as dbt
  does on the DuckDB target (the dialect we lint in), so macros/cross_db.sql renders as it would there.
"""

from pathlib import Path

import yaml
from jinja2 import pass_context

_PROJECT = yaml.safe_load((Path(__file__).resolve().parents[1] / "dbt_project.yml").read_text(encoding="utf-8"))
_VARS = _PROJECT.get("vars") or {}
_MISSING = object()


def var(name, default=_MISSING):
    if name in _VARS:
        return _VARS[name]
    if default is _MISSING:
        raise KeyError(f"var {name!r} is not defined in dbt_project.yml and has no default")
    return default


class _Adapter:
    @pass_context
    def dispatch(self, context, name, macro_namespace=None):
        for candidate in (f"duckdb__{name}", f"default__{name}"):
            macro = context.resolve(candidate)
            if callable(macro):
                return macro
        raise KeyError(f"adapter.dispatch: no duckdb__{name} or default__{name} macro")


adapter = _Adapter()
