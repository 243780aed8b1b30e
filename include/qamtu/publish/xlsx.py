"""An XLSX writer for whole tables: the worksheet XML of a table is made column by column with Arrow's
compute functions, not cell by cell in Python.

Why not XlsxWriter: it writes each cell through several Python calls. A release writes every mart and the
portal a workbook per page, about two million cells for a month; through XlsxWriter that was two thirds
of a publish (docs/benchmarks.md). Here a column of a hundred thousand values is one string operation.

What a workbook holds is what ``formats.write_xlsx`` asks for: sheets of text, numbers (finite ones; NaN and
infinity are left empty), booleans, dates and date-times (UTC, Excel has no time zones) under header rows
with their own styles, column widths, frozen header rows and an autofilter. Strings are inline (no shared
string table); characters XML 1.0 cannot hold are dropped. Zip entries carry a fixed date, and nothing
else varies between runs: the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
import pyarrow.compute as pc

# Cell styles (indexes into styles.xml's cellXfs, below).
PLAIN, HEADER, LABEL, CODE, DATE, DATETIME = range(6)
EXCEL_EPOCH_DAYS = 25569  # 1970-01-01 as an Excel serial day (the 1900 date system)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BATCH_ROWS = 50_000
_ILLEGAL_XML = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = XML_HEAD + "".join([
    f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="2">',
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>',
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="3"><font>',
    '<sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/>',
    '<name val="Calibri"/><family val="2"/></font><font><i/><sz val="11"/>',
    '<color rgb="FF555555"/><name val="Calibri"/><family val="2"/></font></fonts>',
    '<fills count="4"><fill><patternFill patternType="none"/></fill><fill>',
    '<patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">',
    '<fgColor rgb="FFDDE7F0"/><bgColor indexed="64"/></patternFill></fill><fill>',
    '<patternFill patternType="solid"><fgColor rgb="FFEEF3F8"/><bgColor indexed="64"/>',
    '</patternFill></fill></fills><borders count="2"><border><left/><right/><top/><bottom/>',
    '<diagonal/></border><border><left/><right/><top/><bottom style="thin"><color auto="1"/>',
    '</bottom><diagonal/></border></borders><cellStyleXfs count="1">',
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="6">',
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" ',
    'applyAlignment="1">',
    '<alignment vertical="top" wrapText="1"/></xf>',
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1" applyAlignment="1">',
    '<alignment vertical="top" wrapText="1"/></xf>',
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1"/>',
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>',
    '</cellStyles></styleSheet>',
])


@dataclass
class Sheet:
    """One worksheet: ``rows`` of (value, style) cells written as given at the top (headers, notes), then
    ``table`` from row ``len(rows) + 1`` on; rows ``frozen`` above the scroll, an autofilter from
    ``filter_row`` (1-based) over the table."""

    name: str
    rows: list[list[tuple[object, int]]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    table: pa.Table | None = None
    frozen: int = 0
    filter_row: int | None = None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _escaped(strings: pa.Array) -> pa.Array:
    """Text as a ``<t>`` element holds it: characters XML 1.0 cannot hold dropped, Excel's own ``_xHHHH_``
    escapes escaped (Excel would read "_x0041_" as "A"), then XML's ``&``, ``<`` and ``>``."""
    strings = pc.replace_substring_regex(strings, _ILLEGAL_XML, "")
    strings = pc.replace_substring_regex(strings, r"_(x[0-9A-Fa-f]{4})_", r"_x005F_\1_")
    for character, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        strings = pc.replace_substring(strings, character, entity)
    return strings


def _cell(ref: str, value: object, style: int) -> str:
    styled = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{styled}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{styled}><v>{value!r}</v></c>'
    text = _escaped(pa.array([str(value)], pa.string()))[0].as_py()
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _cat(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _column_cells(column: pa.Array, letter: str, row_numbers: pa.Array) -> pa.Array:
    """The ``<c>`` element of each value of ``column`` (an empty string for a null, NaN or infinity)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.dictionary_decode(), kind.value_type
    if pa.types.is_decimal(kind):
        column, kind = pc.cast(column, pa.float64()), pa.float64()
    style, cell_type = "", ""
    if pa.types.is_boolean(kind):
        text = pc.cast(pc.cast(column, pa.int8()), pa.string())
        cell_type = ' t="b"'
    elif pa.types.is_integer(kind):
        text = pc.cast(column, pa.string())
    elif pa.types.is_floating(kind):
        finite = pc.if_else(pc.is_finite(column), column, pa.scalar(None, kind))
        text = pc.cast(finite, pa.string())
    elif pa.types.is_date(kind):
        days = pc.add(pc.cast(pc.cast(column, pa.date32()), pa.int32()), EXCEL_EPOCH_DAYS)
        text, style = pc.cast(days, pa.string()), f' s="{DATE}"'
    elif pa.types.is_timestamp(kind):
        # Arrow keeps timestamps as UTC instants whatever their zone: the serial day of that instant.
        micros = pc.cast(pc.cast(column, pa.timestamp("us", tz=kind.tz)), pa.int64())
        days = pc.add(pc.divide(pc.cast(micros, pa.float64()), 86_400_000_000.0), float(EXCEL_EPOCH_DAYS))
        text, style = pc.cast(days, pa.string()), f' s="{DATETIME}"'
    else:
        strings = column if pa.types.is_string(kind) or pa.types.is_large_string(kind) \
            else pc.cast(column, pa.string())
        cells = _cat(f'<c r="{letter}', row_numbers, '" t="inlineStr"><is><t xml:space="preserve">',
                     _escaped(strings), "</t></is></c>")
        return pc.fill_null(cells, "")
    cells = _cat(f'<c r="{letter}', row_numbers, f'"{style}{cell_type}><v>', text, "</v></c>")
    return pc.fill_null(cells, "")


def _sheet_xml(sheet: Sheet, selected: bool):
    """The worksheet's XML, in pieces (a large table is written batch by batch)."""
    columns = sheet.table.num_columns if sheet.table is not None else 0
    width = max([columns, len(sheet.widths), *(len(r) for r in sheet.rows)] or [1]) or 1
    data_rows = sheet.table.num_rows if sheet.table is not None else 0
    last_row = max(len(sheet.rows) + data_rows, 1)
    view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
    if sheet.frozen:
        top = f"A{sheet.frozen + 1}"
        view += (f'<pane ySplit="{sheet.frozen}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                 f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>')
    yield (XML_HEAD + f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
           f'<dimension ref="A1:{column_letter(width - 1)}{last_row}"/>'
           f"<sheetViews>{view}</sheetView></sheetViews>"
           '<sheetFormatPr defaultRowHeight="15"/>')
    if sheet.widths:
        yield "<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                 for i, w in enumerate(sheet.widths, start=1)) + "</cols>"
    yield "<sheetData>"
    for number, cells in enumerate(sheet.rows, start=1):
        yield f'<row r="{number}">' + "".join(_cell(f"{column_letter(i)}{number}", value, style)
                                              for i, (value, style) in enumerate(cells)) + "</row>"
    if data_rows:
        letters = [column_letter(i) for i in range(columns)]
        first = len(sheet.rows) + 1
        for start in range(0, data_rows, BATCH_ROWS):
            batch = sheet.table.slice(start, BATCH_ROWS).combine_chunks()
            numbers = pc.cast(pa.array(range(first + start, first + start + batch.num_rows)), pa.string())
            cells = [_column_cells(batch.column(i), letters[i], numbers) for i in range(columns)]
            rows = _cat('<row r="', numbers, '">', *cells, "</row>")
            yield "".join(rows.to_pylist())
    yield "</sheetData>"
    if sheet.filter_row and columns:
        yield f'<autoFilter ref="{_filter_range(sheet)}"/>'
    yield "</worksheet>"


def _filter_range(sheet: Sheet) -> str:
    last = sheet.filter_row + (sheet.table.num_rows if sheet.table is not None else 0)
    return f"A{sheet.filter_row}:{column_letter(max(sheet.table.num_columns - 1, 0))}{last}"


def write_workbook(path: Path, sheets: list[Sheet], created: dt.datetime) -> None:
    """Write ``sheets`` as one XLSX workbook at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    names = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
                    for i, s in enumerate(sheets, start=1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(repr_sheet(s.name))}!{absolute(_filter_range(s))}</definedName>"
        for i, s in enumerate(sheets) if s.filter_row and s.table is not None and s.table.num_columns)
    workbook = (XML_HEAD + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
                "<bookViews><workbookView/></bookViews>"
                f"<sheets>{names}</sheets>" + (f"<definedNames>{filters}</definedNames>" if filters else "")
                + "</workbook>")
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
    package_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    parts = {
        "[Content_Types].xml": XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + overrides
        + '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
        "_rels/.rels": XML_HEAD + f'<Relationships xmlns="{package_rels}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{package_rels}/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>",
        "docProps/core.xml": XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
        '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:creator>Qamtu</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>',
        "docProps/app.xml": XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>Qamtu</Application></Properties>',
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": XML_HEAD
        + f'<Relationships xmlns="{package_rels}">{rels}</Relationships>',
        "xl/styles.xml": STYLES,
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in parts.items():
            archive.writestr(_entry(name), text.encode("utf-8"))
        for number, sheet in enumerate(sheets, start=1):
            with archive.open(_entry(f"xl/worksheets/sheet{number}.xml"), "w") as stream:
                for piece in _sheet_xml(sheet, selected=number == 1):
                    stream.write(piece.encode("utf-8"))


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def repr_sheet(name: str) -> str:
    """A sheet name as a formula refers to it."""
    return "'" + name.replace("'", "''") + "'"


def absolute(cell_range: str) -> str:
    """A1:F9 → $A$1:$F$9."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in cell_range.split(":"))
