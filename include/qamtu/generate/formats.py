"""How each submitter writes its files (fixed per submitter, independent of the seed), and the
renderers that turn a ``Table`` into bytes.

Header and value spellings are read from the contracts (labels, aliases, value labels, value
aliases); nothing here re-types them. Every renderer also returns the "line" of each data row, as
the project defines it (CSV: physical line, header = 1; XLSX: Excel row; JSON: index + 2).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import xlsxwriter
import xlsxwriter.utility

from qamtu.contracts import Contract, Field, load_contract, normalize_label, submitters
from qamtu.generate.tables import Table
from qamtu.periods import period_end
from qamtu.reference import region_names

# A fixed creation time inside every workbook: same input, same bytes.
WORKBOOK_CREATED = datetime(2026, 1, 1)
# Columns a spreadsheet totals row sums (the other columns of that row stay empty).
ADDITIVE = {
    "settlement_fiber": ("households_passed", "households_connected"),
    "city_5g": ("covered_area_km2", "sites_5g"),
    "pole_access": ("poles_requested", "poles_granted"),
    "quality_inspections": ("fine_kzt",),
}


@dataclass(frozen=True)
class FileFormat:
    ext: str  # csv | xlsx | json | csv.gz | parquet
    lang: str = "ru"  # language of headers and values: kk | ru | en
    header_style: str = "label"  # label | alias | name | upper | padded
    value_style: str = "label"  # label | alias | canonical | capitalized
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1251 | utf-16 (defects)
    delimiter: str = ","
    decimal: str = "."
    thousands: str = ""  # "" | " " | "\u00a0"
    date_style: str = "dmy"  # iso | dmy | excel (XLSX date cells)
    booleans: tuple[str, str] = ("true", "false")
    line_end: str = "\n"
    title_rows: tuple[str, ...] = ()  # XLSX rows above the header ("" = blank row)
    totals_label: str | None = None  # XLSX trailing totals row marker
    sheet: str = "report_type"  # report_type | alias | label
    cover_sheet: str | None = None  # an XLSX sheet before the data sheet
    notes_sheet: str | None = None  # an XLSX sheet after the data sheet
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, Any]:
        return {
            "ext": self.ext, "lang": self.lang, "header_style": self.header_style,
            "value_style": self.value_style,
            "encoding": self.encoding if self.ext in ("csv", "csv.gz") else None,
            "delimiter": self.delimiter if self.ext in ("csv", "csv.gz") else None,
            "decimal": self.decimal, "thousands": self.thousands or None, "date_style": self.date_style,
            "booleans": list(self.booleans), "title_rows": len(self.title_rows),
            "totals_label": self.totals_label, "cover_sheet": self.cover_sheet,
        }


RU_TITLES = ("{org}", "{title}", "по состоянию на {end}", "")
KK_TITLES = ("{org}", "{title}", "{end} жағдай бойынша")

OPERATOR_FORMATS = {
    # XLSX: title rows, Russian headers, Excel date cells, a formula totals row, a notes sheet after.
    "kazakhtelecom": FileFormat("xlsx", lang="ru", date_style="excel", title_rows=RU_TITLES,
                                totals_label="Итого",
                                sheet="alias", notes_sheet="Примечание",
                                notes=("Данные предоставлены филиалами",
                                       "Домохозяйства — по данным биллинга")),
    # Windows-1251, ';', decimal comma, space as the thousands separator, Russian headers and values.
    "kcell": FileFormat("csv", lang="ru", encoding="cp1251", delimiter=";", decimal=",", thousands=" ",
                        line_end="\r\n"),
    # JSON array of objects with the canonical field names and values, ISO dates.
    "beeline": FileFormat("json", lang="en", header_style="name", value_style="canonical", date_style="iso"),
    # UTF-8 with BOM, tab-separated, Kazakh headers and values, ISO dates.
    "tele2": FileFormat("csv", lang="kk", encoding="utf-8-sig", delimiter="\t", date_style="iso"),
}

_RU_BOOL = ("да", "нет")
_KK_BOOL = ("иә", "жоқ")
AKIMAT_FORMATS = {
    "10": FileFormat("csv", lang="kk", booleans=_KK_BOOL),
    "11": FileFormat("xlsx", lang="ru", date_style="excel", booleans=_RU_BOOL, title_rows=RU_TITLES[:2],
                     totals_label="Итого"),
    "15": FileFormat("csv", lang="ru", encoding="cp1251", delimiter=";", decimal=",", thousands=" ",
                     booleans=_RU_BOOL, line_end="\r\n"),
    "19": FileFormat("xlsx", lang="kk", date_style="dmy", booleans=_KK_BOOL, title_rows=KK_TITLES,
                     totals_label="Барлығы", cover_sheet="Титул"),
    "23": FileFormat("csv", lang="kk", encoding="utf-8-sig", delimiter=";", decimal=",", booleans=_KK_BOOL),
    # ',' with decimal commas: numbers are quoted ("12,5"), embedded delimiters.
    "27": FileFormat("csv", lang="ru", header_style="alias", decimal=",", booleans=_RU_BOOL),
    "31": FileFormat("csv", lang="kk", header_style="upper", booleans=_KK_BOOL),
    "33": FileFormat("xlsx", lang="kk", date_style="excel", booleans=_KK_BOOL, title_rows=KK_TITLES[:1],
                     sheet="label"),
    "35": FileFormat("csv", lang="ru", encoding="cp1251", delimiter=";", decimal=",", thousands="\u00a0",
                     value_style="capitalized", booleans=("Да", "Нет"), line_end="\r\n"),
    "39": FileFormat("xlsx", lang="ru", date_style="excel", booleans=_RU_BOOL, title_rows=RU_TITLES,
                     totals_label="Итого", header_style="padded"),
    "43": FileFormat("csv", lang="kk", delimiter="\t", booleans=_KK_BOOL, date_style="iso"),
    "47": FileFormat("csv", lang="kk", encoding="utf-8-sig", booleans=("1", "0")),
    "55": FileFormat("csv", lang="ru", encoding="cp1251", decimal=",", booleans=_RU_BOOL,
                     value_style="alias"),
    "59": FileFormat("xlsx", lang="ru", date_style="dmy", booleans=_RU_BOOL, title_rows=RU_TITLES[:1] + ("",),
                     totals_label="Итого"),
    "61": FileFormat("csv", lang="kk", delimiter=";", booleans=_KK_BOOL),
    "62": FileFormat("xlsx", lang="kk", date_style="excel", booleans=_KK_BOOL, title_rows=KK_TITLES,
                     totals_label="Барлығы", sheet="label"),
    "63": FileFormat("csv", lang="ru", encoding="cp1251", delimiter=";", decimal=",", thousands=" ",
                     value_style="alias", header_style="alias", booleans=_RU_BOOL, line_end="\r\n"),
    "71": FileFormat("csv", lang="kk", encoding="utf-8-sig", booleans=("true", "false"), date_style="iso"),
    "75": FileFormat("xlsx", lang="ru", date_style="excel", booleans=("Да", "Нет"), title_rows=RU_TITLES,
                     totals_label="Итого", cover_sheet="Титульный лист"),
    "79": FileFormat("csv", lang="kk", delimiter=";", booleans=("yes", "no")),
}


def speed_tests_format(period: str) -> FileFormat:
    """The measurement platform: csv.gz (UTF-8, ',', canonical names), Parquet every third month."""
    month = int(period[5:7])
    if month % 3 == 0:
        return FileFormat("parquet", lang="en", header_style="name", value_style="canonical",
                          date_style="iso")
    return FileFormat("csv.gz", lang="en", header_style="name", value_style="canonical", date_style="iso")


def file_format(kind: str, submitter: str, report_type: str, period: str) -> FileFormat:
    if kind == "operator":
        return OPERATOR_FORMATS[submitter]
    if kind == "akimat":
        return AKIMAT_FORMATS[submitter]
    return speed_tests_format(period)


def landing_key(kind: str, submitter: str, period: str, report_type: str, ext: str) -> str:
    return f"{kind}/{submitter}/{period}/{report_type}.{ext}"


# --- spellings from the contract -----------------------------------------------------------------
# Spellings already worked out: (id of the contract field, value, id of the format) → (format, text);
# the format is kept in the value so its id stays its own.
_VALUE_TEXT: dict[tuple[int, str, int], tuple[FileFormat, str]] = {}


def header_text(f: Field, contract: Contract, fmt: FileFormat) -> str:
    key = (id(f), "\x00header", id(fmt))
    if key not in _VALUE_TEXT:
        _VALUE_TEXT[key] = (fmt, _header_spelling(f, contract, fmt))
    return _VALUE_TEXT[key][1]


def _header_spelling(f: Field, contract: Contract, fmt: FileFormat) -> str:
    text = _header_text(f, contract, fmt)
    if _encodable(text, fmt.encoding):
        return text
    # e.g. "км²" in Windows-1251: the submitter writes an alias the code page can hold ("км2").
    mapping = contract.header_map()
    for alias in f.aliases:
        if mapping.get(normalize_label(alias)) == f.name and _in_language(alias, fmt.lang) \
                and _encodable(alias, fmt.encoding):
            return alias
    raise ValueError(f"{contract.report_type}.{f.name}: no header spelling fits {fmt.encoding}")


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _header_text(f: Field, contract: Contract, fmt: FileFormat) -> str:
    label = f.label(fmt.lang)
    if fmt.header_style == "name":
        return f.name
    if fmt.header_style == "upper":
        return label.upper()
    if fmt.header_style == "padded":
        return f"  {label} "
    if fmt.header_style == "alias":
        mapping = contract.header_map()
        for alias in f.aliases:
            if mapping.get(normalize_label(alias)) == f.name and _in_language(alias, fmt.lang):
                return alias
    return label


def _in_language(text: str, lang: str) -> bool:
    kazakh = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
    cyrillic = any("\u0400" <= c <= "\u04ff" for c in text)
    if lang == "en":
        return not cyrillic
    if lang == "kk":
        return cyrillic
    return cyrillic and not (set(text) & kazakh)


def value_text(f: Field, value: Any, fmt: FileFormat) -> str:
    """An enum value as the submitter spells it (unknown values, e.g. defects, pass through)."""
    key = (id(f), str(value), id(fmt))
    if key not in _VALUE_TEXT:
        _VALUE_TEXT[key] = (fmt, _value_text(f, value, fmt))
    return _VALUE_TEXT[key][1]


def _value_text(f: Field, value: Any, fmt: FileFormat) -> str:
    text = str(value)
    if f.enum is None or text not in f.enum:
        return text
    if fmt.value_style == "canonical":
        return text
    label = f.value_label(text, fmt.lang)
    if fmt.value_style == "capitalized":
        return label[:1].upper() + label[1:]
    if fmt.value_style == "alias":
        mapping = f.value_map()
        for alias in f.value_aliases.get(text, ()):
            if mapping.get(normalize_label(alias)) == text and _in_language(alias, fmt.lang):
                return alias
    return label


def number_text(value: float | int, fmt: FileFormat) -> str:
    if isinstance(value, bool):
        raise TypeError("boolean where a number belongs")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = repr(value) if isinstance(value, float) else str(value)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    if fmt.thousands and len(whole) > 3:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = fmt.thousands.join([whole, *groups])
    return sign + whole + (fmt.decimal + fraction if fraction else "")


def date_text(value: date, fmt: FileFormat) -> str:
    return value.isoformat() if fmt.date_style == "iso" else value.strftime("%d.%m.%Y")


def cell_text(f: Field | None, value: Any, fmt: FileFormat) -> str:
    if value is None:
        return ""
    if f is None:  # a column the contract does not know (defects)
        return str(value)
    if isinstance(value, bool):
        return fmt.booleans[0] if value else fmt.booleans[1]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return date_text(value, fmt)
    if isinstance(value, int | float):
        return number_text(value, fmt)
    return value_text(f, value, fmt)


# --- renderers -----------------------------------------------------------------------------------
@dataclass
class Rendered:
    data: bytes
    lines: list[int]  # line of each data row
    header_line: int
    totals_line: int | None = None
    sheet: str | None = None


def _fields(table: Table, contract: Contract) -> list[tuple[str, Field | None]]:
    columns: list[tuple[str, Field | None]] = [(c, contract.field(c)) for c in table.columns]
    columns += [(name, None) for name in table.extra_columns]
    return columns


def _row_values(table: Table, row: dict[str, Any], columns: list[tuple[str, Field | None]]) -> list[Any]:
    return [
        row.get(name) if f is not None else row.get(name, table.extra_columns[name]) for name, f in columns
    ]


def render(table: Table, fmt: FileFormat) -> Rendered:
    if fmt.ext == "csv":
        return render_csv(table, fmt)
    if fmt.ext == "xlsx":
        return render_xlsx(table, fmt)
    if fmt.ext == "json":
        return render_json(table, fmt)
    raise ValueError(f"no table renderer for {fmt.ext}")


def render_csv(table: Table, fmt: FileFormat) -> Rendered:
    contract = load_contract(table.report_type)
    columns = _fields(table, contract)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=fmt.delimiter, quotechar='"', quoting=csv.QUOTE_MINIMAL,
                        lineterminator=fmt.line_end)
    writer.writerow([header_text(f, contract, fmt) if f is not None else name for name, f in columns])
    for row in table.rows:
        writer.writerow([cell_text(f, v, fmt) for (_, f), v in zip(columns, _row_values(table, row, columns),
                                                                   strict=True)])
    text = out.getvalue()
    if "\n" in "".join(str(v) for r in table.rows for v in r.values() if isinstance(v, str)):
        raise ValueError("a value holds a line break: line numbers would not match rows")
    return Rendered(text.encode(fmt.encoding), [i + 2 for i in range(len(table.rows))], header_line=1)


def render_json(table: Table, fmt: FileFormat) -> Rendered:
    contract = load_contract(table.report_type)
    columns = _fields(table, contract)
    objects = []
    for row in table.rows:
        obj: dict[str, Any] = {}
        for (name, f), value in zip(columns, _row_values(table, row, columns), strict=True):
            key = header_text(f, contract, fmt) if f is not None else name
            if isinstance(value, date):
                value = date_text(value, fmt)
            elif f is not None and f.enum is not None and value is not None:
                value = value_text(f, value, fmt)
            obj[key] = value
        objects.append(json.dumps(obj, ensure_ascii=False))
    body = "[\n" + ",\n".join(objects) + ("\n" if objects else "") + "]\n"
    return Rendered(body.encode("utf-8"), [i + 2 for i in range(len(table.rows))], header_line=1)


def organisation(table: Table, lang: str) -> str:
    if table.kind == "operator":
        ops = {o["id"]: o for o in submitters()["operator"]}
        return ops[table.submitter]["labels"].get(lang, table.submitter)
    region = region_names()[table.submitter][lang]
    return f"Акимат: {region}" if lang == "ru" else f"{region} әкімдігі"


def sheet_name(table: Table, contract: Contract, fmt: FileFormat) -> str:
    if fmt.sheet == "alias" and contract.sheet_aliases:
        return contract.sheet_aliases[0]
    if fmt.sheet == "label":
        return contract.label(fmt.lang)[:31]
    return table.report_type


def render_xlsx(table: Table, fmt: FileFormat) -> Rendered:
    contract = load_contract(table.report_type)
    columns = _fields(table, contract)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out,
                               {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"created": WORKBOOK_CREATED, "author": organisation(table, fmt.lang)})
    bold = book.add_format({"bold": True})
    date_cell = book.add_format({"num_format": "dd.mm.yyyy"})
    title = contract.label(fmt.lang)
    end = period_end(table.period).strftime("%d.%m.%Y")
    if fmt.cover_sheet:
        cover = book.add_worksheet(fmt.cover_sheet)
        cover.write(0, 0, organisation(table, fmt.lang), bold)
        cover.write(1, 0, title)
        cover.write(2, 0, end)
    name = sheet_name(table, contract, fmt)
    sheet = book.add_worksheet(name)
    row_at = 0
    for line in fmt.title_rows:
        if line:
            sheet.write(row_at, 0, line.format(org=organisation(table, fmt.lang), title=title, end=end), bold)
        row_at += 1
    header_row = row_at
    for c, (col_name, f) in enumerate(columns):
        sheet.write_string(header_row, c, header_text(f, contract, fmt) if f is not None else col_name, bold)
    first = header_row + 1
    for r, row in enumerate(table.rows):
        for c, ((_, f), value) in enumerate(zip(columns, _row_values(table, row, columns), strict=True)):
            if value is None:
                continue
            if isinstance(value, date) and f is not None and fmt.date_style == "excel":
                sheet.write_datetime(first + r, c, datetime(value.year, value.month, value.day), date_cell)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(first + r, c, value)
            else:
                sheet.write_string(first + r, c, cell_text(f, value, fmt))
    totals_line = None
    additive = ADDITIVE.get(table.report_type, ())
    if fmt.totals_label and additive and table.rows:
        totals_row = first + len(table.rows)
        sheet.write_string(totals_row, 0, fmt.totals_label, bold)
        for c, (col_name, f) in enumerate(columns):
            if f is None or col_name not in additive:
                continue
            total = sum(row.get(col_name) or 0 for row in table.rows)
            total = round(total, 6) if isinstance(total, float) else total
            if table.totals_override and col_name in table.totals_override:
                sheet.write_number(totals_row, c, table.totals_override[col_name], bold)
            else:
                letter = xlsxwriter.utility.xl_col_to_name(c)
                sheet.write_formula(totals_row, c,
                                    f"=SUM({letter}{first + 1}:{letter}{totals_row})", bold, total)
        totals_line = totals_row + 1
    if fmt.notes_sheet:
        notes = book.add_worksheet(fmt.notes_sheet)
        for r, text in enumerate(fmt.notes):
            notes.write_string(r, 0, text)
    book.close()
    return Rendered(out.getvalue(), [first + 1 + i for i in range(len(table.rows))],
                    header_line=header_row + 1,
                    totals_line=totals_line, sheet=name)
