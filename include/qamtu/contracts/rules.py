"""Every rule a receipt or a quality check can name, with its severity and its messages in kk/ru/en.

Three families of rule ids:

- constraint rules (``CONSTRAINT_RULES``): the Table Schema constraints of a field (``required``,
  ``type``, ``enum``, ``minimum`` …) plus Qamtu's ``reference`` and ``in_submitter_region``;
- row rules: each schema's ``x-row-rules`` entry by its own ``id`` (``row_rule_ids(contract)``),
  worded by the template of its ``check``; severity from the schema;
- file rules (``FILE_RULES``): ``file.*``, about a whole file (encoding, columns, landing key …).

Messages are ``str.format`` templates. Context keys a caller may pass: ``field``, ``value``,
``other``, ``other_value``, ``expected``, ``line``, ``file``, ``period``, ``submitter``, ``kind``,
``when_value``, ``key_value``, ``detail``, ``row`` (the row as a dict: fills ``value``,
``other_value``, ``when_value`` and ``key_value`` from it). Whatever can be read from the contract
(field labels, accepted values, bounds, the rule's other field …) is filled in here, so no other
module needs to word a message. A key nobody supplied shows as ``?``.
"""

from __future__ import annotations

import calendar
import re
import string
from dataclasses import dataclass
from typing import Any

from qamtu.contracts import (
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    FORMATS,
    KINDS,
    LANGUAGES,
    Contract,
    Field,
    RowRule,
    all_contracts,
    load_contract,
    normalize_label,
    report_types,
    report_types_of,
    submitter_ids,
)

ERROR = "error"  # quarantines the row, or rejects the file
WARNING = "warning"  # the row or file is loaded; the receipt says so
SEVERITIES = (ERROR, WARNING)
MISSING = "?"

Texts = dict[str, str]  # language → text


@dataclass(frozen=True)
class Rule:
    id: str
    scope: str  # "constraint" | "row" | "file"
    severity: str
    statement: Texts  # the rule in plain words (documentation)
    message: Texts  # what a receipt says when the rule is broken (template)
    check: str | None = None  # row rules: the schema check


def _rule(rule_id: str, scope: str, severity: str, statement: Texts, message: Texts) -> Rule:
    return Rule(rule_id, scope, severity, statement, message)


# --- words the templates share ------------------------------------------------------------------

TYPE_WORDS: dict[str, Texts] = {
    "string": {"en": "text", "ru": "текст", "kk": "мәтін"},
    "integer": {"en": "a whole number", "ru": "целое число", "kk": "бүтін сан"},
    "number": {"en": "a number", "ru": "число", "kk": "сан"},
    "date": {
        "en": "a date (YYYY-MM-DD or DD.MM.YYYY)",
        "ru": "дата (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)",
        "kk": "күн (ЖЖЖЖ-АА-КК немесе КК.АА.ЖЖЖЖ)",
    },
    "datetime": {
        "en": "a date and time (UTC)",
        "ru": "дата и время (UTC)",
        "kk": "күні мен уақыты (UTC)",
    },
    "boolean": {"en": "yes/no", "ru": "да/нет", "kk": "иә/жоқ"},
}

REFERENCE_WORDS: dict[str, Texts] = {
    "kato.settlement": {
        "en": "a settlement code of the KATO classifier",
        "ru": "код населённого пункта по классификатору КАТО",
        "kk": "КАТО жіктеуішіндегі елді мекен коды",
    },
    "kato.district": {
        "en": "a district code of the KATO classifier",
        "ru": "код района по классификатору КАТО",
        "kk": "КАТО жіктеуішіндегі аудан коды",
    },
    "kato.any": {
        "en": "a code of the KATO classifier",
        "ru": "код классификатора КАТО",
        "kk": "КАТО жіктеуішіндегі код",
    },
    "city_5g": {
        "en": "one of the 20 cities of the 5G programme",
        "ru": "один из 20 городов программы 5G",
        "kk": "5G бағдарламасының 20 қаласының бірі",
    },
    "roads": {
        "en": "a road of the road register",
        "ru": "дорога из реестра автодорог",
        "kk": "автожолдар тізіліміндегі жол",
    },
    "roads.length_km": {
        "en": "the road's length in the register, km",
        "ru": "протяжённость дороги по реестру, км",
        "kk": "жолдың тізілімдегі ұзындығы, км",
    },
}

PATTERN_WORDS: dict[str, Texts] = {
    "^[0-9]{9}$": {"en": "9 digits", "ru": "9 цифр", "kk": "9 цифр"},
}

EMPTY_WORDS: Texts = {"en": "empty", "ru": "пусто", "kk": "бос"}
BOOLEAN_WORDS: dict[bool, Texts] = {
    True: {"en": "yes", "ru": "да", "kk": "иә"},
    False: {"en": "no", "ru": "нет", "kk": "жоқ"},
}
OR_WORDS: Texts = {"en": " or ", "ru": " или ", "kk": " немесе "}
LOCATION: dict[str, Texts] = {
    "file_line": {"en": "{file}, line {line}: ", "ru": "{file}, строка {line}: ",
                  "kk": "{file}, {line}-жол: "},
    "line": {"en": "Line {line}: ", "ru": "Строка {line}: ", "kk": "{line}-жол: "},
    "file": {"en": "{file}: ", "ru": "{file}: ", "kk": "{file}: "},
}

# --- constraint rules ---------------------------------------------------------------------------

CONSTRAINT_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        _rule(
            "required", "constraint", ERROR,
            {"en": "A value must be given.", "ru": "Значение обязательно.", "kk": "Мән міндетті."},
            {
                "en": "{field} is required but empty.",
                "ru": "Поле {field} обязательно, но не заполнено.",
                "kk": "{field} өрісі міндетті, бірақ толтырылмаған.",
            },
        ),
        _rule(
            "type", "constraint", ERROR,
            {
                "en": "The value must be of the field's type.",
                "ru": "Значение должно соответствовать типу поля.",
                "kk": "Мән өріс түріне сәйкес болуы керек.",
            },
            {
                "en": "{field}: {value} is not {expected}.",
                "ru": "{field}: значение {value} не распознано как {expected}.",
                "kk": "{field}: {value} мәні {expected} ретінде танылмады.",
            },
        ),
        _rule(
            "enum", "constraint", ERROR,
            {
                "en": "The value must be one of the accepted values (any listed spelling).",
                "ru": "Значение должно быть одним из допустимых (в любом из указанных написаний).",
                "kk": "Мән рұқсат етілген мәндердің бірі болуы керек (көрсетілген кез келген жазылуда).",
            },
            {
                "en": "{field}: {value} is not an accepted value (accepted: {expected}).",
                "ru": "{field}: значение {value} не допускается (допустимые: {expected}).",
                "kk": "{field}: {value} мәніне рұқсат етілмейді (рұқсат етілген мәндер: {expected}).",
            },
        ),
        _rule(
            "minimum", "constraint", ERROR,
            {
                "en": "The value must not be below the field's minimum.",
                "ru": "Значение не может быть меньше минимума поля.",
                "kk": "Мән өрістің ең аз мәнінен кіші болмауы керек.",
            },
            {
                "en": "{field}: {value} is below the minimum {expected}.",
                "ru": "{field}: значение {value} меньше минимально допустимого {expected}.",
                "kk": "{field}: {value} мәні ең аз рұқсат етілген {expected} мәнінен кіші.",
            },
        ),
        _rule(
            "maximum", "constraint", ERROR,
            {
                "en": "The value must not be above the field's maximum.",
                "ru": "Значение не может быть больше максимума поля.",
                "kk": "Мән өрістің ең көп мәнінен үлкен болмауы керек.",
            },
            {
                "en": "{field}: {value} is above the maximum {expected}.",
                "ru": "{field}: значение {value} больше максимально допустимого {expected}.",
                "kk": "{field}: {value} мәні ең көп рұқсат етілген {expected} мәнінен үлкен.",
            },
        ),
        _rule(
            "exclusive_minimum", "constraint", ERROR,
            {
                "en": "The value must be strictly greater than the field's lower bound.",
                "ru": "Значение должно быть строго больше нижней границы поля.",
                "kk": "Мән өрістің төменгі шегінен қатаң үлкен болуы керек.",
            },
            {
                "en": "{field}: {value} must be greater than {expected}.",
                "ru": "{field}: значение {value} должно быть больше {expected}.",
                "kk": "{field}: {value} мәні {expected} мәнінен үлкен болуы керек.",
            },
        ),
        _rule(
            "exclusive_maximum", "constraint", ERROR,
            {
                "en": "The value must be strictly less than the field's upper bound.",
                "ru": "Значение должно быть строго меньше верхней границы поля.",
                "kk": "Мән өрістің жоғарғы шегінен қатаң кіші болуы керек.",
            },
            {
                "en": "{field}: {value} must be less than {expected}.",
                "ru": "{field}: значение {value} должно быть меньше {expected}.",
                "kk": "{field}: {value} мәні {expected} мәнінен кіші болуы керек.",
            },
        ),
        _rule(
            "pattern", "constraint", ERROR,
            {
                "en": "The value must have the field's form (e.g. a KATO code is 9 digits).",
                "ru": "Значение должно иметь форму, заданную для поля (например, код КАТО — 9 цифр).",
                "kk": "Мән өріске белгіленген пішінде болуы керек (мысалы, КАТО коды — 9 цифр).",
            },
            {
                "en": "{field}: {value} does not have the expected form ({expected}).",
                "ru": "{field}: значение {value} не соответствует формату ({expected}).",
                "kk": "{field}: {value} мәні форматқа сәйкес келмейді ({expected}).",
            },
        ),
        _rule(
            "unique", "constraint", ERROR,
            {
                "en": "Each value may appear only once in a file.",
                "ru": "Каждое значение может встречаться в файле только один раз.",
                "kk": "Әр мән файлда бір рет қана кездесуі мүмкін.",
            },
            {
                "en": "{field}: {value} is repeated; each value may appear only once in the file.",
                "ru": "{field}: значение {value} повторяется; каждое значение может встречаться в файле "
                      "только один раз.",
                "kk": "{field}: {value} мәні қайталанады; әр мән файлда бір рет қана кездесуі мүмкін.",
            },
        ),
        _rule(
            "reference", "constraint", ERROR,
            {
                "en": "The value must exist in the reference data (KATO classifier, road register, 5G "
                      "cities).",
                "ru": "Значение должно быть в справочниках (классификатор КАТО, реестр дорог, города 5G).",
                "kk": "Мән анықтамалықтарда болуы керек (КАТО жіктеуіші, жолдар тізілімі, 5G қалалары).",
            },
            {
                "en": "{field}: {value} is unknown; it must be {expected}.",
                "ru": "{field}: значение {value} не найдено; ожидается {expected}.",
                "kk": "{field}: {value} мәні табылмады; ол {expected} болуы керек.",
            },
        ),
        _rule(
            "in_submitter_region", "constraint", ERROR,
            {
                "en": "An akimat reports only on its own region: the KATO code must lie in it.",
                "ru": "Акимат отчитывается только по своему региону: код КАТО должен к нему относиться.",
                "kk": "Әкімдік тек өз өңірі бойынша есеп береді: КАТО коды сол өңірге жатуы керек.",
            },
            {
                "en": "{field}: {value} lies outside the submitting region {expected}.",
                "ru": "{field}: код {value} не относится к региону отправителя {expected}.",
                "kk": "{field}: {value} коды жіберуші өңірге ({expected}) жатпайды.",
            },
        ),
    )
}

# Table Schema constraint names → rule ids.
CONSTRAINT_OF_KEYWORD = {
    "required": "required",
    "enum": "enum",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "pattern": "pattern",
    "unique": "unique",
}

# --- file rules ---------------------------------------------------------------------------------

LANDING_LAYOUT = "landing/<kind>/<submitter>/<YYYY-MM>/<report_type>.<ext>"

FILE_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        _rule(
            "file.empty",
            "file",
            ERROR,
            {
                "en": "A file must not be empty.",
                "ru": "Файл не должен быть пустым.",
                "kk": "Файл бос болмауы керек.",
            },
            {"en": "{file} is empty.", "ru": "Файл {file} пуст.", "kk": "{file} файлы бос."},
        ),
        _rule(
            "file.unreadable",
            "file",
            ERROR,
            {
                "en": "A file must be readable in the format its extension names.",
                "ru": "Файл должен читаться в формате, указанном его расширением.",
                "kk": "Файл кеңейтімінде көрсетілген форматта оқылуы керек.",
            },
            {
                "en": "{file} cannot be read as {format}.",
                "ru": "Файл {file} не читается как {format}.",
                "kk": "{file} файлын {format} ретінде оқу мүмкін емес.",
            },
        ),
        _rule(
            "file.unreadable_row",
            "file",
            ERROR,
            {
                "en": "Every row must be a record of the header: as many fields as the header, quotes "
                "closed, text in the file's encoding. Such a row is held back; a file with more than 1 % of "
                "them is rejected.",
                "ru": "Каждая строка — запись по заголовку: столько же полей, сколько в заголовке, закрытые "
                "кавычки, текст в кодировке файла. Такая строка не загружается; файл, где таких строк "
                "больше 1 %, отклоняется.",
                "kk": "Әр жол тақырыпқа сай жазба болуы керек: өрістер саны тақырыптағыдай, тырнақшалар "
                "жабық, мәтін файл кодтауында. Мұндай жол жүктелмейді; мұндай жолдары 1 %-дан көп файл "
                "қабылданбайды.",
            },
            {
                "en": "{file}, line {line}: the row cannot be read as a record of the header: {value}.",
                "ru": "{file}, строка {line}: строку нельзя прочитать как запись по заголовку: {value}.",
                "kk": "{file}, {line}-жол: жолды тақырыпқа сай жазба ретінде оқу мүмкін емес: {value}.",
            },
        ),
        _rule(
            "file.unsupported_format",
            "file",
            ERROR,
            {
                "en": "Accepted file formats: " + ", ".join(FORMATS) + ".",
                "ru": "Допустимые форматы файлов: " + ", ".join(FORMATS) + ".",
                "kk": "Рұқсат етілген файл форматтары: " + ", ".join(FORMATS) + ".",
            },
            {
                "en": "{file}: the extension {value} is not accepted (accepted: {expected}).",
                "ru": "{file}: расширение {value} не поддерживается (допустимые: {expected}).",
                "kk": "{file}: {value} кеңейтіміне рұқсат жоқ (рұқсат етілгендері: {expected}).",
            },
        ),
        _rule(
            "file.wrong_encoding",
            "file",
            ERROR,
            {
                "en": "Text files must be UTF-8 (with or without BOM) or Windows-1251.",
                "ru": "Текстовые файлы — в кодировке UTF-8 (с BOM или без) или Windows-1251.",
                "kk": "Мәтіндік файлдар UTF-8 (BOM-мен немесе онсыз) не Windows-1251 кодтауында болуы керек.",
            },
            {
                "en": "{file} is neither UTF-8 nor Windows-1251 text.",
                "ru": "Файл {file} не в кодировке UTF-8 или Windows-1251.",
                "kk": "{file} файлы UTF-8 не Windows-1251 кодтауында емес.",
            },
        ),
        _rule(
            "file.missing_column",
            "file",
            ERROR,
            {
                "en": "Every required field must have a column (under any accepted header).",
                "ru": "У каждого обязательного поля должен быть столбец (под любым допустимым заголовком).",
                "kk": "Әр міндетті өрістің бағаны болуы керек (кез келген рұқсат етілген тақырыппен).",
            },
            {
                "en": "{file} has no column for the required field {field} (accepted headers: {expected}).",
                "ru": "В файле {file} нет столбца обязательного поля {field} (допустимые заголовки: "
                "{expected}).",
                "kk": "{file} файлында міндетті {field} өрісінің бағаны жоқ (рұқсат етілген тақырыптар: "
                "{expected}).",
            },
        ),
        _rule(
            "file.duplicate_column",
            "file",
            ERROR,
            {
                "en": "A field may have only one column.",
                "ru": "У поля может быть только один столбец.",
                "kk": "Өрістің бір ғана бағаны болуы мүмкін.",
            },
            {
                "en": "{file}: the columns {value} all stand for the field {field}.",
                "ru": "{file}: столбцы {value} соответствуют одному полю {field}.",
                "kk": "{file}: {value} бағандары бір {field} өрісіне сәйкес келеді.",
            },
        ),
        _rule(
            "file.unknown_header",
            "file",
            WARNING,
            {
                "en": "Columns the contract does not know are ignored.",
                "ru": "Столбцы, которых нет в формате, не загружаются.",
                "kk": "Форматта жоқ бағандар жүктелмейді.",
            },
            {
                "en": "{file}: the column {value} is not part of the contract and was ignored.",
                "ru": "{file}: столбец {value} не предусмотрен форматом и не загружен.",
                "kk": "{file}: {value} бағаны форматта қарастырылмаған, жүктелмеді.",
            },
        ),
        _rule(
            "file.unknown_submitter",
            "file",
            ERROR,
            {
                "en": "The submitter folder must be a known operator id, region code or qos.",
                "ru": "Папка отправителя — известный идентификатор оператора, код региона или qos.",
                "kk": "Жіберуші қалтасы — белгілі оператор идентификаторы, өңір коды немесе qos.",
            },
            {
                "en": "{file}: {value} is not a known {kind} submitter (known: {expected}).",
                "ru": "{file}: отправитель {value} неизвестен для вида {kind} (известные: {expected}).",
                "kk": "{file}: {value} жіберушісі {kind} түрі үшін белгісіз (белгілілері: {expected}).",
            },
        ),
        _rule(
            "file.unknown_report_type",
            "file",
            ERROR,
            {
                "en": "The file name must be a report type of the contract.",
                "ru": "Имя файла — тип отчёта из формата.",
                "kk": "Файл атауы форматтағы есеп түрі болуы керек.",
            },
            {
                "en": "{file}: {value} is not a report type of the contract (known: {expected}).",
                "ru": "{file}: {value} — неизвестный тип отчёта (известные: {expected}).",
                "kk": "{file}: {value} — белгісіз есеп түрі (белгілілері: {expected}).",
            },
        ),
        _rule(
            "file.wrong_folder",
            "file",
            ERROR,
            {
                "en": f"A file lands at {LANDING_LAYOUT}, with a report type of its kind of submitter.",
                "ru": f"Файл кладётся в {LANDING_LAYOUT}; тип отчёта соответствует виду отправителя.",
                "kk": f"Файл {LANDING_LAYOUT} жолына салынады; есеп түрі жіберуші түріне сәйкес келеді.",
            },
            {
                "en": "{file} is not where the contract expects it: "
                + LANDING_LAYOUT
                + ", with a report type of that kind of submitter.",
                "ru": "Файл {file} лежит не по правилам: "
                + LANDING_LAYOUT
                + ", тип отчёта должен соответствовать виду отправителя.",
                "kk": "{file} файлы дұрыс орналаспаған: "
                + LANDING_LAYOUT
                + ", есеп түрі жіберуші түріне сәйкес болуы керек.",
            },
        ),
        _rule(
            "file.wrong_period",
            "file",
            ERROR,
            {
                "en": "The period folder is a calendar month YYYY-MM that has begun.",
                "ru": "Папка периода — календарный месяц ГГГГ-ММ, который уже начался.",
                "kk": "Кезең қалтасы — басталған күнтізбелік ай, ЖЖЖЖ-АА.",
            },
            {
                "en": "{file}: the period {value} is not a valid month (YYYY-MM) or lies in the future.",
                "ru": "{file}: период {value} не является месяцем ГГГГ-ММ или ещё не наступил.",
                "kk": "{file}: {value} кезеңі ЖЖЖЖ-АА форматындағы ай емес немесе әлі келмеген.",
            },
        ),
        _rule(
            "file.no_rows",
            "file",
            ERROR,
            {
                "en": "A file must hold at least one data row.",
                "ru": "В файле должна быть хотя бы одна строка с данными.",
                "kk": "Файлда кемінде бір деректер жолы болуы керек.",
            },
            {
                "en": "{file} has a header but no data rows.",
                "ru": "В файле {file} есть заголовок, но нет строк с данными.",
                "kk": "{file} файлында тақырып бар, бірақ деректер жолдары жоқ.",
            },
        ),
        _rule(
            "file.totals_mismatch",
            "file",
            WARNING,
            {
                "en": "A spreadsheet totals row (Итого, Барлығы, Total) is not data; it should equal the sum "
                "of the rows.",
                "ru": "Итоговая строка таблицы (Итого, Барлығы, Total) не загружается; она должна равняться "
                "сумме строк.",
                "kk": "Кестенің қорытынды жолы (Итого, Барлығы, Total) жүктелмейді; ол жолдардың қосындысына "
                "тең болуы керек.",
            },
            {
                "en": "{file}, line {line}: the totals row gives {value} for {field}, but the rows add up to "
                "{expected}.",
                "ru": "{file}, строка {line}: в итоговой строке {field} = {value}, а сумма строк — "
                "{expected}.",
                "kk": "{file}, {line}-жол: қорытынды жолда {field} = {value}, ал жолдардың қосындысы — "
                "{expected}.",
            },
        ),
    )
}

# --- row-rule checks ----------------------------------------------------------------------------

CHECK_TEMPLATES: dict[str, dict[str, Texts]] = {
    "required_iff": {
        "statement": {
            "en": "{field} is filled if and only if {when} is {when_in}; otherwise it stays empty.",
            "ru": "Поле {field} заполняется тогда и только тогда, когда {when} — {when_in}; иначе оно "
                  "пустое.",
            "kk": "{field} өрісі {when} мәні {when_in} болғанда ғана толтырылады, әйтпесе бос қалады.",
        },
        "message": {
            "en": "{field} is filled if and only if {when} is {when_in}: here {when} is {when_value} "
            "and {field} is {value}.",
            "ru": "Поле {field} заполняется тогда и только тогда, когда {when} — {when_in}: здесь {when} — "
            "{when_value}, а {field} — {value}.",
            "kk": "{field} өрісі {when} мәні {when_in} болғанда ғана толтырылады: мұнда {when} — "
            "{when_value}, {field} — {value}.",
        },
    },
    "required_unless": {
        "statement": {
            "en": "{field} is required unless {when} is {when_in}.",
            "ru": "Поле {field} обязательно, кроме случая, когда {when} — {when_in}.",
            "kk": "{when} мәні {when_in} болмаса, {field} өрісі міндетті.",
        },
        "message": {
            "en": "{field} is empty, but it is required because {when} is {when_value} "
            "(it may be empty only when {when} is {when_in}).",
            "ru": "Поле {field} не заполнено, хотя {when} — {when_value} (пустым оно может быть, только "
            "когда {when} — {when_in}).",
            "kk": "{field} өрісі толтырылмаған, бірақ {when} — {when_value} (ол {when} мәні {when_in} "
            "болғанда ғана бос бола алады).",
        },
    },
    "compare": {
        "statement": {
            "en": "{field} {op_words} {other}.",
            "ru": "{field} {op_words} {other}.",
            "kk": "{field} {other} {op_words}.",
        },
        "message": {
            "en": "{field} ({value}) {op_words} {other} ({other_value}).",
            "ru": "{field} ({value}) {op_words} {other} ({other_value}).",
            "kk": "{field} ({value}) {other} ({other_value}) {op_words}.",
        },
    },
    "not_after_period_end": {
        "statement": {
            "en": "{field} is not after the last day of the reporting month.",
            "ru": "{field} — не позже последнего дня отчётного месяца.",
            "kk": "{field} есептік айдың соңғы күнінен кейін болмауы керек.",
        },
        "message": {
            "en": "{field} ({value}) is after the end of the reporting period ({expected}).",
            "ru": "{field} ({value}) — позже конца отчётного периода ({expected}).",
            "kk": "{field} ({value}) есептік кезеңнің соңынан ({expected}) кейін.",
        },
    },
    "positive_only_if": {
        "statement": {
            "en": "{field} may be above 0 only when {when} is {when_in}.",
            "ru": "{field} может быть больше 0, только если {when} — {when_in}.",
            "kk": "{field} тек {when} мәні {when_in} болғанда ғана 0-ден үлкен бола алады.",
        },
        "message": {
            "en": "{field} is {value}, but it may be above 0 only when {when} is {when_in} "
            "(here {when} is {when_value}).",
            "ru": "{field} = {value}, но больше 0 оно может быть, только если {when} — {when_in} "
            "(здесь {when} — {when_value}).",
            "kk": "{field} = {value}, бірақ ол {when} мәні {when_in} болғанда ғана 0-ден үлкен бола алады "
            "(мұнда {when} — {when_value}).",
        },
    },
    "at_most_reference": {
        "statement": {
            "en": "{field} does not exceed {reference} (looked up by {key}).",
            "ru": "{field} не превышает {reference} (по {key}).",
            "kk": "{field} {reference} аспауы керек ({key} бойынша).",
        },
        "message": {
            "en": "{field} ({value}) exceeds {reference} ({expected}) for {key} {key_value}.",
            "ru": "{field} ({value}) превышает {reference} ({expected}) для {key} {key_value}.",
            "kk": "{field} ({value}) {key} {key_value} үшін {reference} ({expected}) асады.",
        },
    },
}

# How `compare` reads, by operator; dates read as earlier/later.
OP_WORDS: dict[str, dict[str, Texts]] = {
    "<": {
        "number": {"en": "must be less than", "ru": "должно быть меньше, чем",
                   "kk": "мәнінен кіші болуы керек"},
        "date": {"en": "must be earlier than", "ru": "должна быть раньше, чем",
                 "kk": "күнінен бұрын болуы керек"},
    },
    "<=": {
        "number": {"en": "must not exceed", "ru": "не должно превышать", "kk": "мәнінен аспауы керек"},
        "date": {"en": "must not be later than", "ru": "не может быть позже, чем",
                 "kk": "күнінен кейін болмауы керек"},
    },
    ">": {
        "number": {"en": "must be greater than", "ru": "должно быть больше, чем",
                   "kk": "мәнінен үлкен болуы керек"},
        "date": {"en": "must be later than", "ru": "должна быть позже, чем",
                 "kk": "күнінен кейін болуы керек"},
    },
    ">=": {
        "number": {"en": "must not be less than", "ru": "не должно быть меньше, чем",
                   "kk": "мәнінен кем болмауы керек"},
        "date": {"en": "must not be earlier than", "ru": "не может быть раньше, чем",
                 "kk": "күнінен бұрын болмауы керек"},
    },
}

# --- public API ---------------------------------------------------------------------------------


def _as_contract(contract: Contract | str | None) -> Contract | None:
    if contract is None or isinstance(contract, Contract):
        return contract
    return load_contract(contract)


def row_rule_ids(contract: Contract | str) -> tuple[str, ...]:
    """The ids of the contract's row rules (``x-row-rules``), in schema order."""
    return tuple(r.id for r in _as_contract(contract).row_rules)


def _row_rule_rule(row_rule: RowRule) -> Rule:
    templates = CHECK_TEMPLATES[row_rule.check]
    return Rule(row_rule.id, "row", row_rule.severity, templates["statement"],
                templates["message"], row_rule.check)


def _find_row_rule(rule_id: str, contract: Contract | None) -> tuple[RowRule, Contract] | None:
    candidates = [contract] if contract is not None else list(all_contracts().values())
    for c in candidates:
        for r in c.row_rules:
            if r.id == rule_id:
                return r, c
    return None


def get_rule(rule_id: str, contract: Contract | str | None = None) -> Rule:
    """The rule named ``rule_id``. Row rules are looked up in ``contract`` (any contract when None)."""
    if rule_id in CONSTRAINT_RULES:
        return CONSTRAINT_RULES[rule_id]
    if rule_id in FILE_RULES:
        return FILE_RULES[rule_id]
    found = _find_row_rule(rule_id, _as_contract(contract))
    if found is None:
        where = f" in {_as_contract(contract).report_type}" if contract is not None else ""
        raise KeyError(f"unknown rule {rule_id!r}{where}")
    return _row_rule_rule(found[0])


def is_known_rule(rule_id: str, contract: Contract | str | None = None) -> bool:
    try:
        get_rule(rule_id, contract)
    except KeyError:
        return False
    return True


def all_rule_ids() -> tuple[str, ...]:
    """Every rule id the contract can name: constraints, files, and every schema's row rules."""
    row_ids = [r.id for c in all_contracts().values() for r in c.row_rules]
    return tuple(dict.fromkeys([*CONSTRAINT_RULES, *FILE_RULES, *row_ids]))


def rule_severity(rule_id: str, contract: Contract | str | None = None) -> str:
    """'error' (the row is quarantined / the file rejected) or 'warning' (loaded, and said so)."""
    return get_rule(rule_id, contract).severity


def rule_message(rule_id: str, lang: str, contract: Contract | str | None = None, **context: Any) -> str:
    """What a receipt says when ``rule_id`` is broken, in ``lang`` (kk/ru/en; others fall back to en).

    With ``file``/``line`` in the context a row or constraint message is prefixed by the location.
    """
    return _render(rule_id, lang, contract, "message", context)


def rule_statement(rule_id: str, lang: str, contract: Contract | str | None = None) -> str:
    """The rule in plain words, for the submitter documentation."""
    return _render(rule_id, lang, contract, "statement", {})


# --- rendering ----------------------------------------------------------------------------------


class _Context(dict):
    def __missing__(self, key: str) -> str:
        return MISSING


def _render(
    rule_id: str, lang: str, contract: Contract | str | None, kind: str, context: dict[str, Any]
) -> str:
    lang = lang if lang in LANGUAGES else "en"
    contract = _as_contract(contract)
    rule = get_rule(rule_id, contract)
    row_rule = None
    if rule.scope == "row":
        row_rule, owner = _find_row_rule(rule_id, contract)
        contract = contract or owner
    template = (rule.statement if kind == "statement" else rule.message).get(lang) or rule.message["en"]
    values = _context_for(rule, row_rule, contract, lang, dict(context))
    text = string.Formatter().vformat(template, (), values)
    if kind == "message":
        text = _with_detail(_with_location(text, rule, lang, context), context)
    return text


def _with_location(text: str, rule: Rule, lang: str, context: dict[str, Any]) -> str:
    if rule.scope == "file":
        return text  # file templates name the file themselves
    file, line = context.get("file"), context.get("line")
    if file is not None and line is not None:
        prefix = LOCATION["file_line"][lang]
    elif line is not None:
        prefix = LOCATION["line"][lang]
    elif file is not None:
        prefix = LOCATION["file"][lang]
    else:
        return text
    return prefix.format(file=file, line=line) + text


def _with_detail(text: str, context: dict[str, Any]) -> str:
    detail = context.get("detail")
    if detail in (None, ""):
        return text
    if text.endswith("."):
        return f"{text[:-1]} ({detail})."
    return f"{text} ({detail})"


def _context_for(
    rule: Rule, row_rule: RowRule | None, contract: Contract | None, lang: str, context: dict[str, Any]
) -> _Context:
    row = context.pop("row", None) or {}
    field_name = context.get("field")
    if row_rule is not None:
        field_name = row_rule.field
    field = _field_or_none(contract, field_name)
    values = _Context()

    # Values read from the row (explicit context wins).
    if row_rule is not None:
        params = row_rule.params
        context.setdefault("value", row.get(row_rule.field))
        if "other" in params:
            context.setdefault("other_value", row.get(params["other"]))
        if "when" in params:
            context.setdefault("when_value", row.get(params["when"]["field"]))
        if "key" in params:
            context.setdefault("key_value", row.get(params["key"]))
    elif field_name and field_name in row:
        context.setdefault("value", row[field_name])

    for key, raw in context.items():
        if key in ("field", "other", "when", "key"):
            values[key] = _field_words(contract, raw, lang)
        elif key in ("value", "other_value", "when_value", "key_value"):
            values[key] = _value_words(raw, lang)
        elif raw is not None:
            values[key] = str(raw)

    if field is not None:
        values["field"] = _field_words(contract, field.name, lang)
    if row_rule is not None:
        _fill_row_rule(values, row_rule, contract, lang, context)
    if "expected" not in context or context["expected"] is None:
        expected = _expected(rule, field, lang, context)
        if expected is not None:
            values["expected"] = expected
    if "format" not in context and context.get("file"):
        values["format"] = _format_of(str(context["file"]))
    return values


def _fill_row_rule(
    values: _Context, row_rule: RowRule, contract: Contract | None, lang: str, context: dict
) -> None:
    params = row_rule.params
    if "other" in params:
        values["other"] = _field_words(contract, params["other"], lang)
    if "when" in params:
        when_field = params["when"]["field"]
        values["when"] = _field_words(contract, when_field, lang)
        when = _field_or_none(contract, when_field)
        labels = [_enum_words(when, v, lang) for v in params["when"]["in"]]
        values["when_in"] = OR_WORDS[lang].join(labels)
        if context.get("when_value") is not None:
            values["when_value"] = _enum_words(when, context["when_value"], lang)
    if "key" in params:
        values["key"] = _field_words(contract, params["key"], lang)
    if "reference" in params:
        values["reference"] = REFERENCE_WORDS.get(params["reference"], {}).get(lang, params["reference"])
    if "op" in params:
        field = _field_or_none(contract, row_rule.field)
        kind = "date" if field is not None and field.type in ("date", "datetime") else "number"
        values["op_words"] = OP_WORDS[params["op"]][kind][lang]


def _expected(rule: Rule, field: Field | None, lang: str, context: dict[str, Any]) -> str | None:
    rule_id = rule.id
    if rule.check == "not_after_period_end":
        return _period_end(context.get("period"))
    if rule_id == "file.unknown_report_type":
        kind = context.get("kind")
        return ", ".join(report_types_of(kind) if kind in KINDS else report_types())
    if rule_id == "file.unknown_submitter":
        kind = context.get("kind")
        return ", ".join(submitter_ids(kind)) if kind in KINDS else ", ".join(KINDS)
    if rule_id == "file.unsupported_format":
        return ", ".join(FORMATS)
    if rule_id == "in_submitter_region":
        return str(context["submitter"]) if context.get("submitter") is not None else None
    if field is None:
        return None
    if rule_id == "type":
        return TYPE_WORDS[field.type][lang]
    if rule_id == "enum" and field.enum:
        return ", ".join(_enum_choice(field, v, lang) for v in field.enum)
    if rule_id == "file.missing_column":
        return "; ".join(distinct_spellings(field.header_names()))
    if rule_id == "reference" and field.reference:
        return REFERENCE_WORDS.get(field.reference, {}).get(lang, field.reference)
    if rule_id == "pattern" and field.pattern:
        return PATTERN_WORDS.get(field.pattern, {}).get(lang, field.pattern)
    bound = {
        "minimum": field.minimum,
        "maximum": field.maximum,
        "exclusive_minimum": field.exclusive_minimum,
        "exclusive_maximum": field.exclusive_maximum,
    }.get(rule_id)
    return _number_words(bound) if bound is not None else None


def distinct_spellings(spellings: Any) -> list[str]:
    """Spellings that differ after ``normalize_label`` (the first of each kept), in order."""
    seen: dict[str, str] = {}
    for spelling in spellings:
        seen.setdefault(normalize_label(spelling), str(spelling))
    return list(seen.values())


def _field_or_none(contract: Contract | None, name: Any) -> Field | None:
    if contract is None or not isinstance(name, str) or not contract.has_field(name):
        return None
    return contract.field(name)


def _field_words(contract: Contract | None, name: Any, lang: str) -> str:
    if name is None:
        return MISSING
    field = _field_or_none(contract, name)
    if field is None:
        return str(name)
    label = field.label(lang)
    if label == field.name:
        return field.name
    quoted = f'"{label}"' if lang == "en" else f"«{label}»"
    return f"{quoted} ({field.name})"


def _value_words(value: Any, lang: str) -> str:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return f"({EMPTY_WORDS[lang]})"
    if isinstance(value, bool):
        return BOOLEAN_WORDS[value][lang]
    if isinstance(value, float):
        return _number_words(value)
    return f"'{value}'" if isinstance(value, str) else str(value)


def _enum_words(field: Field | None, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return BOOLEAN_WORDS[value][lang]
    if isinstance(value, str) and field is not None and field.type == "boolean":
        folded = value.strip().casefold()
        if folded in BOOLEAN_TRUE or folded in BOOLEAN_FALSE:
            return BOOLEAN_WORDS[folded in BOOLEAN_TRUE][lang]
    if field is not None and field.enum and value in field.enum:
        return f"'{field.value_label(value, lang)}'"
    return _value_words(value, lang)


def _enum_choice(field: Field, value: str, lang: str) -> str:
    label = field.value_label(value, lang)
    return value if label == value else f"{label} ({value})"


def _number_words(number: Any) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _period_end(period: Any) -> str | None:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(period or ""))
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _format_of(file: str) -> str:
    name = file.rsplit("/", 1)[-1].lower()
    for ext in sorted(FORMATS, key=len, reverse=True):
        if name.endswith("." + ext):
            return ext.upper()
    return name.rsplit(".", 1)[-1].upper() if "." in name else MISSING
