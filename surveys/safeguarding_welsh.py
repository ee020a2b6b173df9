"""The Welsh half of the safeguarding screen: Welsh rules, mutations, negation and everyday words.

Welsh changes the first letter of a word after some words (mutations), so "taro" (hit) is
also "daro" (soft), "nharo" (nasal: "fy nharo", hits me) and "tharo" (aspirate: "ei
tharo", hits her). Every rule word below is written in its plain (radical) form inside
``{braces}`` and matched in all its mutated forms (``mutations``).

How Welsh text is read (``normalise``): lower case, accents dropped (a circumflex is often
left out on a phone: "tŷ" / "ty"), apostrophes dropped ("o'n" -> "on", "dwi'n" -> "dwin"),
hyphens to spaces ("cam-drin" -> "cam drin"), common spellings and dialect forms mapped to
one (``SPELLINGS``: "isio", "moyn", "eisie" -> "eisiau"; "dw i" -> "dwi").

Negation: a negatable rule does not fire when "ddim / dim / neb / byth / nid / na" stands
within the four words before it ("does neb yn fy nharo i": nobody hits me), except that
"rhagor / mwyach / bellach / arfer" (any more, used to) keeps an abuse rule firing
("dydy o ddim yn fy nharo i rhagor" tells of past harm, as in English). Self-harm,
suicidal thoughts and sexual abuse are never negatable ("dwi ddim eisiau lladd fy hun"
is still read by a person). "ddim yn saff" is its own rule: a negated "safe" is unsafe;
"ddim yn anniogel" (not unsafe) is read as safe.

Idioms decided (``IDIOMS``): not flagged: "mae'r gwaith cartref 'ma'n fy lladd i"
(homework is killing me), "ces i fy lladd ar fortnite", "curodd fy chwaer fi ar fifa",
"bu bron i mi farw o chwerthin", "bydd mam yn fy lladd i os dwi'n hwyr".

Every list here is module-level data so that a safeguarding lead can review it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Plain (radical) first letters -> their mutated forms (soft, nasal, aspirate).
_MUTATION_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ll", ("l",)),
    ("rh", ("r",)),
    ("p", ("b", "mh", "ph")),
    ("t", ("d", "nh", "th")),
    ("c", ("g", "ngh", "ch")),
    ("b", ("f", "m")),
    ("d", ("dd", "n")),
    ("g", ("", "ng")),
    ("m", ("f",)),
)


def mutations(word: str) -> tuple[str, ...]:
    """The word and its mutated forms: "taro" -> taro, daro, nharo, tharo."""
    forms = [word]
    for start, replaced in _MUTATION_TABLE:
        if word.startswith(start):
            forms += [r + word[len(start):] for r in replaced]
            break
    return tuple(dict.fromkeys(f for f in forms if f))


def _expand(pattern: str) -> str:
    """``{taro}`` -> ``(?:taro|daro|nharo|tharo)``; ``{cam drin}`` mutates the first word."""
    def one(match: re.Match[str]) -> str:
        first, _, rest = match.group(1).partition(" ")
        tail = (" " + rest) if rest else ""
        return "(?:" + "|".join(re.escape(f + tail) for f in mutations(first)) + ")"
    # "fy" (my) is often typed "fi" or "y": "mae o yn fi nharo"
    return re.sub(r"\{([a-z ]+)\}", one, pattern).replace(r"\bfy ", r"\b(?:fy|fi|y) ").replace(" fy ", " (?:fy|fi|y) ")


# Spellings and dialect forms mapped to one (applied word by word after accents are dropped).
SPELLINGS: dict[str, str] = {
    "isio": "eisiau", "isie": "eisiau", "eisie": "eisiau", "moyn": "eisiau", "ishe": "eisiau", "isho": "eisiau",
    "wan": "eisiau", "dw": "dwi", "drwr": "drwy", "drw": "drwy", "rwy": "dwi", "rydw": "dwi", "fi": "fi", "gatre": "adre", "adra": "adre",
    "gartre": "adre", "gartref": "adre", "drwyr": "drwy", "trwyr": "drwy", "trwy": "drwy", "efo": "gyda",
    "saf": "saff", "plis": "plis", "helpa": "helpa", "helpwch": "helpa", "camdrin": "cam drin",
    "nghamdrin": "ngham drin", "gamdrin": "gam drin", "ffwrdd": "ffwrdd", "ffwrd": "ffwrdd", "hunanladdiad": "hunanladdiad",
    "hunan": "hunan", "bwlio": "bwlio", "bullyio": "bwlio", "fwlio": "fwlio", "mwlio": "mwlio",
}

# Welsh idioms rewritten to harmless words before the rules run.
IDIOMS: tuple[tuple[str, str], ...] = (
    (r"\b(?:gwaith cartref|prawf|arholiad\w*|traed|ysgol|mathemateg|gwers)\b(?: \w+){0,4} (?:fy )?(?:lladd|ladd|nlladd)\b",
     "yn anodd"),
    (r"\b(?:lladd|ladd|laddodd|lladdodd)\b(?: \w+){0,4} ar (?:fortnite|minecraft|roblox|fifa|y gem|gem|cod|xbox|y gêm)\b", "gem"),
    (r"\b(?:curo|guro|curodd|gurodd|nghuro)\b(?: \w+){0,3} (?:ar (?:fifa|y gem|gem|mario|xbox|gwyddbwyll)|mewn ras)\b", "ennill gem"),
    (r"\b(?:marw|farw) o chwerthin\b", "chwerthin"),
    (r"\bbron a (?:marw|farw) eisiau\b", "eisiau'n fawr"),
    (r"\b(?:lladd|ladd) i os (?:\w+ ){0,3}(?:hwyr|methu|anghofio)\b", "gwylltio os dwi'n hwyr"),
    (r"\b(?:mae )?(?:gen i |arna i )?ofn (?:pryfed cop|pry cop|y tywyllwch|tywyllwch|cwn|ci|uchder|nadroedd|arholiadau|profion|y deintydd|nodwyddau)\b", "ofn pethau"),
    (r"\b(?:ddim|dim) yn (?:teimlo yn |teimlon )?anniogel\b", "yn saff"),
    (r"\b(?:ci|gath|cath|bochdew|cwningen|mochyn cwta)\b(?: \w+){0,3} (?:rhedeg|redeg) i ffwrdd\b", "anifail yn iawn"),
    (r"\bwedi stopio\b(?<=bwlio wedi stopio)", "drosodd"),
    (r"\b(?:bwlio|mwlio|fwlio) (?:wedi stopio|drosodd|wedi gorffen)\b", "drosodd"),
    # Round 4: weather and other everyday "bwrw" ("mae'n bwrw glaw": it is raining), and lessons about a harm.
    (r"\b(?:bwrw|fwrw|mwrw)(?: hi)? (?:glaw|eira|cenllysg|hen wragedd|ymlaen|golwg|cipolwg|draw|ati|iddi|y sul|r sul)\b", "tywydd"),
    (r"\b(?:gwers|gwersi|ffilm|llyfr|sgwrs|gwasanaeth|prosiect|stori|rhaglen)(?: \w+){0,2} (?:am|ar|ynglyn a) \w+", "pwnc ysgol"),
    (r"\b(?:dysgon ni|dysgu|dysgais i|dysgom ni|siaradon ni|trafod)(?: \w+){0,2} (?:am|ar) \w+", "pwnc ysgol"),
)

# (category, reason, pattern with {radical} words, negatable)
RULES: tuple[tuple[str, str, str, bool], ...] = (
    ("physical_abuse", "abuse disclosure (Welsh)",
     r"\b{taro}\b|\b{curo}\b|\b{cicio}\b|\b{brifo}\b|\b{slapio}\b|\b{hitio}\b|\b{bwrw}\b|\b{tagu}\b|\b{pwnio}\b"
     r"|\bfy {gwthio}\b|\b{cam drin}\b|\bcam drin\b|\bcleisiau\b|\bgleisiau\b|\b{llygad} ddu\b|\bmarciau ar fy\b"
     r"|\btrawodd\b|\bdrawodd\b|\bbygwth fy lladd\b|\bfy nhynnu\b|\b{tynnu} fy ngwallt\b|\btaflu pethau ata i\b|\b(?:gweir|cweir|grasfa|chweir)\b", True),
    ("emotional_abuse", "emotional abuse (Welsh)",
     r"\bgweiddi arna i\b|\bweiddi arna i\b|\brhegi arna i\b|\bdda i ddim\b|\bddiwerth\b|\bdiwerth\b|\b{galw} (?:i )?(?:yn |n )?(?:dwp|twp|ddiwerth|dda i ddim|ddim)\b"
     r"|\bnghasau\b|\bcasau fi\b|\bneb yn fy ngharu\b|\bdifaru fy nghael\b|\bgamgymeriad\b|\bfy mai i\b|\bfy anwybyddu\b"
     r"|\bfy anfon i ffwrdd\b|\bsarhau\b|\bfy nychryn\b|\bfy mhoeni\b|\bna chefais i fy ngeni\b", False),
    ("sexual_abuse", "sexual abuse disclosure (Welsh)",
     r"\b{cyffwrdd}\b|\bcyffyrddodd\b|\bgyffyrddodd\b|\brhannau preifat\b|\blawr (?:yna|fanna|fan yna)\b|\brhywiol\b"
     r"|\b{treisio}\b|\btreisiodd\b|\bdreisiodd\b|\bi fy ngwely\b|\bfy stafell yn y nos\b|\bfy nghusanu\b|\bfy ngwylio i yn y gawod\b"
     r"|\btynnu fy nillad\b|\bfideos budr\b|\btouchio\b|\bpethau i mi yn y nos\b|\bfy nghorff\b", False),
    ("neglect", "neglect disclosure (Welsh)",
     r"\b(?:dim|byth) bwyd\b|\bdim byd yn yr oergell\b|\beisiau bwyd arna i drwy\b|\bllwglyd (?:drwy|bob|o hyd)\b|\byn llwglyd\b"
     r"|\bdim gwres\b|\bdim trydan\b|\bdim dwr poeth\b|\bwedi\w? (?:eu |ei )?chloi\b|\bwediu cloi\b|\bwedi cloi\b|\bar (?:ben|fy mhen) fy hun\b"
     r"|\bneb yn edrych ar fy ol\b|\bneb yn rhoi bwyd\b|\bneb yn gwneud bwyd\b|\besgeuluso\b|\bbwyta yn yr ysgol yn unig\b"
     r"|\banghofio rhoi bwyd\b|\bwedi meddwi drwy\b|\bdillad glan\b|\bcysgu ar y llawr\b|\byn y gwely drwyr dydd\b|\bheb fwyta\b"
     r"|\bedrych ar ol y babi\b|\bfy ngadael\b"
     r"|\bneb yn (?:coginio|gofalu|edrych|golchi|rhoi|gwneud|poeni|nol|casglu)\b|\bneb (?:i )?ofalu amdana\b", False),
    ("online_abuse_grooming", "online grooming or abuse (Welsh)",
     r"\bar lein\b.*\b(?:cwrdd|cyfarfod|nghyfarfod|lluniau|luniau|byw)\b|\b(?:cwrdd|gyfarfod) a fi\b|\bgofyn am (?:luniau|lun)\b"
     r"|\b(?:eisiau|isio) (?:lluniau|llun)\b|\blluniau noeth\b|\bnoeth\b|\bngroomio\b|\bgroomio\b|\bfy meithrin\b"
     r"|\brhannu fy (?:lluniau|llun)\b|\bnegeseuon budr\b|\blun oi gorff\b|\bbeidio dweud wrth neb\b|\bpeidio dweud wrth neb\b", False),
    ("exploitation", "exploitation (Welsh)",
     r"\b{cario} (?:pecynnau|pethau|bagiau|cyffuriau)\b|\bphecynnau\b|\bpecynnau\b|\b{gwerthu} cyffuriau\b|\bcyffuriau i mi\b"
     r"|\bllinellau sirol\b|\bmewn dyled\b|\bi {cadw} pethau\b|\b{cadw} cyffuriau\b|\barian i mi i\b|\bcadw pethau iddyn\b|\bdal pethau\b|\bhyn yn rhoi\b|\bfy ecsbloetio\b"
     r"|\becsbloetio\b|\balcohol i mi\b|\bfy nghodi i yn y car\b|\btrefi eraill\b", False),
    ("domestic_abuse", "domestic abuse (Welsh)",
     r"\b{taro} (?:mam|fy mam|hi)\b|\b{curo} (?:mam|fy mam)\b|\b{brifo} (?:mam|fy mam)\b|\bei tharo\b|\bymladd drwy\b"
     r"|\bcwffio\b|\btrais yn y\b|\bcam drin domestig\b|\bgleisiau ohono\b|\bheddlu\w* yn dod\b|\bpan maen nhw yn ymladd\b"
     r"|\bpan maen nhwn ymladd\b|\bmaen nhwn ymladd\b", True),
    ("bullying", "bullying (Welsh)",
     r"\b{bwlio}\b|\bseiberfwlio\b|\bgalw enwau arna i\b|\bpigo arna i\b|\bnegeseuon cas\b|\bchwerthin ar fy mhen\b"
     r"|\bpethau cas amdana i\b|\bfy ngwthio yn y coridor\b|\bpawb yn yr ysgol yn fy nghasau\b", True),
    ("self_harm", "self-harm phrase (Welsh)",
     r"\b{torri} fy hun\b|\b{brifo} fy hun\b|\b{llosgi} fy hun\b|\b{crafu} fy hun\b|\bhunan (?:niweidio|anafu)\b|\bhunanniweidio\b"
     r"|\bllwyth o (?:dabledi|dabledi|bils)\b|\b{torri} fy (?:mreichiau|nghoesau|arddwrn)\b|\bgreithiau\b|\bcreithiau\b"
     r"|\bfy hun yn sal\b", False),
    ("suicidal_thoughts", "suicidal thoughts (Welsh)",
     r"\beisiau marw\b|\beisiau (?:lladd|ladd) fy hun\b|\b(?:lladd|ladd) fy hun\b|\bddim eisiau byw\b|\bddim eisiau bod yma\b"
     r"|\bdiwedd ar y cyfan\b|\bneb yn sylwi\b|\bwell (?:eu byd )?hebdda i\b|\bhunanladdiad\b|\bpe bawn i (?:yn |wedi )?marw\b"
     r"|\bdim pwynt byw\b|\bcysgu am byth\b|\bgweld fy eisiau\b|\bna chefais i fy ngeni\b|\bbawn i yn diflannu\b|\beisiau diflannu\b", False),
    ("fgm", "fgm (Welsh)",
     r"\bfy nhorri i lawr\b|\banffurfio\b|\benwaediad\b|\bei thorri\b|\bfy nhorri\b|\bcael fy nhorri\b", False),
    ("forced_marriage_honour", "forced marriage or honour-based abuse (Welsh)",
     r"\b{gorfodi} i {priodi}\b|\bpriodas dan orfod\b|\bddim eisiau priodi\b|\bdramor i {priodi}\b"
     r"|\bfy anfon i dramor\b|\banfon dramor\b|\bfy anfon i i dramor\b|\bmhasbort\b|\bcywilydd ar y teulu\b|\banrhydedd\b|\bfy mhriodas\b|\bfy lladd i os\b", False),
    ("radicalisation", "radicalisation (Welsh)",
     r"\bradicaleiddio\b|\beithafol\b|\beithafiaeth\b|\bymosod ar bobl\b|\b{gwneud} bom\b|\b(?:lladd|ladd) pobl\b|\bi ymladd\b", False),
    ("trafficking_modern_slavery", "trafficking or modern slavery (Welsh)",
     r"\bfy nhalu\b|\bmasnachu\b|\bfasnachu\b|\bcaethwasiaeth\b|\bgaethwas\b|\bcaethwas\b|\bdod a fi yma\b|\bgadael y ty lle\b"
     r"|\bsmyglo\b|\bfy mhapurau\b|\bmewn lori\b"
     r"|\bheb (?:dal|gyflog|cyflog|arian)\b|\b{gorfodi} i (?:weithio|gweithio|lanhau|glanhau)\b", False),
    ("missing", "running away or going missing (Welsh)",
     r"\b{rhedeg} i ffwrdd\b|\brhedais\b|\bredais\b|\bar goll\b|\bar y stryd\b|\bddim yn mynd yn ol\b|\bpeidio dod yn ol\b"
     r"|\bunman i gysgu\b|\brhedeg o\b", True),
    ("unsafe_placement", "feels unsafe where they live (Welsh)",
     r"\bddim yn (?:teimlon |teimlo yn |teimlo n )?(?:saff|ddiogel|diogel)\b|\bdim yn (?:teimlon )?(?:saff|ddiogel)\b"
     r"|\banniogel\b|\b(?:mae )?gen i ofn\b|\barna i ofn\b|\bdwi ofn\b|\bofn (?:fy|mynd)\b|\bhelpa fi\b|\bangen help\b"
     r"|\bddim eisiau mynd (?:yn ol|adre)\b", False),
)

# Welsh negators and the words that keep past abuse flagged.
_NEGATORS = frozenset({"ddim", "dim", "neb", "byth", "nid", "na", "nac", "dydy", "dyw", "does", "doedd"})
_NEGATOR_ONLY = frozenset({"ddim", "dim", "neb", "byth", "nid", "na", "nac"})
_STILL = re.compile(r"\b(?:rhagor|mwyach|bellach|arfer|eto|o hyd)\b")
_ABUSE = frozenset({"physical_abuse", "emotional_abuse", "neglect", "domestic_abuse"})

# Everyday Welsh words (with the rule words and their mutations) that tell the screen a text is
# Welsh it can read, not a language it cannot (see surveys.safeguarding.not_screened).
EVERYDAY_WORDS: frozenset[str] = frozenset("""
a ac achos adre ai am amser an ar arall arna arnaf arnat arni arno bach bob bod bore braf bwyd byd bydd
byddai byw cael cartref chi cyfarfod cymraeg da dad dal de dda ddim dechrau dim diolch dod dros drwy dwi
dweud dy dyma dyna dyw dydy e ei eich eisiau eithaf ennill er eto fe fel fi fod fy fydd fyddai ffrind
ffrindiau gallu gan gen gwaith gwybod gyda gydag hapus heb heddiw hefyd hi hoffi hun hwn hwnnw hyd i iawn
iddo iddyn ie ilion mae maen mam mewn mi mor mwy mynd na nad nawr neb neu ni nhw nid nos o oedd ond os pan
pawb pe pethau pob popeth pryd pwy rhai rhaid rhywbeth rhywun roedd rwan sut tad te ti tipyn trist tra
tu ty un wedi weithiau wrth y yma ydw ydy yn yr ysgol nac oes ces cefais dwin mewn ddoe yfory fory
cinio swper brecwast bwyta yfed chwarae gemau pel droed nofio coginio gwyliau penwythnos dydd wythnos mis
blwyddyn coleg athro athrawes dosbarth gwers ffon teledu cyfrifiadur ci cath ceffyl car bws tren tref dinas
pentref mor traeth parc siop arian poced dillad esgidiau gwely stafell ystafell gardd drws ffenest glaw haul
oer poeth cynnes neis hyfryd gwych diflas blino sal annwyd meddyg nyrs ysbyty capel eglwys canu dawnsio
darllen ysgrifennu gweld colli caru hoffi mwynhau gwrando siarad helpu gwneud mynd dod aros byw teulu brawd
chwaer nain taid mam-gu tad-cu ewythr modryb cefnder cyfnither gofalwr gofalwyr maeth swyddog adolygu
cymdeithasol gweithiwr cyfarfod cwtsh amlach glyfar garedig gwylltio poeni arholiadau tywyllwch pryfed cop
organau cenhedlu benywod merched beth sydd llwgu gath cath crafodd cypyrddau
""".split())


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


_DW_I = re.compile(r"\bdw i\b")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1)
def _rule_words() -> frozenset[str]:
    words: set[str] = set()
    for _c, _r, pattern, _n in compiled():
        words.update(w for w in re.findall(r"[a-z]{5,}", re.sub(r"\\[a-zA-Z]", " ", pattern.pattern)))
    return frozenset(words)


@lru_cache(maxsize=1)
def _fuzzy_index() -> dict[str, tuple[str, ...]]:
    """Each Welsh rule word (all mutations) and its one-letter deletions -> the rule words."""
    from surveys.safeguarding import deletion_index

    return deletion_index(_rule_words())


@lru_cache(maxsize=16384)
def _word(token: str) -> str:
    token = SPELLINGS.get(token, token)
    if len(token) < 4 or not token.isalpha() or token in known_words() or token in _rule_words():
        return token
    from surveys.safeguarding import _word as english_word
    from surveys.safeguarding import english_words, nearest_within_one_edit

    # an English word, or a typo the English side already reads ("redas" -> "reads"), stays
    if token in english_words() or english_word(token) != token:
        return token
    return nearest_within_one_edit(token, _fuzzy_index()) or token


def normalise(text: str) -> str:
    """The text as the Welsh rules read it: lower case, no accents or apostrophes, one spelling."""
    out = (text or "").lower()
    if not out.isascii():
        out = _strip_accents(out)
    out = out.replace("'n ", " yn ").replace("\u2019n ", " yn ")
    out = _APOSTROPHES.sub("", out)
    out = _NON_WORD.sub(" ", out)
    out = " ".join(_word(w) for w in out.split())
    out = _DW_I.sub("dwi", out)
    for pattern, replacement in _idioms():
        out = pattern.sub(replacement, out)
    return out


@lru_cache(maxsize=1)
def _idioms() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in IDIOMS)


@lru_cache(maxsize=1)
def compiled() -> tuple[tuple[str, str, re.Pattern[str], bool], ...]:
    """The Welsh rules with their mutations expanded and compiled (raises if a rule is broken)."""
    return tuple((c, r, re.compile(_expand(p)), n) for c, r, p, n in RULES)


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Welsh words the screen knows: everyday words, rule words and their mutations."""
    words = set(EVERYDAY_WORDS) | set(SPELLINGS) | set(SPELLINGS.values())
    for _c, _r, pattern, _n in RULES:
        for word in re.findall(r"[a-z]{2,}", re.sub(r"\\[a-zA-Z]", " ", pattern)):
            words.update(mutations(word))
    return frozenset(words)


def _negated(words: str, start: int, category: str) -> bool:
    before = words[:start].split()[-4:]
    if not set(before) & _NEGATOR_ONLY:
        return False
    if category in _ABUSE and _STILL.search(words, start):
        return False
    return True


def screen_welsh(text: str) -> dict[str, str]:
    """Category -> reason for each Welsh rule that fires on the text (empty when none)."""
    return screen_welsh_detail(text)[0]


def screen_welsh_detail(text: str) -> tuple[dict[str, str], bool]:
    """The Welsh rules that fire, and whether any rule matched but was negated ("does neb yn fy nharo")."""
    words = normalise(text)
    found: dict[str, str] = {}
    negated = False
    if not words:
        return found, negated
    for category, reason, pattern, negatable in compiled():
        if category in found:
            continue
        for match in pattern.finditer(words):
            if negatable and _negated(words, match.start(), category):
                negated = True
                continue
            found[category] = reason
            break
    return found, negated
