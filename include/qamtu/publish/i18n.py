"""Every label of the release and the report in Kazakh, Russian and English, in one place.

Indicator names come from the programme targets (reference data), region names from the KATO
classifier and column labels from the dbt documentation; everything else a reader sees is here:
the short texts in ``messages.csv`` beside this module (one row a message: the table it belongs to,
its id and its text in kk, ru and en), the README blocks and the month names below.
"""

from __future__ import annotations

import csv
from pathlib import Path

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

MESSAGES_FILE = Path(__file__).parent / "messages.csv"


def _read_messages() -> dict[str, dict[str, dict[str, str]]]:
    """messages.csv as {table: {id: {language: text}}}, in the file's order."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    with MESSAGES_FILE.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            tables.setdefault(row["table"], {})[row["id"]] = {lang: row[lang] for lang in LANGUAGES}
    return tables


_MESSAGES = _read_messages()
UI: dict[str, dict[str, str]] = _MESSAGES["UI"]  # the release report and its files
UNITS = _MESSAGES["UNITS"]
# Short names of the indicators for buttons and narrow places (full names: programme targets).
SHORT_INDICATOR_NAMES = _MESSAGES["SHORT_INDICATOR_NAMES"]
# Kinds of submitter and report types as a reader sees them.
KINDS = _MESSAGES["KINDS"]
REPORT_TYPES = _MESSAGES["REPORT_TYPES"]
PORTAL: dict[str, dict[str, str]] = _MESSAGES["PORTAL"]  # the portal's pages


def label(key: str, language: str) -> str:
    """One UI string; a missing key is a programming error, so it fails loudly."""
    return UI[key][language]


def check_complete() -> list[str]:
    """Keys that lack a language (the tests assert this is empty)."""
    missing = []
    missing += [f"README:{lang}" for lang in LANGUAGES if not README.get(lang)]
    for table in (UI, UNITS, SHORT_INDICATOR_NAMES, KINDS, REPORT_TYPES):
        for key, texts in table.items():
            for language in LANGUAGES:
                if not texts.get(language):
                    missing.append(f"{key}:{language}")
    return missing


# The README of every release, one block per language ({period}, {version}, {xlsx} are filled in).
README = {
    "kk": """## Қазақша

Бұл — {period} кезеңіне арналған ресми релиз, {version}-нұсқа. Жарияланғаннан кейін өзгертілмейді:
түзету жаңа нұсқа ретінде шығады, ескі нұсқалар оқуға қолжетімді болып қалады.

- `report.html` — шенеуніктерге арналған есеп (қазақша, орысша, ағылшынша; интернетсіз ашылады).
- `csv/` — әр кесте CSV форматында (UTF-8, BOM-мен: Excel кириллицаны дұрыс ашады).
- `{xlsx}` — барлық кестелер бір кітапта, әр кесте өз парағында; алғашқы үш жол — қазақ, орыс және
  ағылшын тілдеріндегі баған атаулары, төртінші жол — баған коды.
- `parquet/` — бағдарламаларға арналған сол кестелер; `datapackage.json` — олардың сипаттамасы (Frictionless).
- `sdmx/` — негізгі көрсеткіштер SDMX-CSV 2.0 форматында және оның құрылымы (SDMX-ML).
- `data_dictionary.*` — деректер сөздігі; `methodology.md` — әдістеме; `revision_notes.*` — не өзгерді және неге.
- `SHA256SUMS` және `manifest.json` — бақылау сомалары: `sha256sum -c SHA256SUMS`.
""",
    "ru": """## Русский

Официальный выпуск за период {period}, версия {version}. После публикации не меняется: исправление
выходит новой версией, прежние версии остаются доступными.

- `report.html` — отчёт для должностных лиц (казахский, русский, английский; открывается без интернета).
- `csv/` — каждая таблица в CSV (UTF-8 с BOM, чтобы Excel правильно открывал кириллицу).
- `{xlsx}` — все таблицы в одной книге, по листу на таблицу; первые три строки — названия столбцов
  на казахском, русском и английском, четвёртая — код столбца.
- `parquet/` — те же таблицы для программ; `datapackage.json` — их описание (Frictionless).
- `sdmx/` — ключевые показатели в SDMX-CSV 2.0 и их структура (SDMX-ML).
- `data_dictionary.*` — словарь данных; `methodology.md` — методология; `revision_notes.*` — что изменилось и почему.
- `SHA256SUMS` и `manifest.json` — контрольные суммы: `sha256sum -c SHA256SUMS`.
""",
    "en": """## English

The official release for {period}, version {version}. It never changes once published: a correction
is published as a new version and earlier versions stay readable.

- `report.html` — the report for officials (Kazakh, Russian, English; opens offline).
- `csv/` — every table as CSV (UTF-8 with a byte-order mark, so Excel opens Cyrillic correctly).
- `{xlsx}` — all tables in one workbook, a sheet each; the first three rows hold the column names in
  Kazakh, Russian and English, the fourth the column's code.
- `parquet/` — the same tables for software; `datapackage.json` describes them (Frictionless).
- `sdmx/` — the headline indicators as SDMX-CSV 2.0 with their structure (SDMX-ML).
- `data_dictionary.*` — the data dictionary; `methodology.md` — the methodology; `revision_notes.*` — what
  changed and why.
- `SHA256SUMS` and `manifest.json` — checksums: `sha256sum -c SHA256SUMS`.

Finding the newest release: read `latest.json` at the root of the publication area. It names the newest
release (`path`, `manifest`, `manifest_sha256`) and, under `periods`, the newest version of every period;
`latest/<YYYY-MM>.json` points at the newest version of one period. Pointers move only after every file
of a release and its `manifest.json` are in place.
""",
}


# --- the portal ----------------------------------------------------------------------------------
MONTHS = {
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
           "қараша", "желтоқсан"),
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
           "ноябрь", "декабрь"),
    "ru_of": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
              "ноября", "декабря"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def format_period(period: str, language: str) -> str:
    """2026-03 → "2026 ж. наурыз" / "март 2026" / "March 2026"."""
    year, month = int(period[:4]), int(period[5:7])
    if language == "kk":
        return f"{year} ж. {MONTHS['kk'][month - 1]}"
    return f"{MONTHS[language][month - 1]} {year}"


def format_date(iso: str, language: str) -> str:
    """2026-03-31 (or a timestamp) → "2026 ж. 31 наурыз" / "31 марта 2026 г." / "31 March 2026"."""
    year, month, day = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    if language == "kk":
        return f"{year} ж. {day} {MONTHS['kk'][month - 1]}"
    if language == "ru":
        return f"{day} {MONTHS['ru_of'][month - 1]} {year} г."
    return f"{day} {MONTHS['en'][month - 1]} {year}"

