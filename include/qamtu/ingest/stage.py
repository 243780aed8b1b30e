"""The working DuckDB database of an ingestion run: typing in SQL, the checked relation the suites
validate, findings, and the reference data the checks need.

One design for every report type and size: parsed cells (or DuckDB's own reader over a large file)
go through the same SQL typing into ``work.stage_<report_type>`` — one row per data row, the
contract's fields typed, plus ``<field>__raw`` (the text as received) only where typing failed, so
the stage stays lean at 10 M rows. The ``work.checked_<report_type>`` view adds what the suites
compare with (period bounds, submitter region, reference look-ups: see :mod:`.suites`).

Typing (SQL macros, session time zone UTC):

- text: cells trimmed (spaces, tabs, no-break spaces); empty → missing;
- number: ``.`` or ``,`` as the decimal mark, spaces/no-break spaces/apostrophes as thousands
  separators; when both marks appear the last one is the decimal mark; NaN/infinite are not numbers;
- integer: a number without a fractional part;
- date: ``YYYY-MM-DD``, ``DD.MM.YYYY``, an Excel serial day number, or a timestamp at midnight;
- datetime: ISO 8601 (with or without zone; without → UTC), ``DD.MM.YYYY HH:MM[:SS]``, Excel serial;
- boolean: the spellings of ``qamtu.contracts.BOOLEAN_TRUE/FALSE``, any case;
- categorical (enum): the contract's value aliases and labels (en/ru/kk, any case); an unknown
  spelling stays as written so the suite's enum expectation reports it.

A cell present but not typable is a ``type`` finding; the ``required`` finding of the same cell is
dropped (one clear message, not two).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qamtu.contracts import BOOLEAN_FALSE, BOOLEAN_TRUE, Contract, Field
from qamtu.ingest import crashpoints, suites
from qamtu.ingest.suites import q

if TYPE_CHECKING:
    from qamtu.ingest.parse import LargeSource

WORK = "work"
UNREADABLE_ROW = "file.unreadable_row"  # a row that is not a record of the header (see qamtu.contracts.rules)
DUCK_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE",
              "datetime": "TIMESTAMPTZ", "boolean": "BOOLEAN"}
_NUMERIC_SOURCES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                    "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_BLANKS = (32, 9, 160, 8239, 13, 10)  # what a text cell is trimmed of: space, tab, no-break spaces, CR, LF
_BLANK_CODES = ", ".join(str(code) for code in _BLANKS)


def _macros() -> list[str]:
    blank = " || ".join(f"chr({code})" for code in _BLANKS)
    true_list = ", ".join(_literal(v) for v in BOOLEAN_TRUE)
    false_list = ", ".join(_literal(v) for v in BOOLEAN_FALSE)
    # 10 M rows a month: the common case must cost one cast. DuckDB evaluates COALESCE eagerly but
    # CASE lazily, so every slow path hides behind a CASE that only unusual cells reach. Macros are
    # expanded like text, so in the slow paths a value used several times is bound once with
    # ``list_transform([value], lambda v: …)[1]``: plans stay small for files of ten rows too.
    return [
        # Only a cell that is empty or starts/ends with one of the trimmed characters is trimmed. One
        # IN list per end evaluates ``ord(right(s, 1))`` once (it is the costly part: 10 M cells twice
        # per text column).
        f"""create or replace temp macro qamtu_text(s) as case
              when s = '' or ord(s) in ({_BLANK_CODES}) or ord(right(s, 1)) in ({_BLANK_CODES})
              then nullif(trim(s, {blank}), '') else s end""",
        """create or replace temp macro qamtu_compact(s) as
              replace(replace(replace(replace(replace(s, ' ', ''), chr(160), ''), chr(8239), ''), chr(39), ''),
                      chr(9), '')""",
        # d: compact text. Both marks: the last one is the decimal mark. One kind repeated: thousands
        # separators in groups of three. A single comma: the decimal mark.
        """create or replace temp macro qamtu_decimal(d) as case
              when contains(d, ',') and contains(d, '.') then
                   case when instr(reverse(d), ',') < instr(reverse(d), '.')
                        then replace(replace(d, '.', ''), ',', '.') else replace(d, ',', '') end
              when contains(d, ',') then
                   case when length(d) - length(replace(d, ',', '')) = 1 then replace(d, ',', '.')
                        when regexp_full_match(d, '[+-]?[0-9]{1,3}(,[0-9]{3})+') then replace(d, ',', '')
                        else d end
              when length(d) - length(replace(d, '.', '')) > 1 then
                   case when regexp_full_match(d, '[+-]?[0-9]{1,3}([.][0-9]{3})+') then replace(d, '.', '')
                        else d end
              else d end""",
        """create or replace temp macro qamtu_number_slow(s) as list_transform(
              [try_cast(qamtu_decimal(qamtu_compact(s)) as double)], lambda v: case when isfinite(v) then v end)[1]""",
        """create or replace temp macro qamtu_number(s) as case
              when isfinite(try_cast(s as double)) then try_cast(s as double)
              when try_cast(s as double) is null then qamtu_number_slow(s) end""",
        """create or replace temp macro qamtu_integer_of(n) as
              list_transform([n], lambda v: case when v = trunc(v) and abs(v) < 9e15 then cast(v as bigint) end)[1]""",
        """create or replace temp macro qamtu_integer(s) as qamtu_integer_of(qamtu_number(s))""",
        """create or replace temp macro qamtu_serial(s) as
              case when regexp_full_match(s, '[0-9]{1,7}([.,][0-9]+)?') then qamtu_number_slow(s) end""",
        """create or replace temp macro qamtu_date_slow(s) as coalesce(
              list_transform([qamtu_serial(s)], lambda n: case when n between 1 and 2958465 and n = trunc(n)
                  then cast(date '1899-12-30' + cast(n as integer) as date) end)[1],
              list_transform([try_cast(s as timestamp)], lambda m: case when cast(m as time) = time '00:00:00'
                  then cast(m as date) end)[1])""",
        """create or replace temp macro qamtu_date(s) as list_transform(
              [cast(try_strptime(s, ['%Y-%m-%d', '%d.%m.%Y']) as date)],
              lambda t: coalesce(t, qamtu_date_slow(s)))[1]""",
        """create or replace temp macro qamtu_timestamp_slow(s) as coalesce(
              cast(try_strptime(s, ['%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%d.%m.%Y']) as timestamptz),
              list_transform([qamtu_serial(s)], lambda n: case when n between 1 and 2958466
                  then cast(timestamp '1899-12-30' + to_microseconds(cast(round(n * 86400000000) as bigint))
                            as timestamptz) end)[1])""",
        """create or replace temp macro qamtu_timestamp(s) as case
              when try_cast(s as timestamptz) is not null then try_cast(s as timestamptz)
              else qamtu_timestamp_slow(s) end""",
        f"""create or replace temp macro qamtu_boolean(s) as list_transform([lower(qamtu_text(s))], lambda b: case
              when b in ({true_list}) then true when b in ({false_list}) then false end)[1]""",
        """create or replace temp macro qamtu_label(s) as
              replace(lower(regexp_replace(s, '\\s+', ' ', 'g')), 'ё', 'е')""",
    ]


def enum_sql(f: Field, cell: str) -> str:
    """Canonical value for a categorical cell: the exact spelling first (one cheap CASE), then
    trimmed and normalised; an unknown spelling stays as written (trimmed)."""
    mapping = f.value_map()
    exact: dict[str, str] = {}
    for value in f.enum or ():
        exact[value] = value
    for spelling, value in mapping.items():
        exact.setdefault(spelling, value)
    first = " ".join(f"when {_literal(k)} then {_literal(v)}" for k, v in exact.items())
    second = " ".join(f"when {_literal(k)} then {_literal(v)}" for k, v in mapping.items())
    return (f"case {cell} {first} else case qamtu_label(qamtu_text({cell})) {second} "
            f"else qamtu_text({cell}) end end")


def typed_sql(f: Field, column: str, source_type: str) -> str:
    """SQL typing ``column`` (of DuckDB type ``source_type``) into the field's type."""
    c = q(column)
    source_type = source_type.upper()
    native_number = source_type in _NUMERIC_SOURCES or source_type.startswith("DECIMAL")
    text = c if source_type == "VARCHAR" else f"cast({c} as varchar)"
    if f.type == "string":
        if native_number and (source_type in ("FLOAT", "DOUBLE") or source_type.startswith("DECIMAL")):
            # A code written as a number (101010100.0) is its digits, not the float.
            return (f"case when {c} = trunc({c}) then cast(cast({c} as hugeint) as varchar) "
                    f"else cast({c} as varchar) end")
        return enum_sql(f, text) if f.enum else f"qamtu_text({text})"
    if f.type == "number":
        if native_number:
            return f"case when isfinite(cast({c} as double)) then cast({c} as double) end"
        return f"qamtu_number({text})"
    if f.type == "integer":
        if source_type in _NUMERIC_SOURCES[:9]:
            return f"cast({c} as bigint)"
        if native_number:
            return f"qamtu_integer_of(cast({c} as double))"
        return f"qamtu_integer({text})"
    if f.type == "date":
        if source_type == "DATE":
            return c
        if source_type.startswith("TIMESTAMP"):
            return f"case when cast({c} as time) = time '00:00:00' then cast({c} as date) end"
        return f"qamtu_date(qamtu_text({text}))"
    if f.type == "datetime":
        if source_type.startswith("TIMESTAMP") or source_type == "DATE":
            return f"cast({c} as timestamptz)"
        return f"qamtu_timestamp({text})"
    if f.type == "boolean":
        if source_type == "BOOLEAN":
            return c
        if source_type in _NUMERIC_SOURCES:
            return f"case when {c} = 1 then true when {c} = 0 then false end"
        return f"qamtu_boolean({text})"
    raise ValueError(f"{f.name}: unknown field type {f.type!r}")


def text_sql(column: str, source_type: str) -> str:
    """The cell as text (trimmed, empty → missing): what a failed cell is reported as."""
    c = q(column)
    return f"qamtu_text({c})" if source_type.upper() == "VARCHAR" else f"qamtu_text(cast({c} as varchar))"


def _numbered(typed: str, large: LargeSource) -> tuple[str, str]:
    """(line expression, FROM clause with alias ``t`` and column ``_k``) numbering the rows of
    ``typed`` (a table filled from ``large.unnumbered`` in file order)."""
    rows = f"(select rowid as _k, * from {typed}) t"
    line = f"t._k + {int(large.first_line)}"
    if large.breaks:  # rows before the last rejected line: their line by position
        rows += f" positional join {large.breaks} b"
        line = f"coalesce(b.line, t._k + {int(large.first_line) + large.final_shift})"
    return line, rows


def _read_first(con, large: LargeSource, on_read: Callable[[], None] | None) -> str:
    """``large.relation`` for a statement that needs its line numbers: an unnumbered CSV is read
    once first so that the rejected rows, and with them the lines, are known (a numbered one
    carries its lines; ``on_read`` is then called after the statement, see :func:`_after_read`)."""
    if on_read is not None and not large.numbered:
        con.execute(f"select count(*) from {large.unnumbered}").fetchall()
        on_read()
    return large.relation


def _after_read(large: LargeSource | None, on_read: Callable[[], None] | None) -> None:
    if on_read is not None and (large is None or large.numbered):
        on_read()


def raw_column(name: str) -> str:
    return f"{name}__raw"


def keeps_raw(f: Field) -> bool:
    """Fields whose typing can fail keep the text of failed cells."""
    return f.type != "string"


class _ReferenceTarget:
    """What ``qamtu.reference.load_into_warehouse`` writes to: tables ``work.ref_<table>``."""

    def __init__(self, con):
        self.con = con

    def replace_arrow(self, schema: str, table: str, data) -> int:
        self.con.register("_qamtu_reference", data)
        try:
            self.con.execute(f"create or replace table {WORK}.{q('ref_' + table)} as select * from _qamtu_reference")
        finally:
            self.con.unregister("_qamtu_reference")
        return data.num_rows


# Which rows each x-reference name admits (the names are defined by the contracts module).
REFERENCE_SETS_SQL = {
    "kato.settlement": f"select kato_code from {WORK}.ref_kato where level = 'settlement'",
    "kato.district": f"select kato_code from {WORK}.ref_kato where level = 'district'",
    "kato.any": f"select kato_code from {WORK}.ref_kato",
    "city_5g": f"select kato_code from {WORK}.ref_kato where is_5g_city",
    "roads": f"select road_code from {WORK}.ref_roads",
}


def _remove_orphan_scratch(root: Path) -> None:
    """Scratch folders of runs that were killed (their process is gone): up to a gigabyte each at
    national scale. A folder without a pid file, or of a live process, is left alone."""
    for folder in root.glob("ingest-*"):
        try:
            pid = int((folder / "pid").read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, NotADirectoryError):
            continue
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # another user's live process
            continue


class Workbench:
    """The working database of one ingestion run (attached as ``work`` to ``con``)."""

    def __init__(self, con, scratch_root: Path, memory_limit: str | None = None):
        self.con = con
        scratch_root.mkdir(parents=True, exist_ok=True)
        _remove_orphan_scratch(scratch_root)
        self.scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=scratch_root))
        (self.scratch / "pid").write_text(str(os.getpid()))
        con.execute("set enable_progress_bar = false")
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"set temp_directory = {_literal(str(self.scratch / 'spill'))}")
        if memory_limit:
            con.execute(f"set memory_limit = {_literal(memory_limit)}")
        # In memory, compressed (typed columns are small; VARCHAR written to disk is what costs), spilling
        # to the scratch folder beyond the memory limit.
        con.execute(f"attach ':memory:' as {WORK} (COMPRESS)")
        for macro in _macros():
            con.execute(macro)
        self._modes: dict[str, str] = {}  # report type → "table" | "direct"
        self._created: set[str] = set()
        self._direct: list[str] = []  # submissions staged straight into raw
        self._checked_ids: dict[str, list[str] | None] = {}  # the submissions each checked view covers
        self._pending_ctx: list[list[Any]] = []
        con.execute(f"""create table {WORK}.submission_ctx (
            _submission_id varchar primary key, kind varchar, submitter varchar, period varchar,
            source_key varchar, report_type varchar, period_end date, period_after timestamptz,
            submitter_region varchar)""")
        con.execute(f"""create table {WORK}.findings (
            _submission_id varchar, _line bigint, expectation integer, rule varchar, field varchar,
            severity varchar, presence boolean, value varchar)""")
        self._load_reference()

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self._reference_thread.join()
        try:
            self.con.execute(f"detach {WORK}")
        except Exception:  # the connection may already be gone
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- reference -------------------------------------------------------------------------------
    def _load_reference(self) -> None:
        """Reference tables into ``work``, in a background thread on its own cursor: reading them
        (pandas, ~1 s) overlaps the reading of the first files. Every reader waits for it."""
        import threading

        def load() -> None:
            from qamtu.reference import load_into_warehouse

            cursor = self.con.cursor()
            try:
                load_into_warehouse(_ReferenceTarget(cursor))
                union = " union all ".join(f"select {_literal(name)} as name, value from ({sql}) t(value)"
                                           for name, sql in REFERENCE_SETS_SQL.items())
                cursor.execute(f"create or replace table {WORK}.reference_values as {union}")
            except BaseException as error:  # handed to whoever waits
                self._reference_error = error
            finally:
                cursor.close()

        self._reference_error: BaseException | None = None
        self._reference_thread = threading.Thread(target=load, name="qamtu-reference", daemon=True)
        self._reference_thread.start()

    def wait_for_reference(self) -> None:
        self._reference_thread.join()
        if self._reference_error is not None:
            raise RuntimeError(f"reference data could not be loaded: {self._reference_error}") \
                from self._reference_error

    # -- submissions and stages ------------------------------------------------------------------
    def add_submission(self, submission_id: str, kind: str, submitter: str, period: str, source_key: str,
                       report_type: str, period_end, region: str | None) -> None:
        """Remember a submission's context; written to ``work.submission_ctx`` when a check first needs
        it (writing to ``work`` now would wait for the reference tables being loaded there)."""
        self._pending_ctx.append([submission_id, kind, submitter, period, source_key, report_type, period_end,
                                  period_end, region])

    def _flush_context(self) -> None:
        if self._pending_ctx:
            self.con.executemany(
                f"insert into {WORK}.submission_ctx values (?, ?, ?, ?, ?, ?, ?, "
                f"cast(cast(? as date) + interval 1 day as timestamptz), ?)", self._pending_ctx)
            self._pending_ctx = []

    def is_direct(self, contract: Contract) -> bool:
        return self._modes.get(contract.report_type) == "direct"

    def stage(self, contract: Contract) -> str:
        """``work.stage_<report_type>``: a table (staged mode) or a view over the raw rows (direct)."""
        return f"{WORK}.{q('stage_' + contract.report_type)}"

    def _use(self, contract: Contract, mode: str) -> None:
        current = self._modes.setdefault(contract.report_type, mode)
        if current != mode:
            raise RuntimeError(f"{contract.report_type}: cannot stage both {current} and {mode} in one run")

    def _typed_select(self, contract: Contract, relation: str, columns: dict[str, str],
                      with_raw: bool) -> tuple[list[str], list[str]]:
        """(inner, outer) select lists typing ``relation``; outer starts with ``_line`` then the fields
        in contract order (missing fields NULL), each followed by its ``__raw`` text when ``with_raw``."""
        described = self.con.execute(f"describe select * from {relation}").fetchall()
        source_types = {row[0]: row[1] for row in described}
        inner, outer = ["_line"], ["_line"]
        for f in contract.fields:
            if f.name not in columns:
                outer.append(f"null::{DUCK_TYPES[f.type]}")
                if with_raw and keeps_raw(f):
                    outer.append("null::varchar")
                continue
            source = columns[f.name]
            source_type = source_types[source]
            value, cell = q("v_" + f.name), "s_" + f.name
            inner.append(f"{typed_sql(f, source, source_type)} as {value}")
            outer.append(value)
            if with_raw and keeps_raw(f):
                # The text is only made for the cells that did not type (CASE is lazy).
                inner.append(f"{q(source)} as {q(cell)}")
                outer.append(f"case when {value} is null then {text_sql(cell, source_type)} end")
        return inner, outer

    def stage_rows(self, contract: Contract, submission_id: str | None, relation: str, columns: dict[str, str],
                   large: LargeSource | None = None, on_read: Callable[[], None] | None = None) -> int:
        """Type the rows of ``relation`` (``_line`` + the source columns named in ``columns``) into
        the stage table; returns the rows staged. ``submission_id`` None: the relation has a
        ``_submission_id`` column (many small files staged in one statement). ``large``/``on_read``:
        as in :meth:`stage_direct`."""
        self._use(contract, "table")
        stage = self.stage(contract)
        if contract.report_type not in self._created:
            definition = ["_submission_id varchar", "_line bigint"]
            for f in contract.fields:
                definition.append(f"{q(f.name)} {DUCK_TYPES[f.type]}")
                if keeps_raw(f):
                    definition.append(f"{q(raw_column(f.name))} varchar")
            self.con.execute(f"create table {stage} ({', '.join(definition)})")
            self._created.add(contract.report_type)
        inner, outer = self._typed_select(contract, relation if large is None else large.relation, columns,
                                          with_raw=True)
        if submission_id is None:
            inner, sid = ["_submission_id", *inner], "_submission_id"
        else:
            sid = _literal(submission_id)
        before = self.con.execute(f"select count(*) from {stage}").fetchall()[0][0]
        if large is not None and large.unnumbered and submission_id is not None and self._keeps_order():
            typed = f"{WORK}.{q('typed_' + contract.report_type)}"
            named = ", ".join(f"{expression} as o{number}" for number, expression in enumerate(outer[1:]))
            self.con.execute(f"create or replace table {typed} as select {named} "
                             f"from (select {', '.join(inner[1:])} from {large.unnumbered})")
            try:
                if on_read is not None:
                    on_read()
                line, rows = _numbered(typed, large)
                self.con.execute(f"insert into {stage} select {sid}, {line}, t.* exclude (_k) from {rows}")
            finally:
                self.con.execute(f"drop table if exists {typed}")
        else:
            if large is not None:
                relation = _read_first(self.con, large, on_read)
            self.con.execute(f"insert into {stage} select {sid}, {', '.join(outer)} "
                             f"from (select {', '.join(inner)} from {relation})")
            _after_read(large, on_read)
        return self.con.execute(f"select count(*) from {stage}").fetchall()[0][0] - before

    def _keeps_order(self) -> bool:
        """Whether DuckDB keeps the order rows are inserted in (its default): ``rowid`` is then the
        position of a row in the file it was read from."""
        return bool(self.con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0])

    def stage_tables(self, contract: Contract, tables: dict[str, Any]) -> int:
        """Stage several parsed files (submission id → Arrow table of text columns and ``_line``) in
        one statement: planning a typing query costs more than typing a small file."""
        import pyarrow as pa

        parts = [t.append_column("_submission_id", pa.array([sid] * t.num_rows, pa.string()))
                 for sid, t in tables.items()]
        combined = pa.concat_tables(parts, promote_options="default")
        self.con.register("_qamtu_incoming", combined)
        try:
            return self.stage_rows(contract, None, "_qamtu_incoming",
                                   {n: n for n in combined.column_names if n not in ("_line", "_submission_id")})
        finally:
            self.con.unregister("_qamtu_incoming")

    def stage_direct(self, contract: Contract, submission_id: str, relation: str, columns: dict[str, str],
                     lineage: dict[str, Any], target: str, large: LargeSource | None = None,
                     on_read: Callable[[], None] | None = None) -> int:
        """x-large reports on a DuckDB warehouse: type the rows straight into the raw table ``target``
        (one read of the file, no stage table of 10 M rows besides raw). They carry their submission id, which
        ``raw.submissions`` does not know yet, so no reader counts them (readers join on
        ``is_current``); finishing the submission deletes the rows held back, in its transaction.
        Rows of an earlier, interrupted run of the same submission are removed first.

        The text of cells that did not type is fetched by a second read of the file restricted to
        the rows with an empty typed cell (none in a clean file).

        ``large`` (a file DuckDB reads; ``relation`` is then ``large.relation``): with
        ``large.unnumbered`` the rows are typed on every thread into a compressed table in ``work``
        (DuckDB keeps the insertion order, so a row's ``rowid`` is its position among the rows
        read), then copied into ``target`` with their line numbers. Two passes on all threads beat
        one on a single thread (numbering with ``WITH ORDINALITY`` reads on one): 10.6 s instead of
        17.2 s at 10 M rows (csv.gz). ``on_read`` is called once, right after the first full read
        of the file (the rows the reader rejected are known then, and so are the line shifts)."""
        self._use(contract, "direct")
        rt = contract.report_type
        stage, retext = self.stage(contract), f"{WORK}.{q('retext_' + rt)}"
        nullable = [f for f in contract.fields if keeps_raw(f)]
        if rt not in self._created:
            definition = ["_submission_id varchar", "_line bigint",
                          *(f"{q(raw_column(f.name))} varchar" for f in nullable)]
            self.con.execute(f"create table {retext} ({', '.join(definition)})")
            self._created.add(rt)
        self.con.execute(f"delete from {target} where submission_id = ?", [submission_id])
        inner, outer = self._typed_select(contract, relation if large is None else large.relation, columns,
                                          with_raw=False)
        fields = ", ".join(q(f.name) for f in contract.fields)
        lineage_columns = "submission_id, kind, submitter, period, source_key, source_line, loaded_at"
        lineage_params = [submission_id, lineage["kind"], lineage["submitter"], lineage["period"],
                          lineage["source_key"], lineage["loaded_at"]]
        if large is not None and large.unnumbered and self._keeps_order():
            typed = f"{WORK}.{q('typed_' + rt)}"
            self.con.execute(
                f"create or replace table {typed} as select {', '.join(inner[1:])} from {large.unnumbered}")
            try:
                if on_read is not None:
                    on_read()
                line, rows = _numbered(typed, large)
                self.con.execute(
                    f"insert into {target} ({fields}, {lineage_columns}) "
                    f"select {', '.join(outer[1:])}, ?, ?, ?, ?, ?, {line}, "
                    f"cast(? as timestamptz) from {rows}", lineage_params)
            finally:
                self.con.execute(f"drop table if exists {typed}")
        else:
            if large is not None:
                relation = _read_first(self.con, large, on_read)
            self.con.execute(
                f"insert into {target} ({fields}, {lineage_columns}) "
                f"select {', '.join(outer[1:])}, ?, ?, ?, ?, ?, _line, cast(? as timestamptz) "
                f"from (select {', '.join(inner)} from {relation})", lineage_params)
            _after_read(large, on_read)
        if large is not None:
            relation = large.relation  # numbered with the line shifts now known
        crashpoints.reached("staged")
        rows = self.con.execute(f"select count(*) from {target} where submission_id = ?",
                                [submission_id]).fetchall()[0][0]
        if nullable:
            empty = " or ".join(f"{q(f.name)} is null" for f in nullable)
            suspects = (f"select source_line from {target} where submission_id = {_literal(submission_id)} "
                        f"and ({empty})")
            if self.con.execute(f"select count(*) from ({suspects})").fetchall()[0][0]:
                inner, outer = self._typed_select(contract, relation, columns, with_raw=True)
                texts = self._raw_texts(contract, outer)
                self.con.execute(
                    f"insert into {retext} select {_literal(submission_id)}, _line, {', '.join(texts)} "
                    f"from (select {', '.join(inner)} from {relation}) where _line in ({suspects})")
        self._direct.append(submission_id)
        ids = ", ".join(_literal(i) for i in self._direct)
        self.con.execute(
            f"create or replace view {stage} as select r.submission_id as _submission_id, r.source_line as _line, "
            + ", ".join(
                f"r.{q(f.name)}" + (f", t.{q(raw_column(f.name))}" if keeps_raw(f) else "") for f in contract.fields)
            + f" from {target} r left join {retext} t on t._submission_id = r.submission_id "
              f"and t._line = r.source_line where r.submission_id in ({ids})")
        return rows

    def add_unreadable(self, contract: Contract, submission_id: str, rows: list[tuple[int, str | None, str]],
                       placeholders: bool, lineage: dict[str, Any] | None = None, target: str | None = None) -> None:
        """Rows that cannot be read as records of the header, ``(line, field or None, raw text)``:
        a finding ``file.unreadable_row`` each (the row is held back; its other findings are
        dropped in :meth:`describe_hits`) and, with ``placeholders``, a row of empty cells at
        that line in the stage (the reader skipped the row: it is counted, and quarantined, all
        the same). Direct mode: the placeholder goes to ``target`` (raw) with ``lineage``."""
        if not rows:
            return
        import pyarrow as pa

        # One statement each through Arrow: executemany costs ~2 ms a row (1,000 bad rows: 4 s).
        found = pa.table({"_submission_id": pa.array([submission_id] * len(rows), pa.string()),
                          "_line": pa.array([r[0] for r in rows], pa.int64()),
                          "field": pa.array([r[1] for r in rows], pa.string()),
                          "value": pa.array([r[2] for r in rows], pa.string())})
        self.con.register("_qamtu_unreadable", found)
        try:
            if placeholders and self.is_direct(contract):
                self.con.execute(
                    f"insert into {target} (submission_id, kind, submitter, period, source_key, source_line, "
                    f"loaded_at) select _submission_id, ?, ?, ?, ?, _line, cast(? as timestamptz) "
                    f"from _qamtu_unreadable",
                    [lineage["kind"], lineage["submitter"], lineage["period"], lineage["source_key"],
                     lineage["loaded_at"]])
            elif placeholders:
                self.con.execute(f"insert into {self.stage(contract)} (_submission_id, _line) "
                                 f"select _submission_id, _line from _qamtu_unreadable")
            self.con.execute(
                f"insert into {WORK}.findings select _submission_id, _line, -2, {_literal(UNREADABLE_ROW)}, field, "
                f"'error', false, value from _qamtu_unreadable")
        finally:
            self.con.unregister("_qamtu_unreadable")

    @staticmethod
    def _raw_texts(contract: Contract, outer: list[str]) -> list[str]:
        """From a with-raw outer select list, the ``__raw`` expressions of the fields keeping them."""
        texts, position = [], 1
        for f in contract.fields:
            position += 1  # the typed value
            if keeps_raw(f):
                texts.append(outer[position])
                position += 1
        return texts

    def stage_arrow(self, contract: Contract, submission_id: str, table) -> int:
        """Stage one parsed file (an Arrow table of text columns and ``_line``)."""
        return self.stage_tables(contract, {submission_id: table})

    def typed_value(self, f: Field, text: str | None) -> Any:
        """One cell typed as the stage types it (for totals rows)."""
        if text is None:
            return None
        return self.con.execute(f"select {typed_sql(f, 'v', 'VARCHAR')} from (select ? as v)", [text]).fetchall()[0][0]

    def column_sum(self, contract: Contract, submission_id: str, field_name: str) -> float | None:
        return self.con.execute(f"select sum({q(field_name)}) from {self.stage(contract)} where _submission_id = ?",
                                [submission_id]).fetchall()[0][0]

    def checked(self, contract: Contract, submission_ids: Iterable[str] | None = None) -> str:
        """The view the suites validate: the stage plus context and derived columns."""
        self.wait_for_reference()
        self._flush_context()
        rt = contract.report_type
        name = f"{WORK}.{q('checked_' + rt)}"
        extra = ["c.period_end as _period_end", "c.period_after as _period_after",
                 "c.submitter_region as _submitter_region"]
        joins = []
        for f in contract.fields:
            if f.in_submitter_region:
                extra.append(f"substr(s.{q(f.name)}, 1, 2) as {q(suites.region_column(f.name))}")
            if f.reference:
                # A hash join, once per row (a flag used in several predicates is not looked up again).
                alias = f"ref_{f.name}"
                joins.append(f"left join (select distinct value from {WORK}.reference_values "
                             f"where name = {_literal(f.reference)}) {alias} on {alias}.value = s.{q(f.name)}")
                extra.append(f"case when s.{q(f.name)} is not null then {alias}.value is not null end "
                             f"as {q(suites.reference_column(f.name))}")
        for number, rule in enumerate(r for r in contract.row_rules if r.check == "at_most_reference"):
            table, attribute = rule.params["reference"].split(".", 1)
            key = rule.params["key"]
            alias = f"r{number}"
            joins.append(f"left join {WORK}.{q('ref_' + table)} {alias} on {alias}.{q(key)} = s.{q(key)}")
            extra.append(f"{alias}.{q(attribute)} as {q(suites.reference_max_column(rule.field))}")
        where = ""
        self._checked_ids[rt] = None if submission_ids is None else list(submission_ids)
        if submission_ids is not None:
            ids = ", ".join(_literal(i) for i in self._checked_ids[rt])
            where = f" where s._submission_id in ({ids})"
        self.con.execute(
            f"create or replace view {name} as select s.*, {', '.join(extra)} from {self.stage(contract)} s "
            f"join {WORK}.submission_ctx c using (_submission_id) {' '.join(joins)}{where}")
        return name

    # -- validation ------------------------------------------------------------------------------
    def validate_sql(self, contract: Contract, checked: str) -> None:
        """Every row expectation of the suite, compiled to SQL, over ``checked`` → hits."""
        expectations = suites.row_expectations(contract.report_type)
        row_local = [e for e in expectations if e.type != "expect_compound_columns_to_be_unique"]
        if row_local:
            cases = ", ".join(f"case when {suites.failure_predicate(e)} then {e.index} end"
                              for e in row_local)
            any_fails = " or ".join(suites.failure_predicate(e) for e in row_local)
            self.con.execute(
                f"insert into {WORK}.findings (_submission_id, _line, expectation) "
                f"select _submission_id, _line, unnest(list_filter([{cases}], lambda x: x is not null)) "
                f"from {checked} where {any_fails}")
        # Uniqueness reads only stage columns (the submission id and the key): the stage itself,
        # not the checked view with its joins.
        ids = self._checked_ids.get(contract.report_type)
        source = self.stage(contract) if ids is None else (
            f"(select * from {self.stage(contract)} where _submission_id in "
            f"({', '.join(_literal(i) for i in ids) or 'null'}))")
        for e in expectations:
            if e.type != "expect_compound_columns_to_be_unique":
                continue
            keys = [q(c) for c in suites.unique_columns(e)]
            present = " and ".join(f"{k} is not null" for k in keys)
            match = " and ".join(f"d.{k} = c.{k}" for k in keys)
            # Exact, and cheap at 10 M rows: group 8-byte hashes first, compare the values only for
            # the rows whose hash repeats (all of them, when there are true duplicates).
            row_hash = f"hash({', '.join(keys)})"
            # No hash repeats, no key repeats: a clean file stops at one count (at 10 M rows 2.5–3.3
            # CPU-s against 2.8–4.0 s for the query below; bench/ingest_floor.py).
            if not self.con.execute(f"select count(*) - count(distinct {row_hash}) from {source} "
                                    f"where {present}").fetchall()[0][0]:
                continue
            self.con.execute(
                f"insert into {WORK}.findings (_submission_id, _line, expectation) "
                f"with repeated_hashes as (select {row_hash} as h from {source} where {present} "
                f"group by 1 having count(*) > 1), "
                f"suspects as (select * from {source} where {present} "
                f"and {row_hash} in (select h from repeated_hashes)), "
                f"dups as (select {', '.join(keys)} from suspects group by all having count(*) > 1) "
                f"select c._submission_id, c._line, {e.index} from suspects c "
                f"where exists (select 1 from dups d where {match})")

    def validate_gx(self, contract: Contract, checked: str) -> None:
        """The suite run by GX 1.x on the checked relation as a pandas frame → hits."""
        import pyarrow as pa

        frame = self.con.execute(f"select * from {checked}").df()
        hits = suites.run_gx(contract.report_type, frame)
        positions = [p for p, _ in hits]
        table = pa.table({
            "_submission_id": pa.array(frame["_submission_id"].to_numpy()[positions].tolist(), pa.string()),
            "_line": pa.array(frame["_line"].to_numpy()[positions].tolist(), pa.int64()),
            "expectation": pa.array([e for _, e in hits], pa.int32()),
        })
        self.con.register("_qamtu_hits", table)
        try:
            self.con.execute(f"insert into {WORK}.findings (_submission_id, _line, expectation) "
                             f"select * from _qamtu_hits")
        finally:
            self.con.unregister("_qamtu_hits")

    def type_findings(self, contract: Contract, submission_ids: Iterable[str]) -> None:
        """Cells present but not typable (the parse stage's own rule, ``type``)."""
        ids = ", ".join(_literal(i) for i in submission_ids)
        stage = self.stage(contract)
        for f in contract.fields:
            if keeps_raw(f):
                self.con.execute(
                    f"insert into {WORK}.findings select _submission_id, _line, -1, 'type', {_literal(f.name)}, "
                    f"'error', false, {q(raw_column(f.name))} from {stage} "
                    f"where _submission_id in ({ids}) and {q(raw_column(f.name))} is not null")

    def describe_hits(self, contract: Contract, checked: str, submission_ids: Iterable[str],
                      severity_of) -> None:
        """Fill rule, field, severity and the value shown for every suite hit; drop a missing-value
        finding when the same cell already failed typing."""
        expectations = {e.index: e for e in suites.row_expectations(contract.report_type)}
        ids = ", ".join(_literal(i) for i in submission_ids)
        if not expectations:
            return
        rows = []
        for e in expectations.values():
            rows.append(f"({e.index}, {_literal(e.rule)}, {_literal(e.field)}, "
                        f"{_literal(severity_of(e))}, {str(bool(e.meta.get('presence'))).lower()})")
        self.con.execute(f"create or replace temp table _qamtu_expectations as select * from (values "
                         f"{', '.join(rows)}) t(expectation, rule, field, severity, presence)")
        values = " ".join(f"when {e.index} then {self._value_sql(contract, e)}" for e in expectations.values())
        self.con.execute(
            f"create or replace temp table _qamtu_described as "
            f"select f._submission_id, f._line, f.expectation, x.rule, x.field, x.severity, x.presence, "
            f"case f.expectation {values} end as value "
            f"from {WORK}.findings f join _qamtu_expectations x using (expectation) "
            f"join {checked} c on c._submission_id = f._submission_id and c._line = f._line "
            f"where f.rule is null and f._submission_id in ({ids})")
        self.con.execute(f"delete from {WORK}.findings where rule is null and _submission_id in ({ids})")
        self.con.execute(f"insert into {WORK}.findings select * from _qamtu_described")
        self.con.execute(
            f"delete from {WORK}.findings f where f.presence and f._submission_id in ({ids}) and exists ("
            f"select 1 from {WORK}.findings t where t.rule = 'type' and t._submission_id = f._submission_id "
            f"and t._line = f._line and t.field = f.field)")
        self.con.execute("drop table _qamtu_described")
        self.con.execute("drop table _qamtu_expectations")
        # A row that could not be read as a record of the header has one finding: that one.
        self.con.execute(
            f"delete from {WORK}.findings f where f.rule <> {_literal(UNREADABLE_ROW)} and f._submission_id in ({ids}) "
            f"and exists (select 1 from {WORK}.findings u where u.rule = {_literal(UNREADABLE_ROW)} "
            f"and u._submission_id = f._submission_id and u._line = f._line)")

    def _value_sql(self, contract: Contract, expectation: suites.Expectation) -> str:
        names = expectation.field.split("+")
        parts = []
        for name in names:
            if contract.has_field(name) and keeps_raw(contract.field(name)):
                parts.append(f"coalesce(c.{q(raw_column(name))}, cast(c.{q(name)} as varchar))")
            else:
                parts.append(f"cast(c.{q(name)} as varchar)")
        return parts[0] if len(parts) == 1 else "concat_ws(' + ', " + ", ".join(parts) + ")"

    def findings_of(self, submission_id: str) -> list[tuple]:
        """(line, field, value, rule, severity) of a submission, in line order."""
        return self.con.execute(
            f"select _line, field, value, rule, severity from {WORK}.findings where _submission_id = ? "
            f"order by _line, field, rule", [submission_id]).fetchall()

    def bad_lines(self, submission_id: str) -> int:
        return self.con.execute(
            f"select count(distinct _line) from {WORK}.findings where _submission_id = ? and severity = 'error'",
            [submission_id]).fetchall()[0][0]
