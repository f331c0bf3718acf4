"""Owns the demo school's word lists: Latvian names, subjects, curriculum, topics and texts.

Plain constants only (tuples, read in order); the generator draws from them with its seeded RNG.
"""

from __future__ import annotations

from collections.abc import Mapping

# ------------------------------------------------------------------------------------ schools

SCHOOL_NAMES: tuple[str, ...] = (
    "Rīgas Ziemeļu pamatskola",
    "Jelgavas Pārlielupes pamatskola",
    "Cēsu Pils pamatskola",
    "Valmieras Gaujas pamatskola",
    "Liepājas Jūrmalas parka pamatskola",
    "Ogres Zilo ezeru pamatskola",
    "Siguldas Turaidas pamatskola",
    "Daugavpils Dzirnavu pamatskola",
    "Ventspils Ostas pamatskola",
    "Talsu Ezerkrasta pamatskola",
    "Kuldīgas Ventas pamatskola",
    "Tukuma Pils pamatskola",
)

# ------------------------------------------------------------------------------------- people

BOY_NAMES: tuple[str, ...] = (
    "Jānis", "Mārtiņš", "Artūrs", "Roberts", "Kārlis", "Dāvis", "Emīls", "Ņikita", "Markuss",
    "Gustavs", "Ralfs", "Rihards", "Kristers", "Daniels", "Edvards", "Tomass", "Niks", "Ernests",
    "Olivers", "Aleksandrs", "Maksims", "Renārs", "Rūdolfs", "Valters", "Miķelis", "Krišjānis",
    "Matīss", "Mārcis", "Ričards", "Teodors", "Hugo", "Adrians", "Patriks", "Lūkass", "Elvis",
    "Dominiks", "Henrijs", "Jēkabs", "Ādams", "Oskars",
)  # fmt: skip

GIRL_NAMES: tuple[str, ...] = (
    "Anna", "Līga", "Elīza", "Sofija", "Marta", "Ērika", "Katrīna", "Alise", "Paula", "Evelīna",
    "Emīlija", "Laura", "Keita", "Elza", "Amēlija", "Estere", "Madara", "Rēzija", "Luīze",
    "Adele", "Viktorija", "Beatrise", "Marija", "Agate", "Megija", "Santa", "Darja", "Kristiāna",
    "Sāra", "Ieva", "Annija", "Patrīcija", "Melānija", "Nora", "Dārta", "Anete", "Gabriela",
    "Elizabete", "Monta", "Šarlote",
)  # fmt: skip

MEN_NAMES: tuple[str, ...] = (
    "Andris", "Jānis", "Aivars", "Edgars", "Kaspars", "Māris", "Raivis", "Guntis", "Ainārs",
    "Uldis", "Normunds", "Valdis", "Gatis", "Artis", "Aigars", "Juris", "Mārtiņš", "Intars",
    "Ivars", "Armands", "Egils", "Jurģis", "Kristaps", "Dainis", "Ģirts", "Rolands", "Viesturs",
    "Sergejs", "Dmitrijs", "Agris", "Ilmārs", "Andrejs", "Pēteris", "Reinis", "Toms", "Ēriks",
)  # fmt: skip

WOMEN_NAMES: tuple[str, ...] = (
    "Inese", "Ilze", "Kristīne", "Liene", "Dace", "Sanita", "Iveta", "Evija", "Laila", "Agnese",
    "Zane", "Anita", "Ināra", "Baiba", "Sandra", "Ilona", "Gunta", "Daiga", "Linda", "Māra",
    "Inga", "Jolanta", "Ieva", "Aija", "Vita", "Līga", "Solvita", "Anda", "Dzintra", "Ārija",
    "Rasma", "Elīna", "Signe", "Antra", "Svetlana", "Jeļena", "Everita", "Vineta",
)  # fmt: skip

# (male form, female form): Latvian family names agree with the bearer's gender.
FAMILY_NAMES: tuple[tuple[str, str], ...] = (
    ("Bērziņš", "Bērziņa"), ("Kalniņš", "Kalniņa"), ("Ozols", "Ozola"), ("Liepiņš", "Liepiņa"),
    ("Krūmiņš", "Krūmiņa"), ("Jansons", "Jansone"), ("Ozoliņš", "Ozoliņa"),
    ("Pētersons", "Pētersone"), ("Vītols", "Vītola"), ("Zariņš", "Zariņa"),
    ("Kļaviņš", "Kļaviņa"), ("Siliņš", "Siliņa"), ("Eglītis", "Eglīte"), ("Lācis", "Lāce"),
    ("Āboliņš", "Āboliņa"), ("Ķēniņš", "Ķēniņa"), ("Gailis", "Gaile"), ("Balodis", "Balode"),
    ("Kārkliņš", "Kārkliņa"), ("Kalējs", "Kalēja"), ("Zālītis", "Zālīte"), ("Strazds", "Strazda"),
    ("Vanags", "Vanaga"), ("Zeltiņš", "Zeltiņa"), ("Kalnietis", "Kalniete"),
    ("Grīnbergs", "Grīnberga"), ("Dzenis", "Dzene"), ("Sproģis", "Sproģe"),
    ("Ziediņš", "Ziediņa"), ("Lapiņš", "Lapiņa"), ("Rozītis", "Rozīte"), ("Cīrulis", "Cīrule"),
    ("Podnieks", "Podniece"), ("Mednis", "Medne"), ("Freimanis", "Freimane"),
    ("Jēkabsons", "Jēkabsone"), ("Andersons", "Andersone"), ("Šmits", "Šmite"),
    ("Krastiņš", "Krastiņa"), ("Upītis", "Upīte"), ("Saulītis", "Saulīte"), ("Melnis", "Melne"),
    ("Ivanovs", "Ivanova"), ("Petrovs", "Petrova"), ("Kuzņecovs", "Kuzņecova"),
    ("Zvaigzne", "Zvaigzne"), ("Priede", "Priede"), ("Skuja", "Skuja"), ("Bite", "Bite"),
    ("Liepa", "Liepa"), ("Ābele", "Ābele"), ("Celmiņš", "Celmiņa"), ("Rudzītis", "Rudzīte"),
    ("Grava", "Grava"), ("Dambītis", "Dambīte"), ("Kronbergs", "Kronberga"),
)  # fmt: skip

# ----------------------------------------------------------------------------------- subjects

# short code → Latvian name; every code appears in the curriculum below.
SUBJECTS: tuple[tuple[str, str], ...] = (
    ("LV", "Latviešu valoda"),
    ("LIT", "Literatūra"),
    ("MAT", "Matemātika"),
    ("ANG", "Angļu valoda"),
    ("KRV", "Krievu valoda"),
    ("VAC", "Vācu valoda"),
    ("DAB", "Dabaszinības"),
    ("BIO", "Bioloģija"),
    ("FIZ", "Fizika"),
    ("KIM", "Ķīmija"),
    ("GEO", "Ģeogrāfija"),
    ("VES", "Latvijas un pasaules vēsture"),
    ("SOC", "Sociālās zinības"),
    ("DAT", "Datorika"),
    ("DT", "Dizains un tehnoloģijas"),
    ("VM", "Vizuālā māksla"),
    ("MUZ", "Mūzika"),
    ("SP", "Sports un veselība"),
)

# The second foreign language: pupils of grades 6-9 choose one of these.
SECOND_LANGUAGE = "2L"
SECOND_LANGUAGES: tuple[str, ...] = ("KRV", "VAC")
FIRST_SECOND_LANGUAGE_GRADE = 6
SPLIT_SPORTS_FROM_GRADE = 7

# Weekly lessons per subject and grade ("2L" = the second-language slot).
CURRICULUM: Mapping[int, tuple[tuple[str, int], ...]] = {
    1: (("LV", 5), ("MAT", 4), ("ANG", 2), ("DAB", 1), ("SOC", 1), ("DT", 2), ("VM", 1),
        ("MUZ", 2), ("SP", 3)),
    2: (("LV", 5), ("MAT", 5), ("ANG", 2), ("DAB", 2), ("SOC", 1), ("DT", 2), ("VM", 1),
        ("MUZ", 2), ("SP", 3)),
    3: (("LV", 5), ("MAT", 5), ("ANG", 2), ("DAB", 2), ("SOC", 1), ("DT", 2), ("VM", 1),
        ("MUZ", 2), ("SP", 3)),
    4: (("LV", 4), ("LIT", 2), ("MAT", 5), ("ANG", 3), ("DAB", 2), ("VES", 1), ("SOC", 1),
        ("DAT", 1), ("DT", 2), ("VM", 1), ("MUZ", 1), ("SP", 3)),
    5: (("LV", 4), ("LIT", 2), ("MAT", 5), ("ANG", 3), ("DAB", 2), ("VES", 1), ("SOC", 1),
        ("DAT", 1), ("DT", 2), ("VM", 1), ("MUZ", 1), ("SP", 3)),
    6: (("LV", 4), ("LIT", 2), ("MAT", 5), ("ANG", 3), ("2L", 2), ("DAB", 3), ("VES", 1),
        ("DAT", 1), ("DT", 2), ("VM", 1), ("MUZ", 1), ("SP", 3)),
    7: (("LV", 3), ("LIT", 2), ("MAT", 5), ("ANG", 3), ("2L", 3), ("FIZ", 2), ("KIM", 2),
        ("BIO", 2), ("GEO", 2), ("VES", 2), ("DT", 2), ("SP", 3)),
    8: (("LV", 3), ("LIT", 2), ("MAT", 5), ("ANG", 3), ("2L", 3), ("FIZ", 2), ("KIM", 2),
        ("BIO", 2), ("GEO", 2), ("VES", 2), ("SOC", 2), ("SP", 3)),
    9: (("LV", 3), ("LIT", 2), ("MAT", 5), ("ANG", 3), ("2L", 3), ("FIZ", 2), ("KIM", 2),
        ("BIO", 2), ("GEO", 2), ("VES", 2), ("SOC", 2), ("SP", 2)),
}  # fmt: skip

# Lessons per day (min, max) by grade band.
LESSONS_PER_DAY: Mapping[int, tuple[int, int]] = {
    **dict.fromkeys((1, 2, 3), (4, 5)),
    **dict.fromkeys((4, 5, 6), (5, 6)),
    **dict.fromkeys((7, 8, 9), (6, 7)),
}

# Grades 1-3: the class teacher teaches these; specialists teach the rest.
PRIMARY_TEACHER_SUBJECTS: frozenset[str] = frozenset({"LV", "MAT", "DAB", "SOC", "DT", "VM"})

# Subject teachers' specialisations: a teacher teaches every subject of one bundle.
BUNDLES: tuple[tuple[str, ...], ...] = (
    ("LV", "LIT"),
    ("MAT",),
    ("ANG",),
    ("KRV",),
    ("VAC",),
    ("SP",),
    ("MUZ",),
    ("VM", "DT"),
    ("DAB", "BIO"),
    ("FIZ",),
    ("KIM",),
    ("GEO",),
    ("VES", "SOC"),
    ("DAT",),
)

# Rooms of specialists; other teachers get a numbered cabinet.
SPECIAL_ROOMS: Mapping[str, tuple[str, ...]] = {
    "SP": ("Sporta zāle", "Mazā sporta zāle", "Aerobikas zāle", "Trenažieru zāle", "Stadions"),
    "DAT": ("Datorklase", "Datorklase 2"),
    "KIM": ("Ķīmijas kabinets", "Ķīmijas laboratorija"),
    "FIZ": ("Fizikas kabinets", "Fizikas laboratorija"),
    "MUZ": ("Mūzikas kabinets", "Mūzikas kabinets 2"),
    "VM": ("Mākslas studija", "Darbnīca"),
}

# Interest education (interešu izglītība): name, room, grade range, size, weekly (day, period).
INTEREST_GROUPS: tuple[tuple[str, str, int, int, int, tuple[tuple[int, int], ...]], ...] = (
    ("Koris", "Aktu zāle", 2, 6, 22, ((1, 8), (3, 8))),
    ("Robotika", "Robotikas darbnīca", 4, 8, 14, ((0, 8), (2, 8))),
)

# ------------------------------------------------------------------------------------- topics

_LV_PRIMARY = (
    "Skaņas un burti", "Patskaņi un līdzskaņi", "Garie un īsie patskaņi", "Zilbes",
    "Vārdu dalīšana zilbēs", "Teikums un tā beigu pieturzīme", "Lielais sākumburts",
    "Lietvārds", "Darbības vārds", "Īpašības vārds", "Mīkstinājuma zīme", "Garumzīme",
    "Vēstules rakstīšana", "Stāstījums pēc attēla", "Lasīšana ar izpratni", "Dzejolis",
    "Pasaka", "Alfabēts", "Vārdnīcas lietošana", "Jautājuma teikums",
)  # fmt: skip
_LV = (
    "Vārdšķiras", "Lietvārda deklinācijas", "Darbības vārda laiki", "Īpašības vārda pakāpes",
    "Skaitļa vārds", "Vietniekvārds", "Apstākļa vārds", "Prievārdi un saikļi",
    "Teikuma locekļi", "Vienkāršs paplašināts teikums", "Salikts sakārtots teikums",
    "Salikts pakārtots teikums", "Tiešā runa", "Komats vienlīdzīgu locekļu teikumā",
    "Divdabis", "Vārddarināšana", "Aprakstoša teksta veidošana", "Argumentēts viedoklis",
    "Lietišķais raksts: iesniegums", "Pareizrakstība: līdzskaņu mija",
)  # fmt: skip
_LIT = (
    "Tautasdziesmas", "Pasakas un teikas", "Anna Brigadere \"Dievs, daba, darbs\"",
    "Jānis Jaunsudrabiņš \"Baltā grāmata\"", "Rainis \"Zelta zirgs\"", "Aspazija",
    "Rūdolfs Blaumanis \"Purva bridējs\"", "Vizma Belševica \"Bille\"",
    "Imants Ziedonis \"Epifānijas\"", "Fabula un sižets", "Tēls un raksturs", "Dzejas valoda",
    "Balāde", "Noveles uzbūve", "Dienasgrāmata kā žanrs", "Regīna Ezera \"Aka\"",
    "Kārlis Skalbe \"Kaķīša dzirnavas\"", "Mūsdienu bērnu literatūra",
)  # fmt: skip
_MAT_PRIMARY = (
    "Skaitļi līdz 20", "Saskaitīšana un atņemšana", "Skaitļi līdz 100", "Reizināšanas tabula",
    "Dalīšana", "Ģeometriskās figūras", "Garuma mērvienības", "Laiks un pulkstenis",
    "Nauda: eiro un centi", "Teksta uzdevumi", "Pāra un nepāra skaitļi", "Skaitļu salīdzināšana",
    "Simetrija", "Masas mērvienības", "Saskaitīšana rakstos",
)  # fmt: skip
_MAT_MIDDLE = (
    "Naturālie skaitļi", "Darbību secība", "Dalāmība", "Daļskaitļi", "Daļskaitļu saskaitīšana",
    "Daļskaitļu reizināšana", "Decimāldaļskaitļi", "Procenti", "Leņķi un to mērīšana",
    "Trijstūri", "Taisnstūra laukums", "Perimetrs", "Negatīvie skaitļi", "Koordinātu plakne",
    "Vienādojumi", "Proporcijas", "Diagrammas un tabulas",
)  # fmt: skip
_MAT_UPPER = (
    "Racionālie skaitļi", "Pakāpes", "Viendocļi un daudzdocļi", "Saīsinātās reizināšanas formulas",
    "Lineāri vienādojumi", "Lineāra funkcija", "Vienādojumu sistēmas", "Nevienādības",
    "Kvadrātsaknes", "Pitagora teorēma", "Līdzīgi trijstūri", "Riņķis un aplis",
    "Kvadrātvienādojumi", "Varbūtība", "Statistika", "Telpiskie ķermeņi",
)  # fmt: skip
_ANG = (
    "Greetings and introductions", "My family", "Colours and numbers", "At school", "My day",
    "Food and drinks", "Animals", "Present Simple", "Present Continuous", "Past Simple",
    "Irregular verbs", "Weather and seasons", "Hobbies", "Travelling", "Future forms",
    "Comparatives and superlatives", "Present Perfect", "Reading: short stories",
    "Writing an email", "Modal verbs",
)  # fmt: skip
_KRV = (
    "Алфавит", "Знакомство", "Моя семья", "Числительные", "В школе", "Мой день",
    "Падежи существительных", "Глаголы настоящего времени", "Погода", "Покупки",
    "Прошедшее время", "Город", "Хобби", "Праздники",
)  # fmt: skip
_VAC = (
    "Das Alphabet", "Begrüßung", "Meine Familie", "Zahlen", "In der Schule", "Mein Tag",
    "Artikel und Nomen", "Verben im Präsens", "Das Wetter", "Einkaufen", "Perfekt",
    "Die Stadt", "Hobbys", "Feste und Feiertage",
)  # fmt: skip
_DAB = (
    "Dzīvā un nedzīvā daba", "Augu daudzveidība", "Fotosintēze", "Ūdens riņķojums dabā",
    "Vielu agregātstāvokļi", "Cilvēka ķermenis", "Gadalaiki", "Laikapstākļi",
    "Mājdzīvnieki un savvaļas dzīvnieki", "Barības ķēdes", "Saules sistēma", "Magnēti",
    "Elektrība ikdienā", "Augsne", "Ekosistēmas",
)  # fmt: skip
_BIO = (
    "Šūnas uzbūve", "Fotosintēze", "Elpošana", "Augu audi", "Ziedaugu vairošanās",
    "Bezmugurkaulnieki", "Mugurkaulnieki", "Cilvēka gremošanas sistēma", "Asinsrite",
    "Nervu sistēma", "Iedzimtība", "Ekosistēmas un to līdzsvars", "Mikroorganismi",
)  # fmt: skip
_FIZ = (
    "Fizikālie lielumi un mērvienības", "Kustība un ātrums", "Spēks", "Smaguma spēks",
    "Berze", "Spiediens", "Darbs un jauda", "Enerģija", "Siltuma pārnese",
    "Elektriskā strāva", "Oma likums", "Gaisma un tās atstarošana", "Skaņa", "Magnētiskais lauks",
)  # fmt: skip
_KIM = (
    "Vielas un to īpašības", "Maisījumi un to atdalīšana", "Atoma uzbūve",
    "Ķīmisko elementu periodiskā tabula", "Ķīmiskās formulas", "Ķīmiskās reakcijas",
    "Oksīdi", "Skābes", "Bāzes", "Sāļi", "Metāli", "Ūdens un šķīdumi", "Oglekļa savienojumi",
)  # fmt: skip
_GEO = (
    "Karte un mērogs", "Ģeogrāfiskās koordinātas", "Zemes iekšējā uzbūve", "Reljefs",
    "Klimats", "Upes un ezeri", "Pasaules okeāns", "Dabas zonas", "Iedzīvotāji",
    "Latvijas daba", "Eiropas valstis", "Saimniecība", "Dabas resursi",
)  # fmt: skip
_VES = (
    "Vēstures avoti", "Laika skala", "Akmens laikmets", "Senās civilizācijas",
    "Senā Grieķija", "Senā Roma", "Viduslaiki Eiropā", "Krusta kari Baltijā",
    "Livonija", "Reformācija", "Zviedru laiki Vidzemē", "Latvijas valsts dibināšana",
    "Neatkarības karš", "Otrais pasaules karš", "Atmoda un neatkarības atjaunošana",
)  # fmt: skip
_SOC = (
    "Es un mana ģimene", "Draudzība", "Skolas noteikumi", "Drošība ceļā", "Nauda un budžets",
    "Cilvēktiesības", "Valsts pārvalde", "Pašvaldība", "Mediju pratība", "Karjeras izvēle",
    "Kultūras mantojums", "Pilsoniskā līdzdalība",
)  # fmt: skip
_DAT = (
    "Datora uzbūve", "Failu sistēma", "Drošība internetā", "Teksta apstrāde",
    "Prezentāciju veidošana", "Izklājlapas", "Algoritmi", "Programmēšana ar blokiem",
    "Cikli un nosacījumi", "Attēlu apstrāde",
)  # fmt: skip
_DT = (
    "Materiāli un to īpašības", "Papīra locīšana", "Darbs ar tekstilu", "Koka apstrāde",
    "Dizaina process", "Skice un rasējums", "Ēdiena gatavošana", "Adīšana", "Modeļa izgatavošana",
    "Projekta prezentācija",
)  # fmt: skip
_VM = (
    "Krāsu aplis", "Akvarelis", "Klusā daba", "Portrets", "Ainava", "Grafika",
    "Kompozīcija", "Perspektīva", "Latviešu ornaments", "Skulptūra",
)  # fmt: skip
_MUZ = (
    "Ritms un metrs", "Notis un pauzes", "Latviešu tautasdziesmas", "Dziesmu svētki",
    "Mūzikas instrumenti", "Klasiskā mūzika", "Ziemassvētku dziesmas", "Dziedāšana kanonā",
    "Mūzikas žanri", "Opera",
)  # fmt: skip
_SP = (
    "Vingrošana", "Skriešana", "Tāllēkšana", "Bumbas spēles", "Basketbols", "Volejbols",
    "Futbols", "Florbols", "Stafetes", "Vispārējā fiziskā sagatavotība", "Slēpošana",
    "Veselīgs dzīvesveids",
)  # fmt: skip

_BY_SUBJECT: Mapping[str, tuple[str, ...]] = {
    "LIT": _LIT, "ANG": _ANG, "KRV": _KRV, "VAC": _VAC, "DAB": _DAB, "BIO": _BIO, "FIZ": _FIZ,
    "KIM": _KIM, "GEO": _GEO, "VES": _VES, "SOC": _SOC, "DAT": _DAT, "DT": _DT, "VM": _VM,
    "MUZ": _MUZ, "SP": _SP,
}  # fmt: skip

INTEREST_TOPICS: Mapping[str, tuple[str, ...]] = {
    "Koris": ("Dziesmu mācīšanās", "Balss iesildīšana", "Divbalsība", "Koncerta mēģinājums"),
    "Robotika": ("LEGO robota montāža", "Sensori", "Kustības programmēšana", "Sacensību trase"),
}


def topics_for(subject: str, grade: int) -> tuple[str, ...]:
    """The topic sequence of a subject in a grade (Latvian and maths differ by grade band)."""
    if subject == "LV":
        return _LV_PRIMARY if grade <= 3 else _LV
    if subject == "MAT":
        if grade <= 3:
            return _MAT_PRIMARY
        return _MAT_MIDDLE if grade <= 6 else _MAT_UPPER
    return _BY_SUBJECT[subject]


TOPIC_VARIANTS: tuple[str, ...] = ("{}", "{}", "{}: vingrinājumi", "Atkārtojums: {}")

# --------------------------------------------------------------------------- homework, marks

HOMEWORK: Mapping[str, tuple[str, ...]] = {
    "LV": ("Uzdevumi {a}.–{b}. lpp.", "Uzrakstīt {n} teikumus par tēmu", "Darba lapa"),
    "LIT": ("Izlasīt {a}.–{b}. lpp.", "Iemācīties dzejoli no galvas", "Atbildēt uz jautājumiem"),
    "MAT": ("Uzdevumi {a}.–{b}. lpp.", "Darba lapa, {n} uzdevumi", "Uzdevumu krājumā nr. {a}"),
    "ANG": ("Workbook p. {a}", "Iemācīties jaunos vārdus", "Uzrakstīt {n} teikumus"),
    "KRV": ("Упражнение {a}, стр. {b}", "Iemācīties vārdus"),
    "VAC": ("Arbeitsbuch S. {a}", "Iemācīties vārdus"),
}
HOMEWORK_DEFAULT: tuple[str, ...] = (
    "Atkārtot tēmu",
    "Izlasīt mācību grāmatā {a}.–{b}. lpp.",
    "Sagatavot prezentāciju",
    "Darba lapa",
    "Atbildēt uz jautājumiem {a}. lpp.",
)
# Subjects where homework is rare.
LITTLE_HOMEWORK: frozenset[str] = frozenset({"SP", "MUZ", "VM", "DT"})

SUMMATIVE_TITLES: tuple[str, ...] = ("Kontroldarbs", "Pārbaudes darbs", "Noslēguma darbs")
FORMATIVE_TITLES: tuple[str, ...] = (
    "Mājas darbs",
    "Patstāvīgais darbs",
    "Tests",
    "Darbs stundā",
    "Mutiskā atbilde",
)
DIAGNOSTIC_TITLE = "Diagnosticējošais darbs"
MARK_COMMENTS: tuple[str, ...] = (
    "Labs darbs!",
    "Jāpievērš uzmanība pareizrakstībai",
    "Darbs iesniegts ar nokavēšanos",
    "Ļoti rūpīgi izpildīts",
    "Jāatkārto tēma",
)
CORRECTION_COMMENT = "Labots: kļūda ievadē"
MAKEUP_COMMENT = "Darbs uzrakstīts vēlāk"

ILLNESS_REASONS: tuple[str, ...] = ("Slimība", "Saaukstēšanās", "Ārsta zīme")
OTHER_REASONS: tuple[str, ...] = ("Ārsta apmeklējums", "Ģimenes apstākļi", "Sacensības")
