"""Every label of the release and the report in Kazakh, Russian and English, in one place.

Indicator names come from the programme targets (reference data), region names from the KATO
classifier and column labels from the dbt documentation; everything else a reader sees is here.
"""

from __future__ import annotations

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

UI: dict[str, dict[str, str]] = {
    "title": {
        "kk": "Қазақстанның байланыс статистикасы",
        "ru": "Статистика связи Казахстана",
        "en": "Connectivity statistics of Kazakhstan",
    },
    "subtitle": {
        "kk": "Ауылдарды интернетпен қамту, «соңғы миля», жолдар мен 5G бағдарламасы бойынша ресми релиз",
        "ru": "Официальный выпуск по программе подключения сёл, «последней мили», дорог и 5G",
        "en": "Official release on the programme for villages, the last mile, roads and 5G",
    },
    "period": {"kk": "Кезең", "ru": "Период", "en": "Period"},
    "version": {"kk": "Нұсқа", "ru": "Версия", "en": "Version"},
    "published": {"kk": "Жарияланды", "ru": "Опубликовано", "en": "Published"},
    "section_headline": {
        "kk": "Ұлттық мақсаттарға қарай ілгерілеу",
        "ru": "Прогресс к национальным целям",
        "en": "Progress towards the national targets",
    },
    "section_headline_note": {
        "kk": "Ай соңындағы жағдай, бүкіл ел бойынша. Болжам соңғы үш айдағы орташа қарқынға негізделген.",
        "ru": "Состояние на конец месяца, по всей стране. Прогноз — по среднему темпу за последние три месяца.",
        "en": "State at the end of the month, whole country. The forecast follows the average pace of the last three months.",
    },
    "section_reported": {
        "kk": "Мақсатсыз көрсеткіштер",
        "ru": "Показатели без целевого значения",
        "en": "Indicators reported without a target",
    },
    "section_trajectory": {
        "kk": "Айлық серпін",
        "ru": "Помесячная динамика",
        "en": "Monthly trajectory",
    },
    "section_trajectory_note": {
        "kk": "Тұтас сызық — нақты мән; үзік сызық — мерзімге дейін мақсатқа жету үшін қажетті жол; нүктелі сызық — қазіргі қарқынмен болжам; көлденең сызық — мақсат.",
        "ru": "Сплошная линия — факт; пунктир — путь, необходимый для достижения цели в срок; точки — прогноз при текущем темпе; горизонтальная линия — цель.",
        "en": "Solid line: actual; dashed: the path needed to reach the target by the deadline; dotted: forecast at the current pace; horizontal line: the target.",
    },
    "section_regions": {
        "kk": "Өңірлер рейтингі",
        "ru": "Рейтинг регионов",
        "en": "Regions ranked",
    },
    "section_regions_note": {
        "kk": "Көрсеткішті таңдаңыз. Тақтайшалар картадағыдай шамамен орналасқан; түсі неғұрлым қою болса, мәні соғұрлым жоғары.",
        "ru": "Выберите показатель. Плитки расположены примерно как на карте; чем темнее цвет, тем выше значение.",
        "en": "Choose an indicator. Tiles sit roughly where the regions are on the map; the darker, the higher.",
    },
    "rank": {"kk": "Орын", "ru": "Место", "en": "Rank"},
    "indicator": {"kk": "Көрсеткіш", "ru": "Показатель", "en": "Indicator"},
    "region": {"kk": "Өңір", "ru": "Регион", "en": "Region"},
    "operator": {"kk": "Оператор", "ru": "Оператор", "en": "Operator"},
    "by_operator": {"kk": "Операторлар бойынша, бүкіл ел", "ru": "По операторам, вся страна",
                    "en": "By operator, whole country"},
    "value": {"kk": "Мәні", "ru": "Значение", "en": "Value"},
    "no_data": {"kk": "деректер жоқ", "ru": "нет данных", "en": "no data"},
    "section_akimats": {
        "kk": "Әкімдіктердің қолдауы",
        "ru": "Поддержка акиматов",
        "en": "Support by the akimats",
    },
    "section_akimats_note": {
        "kk": "Жер учаскелерін бөлу, тіректерге қолжетімділік және базалық станцияларды электрмен жабдықтау техникалық шарттары, айдың соңындағы жағдай.",
        "ru": "Выделение земельных участков, доступ к опорам и технические условия на электроснабжение базовых станций, на конец месяца.",
        "en": "Land plots, access to power-line poles and technical conditions for power to base stations, at the end of the month.",
    },
    "section_quality": {
        "kk": "Интернет сапасын бақылау",
        "ru": "Контроль качества интернета",
        "en": "Internet quality enforcement",
    },
    "section_quality_note": {
        "kk": "Әкімдіктердің айдағы тексерулері, анықталған бұзушылықтар және салынған айыппұлдар.",
        "ru": "Проверки акиматов за месяц, выявленные нарушения и наложенные штрафы.",
        "en": "The akimats' inspections in the month, violations found and fines imposed.",
    },
    "section_claims": {
        "kk": "Операторлар мәлімдемелері өлшеулерге қарсы және әкімдіктердің наразылықтары",
        "ru": "Заявления операторов и замеры, оспаривания акиматов",
        "en": "Operators' claims against measurements, and akimats' challenges",
    },
    "section_claims_note": {
        "kk": "Әр мәлімдеме (ТОБЖ, белсенді 4G/5G) жылдамдық өлшемдерімен салыстырылады: расталды, өлшеулермен "
              "теріске шығарылды, әкімдік даулады немесе тексерілмеді (өлшем аз). Азаматтардың шағымдары тек "
              "саналады, тізімделмейді.",
        "ru": "Каждое заявление (ВОЛС, действующие 4G/5G) сверяется с замерами скорости: подтверждено, опровергнуто "
              "замерами, оспорено акиматом или не проверено (мало замеров). Жалобы граждан только считаются, "
              "не перечисляются.",
        "en": "Each claim (fibre, active 4G/5G sites) is set against the speed tests: confirmed, contradicted by "
              "measurement, disputed by the akimat, or unverified (too few tests). Citizens' complaints are "
              "counted, never listed.",
    },
    "section_challenges": {
        "kk": "Наразылықтар: түсті, қанағаттандырылды, қабылданбады, ашық",
        "ru": "Оспаривания: получено, удовлетворено, отклонено, открыто",
        "en": "Challenges: received, upheld, rejected, open",
    },
    "challenges_upheld": {
        "kk": "Осы релизден бастап күшіне енген қанағаттандырылған наразылықтар",
        "ru": "Удовлетворённые оспаривания, действующие с этого выпуска",
        "en": "Upheld challenges that take effect from this release",
    },
    "section_changes": {
        "kk": "Алдыңғы релизден бері не өзгерді",
        "ru": "Что изменилось с прошлого выпуска",
        "en": "What changed since the last release",
    },
    "first_release": {
        "kk": "Бұл — бірінші релиз: салыстыратын алдыңғы релиз жоқ.",
        "ru": "Это первый выпуск: сравнивать не с чем.",
        "en": "This is the first release: there is nothing to compare with.",
    },
    "compared_with": {"kk": "Салыстырылды:", "ru": "Сравнение с выпуском", "en": "Compared with release"},
    "revised_figures": {
        "kk": "Қайта қаралған көрсеткіштер",
        "ru": "Пересмотренные показатели",
        "en": "Revised figures",
    },
    "flagged_figures": {
        "kk": "Белгіленген көрсеткіштер (есеп жоқ: M — жарияланбады, P — алдын ала)",
        "ru": "Помеченные показатели (нет отчёта: M — не опубликовано, P — предварительно)",
        "en": "Flagged figures (a report is missing: M withheld, P provisional)",
    },
    "no_revisions": {
        "kk": "Бұрын жарияланған көрсеткіштердің ешқайсысы өзгерген жоқ.",
        "ru": "Ни один ранее опубликованный показатель не изменился.",
        "en": "No figure published before has changed.",
    },
    "new_figures": {
        "kk": "Жаңа көрсеткіштер (жаңа кезеңдер немесе өңірлер)",
        "ru": "Новые показатели (новые периоды или регионы)",
        "en": "New figures (new periods or regions)",
    },
    "previous_value": {"kk": "Бұрын", "ru": "Было", "en": "Before"},
    "current_value": {"kk": "Қазір", "ru": "Стало", "en": "Now"},
    "change": {"kk": "Өзгеріс", "ru": "Изменение", "en": "Change"},
    "why": {"kk": "Себебі: қайта жіберілген есептер", "ru": "Почему: повторно поданные отчёты",
            "en": "Why: the resubmissions behind them"},
    "late_submissions": {
        "kk": "Кешіккен есептер (алдыңғы релизден кейін алғаш келгендер)",
        "ru": "Поздние отчёты (впервые получены после прошлого выпуска)",
        "en": "Late reports (first received after the last release)",
    },
    "no_resubmissions": {
        "kk": "Алдыңғы релизден кейін бұрынғы кезеңдерге қайта жіберілген есеп жоқ.",
        "ru": "После прошлого выпуска повторно поданных отчётов за прошлые периоды нет.",
        "en": "No report for a period already published was resubmitted since the last release.",
    },
    "notes": {"kk": "Ескертпе", "ru": "Примечание", "en": "Note"},
    "submitter": {"kk": "Жіберуші", "ru": "Отправитель", "en": "Submitter"},
    "report_type": {"kk": "Есеп", "ru": "Отчёт", "en": "Report"},
    "received_at": {"kk": "Алынды", "ru": "Получен", "en": "Received"},
    "actual": {"kk": "Нақты", "ru": "Факт", "en": "Actual"},
    "target": {"kk": "Мақсат", "ru": "Цель", "en": "Target"},
    "deadline": {"kk": "Мерзімі", "ru": "Срок", "en": "Deadline"},
    "pct_of_target": {"kk": "Мақсаттан %", "ru": "% от цели", "en": "% of target"},
    "pace": {"kk": "Айлық қарқын", "ru": "Темп в месяц", "en": "Pace per month"},
    "pace_needed": {"kk": "Қажетті қарқын", "ru": "Нужный темп", "en": "Pace needed"},
    "forecast": {"kk": "Болжам", "ru": "Прогноз", "en": "Forecast"},
    "forecast_none": {"kk": "қарқын жоқ", "ru": "нет роста", "en": "no growth"},
    "on_track": {"kk": "Кестеге сай", "ru": "В графике", "en": "On track"},
    "obs_status_P": {"kk": "алдын ала мән", "ru": "предварительное значение", "en": "provisional"},
    "obs_status_M": {"kk": "жарияланбады", "ru": "не опубликовано", "en": "withheld"},
    "off_track": {"kk": "Кестеден қалып барады", "ru": "Отстаёт от графика", "en": "Off track"},
    "target_met": {"kk": "Мақсатқа жетті", "ru": "Цель достигнута", "en": "Target met"},
    "nation": {"kk": "Қазақстан Республикасы", "ru": "Республика Казахстан", "en": "Republic of Kazakhstan"},
    "section_downloads": {
        "kk": "Осы релиздің файлдары",
        "ru": "Файлы этого выпуска",
        "en": "Files of this release",
    },
    "downloads_note": {
        "kk": "Әр кесте CSV (UTF-8), XLSX және Parquet форматында; datapackage.json — Frictionless сипаттамасы; SDMX-CSV — негізгі көрсеткіштер; SHA256SUMS — бақылау сомалары.",
        "ru": "Каждая таблица в CSV (UTF-8), XLSX и Parquet; datapackage.json — описание Frictionless; SDMX-CSV — ключевые показатели; SHA256SUMS — контрольные суммы.",
        "en": "Every table as CSV (UTF-8), XLSX and Parquet; datapackage.json describes them (Frictionless); SDMX-CSV holds the headline indicators; SHA256SUMS the checksums.",
    },
    "methodology": {"kk": "Әдістеме", "ru": "Методология", "en": "Methodology"},
    "data_dictionary": {"kk": "Деректер сөздігі", "ru": "Словарь данных", "en": "Data dictionary"},
    "footer": {
        "kk": "Qamtu (қамту) — операторлар мен әкімдіктердің есептерінен жасалған. Барлық сандар тексеруден өткен.",
        "ru": "Qamtu (қамту) — собрано из отчётов операторов и акиматов. Все цифры прошли проверку качества.",
        "en": "Qamtu (қамту): built from the reports of the operators and the akimats. Every figure passed the quality gates.",
    },
    "language": {"kk": "Тіл", "ru": "Язык", "en": "Language"},
    "table": {"kk": "Кесте", "ru": "Таблица", "en": "Table"},
    "column": {"kk": "Баған", "ru": "Столбец", "en": "Column"},
    "type": {"kk": "Түрі", "ru": "Тип", "en": "Type"},
    "description": {"kk": "Сипаттама", "ru": "Описание", "en": "Description"},
    "about_sheet": {"kk": "Сипаттама", "ru": "Описание", "en": "About"},
    "rows": {"kk": "Жолдар", "ru": "Строк", "en": "Rows"},
    "total": {"kk": "Барлығы", "ru": "Итого", "en": "Total"},
}

UNITS = {
    "settlements": {"kk": "елді мекен", "ru": "нас. пунктов", "en": "settlements"},
    "percent": {"kk": "%", "ru": "%", "en": "%"},
    "households": {"kk": "үй шаруашылығы", "ru": "домохозяйств", "en": "households"},
    "persons": {"kk": "адам", "ru": "человек", "en": "people"},
    "km": {"kk": "км", "ru": "км", "en": "km"},
    "cities": {"kk": "қала", "ru": "городов", "en": "cities"},
    "KZT": {"kk": "теңге", "ru": "тенге", "en": "tenge"},
}

# Short names of the indicators for buttons and narrow places (full names: programme targets).
SHORT_INDICATOR_NAMES = {
    "villages_fibre_new": {"kk": "Жаңа ТОБЖ ауылдары", "ru": "Новые сёла с ВОЛС", "en": "New fibre villages"},
    "villages_fibre_share": {"kk": "ТОБЖ бар ауылдар, %", "ru": "Сёла с ВОЛС, %", "en": "Villages with fibre, %"},
    "population_access_share": {"kk": "Интернетке қолжетімді халық, %", "ru": "Население с доступом, %",
                                "en": "Population with access, %"},
    "households_last_mile": {"kk": "«Соңғы миля»: үйлер", "ru": "«Последняя миля»: дома",
                             "en": "Last mile: households"},
    "people_last_mile": {"kk": "«Соңғы миля»: адамдар", "ru": "«Последняя миля»: люди", "en": "Last mile: people"},
    "road_km_covered": {"kk": "Байланысы бар жолдар, км", "ru": "Дороги со связью, км", "en": "Roads covered, km"},
    "city_5g_territory_share": {"kk": "Қалалардағы 5G, %", "ru": "5G в городах, %", "en": "5G in cities, %"},
    "cities_5g_at_target": {"kk": "5G мақсатындағы қалалар", "ru": "Города с целью 5G", "en": "Cities at 5G target"},
    "land_requests_decided_share": {"kk": "Қаралған жер өтінімдері, %", "ru": "Рассмотрено заявок на землю, %",
                                    "en": "Land requests decided, %"},
    "fines_kzt": {"kk": "Айыппұлдар, ₸", "ru": "Штрафы, ₸", "en": "Fines, ₸"},
}

# Kinds of submitter and report types as a reader sees them.
KINDS = {
    "operator": {"kk": "оператор", "ru": "оператор", "en": "operator"},
    "akimat": {"kk": "әкімдік", "ru": "акимат", "en": "akimat"},
    "measurement": {"kk": "өлшеу платформасы", "ru": "платформа измерений", "en": "measurement platform"},
}

REPORT_TYPES = {
    "settlement_fiber": {"kk": "елді мекендердің ТОБЖ-ға қосылуы", "ru": "подключение сёл к ВОЛС",
                         "en": "fibre by settlement"},
    "base_stations": {"kk": "базалық станциялар", "ru": "базовые станции", "en": "base stations"},
    "road_coverage": {"kk": "жолдарды қамту", "ru": "покрытие дорог", "en": "road coverage"},
    "city_5g": {"kk": "қалалардағы 5G", "ru": "5G в городах", "en": "5G in cities"},
    "land_allocation": {"kk": "жер учаскелері", "ru": "земельные участки", "en": "land plots"},
    "pole_access": {"kk": "тіректерге қолжетімділік", "ru": "доступ к опорам", "en": "access to poles"},
    "quality_inspections": {"kk": "сапа тексерулері", "ru": "проверки качества", "en": "quality inspections"},
    "power_connections": {"kk": "электрмен жабдықтау", "ru": "электроснабжение БС", "en": "power connections"},
    "settlement_connectivity": {"kk": "әкімдік деректері бойынша байланыс", "ru": "связь по данным акимата",
                                "en": "connectivity as the akimat sees it"},
    "speed_tests": {"kk": "жылдамдық өлшемдері", "ru": "замеры скорости", "en": "speed tests"},
    "challenges": {"kk": "әкімдіктердің наразылықтары", "ru": "оспаривания акиматов", "en": "akimats' challenges"},
    "challenge_responses": {"kk": "наразылықтарға жауаптар", "ru": "ответы на оспаривания",
                            "en": "answers to challenges"},
}


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


PORTAL: dict[str, dict[str, str]] = {
    "portal": {"kk": "Ресми деректер порталы", "ru": "Портал официальных данных", "en": "Official data portal"},
    "choose_language": {"kk": "Тілді таңдаңыз", "ru": "Выберите язык", "en": "Choose a language"},
    "catalogue": {"kk": "Релиздер каталогы", "ru": "Каталог выпусков", "en": "Catalogue of releases"},
    "catalogue_note": {
        "kk": "Әр ай үшін жарияланған әр нұсқа: күні, түзету себебі, файлдары. Жаңа нұсқа ескісін жоймайды.",
        "ru": "Каждая опубликованная версия каждого месяца: дата, причина пересмотра, файлы. Новая версия не удаляет прежнюю.",
        "en": "Every published version of every month: its date, why it was revised, its files. A new version never removes the old one.",
    },
    "home": {"kk": "Басты бет", "ru": "Главная", "en": "Home"},
    "indicators": {"kk": "Негізгі көрсеткіштер", "ru": "Ключевые показатели", "en": "Headline indicators"},
    "regions": {"kk": "Өңірлер", "ru": "Регионы", "en": "Regions"},
    "topics": {"kk": "Тақырыптар", "ru": "Темы", "en": "Topics"},
    "roads": {"kk": "Жолдардағы байланыс", "ru": "Связь на дорогах", "en": "Mobile coverage of roads"},
    "cities_5g": {"kk": "20 қаладағы 5G", "ru": "5G в 20 городах", "en": "5G in the 20 cities"},
    "speed": {"kk": "Интернет жылдамдығы", "ru": "Скорость интернета", "en": "Internet speed"},
    "reconciliation": {"kk": "Операторлар мен әкімдіктерді салыстыру", "ru": "Сверка операторов и акиматов",
                       "en": "Operators reconciled with the akimats"},
    "report": {"kk": "Есеп", "ru": "Отчёт", "en": "Report"},
    "files": {"kk": "Файлдар", "ru": "Файлы", "en": "Files"},
    "revision_note": {"kk": "Түзету ескертпесі", "ru": "Примечание к пересмотру", "en": "Revision note"},
    "obs_status": {"kk": "Мән мәртебесі", "ru": "Статус значения", "en": "Value status"},
    "obs_status_A": {"kk": "толық", "ru": "полное", "en": "complete"},
    "status_reason": {"kk": "Себебі", "ru": "Причина", "en": "Reason"},
    "current": {"kk": "ағымдағы", "ru": "действующая", "en": "current"},
    "superseded": {"kk": "ауыстырылған", "ru": "заменена", "en": "superseded"},
    "status": {"kk": "Мәртебесі", "ru": "Статус", "en": "Status"},
    "download": {"kk": "Жүктеу", "ru": "Скачать", "en": "Download"},
    "national_series": {"kk": "Ұлттық қатар", "ru": "Национальный ряд", "en": "National series"},
    "by_region": {"kk": "Өңірлер бойынша", "ru": "По регионам", "en": "By region"},
    "versions": {"kk": "Әр айдың жарияланған нұсқалары", "ru": "Опубликованные версии каждого месяца",
                 "en": "Published versions of each month"},
    "national_only": {"kk": "Бұл көрсеткіш тек ел бойынша есептеледі.",
                      "ru": "Этот показатель рассчитывается только по стране в целом.",
                      "en": "This indicator is computed for the whole country only."},
    "chart_alt": {"kk": "Диаграмма: нақты мәндер, мақсат, қажетті жол және болжам; сол деректер төмендегі кестеде.",
                  "ru": "График: фактические значения, цель, необходимый путь и прогноз; те же данные — в таблице ниже.",
                  "en": "Chart: actual values, the target, the path needed and the forecast; the same data are in the table below."},
    "bars_alt": {"kk": "Бағаналы диаграмма; сол деректер төмендегі кестеде.",
                 "ru": "Столбчатая диаграмма; те же данные — в таблице ниже.",
                 "en": "Bar chart; the same data are in the table below."},
    "all_indicators": {"kk": "Барлық көрсеткіштер", "ru": "Все показатели", "en": "All indicators"},
    "districts": {"kk": "Аудандар: елді мекендер мен байланыс", "ru": "Районы: населённые пункты и связь",
                  "en": "Districts: settlements and connectivity"},
    "district": {"kk": "Аудан", "ru": "Район", "en": "District"},
    "region_roads": {"kk": "Өңірдің жолдары", "ru": "Дороги региона", "en": "Roads of the region"},
    "region_cities": {"kk": "Өңірдің 5G қалалары", "ru": "Города 5G в регионе", "en": "5G cities of the region"},
    "region_speed": {"kk": "Өңірдегі жылдамдық өлшемдері", "ru": "Замеры скорости в регионе",
                     "en": "Speed tests in the region"},
    "by_category": {"kk": "Жол санаты бойынша", "ru": "По категории дороги", "en": "By road category"},
    "by_operators": {"kk": "Қамтыған операторлар саны бойынша", "ru": "По числу операторов с покрытием",
                     "en": "By number of operators covering"},
    "road_category": {"kk": "Санаты", "ru": "Категория", "en": "Category"},
    "operators_count": {"kk": "Операторлар", "ru": "Операторов", "en": "Operators"},
    "length_km": {"kk": "Ұзындығы, км", "ru": "Протяжённость, км", "en": "Length, km"},
    "covered_km": {"kk": "Қамтылған, км", "ru": "Покрыто, км", "en": "Covered, km"},
    "covered_share": {"kk": "Қамтылған үлесі, %", "ru": "Доля покрытия, %", "en": "Share covered, %"},
    "roads_count": {"kk": "Жолдар", "ru": "Дорог", "en": "Roads"},
    "target_75": {"kk": "Мақсат: аумақтың 75 %-ы", "ru": "Цель: 75 % территории", "en": "Target: 75 % of the territory"},
    "city": {"kk": "Қала", "ru": "Город", "en": "City"},
    "territory_share_5g": {"kk": "5G аумағы, %", "ru": "Территория с 5G, %", "en": "Territory with 5G, %"},
    "at_target": {"kk": "Мақсатта", "ru": "Цель достигнута", "en": "At target"},
    "technology": {"kk": "Технология", "ru": "Технология", "en": "Technology"},
    "tests": {"kk": "Өлшемдер", "ru": "Замеров", "en": "Tests"},
    "median_download": {"kk": "Медиана, Мбит/с", "ru": "Медиана, Мбит/с", "en": "Median download, Mbps"},
    "p10_download": {"kk": "10-процентиль, Мбит/с", "ru": "10-й перцентиль, Мбит/с", "en": "10th percentile, Mbps"},
    "by_technology": {"kk": "Технология бойынша", "ru": "По технологии", "en": "By technology"},
    "settlements": {"kk": "Елді мекендер", "ru": "Населённых пунктов", "en": "Settlements"},
    "rural_settlements": {"kk": "Ауылдық", "ru": "Сельских", "en": "Rural"},
    "with_fibre": {"kk": "ТОБЖ бар", "ru": "С ВОЛС", "en": "With fibre"},
    "with_mobile_broadband": {"kk": "4G/5G бар", "ru": "С 4G/5G", "en": "With 4G/5G"},
    "population": {"kk": "Халқы", "ru": "Население", "en": "Population"},
    "population_with_access": {"kk": "Қолжетімді халық", "ru": "Население с доступом", "en": "Population with access"},
    "akimat_reported": {"kk": "Әкімдік хабарлаған", "ru": "Сообщено акиматом", "en": "Reported by the akimat"},
    "operator_fibre": {"kk": "Оператор бойынша ТОБЖ", "ru": "ВОЛС по данным операторов", "en": "Fibre per operators"},
    "akimat_fibre": {"kk": "Әкімдік бойынша ТОБЖ", "ru": "ВОЛС по данным акимата", "en": "Fibre per the akimat"},
    "agree": {"kk": "Сәйкес", "ru": "Совпадает", "en": "Agree"},
    "disagree": {"kk": "Сәйкес емес", "ru": "Расходится", "en": "Disagree"},
    "agree_share": {"kk": "Сәйкестік, %", "ru": "Совпадение, %", "en": "Agreement, %"},
    "reconciliation_note": {
        "kk": "Әкімдік мәлімдеген әр елді мекен бойынша: операторлар ТОБЖ қосылды деп хабарлады ма және әкімдік солай ма.",
        "ru": "По каждому населённому пункту, о котором сообщил акимат: сообщают ли операторы о подключении ВОЛС и согласен ли акимат.",
        "en": "For every settlement the akimat reported on: do the operators report it connected to fibre, and does the akimat agree.",
    },
    "latest_period": {"kk": "Соңғы кезең", "ru": "Последний период", "en": "Latest period"},
    "api": {"kk": "Ашық деректер API (JSON)", "ru": "API открытых данных (JSON)", "en": "Open-data API (JSON)"},
    "skip": {"kk": "Мазмұнға өту", "ru": "Перейти к содержанию", "en": "Skip to content"},
    "print": {"kk": "Басып шығару", "ru": "Печать", "en": "Print"},
    "unit": {"kk": "Өлшем бірлігі", "ru": "Единица", "en": "Unit"},
}
