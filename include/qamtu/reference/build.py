"""Build the shipped reference CSVs (``kato.csv``, ``roads.csv``, ``programme_targets.csv``).

Run ``python -m qamtu.reference.build [--out DIR] [--seed N]``. With the default seed the output is
byte-identical to the committed files under ``data/``: this script documents how they were made.

What is real: the 20 regions (KATO two-digit codes, names in kk/ru/en), the 20 cities of the 5G
target with approximate real populations and areas, the real towns with approximate populations,
the districts of the three republican cities, the main republican road routes. What is synthetic:
district, rural-district and village names and figures, the regional road register, road lengths
(plausible, not surveyed). See ``docs/reference.md``.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_SEED = 20260106  # the date of the programme statement

KATO_COLUMNS = (
    "kato_code", "parent_code", "level", "name_kk", "name_ru", "name_en", "is_rural", "population",
    "households", "area_km2", "region_code", "settlement_type", "is_5g_city",
)
ROADS_COLUMNS = ("road_code", "name", "category", "length_km", "region_codes")
TARGET_COLUMNS = (
    "indicator", "target", "unit", "deadline", "description_en", "description_ru", "description_kk", "source",
)

# code: (kk, ru, en)
REGIONS: dict[str, tuple[str, str, str]] = {
    "10": ("Абай облысы", "Область Абай", "Abai Region"),
    "11": ("Ақмола облысы", "Акмолинская область", "Akmola Region"),
    "15": ("Ақтөбе облысы", "Актюбинская область", "Aktobe Region"),
    "19": ("Алматы облысы", "Алматинская область", "Almaty Region"),
    "23": ("Атырау облысы", "Атырауская область", "Atyrau Region"),
    "27": ("Батыс Қазақстан облысы", "Западно-Казахстанская область", "West Kazakhstan Region"),
    "31": ("Жамбыл облысы", "Жамбылская область", "Zhambyl Region"),
    "33": ("Жетісу облысы", "Область Жетісу", "Zhetisu Region"),
    "35": ("Қарағанды облысы", "Карагандинская область", "Karaganda Region"),
    "39": ("Қостанай облысы", "Костанайская область", "Kostanay Region"),
    "43": ("Қызылорда облысы", "Кызылординская область", "Kyzylorda Region"),
    "47": ("Маңғыстау облысы", "Мангистауская область", "Mangystau Region"),
    "55": ("Павлодар облысы", "Павлодарская область", "Pavlodar Region"),
    "59": ("Солтүстік Қазақстан облысы", "Северо-Казахстанская область", "North Kazakhstan Region"),
    "61": ("Түркістан облысы", "Туркестанская область", "Turkestan Region"),
    "62": ("Ұлытау облысы", "Область Ұлытау", "Ulytau Region"),
    "63": ("Шығыс Қазақстан облысы", "Восточно-Казахстанская область", "East Kazakhstan Region"),
    "71": ("Астана қаласы", "город Астана", "Astana"),
    "75": ("Алматы қаласы", "город Алматы", "Almaty"),
    "79": ("Шымкент қаласы", "город Шымкент", "Shymkent"),
}
REPUBLICAN_CITIES = ("71", "75", "79")

# The 20 cities of the 5G target: region → (kk, ru, en, population, area km²). Populations and areas
# are rounded approximations of the official figures (city proper / city administration).
CITIES_5G: dict[str, tuple[str, str, str, int, float]] = {
    "10": ("Семей", "Семей", "Semey", 350_000, 210.0),
    "11": ("Көкшетау", "Кокшетау", "Kokshetau", 162_000, 424.0),
    "15": ("Ақтөбе", "Актобе", "Aktobe", 545_000, 2339.0),
    "19": ("Қонаев", "Конаев", "Konaev", 104_000, 150.0),
    "23": ("Атырау", "Атырау", "Atyrau", 360_000, 200.0),
    "27": ("Орал", "Уральск", "Oral", 330_000, 700.0),
    "31": ("Тараз", "Тараз", "Taraz", 380_000, 185.0),
    "33": ("Талдықорған", "Талдыкорган", "Taldykorgan", 180_000, 140.0),
    "35": ("Қарағанды", "Караганда", "Karaganda", 505_000, 550.0),
    "39": ("Қостанай", "Костанай", "Kostanay", 265_000, 240.0),
    "43": ("Қызылорда", "Кызылорда", "Kyzylorda", 330_000, 250.0),
    "47": ("Ақтау", "Актау", "Aktau", 265_000, 80.0),
    "55": ("Павлодар", "Павлодар", "Pavlodar", 365_000, 400.0),
    "59": ("Петропавл", "Петропавловск", "Petropavl", 220_000, 220.0),
    "61": ("Түркістан", "Туркестан", "Turkistan", 210_000, 196.0),
    "62": ("Жезқазған", "Жезказган", "Zhezkazgan", 91_000, 1800.0),
    "63": ("Өскемен", "Усть-Каменогорск", "Oskemen", 335_000, 540.0),
    "71": ("Астана", "Астана", "Astana", 1_550_000, 797.0),
    "75": ("Алматы", "Алматы", "Almaty", 2_330_000, 683.0),
    "79": ("Шымкент", "Шымкент", "Shymkent", 1_260_000, 1170.0),
}

# Real districts of the republican cities (kk, ru, en).
CITY_DISTRICTS: dict[str, list[tuple[str, str, str]]] = {
    "71": [
        ("Алматы ауданы", "район Алматы", "Almaty District"),
        ("Байқоңыр ауданы", "район Байконыр", "Baikonyr District"),
        ("Есіл ауданы", "район Есиль", "Yesil District"),
        ("Сарыарқа ауданы", "район Сарыарка", "Saryarka District"),
        ("Нұра ауданы", "район Нура", "Nura District"),
    ],
    "75": [
        ("Алатау ауданы", "Алатауский район", "Alatau District"),
        ("Алмалы ауданы", "Алмалинский район", "Almaly District"),
        ("Әуезов ауданы", "Ауэзовский район", "Auezov District"),
        ("Бостандық ауданы", "Бостандыкский район", "Bostandyk District"),
        ("Жетісу ауданы", "Жетысуский район", "Zhetysu District"),
        ("Медеу ауданы", "Медеуский район", "Medeu District"),
        ("Наурызбай ауданы", "Наурызбайский район", "Nauryzbay District"),
        ("Түрксіб ауданы", "Турксибский район", "Turksib District"),
    ],
    "79": [
        ("Абай ауданы", "Абайский район", "Abay District"),
        ("Әл-Фараби ауданы", "Аль-Фарабийский район", "Al-Farabi District"),
        ("Еңбекші ауданы", "Енбекшинский район", "Enbekshi District"),
        ("Қаратау ауданы", "Каратауский район", "Karatau District"),
        ("Тұран ауданы", "Туранский район", "Turan District"),
    ],
}

# Real towns (not regional centres), approximate populations: region → [(kk, ru, en, population)].
# Towns of 50,000 and more get their own district-level administration, as in the real classifier.
TOWNS: dict[str, list[tuple[str, str, str, int]]] = {
    "10": [("Аягөз", "Аягоз", "Ayagoz", 40_000), ("Курчатов", "Курчатов", "Kurchatov", 12_000),
           ("Шар", "Шар", "Shar", 8_000)],
    "11": [("Қосшы", "Косшы", "Kosshy", 52_000), ("Степногорск", "Степногорск", "Stepnogorsk", 66_000),
           ("Щучинск", "Щучинск", "Shchuchinsk", 45_000), ("Атбасар", "Атбасар", "Atbasar", 28_000),
           ("Макинск", "Макинск", "Makinsk", 16_000), ("Ақкөл", "Акколь", "Akkol", 14_000),
           ("Есіл", "Есиль", "Yesil", 11_000), ("Ерейментау", "Ерейментау", "Ereymentau", 10_000),
           ("Державинск", "Державинск", "Derzhavinsk", 6_000), ("Степняк", "Степняк", "Stepnyak", 3_500)],
    "15": [("Қандыағаш", "Кандыагаш", "Kandyagash", 32_000), ("Шалқар", "Шалкар", "Shalkar", 28_000),
           ("Хромтау", "Хромтау", "Khromtau", 27_000), ("Алға", "Алга", "Alga", 21_000),
           ("Ембі", "Эмба", "Emba", 12_000), ("Темір", "Темир", "Temir", 3_000),
           ("Жем", "Жем", "Zhem", 2_000)],
    "19": [("Қаскелең", "Каскелен", "Kaskelen", 95_000), ("Талғар", "Талгар", "Talgar", 50_000),
           ("Есік", "Есик", "Esik", 40_000)],
    "23": [("Құлсары", "Кульсары", "Kulsary", 60_000)],
    "27": [("Ақсай", "Аксай", "Aksay", 35_000)],
    "31": [("Шу", "Шу", "Shu", 37_000), ("Қаратау", "Каратау", "Karatau", 30_000),
           ("Жаңатас", "Жанатас", "Zhanatas", 22_000)],
    "33": [("Жаркент", "Жаркент", "Zharkent", 45_000), ("Текелі", "Текели", "Tekeli", 28_000),
           ("Үштөбе", "Уштобе", "Ushtobe", 25_000), ("Сарқан", "Сарканд", "Sarkand", 14_000)],
    "35": [("Теміртау", "Темиртау", "Temirtau", 170_000), ("Балқаш", "Балхаш", "Balkhash", 70_000),
           ("Сарань", "Сарань", "Saran", 50_000), ("Шахтинск", "Шахтинск", "Shakhtinsk", 37_000),
           ("Абай", "Абай", "Abai", 26_000), ("Приозерск", "Приозерск", "Priozersk", 13_000),
           ("Қарқаралы", "Каркаралинск", "Karkaraly", 8_000)],
    "39": [("Рудный", "Рудный", "Rudny", 130_000), ("Арқалық", "Аркалык", "Arkalyk", 40_000),
           ("Лисаков", "Лисаковск", "Lisakovsk", 37_000), ("Жітіқара", "Житикара", "Zhitikara", 33_000),
           ("Тобыл", "Тобыл", "Tobyl", 20_000)],
    "43": [("Арал", "Аральск", "Aral", 33_000), ("Қазалы", "Казалинск", "Kazaly", 7_000)],
    "47": [("Жаңаөзен", "Жанаозен", "Zhanaozen", 160_000),
           ("Форт-Шевченко", "Форт-Шевченко", "Fort-Shevchenko", 7_000)],
    "55": [("Екібастұз", "Экибастуз", "Ekibastuz", 150_000), ("Ақсу", "Аксу", "Aksu", 70_000)],
    "59": [("Тайынша", "Тайынша", "Taiynsha", 11_000), ("Булаев", "Булаево", "Bulaevo", 8_000),
           ("Мамлют", "Мамлютка", "Mamlyutka", 7_000), ("Сергеев", "Сергеевка", "Sergeevka", 7_000)],
    "61": [("Арыс", "Арысь", "Arys", 80_000), ("Кентау", "Кентау", "Kentau", 75_000),
           ("Сарыағаш", "Сарыагаш", "Saryagash", 40_000), ("Ленгер", "Ленгер", "Lenger", 30_000),
           ("Жетісай", "Жетысай", "Zhetysai", 30_000), ("Шардара", "Шардара", "Shardara", 30_000)],
    "62": [("Сәтбаев", "Сатпаев", "Satpayev", 70_000), ("Қаражал", "Каражал", "Karazhal", 17_000)],
    "63": [("Риддер", "Риддер", "Ridder", 50_000), ("Алтай", "Алтай", "Altai", 40_000),
           ("Шемонаиха", "Шемонаиха", "Shemonaikha", 17_000), ("Зайсан", "Зайсан", "Zaysan", 15_000),
           ("Серебрянск", "Серебрянск", "Serebryansk", 8_000)],
}
TOWN_ADMINISTRATION_MIN = 50_000

# region → (rural districts, rural settlements, rural population, persons per household)
RURAL_PROFILE: dict[str, tuple[int, int, int, float]] = {
    "10": (10, 340, 290_000, 3.5),
    "11": (17, 500, 330_000, 3.0),
    "15": (12, 340, 330_000, 3.8),
    "19": (9, 600, 1_040_000, 4.2),
    "23": (7, 180, 330_000, 4.5),
    "27": (12, 370, 370_000, 3.6),
    "31": (10, 430, 680_000, 4.6),
    "33": (8, 360, 390_000, 4.0),
    "35": (7, 280, 200_000, 3.0),
    "39": (16, 470, 340_000, 2.9),
    "43": (7, 250, 450_000, 4.7),
    "47": (5, 55, 370_000, 4.6),
    "55": (10, 350, 230_000, 3.0),
    "59": (13, 500, 280_000, 2.8),
    "61": (14, 850, 1_700_000, 5.0),
    "62": (3, 55, 60_000, 3.6),
    "63": (9, 380, 300_000, 3.1),
}
CITY_PERSONS_PER_HOUSEHOLD = {"71": 3.3, "75": 3.1, "79": 4.8}
NORTHERN_REGIONS = ("11", "39", "55", "59", "63", "10", "35")  # many villages keep Russian names

# Synthetic village names: Kazakh toponym roots (kk, ru, en) combined with endings.
_ROOTS = (
    ("Ақ", "Ак", "Ak"), ("Қара", "Кара", "Kara"), ("Сары", "Сары", "Sary"), ("Көк", "Кок", "Kok"),
    ("Жаңа", "Жана", "Zhana"), ("Бес", "Бес", "Bes"), ("Қызыл", "Кызыл", "Kyzyl"),
    ("Алтын", "Алтын", "Altyn"),
    ("Тас", "Тас", "Tas"), ("Құм", "Кум", "Kum"), ("Көп", "Коп", "Kop"), ("Ескі", "Ески", "Eski"),
    ("Ұзын", "Узын", "Uzyn"), ("Үш", "Уш", "Ush"), ("Шұбар", "Шубар", "Shubar"), ("Бай", "Бай", "Bai"),
    ("Талды", "Талды", "Taldy"), ("Жалпақ", "Жалпак", "Zhalpak"), ("Қоңыр", "Коныр", "Konyr"),
    ("Сұлу", "Сулу", "Sulu"), ("Шолақ", "Шолак", "Sholak"), ("Таза", "Таза", "Taza"),
)
_ENDINGS = (
    ("бұлақ", "булак", "bulak"), ("төбе", "тобе", "tobe"), ("су", "су", "su"), ("көл", "коль", "kol"),
    ("ағаш", "агаш", "agash"), ("жар", "жар", "zhar"), ("құдық", "кудук", "kuduk"), ("өзек", "озек", "ozek"),
    ("тау", "тау", "tau"), ("терек", "терек", "terek"), ("шоқы", "шокы", "shoky"), ("дала", "дала", "dala"),
    ("арал", "арал", "aral"), ("бастау", "бастау", "bastau"), ("сай", "сай", "sai"),
    ("қайнар", "кайнар", "kainar"),
    ("өзен", "озен", "ozen"), ("жол", "жол", "zhol"), ("қоға", "кога", "koga"), ("қоныс", "коныс", "konys"),
)
_WHOLE_NAMES = (
    ("Абай", "Абай", "Abai"), ("Жамбыл", "Жамбыл", "Zhambyl"), ("Бірлік", "Бирлик", "Birlik"),
    ("Ынтымақ", "Ынтымак", "Yntymak"), ("Достық", "Достык", "Dostyk"), ("Береке", "Береке", "Bereke"),
    ("Шапағат", "Шапагат", "Shapagat"), ("Бірлестік", "Бирлестик", "Birlestik"), ("Тұран", "Туран", "Turan"),
    ("Ақжол", "Акжол", "Akzhol"), ("Бостандық", "Бостандык", "Bostandyk"), ("Еңбек", "Енбек", "Enbek"),
    ("Қазыбек би", "Казыбек би", "Kazybek bi"), ("Шоқан", "Шокан", "Shokan"),
    ("Махамбет", "Махамбет", "Makhambet"),
    ("Ақын Сара", "Акын Сара", "Akyn Sara"), ("Тәуелсіздік", "Тауелсиздик", "Tauelsizdik"),
)
_RUSSIAN_NAMES = (
    ("Ивановка", "Ivanovka"), ("Петровка", "Petrovka"), ("Новоалексеевка", "Novoalekseevka"),
    ("Степное", "Stepnoye"), ("Березовка", "Berezovka"), ("Каменка", "Kamenka"),
    ("Красноярка", "Krasnoyarka"),
    ("Октябрьское", "Oktyabrskoye"), ("Садовое", "Sadovoye"), ("Луговое", "Lugovoye"),
    ("Полтавка", "Poltavka"),
    ("Украинка", "Ukrainka"), ("Михайловка", "Mikhailovka"), ("Николаевка", "Nikolaevka"),
    ("Александровка", "Aleksandrovka"), ("Вишневка", "Vishnevka"), ("Заречное", "Zarechnoye"),
    ("Озерное", "Ozernoye"), ("Яблоновка", "Yablonovka"), ("Богдановка", "Bogdanovka"),
    ("Раисовка", "Raisovka"),
    ("Приречное", "Prirechnoye"), ("Васильевка", "Vasilyevka"), ("Новопокровка", "Novopokrovka"),
)


def _place_name(rng: random.Random, region: str) -> tuple[str, str, str]:
    draw = rng.random()
    if region in NORTHERN_REGIONS and draw < 0.3:
        ru, en = rng.choice(_RUSSIAN_NAMES)
        return ru, ru, en
    if draw > 0.9:
        return rng.choice(_WHOLE_NAMES)
    root, ending = rng.choice(_ROOTS), rng.choice(_ENDINGS)
    return root[0] + ending[0], root[1] + ending[1], root[2] + ending[2]


def _unique_name(rng: random.Random, region: str, used: list[str]) -> tuple[str, str, str]:
    """A place name not yet in ``used`` (a list, so the order of draws stays deterministic)."""
    for _ in range(200):
        name = _place_name(rng, region)
        if name[2] not in used:
            used.append(name[2])
            return name
    raise RuntimeError(f"no unused place name left in region {region}")


def _households(rng: random.Random, population: int, persons_per_household: float) -> int:
    ratio = persons_per_household * rng.uniform(0.92, 1.08)
    return max(1, round(population / ratio))


def _row(code: str, parent: str, level: str, names: tuple[str, str, str], **extra) -> dict[str, str]:
    row = dict.fromkeys(KATO_COLUMNS, "")
    row.update(kato_code=code, parent_code=parent, level=level, name_kk=names[0], name_ru=names[1],
               name_en=names[2], is_rural="false", region_code=code[:2], is_5g_city="false")
    row.update({k: str(v) for k, v in extra.items()})
    return row


def _city_rows(region: str, rng: random.Random) -> list[dict[str, str]]:
    """A city administration (district level), its town administration and the city itself."""
    kk, ru, en, population, area = CITIES_5G[region]
    district = f"{region}10"
    pph = CITY_PERSONS_PER_HOUSEHOLD.get(region, RURAL_PROFILE.get(region, (0, 0, 0, 3.5))[3] * 0.9)
    return [
        _row(f"{district}00000", f"{region}0000000", "district",
             (f"{kk} қалалық әкімдігі", f"городская администрация {ru}", f"{en} city administration")),
        _row(f"{district}10000", f"{district}00000", "rural_district",
             (f"{kk} қаласы", f"город {ru}", f"{en} city")),
        _row(f"{district}10100", f"{district}10000", "settlement", (kk, ru, en),
             population=population, households=_households(rng, population, pph), area_km2=f"{area:.1f}",
             settlement_type="city", is_5g_city="true"),
    ]


def _town_rows(admin_code: str, parent: str, town: tuple[str, str, str, int], pph: float,
               rng: random.Random) -> list[dict[str, str]]:
    kk, ru, en, population = town
    return [
        _row(admin_code, parent, "rural_district",
             (f"{kk} қалалық әкімшілігі", f"городская администрация {ru}", f"{en} town administration")),
        _row(admin_code[:6] + "100", admin_code, "settlement", (kk, ru, en), population=population,
             households=_households(rng, population, pph), settlement_type="town"),
    ]


def build_kato(seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for region, names in REGIONS.items():
        rows.append(_row(f"{region}0000000", "", "region", names))
        rows.extend(_city_rows(region, rng))
        if region in REPUBLICAN_CITIES:
            for i, district_names in enumerate(CITY_DISTRICTS[region]):
                rows.append(_row(f"{region}{11 + i}00000", f"{region}0000000", "district", district_names))
            continue
        n_districts, n_villages, rural_population, pph = RURAL_PROFILE[region]
        towns = TOWNS.get(region, [])
        # Towns of regional significance: their own district-level administration (CD 11, 12, ...).
        big_towns = [t for t in towns if t[3] >= TOWN_ADMINISTRATION_MIN]
        small_towns = [t for t in towns if t[3] < TOWN_ADMINISTRATION_MIN]
        for i, town in enumerate(big_towns):
            district = f"{region}{11 + i}"
            rows.append(_row(f"{district}00000", f"{region}0000000", "district",
                             (f"{town[0]} қалалық әкімдігі", f"городская администрация {town[1]}",
                              f"{town[2]} city administration")))
            rows.extend(_town_rows(f"{district}10000", f"{district}00000", town, pph * 0.95, rng))
        # Rural districts (CD 20, 22, ...), villages spread unevenly over them.
        district_names: list[str] = []
        weights = [rng.uniform(0.5, 1.5) for _ in range(n_districts)]
        villages_per_district = _split(n_villages, weights)
        village_weights = [math.exp(rng.gauss(0.0, 0.9)) for _ in range(n_villages)]
        total_weight = sum(village_weights)
        village_index = 0
        small_town_district = [rng.randrange(n_districts) for _ in small_towns]
        for d in range(n_districts):
            district = f"{region}{20 + 2 * d}"
            names_d = _unique_name(rng, region, district_names)
            rows.append(_row(f"{district}00000", f"{region}0000000", "district",
                             (f"{names_d[0]} ауданы", f"район {names_d[1]}", f"{names_d[2]} District")))
            towns_here = [t for t, where in zip(small_towns, small_town_district, strict=True) if where == d]
            for t, town in enumerate(towns_here):
                rows.extend(_town_rows(f"{district}{10 + t}000", f"{district}00000", town, pph * 0.95, rng))
            remaining = villages_per_district[d]
            okrug = 0
            used_names: list[str] = []
            while remaining > 0:
                size = min(remaining, rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6)))
                okrug_code = f"{district}{20 + okrug}000"
                centre = _unique_name(rng, region, used_names)
                rows.append(_row(okrug_code, f"{district}00000", "rural_district",
                                 (f"{centre[0]} ауылдық округі", f"сельский округ {centre[1]}",
                                  f"{centre[2]} rural district")))
                for k in range(size):
                    village = centre if k == 0 else _unique_name(rng, region, used_names)
                    share = village_weights[village_index] / total_weight
                    population = max(15, round(rural_population * share))
                    rows.append(_row(f"{okrug_code[:6]}{100 + k}", okrug_code, "settlement", village,
                                     is_rural="true", population=population,
                                     households=_households(rng, population, pph * 1.03),
                                     settlement_type="village"))
                    village_index += 1
                remaining -= size
                okrug += 1
            if okrug > 79:
                raise RuntimeError(f"district {district}: too many rural districts for the code space")
        assert village_index == n_villages
    _check_kato(rows)
    return rows


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), every part ≥ 1."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [max(1, int(x)) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(parts) < total:
        parts[order[i % len(order)]] += 1
        i += 1
    while sum(parts) > total:
        j = max(range(len(parts)), key=lambda k: parts[k])
        parts[j] -= 1
    return parts


def _check_kato(rows: list[dict[str, str]]) -> None:
    codes = [r["kato_code"] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate KATO codes"
    by_code = {r["kato_code"]: r for r in rows}
    for r in rows:
        code = r["kato_code"]
        assert len(code) == 9 and code.isdigit(), code
        if r["level"] != "region":
            assert (
                by_code[r["parent_code"]]["level"]
                == {"district": "region", "rural_district": "district", "settlement": "rural_district"}[
                    r["level"]
                ]
            )
    settlements = [r for r in rows if r["level"] == "settlement"]
    population = sum(int(r["population"]) for r in settlements)
    rural = [r for r in settlements if r["is_rural"] == "true"]
    rural_population = sum(int(r["population"]) for r in rural)
    assert 20_000_000 <= population <= 20_600_000, population
    assert 6_000 <= len(rural) <= 6_600, len(rural)
    assert 7_400_000 <= rural_population <= 7_800_000, rural_population
    assert sum(r["is_5g_city"] == "true" for r in rows) == 20


# --- roads ------------------------------------------------------------------------------------------
# Republican roads: real-style codes and routes; lengths approximate.
REPUBLICAN_ROADS: list[tuple[str, str, float, str]] = [
    ("M-32", "Граница РФ (на Самару) — Актобе — Кызылорда — Шымкент", 2240.0, "15;43;61;79"),
    ("M-36", "Граница РФ (на Екатеринбург) — Костанай — Астана — Караганда — Балхаш — Алматы", 2490.0,
     "39;11;71;35;31;19;75"),
    ("M-38", "Граница РФ (на Барнаул) — Усть-Каменогорск — Калбатау — Майкапчагай (граница КНР)",
     860.0, "63;10"),
    ("M-39", "Алматы — Бишкек — Ташкент (участки Алматы — Кордай и Мерке — Шымкент — граница РУз)", 790.0,
     "75;19;31;61;79"),
    ("M-51", "Граница РФ (на Челябинск) — Петропавловск — граница РФ (на Новосибирск)", 272.0, "59"),
    ("A-1", "Астана — Щучинск — Кокшетау — Петропавловск — граница РФ (на Петухово)", 545.0, "71;11;59"),
    ("A-2", "Алматы — Хоргос (граница КНР)", 310.0, "75;19;33"),
    ("A-3", "Алматы — Талдыкорган — Усть-Каменогорск — Шемонаиха — граница РФ", 1330.0, "75;19;33;10;63"),
    ("A-4", "Алматы — Кеген — граница КР (Тюп)", 270.0, "75;19"),
    ("A-5", "Усть-Каменогорск — Семей", 210.0, "63;10"),
    ("A-6", "Павлодар — Семей", 350.0, "55;10"),
    ("A-7", "Астана — Экибастуз — Павлодар — Щербакты — граница РФ", 620.0, "71;11;55"),
    ("A-8", "Актобе — Уральск — граница РФ (на Самару)", 702.0, "15;27"),
    ("A-9", "Уральск — Атырау", 490.0, "27;23"),
    ("A-10", "Актобе — Кандыагаш — Макат — Атырау — граница РФ (на Астрахань)", 880.0, "15;23"),
    ("A-11", "Атырау — Доссор — Кульсары — Бейнеу — Шетпе — Актау", 860.0, "23;47"),
    ("A-12", "Бейнеу — Акжигит — граница РУз", 320.0, "47"),
    ("A-13", "Жетыбай — Жанаозен — граница Туркменистана", 240.0, "47"),
    ("A-14", "Жезказган — Аркалык — Есиль — Кокшетау", 950.0, "62;39;11"),
    ("A-15", "Мамлютка — Костанай", 320.0, "59;39"),
    ("A-16", "Ушарал — Достык (граница КНР)", 180.0, "33"),
    ("A-17", "Кызылорда — Жезказган — Караганда — Павлодар — Успенка — граница РФ", 1650.0, "43;62;35;55"),
]
REPUBLICAN_TOTAL_KM = 25_000.0
# Regional road index letters (real style; the mapping to regions is this project's).
REGIONAL_ROAD_PREFIX = {
    "10": "KA", "11": "KC", "15": "KD", "19": "KB", "23": "KE", "27": "KL", "31": "KH",
    "33": "KZ", "35": "KM",
    "39": "KP", "43": "KN", "47": "KR", "55": "KS", "59": "KT", "61": "KX", "62": "KU", "63": "KF",
}
# region → km of regional roads (synthetic budget, roughly by territory and settlement density)
REGIONAL_KM = {
    "10": 2600, "11": 3900, "15": 3300, "19": 3000, "23": 1100, "27": 2600, "31": 2300,
    "33": 2300, "35": 3600,
    "39": 3600, "43": 1700, "47": 700, "55": 2800, "59": 3400, "61": 3100, "62": 900, "63": 2600,
}
# Neighbouring regions, for republican R-roads that cross a regional border.
NEIGHBOURS = {
    "10": ("63", "55", "35", "33"), "11": ("59", "39", "35", "55"), "15": ("27", "23", "43", "39"),
    "19": ("33", "31", "35"), "23": ("27", "15", "47"), "27": ("23", "15"), "31": ("61", "19", "35"),
    "33": ("19", "10"), "35": ("11", "55", "10", "62", "31"), "39": ("11", "59", "15", "62"),
    "43": ("15", "61", "62"), "47": ("23",), "55": ("11", "35", "10"), "59": ("11", "39"),
    "61": ("43", "31", "62"), "62": ("35", "43", "39", "61"), "63": ("10",),
}


def build_roads(kato_rows: list[dict[str, str]], seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    rng = random.Random(seed + 1)
    centres: dict[str, list[str]] = {}  # region → district-centre-like place names (ru)
    villages: dict[str, list[str]] = {}
    for r in kato_rows:
        if r["level"] == "settlement" and r["settlement_type"] in ("town", "city"):
            centres.setdefault(r["region_code"], []).append(r["name_ru"])
        elif r["level"] == "settlement":
            villages.setdefault(r["region_code"], []).append(r["name_ru"])
    rows = [
        {"road_code": code, "name": name, "category": "republican", "length_km": f"{km:.1f}",
         "region_codes": regions}
        for code, name, km, regions in REPUBLICAN_ROADS
    ]
    # R-roads: the rest of the republican network, one to three per region, some crossing a border.
    remaining = REPUBLICAN_TOTAL_KM - sum(km for _, _, km, _ in REPUBLICAN_ROADS)
    r_roads: list[tuple[str, str]] = []
    for region in RURAL_PROFILE:
        for _ in range(rng.choice((2, 3, 3, 4))):
            regions = [region]
            if rng.random() < 0.4:
                regions.append(rng.choice(NEIGHBOURS[region]))
            stops = [rng.choice(centres.get(regions[0], villages[regions[0]]))]
            stops += rng.sample(villages[regions[0]], 1) + [
                rng.choice(centres.get(regions[-1], villages[regions[-1]]))
            ]
            r_roads.append((" — ".join(dict.fromkeys(stops)), ";".join(regions)))
    lengths = _lengths(rng, len(r_roads), remaining, sigma=0.4)
    for i, ((name, regions), km) in enumerate(zip(r_roads, lengths, strict=True)):
        rows.append({"road_code": f"R-{i + 1}", "name": name, "category": "republican",
                     "length_km": f"{km:.1f}", "region_codes": regions})
    # Regional roads: many short roads between villages of one region.
    for region, budget in REGIONAL_KM.items():
        count = max(8, round(budget / 45))
        lengths = _lengths(rng, count, float(budget), sigma=0.6)
        for i, km in enumerate(lengths):
            a, b = rng.sample(villages[region], 2)
            name = f"{a} — {b}" if a != b else f"Подъезд к {a}"
            rows.append({"road_code": f"{REGIONAL_ROAD_PREFIX[region]}-{i + 1}", "name": name,
                         "category": "regional", "length_km": f"{km:.1f}", "region_codes": region})
    _check_roads(rows)
    return rows


def _lengths(rng: random.Random, count: int, total: float, sigma: float) -> list[float]:
    """``count`` lognormal lengths (≥ 3 km, 0.1 km precision) adding up to ``total`` within rounding."""
    weights = [math.exp(rng.gauss(0.0, sigma)) for _ in range(count)]
    scale = total / sum(weights)
    return [max(3.0, round(w * scale, 1)) for w in weights]


def _check_roads(rows: list[dict[str, str]]) -> None:
    codes = [r["road_code"] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate road codes"
    republican = sum(float(r["length_km"]) for r in rows if r["category"] == "republican")
    total = sum(float(r["length_km"]) for r in rows)
    assert 24_000 <= republican <= 26_000, republican
    assert 60_000 <= total <= 75_000, total
    crossed = {c for r in rows for c in r["region_codes"].split(";")}
    assert crossed == set(REGIONS), sorted(set(REGIONS) - crossed)


# --- programme targets ------------------------------------------------------------------------------
SOURCE = ("Statement of the Deputy Prime Minister – Minister of Artificial Intelligence and Digital "
          "Development of the Republic of Kazakhstan, 6 January 2026")
DEADLINE = "2027-12-31"
# indicator, target ('' = reported, no target), unit, en, ru, kk
PROGRAMME_TARGETS: list[tuple[str, str, str, str, str, str]] = [
    ("villages_fibre_new", "3000", "settlements",
     "Rural settlements newly connected by fibre-optic lines in 2026–2027",
     "Сельские населённые пункты, подключённые к ВОЛС в 2026–2027 годах",
     "2026–2027 жылдары ТОБЖ-ға қосылған ауылдық елді мекендер"),
    ("villages_fibre_share", "", "percent",
     "Share of rural settlements with fibre connected",
     "Доля сельских населённых пунктов, подключённых к ВОЛС",
     "ТОБЖ-ға қосылған ауылдық елді мекендердің үлесі"),
    ("population_access_share", "99", "percent",
     "Share of the population with access to high-speed internet",
     "Доля населения с доступом к высокоскоростному интернету",
     "Жоғары жылдамдықты интернетке қолжетімді халықтың үлесі"),
    ("households_last_mile", "400000", "households",
     "Households connected by the \"last mile\" project (fibre to every house of the village)",
     "Домохозяйства, подключённые по проекту «последней мили» (оптика до каждого дома села)",
     "«Соңғы миля» жобасы бойынша қосылған үй шаруашылықтары (ауылдың әр үйіне дейін оптика)"),
    ("people_last_mile", "2500000", "persons",
     "People newly covered by the \"last mile\" project",
     "Население, дополнительно охваченное проектом «последней мили»",
     "«Соңғы миля» жобасымен қосымша қамтылған халық"),
    ("road_km_covered", "40000", "km",
     "Kilometres of republican and regional roads with mobile coverage",
     "Километры республиканских и областных дорог с мобильной связью",
     "Ұялы байланыспен қамтылған республикалық және облыстық жолдардың шақырымы"),
    ("city_5g_territory_share", "75", "percent",
     "5G-covered share of the territory of the 20 cities of regional and republican significance",
     "Доля территории 20 городов областного и республиканского значения, покрытая 5G",
     "Облыстық және республикалық маңызы бар 20 қала аумағының 5G-мен қамтылған үлесі"),
    ("cities_5g_at_target", "20", "cities",
     "Cities among the 20 whose own 5G territory share is at least 75 %",
     "Города из 20, в которых доля территории с 5G не менее 75 %",
     "5G қамту үлесі кемінде 75 % болған 20 қаланың саны"),
    ("land_requests_decided_share", "", "percent",
     "Share of operators' land-plot requests decided by akimats",
     "Доля рассмотренных акиматами заявок операторов на земельные участки",
     "Әкімдіктер қараған операторлардың жер учаскесіне өтінімдерінің үлесі"),
    ("fines_kzt", "", "KZT",
     "Fines imposed by akimats for poor internet quality in the month",
     "Штрафы, наложенные акиматами за низкое качество интернета за месяц",
     "Әкімдіктер ай ішінде интернет сапасының төмендігі үшін салған айыппұлдар"),
]


def build_programme_targets() -> list[dict[str, str]]:
    return [
        {"indicator": code, "target": target, "unit": unit, "deadline": DEADLINE if target else "",
         "description_en": en, "description_ru": ru, "description_kk": kk, "source": SOURCE}
        for code, target, unit, en, ru, kk in PROGRAMME_TARGETS
    ]


# --- writing ----------------------------------------------------------------------------------------
def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build(out: Path = DATA_DIR, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the three CSVs into ``out``; returns the row count of each file."""
    out.mkdir(parents=True, exist_ok=True)
    kato_rows = build_kato(seed)
    road_rows = build_roads(kato_rows, seed)
    target_rows = build_programme_targets()
    _write(out / "kato.csv", KATO_COLUMNS, kato_rows)
    _write(out / "roads.csv", ROADS_COLUMNS, road_rows)
    _write(out / "programme_targets.csv", TARGET_COLUMNS, target_rows)
    return {"kato.csv": len(kato_rows), "roads.csv": len(road_rows),
            "programme_targets.csv": len(target_rows)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR,
                        help="output folder (default: the shipped data/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    for name, count in build(args.out, args.seed).items():
        print(f"{args.out / name}: {count} rows")


if __name__ == "__main__":
    main()
