"""Screen a free-text answer for a possible disclosure of harm, the way children type.

``screen(text)`` never raises and never repeats the child's words: ``reasons`` are short
labels ("self-harm phrase", "abuse disclosure") and ``categories`` are codes
(``self_harm``, ``physical_abuse`` ...). Recall matters more than precision: an IRO reading
a false alarm costs minutes, a missed disclosure costs a child. So when in doubt a rule
flags, and sentiment (surveys.sentiment) is only ever a second signal beside a risk word.

How text is read before the rules run (``normalise``): lower case, curly quotes and
apostrophes dropped ("don't" -> "dont"), other punctuation to spaces, letters repeated
three or more times squeezed ("sooo scared", "hurrrt"), s p a c e d letters joined,
text-speak and common misspellings mapped to one spelling (``SPELLINGS``: "u" -> "you",
"kms" -> "kill myself", "sucide" -> "suicide", "hitted" -> "hit", "scard" -> "scared"),
and long risk words matched within one typo (``FUZZY_WORDS``).

Negation: a rule marked negatable does not fire when "not / never / no / nobody / no one
/ dont / doesnt / didnt ..." stands within the four words before it in the same clause
("nobody hurts me", "i am not scared"), except that "anymore / any more" keeps an abuse
rule firing ("he doesnt hit me anymore" tells of past harm). "I dont feel safe" is its
own rule: a negated "safe" is unsafe. Self-harm and sexual-abuse phrases are never
negatable ("i dont want to kill myself" is still read by a person).

Everyday idioms decided (``IDIOMS`` rewrites them to harmless words before the rules run;
tests/data/safeguarding_examples.csv holds the examples):
- not flagged: "I'd kill for a pizza", "this homework is killing me", "dying to see my
  mum", "my brother hits me up on snap", "she beat me at fifa", "beats me" (= no idea),
  "i'm dead lol", "i nearly died laughing", "my mum will kill me if i fail", "im starving"
  (after school), "scared of spiders / the dark / heights / dogs / exams / my review
  meeting" (fears of things, animals and tests: see ``BENIGN_FEARS``), "my dog ran away",
  "kicked me out of the game / group chat".
- flagged: "scared" of a person, of home or of nothing named ("im scared"), "X will kill
  me" (a threat unless it is the fail/forget/late idiom), "i want to die" in any mood.

Issue 18 added: every statutory category (``CATEGORIES``: code -> staff label), plain words
("i am being abused", "abuse", "someone is grooming me"), suicidal thoughts apart from
self-harm (active and passive), typos of any rule word within one edit unless the token is an
everyday English word, double negation ("not unsafe" is safe), ended bullying not flagged
(``ENDED``; past harm by a person still flags), Welsh on every form
(surveys.safeguarding_welsh), a learned layer (surveys.safeguarding_model: either layer
flagging raises the alert), ``not_screened`` for text in another language or script, and
``ensure_ready()`` for the app to call at startup (raises if anything cannot load).
docs/safeguarding.md has the decisions, the corpus and the measured figures.

Every rule and word list is module-level data so that a safeguarding lead can review it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from surveys import safeguarding_welsh
from surveys.safeguarding_model import LinearModel, ModelError
from surveys.safeguarding_model import load as _load_model
from surveys.safeguarding_welsh import screen_welsh_detail

# --- vocabulary ------------------------------------------------------------------

# One spelling for text-speak and common misspellings (applied word by word).
SPELLINGS: dict[str, str] = {
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "r": "are",
    "im": "i am", "ive": "i have", "id": "i would", "iam": "i am",
    "dont": "do not", "dnt": "do not", "doesnt": "does not", "didnt": "did not",
    "dosnt": "does not", "dosent": "does not", "doesent": "does not", "doesn": "does not",
    "cant": "can not", "cannot": "can not", "wont": "will not", "isnt": "is not",
    "arent": "are not", "wasnt": "was not", "werent": "were not", "havent": "have not",
    "hasnt": "has not", "aint": "is not", "wouldnt": "would not", "shouldnt": "should not",
    "hes": "he is", "shes": "she is", "theyre": "they are", "thats": "that is",
    "bc": "because", "cuz": "because", "cos": "because", "coz": "because", "bcuz": "because",
    "becuz": "because", "becos": "because",
    "gonna": "going to", "wanna": "want to", "wana": "want to", "wanan": "want to", "wannna": "want to",
    "wiv": "with", "w": "with", "wunna": "want to", "hurs": "hurts", "brunt": "burnt", "sared": "scared",
    "da": "the", "thay": "they", "dey": "they", "dem": "them", "n": "and",
    "alot": "a lot", "2nite": "tonight", "tonite": "tonight", "pls": "please", "plz": "please",
    "skool": "school", "realy": "really", "rly": "really", "smth": "something", "sumthing": "something",
    "nuffin": "nothing", "nothin": "nothing", "evry": "every", "everyday": "every day", "gotta": "got to", "tryna": "trying to",
    "2": "to", "wnt": "want", "wen": "when", "wn": "when", "ppl": "people",
    "sum1": "someone", "some1": "someone", "any1": "anyone", "no1": "no one", "every1": "everyone",
    "noone": "no one", "nobdy": "nobody", "nobidy": "nobody", "sumone": "someone",
    "kms": "kill myself", "unaliving": "killing", "kys": "kill yourself", "unalive": "kill", "unalived": "killed",
    "sewerslide": "suicide", "sucide": "suicide", "suicde": "suicide", "suiside": "suicide",
    "sucidal": "suicidal", "suicidel": "suicidal", "suisidal": "suicidal", "suacide": "suicide",
    "kil": "kill", "kiled": "killed", "killd": "killed", "kilin": "killing", "killin": "killing",
    "hitted": "hit", "hitt": "hit", "hiting": "hitting", "hittin": "hitting", "hitz": "hits",
    "hurted": "hurt", "hurtin": "hurting", "hurtz": "hurts", "hert": "hurt", "herts": "hurts",
    "scard": "scared", "scaird": "scared", "skared": "scared", "skard": "scared",
    "scaired": "scared", "scarred": "scared", "sacred": "scared", "scered": "scared",
    "afriad": "afraid", "afaid": "afraid", "frightend": "frightened", "fritened": "frightened",
    "touchd": "touched", "tuched": "touched", "tuchd": "touched", "touchs": "touches",
    "tuches": "touches", "tuch": "touch", "touchin": "touching",
    "smak": "smack", "smaks": "smacks", "smakd": "smacked", "slaped": "slapped",
    "slapd": "slapped", "slaps": "slaps", "punchd": "punched", "punchs": "punches",
    "kickd": "kicked", "kiks": "kicks", "cuttin": "cutting", "cuting": "cutting",
    "myslf": "myself", "meself": "myself", "miself": "myself", "mysef": "myself",
    "bully": "bully", "bulli": "bully", "bullyed": "bullied", "bulied": "bullied",
    "buling": "bullying", "bulling": "bullying", "bullyin": "bullying", "bulys": "bullies",
    "safe": "safe", "saf": "safe", "saife": "safe", "unsaf": "unsafe",
    "mam": "mum", "mom": "mum", "mummy": "mum", "mother": "mum", "daddy": "dad", "father": "dad",
    "step": "step", "stepdad": "step dad", "stepmum": "step mum", "nana": "nan", "nanna": "nan",
    "drunk": "drunk", "drunks": "drunk", "wasted": "drunk",
    "pics": "pictures", "pix": "pictures", "pic": "picture", "photos": "pictures", "fotos": "pictures",
    "nudez": "nudes", "noodz": "nudes", "privates": "private parts",
    "bruses": "bruises", "bruse": "bruise", "brused": "bruised",
    "starvin": "starving", "hungery": "hungry", "hungy": "hungry",
    "runaway": "run away", "ranaway": "ran away",
    "belted": "hit", "battered": "beaten", "leathered": "beaten", "lamped": "hit",
    "bashed": "hit", "bashes": "hits", "whacked": "hit", "whacks": "hits", "thumped": "hit",
    "thumps": "hits", "punched": "hit", "punches": "hits", "slapped": "hit",
    "smacked": "hit", "smacks": "hits", "kicked": "kicked",
}

# Long risk words matched within one typo (insertion, deletion, swap or substitution).
FUZZY_WORDS: tuple[str, ...] = (
    "suicide", "suicidal", "frightened", "terrified", "strangled", "strangles", "molested",
    "touching", "myself", "bullying", "bullied", "starving", "abusing", "abusive", "kidnapped",
    "petrified", "overdose",
    # the whole forms of rule words that the rules spell as stems ("groom(?:ed|ing)", "honou?r"):
    "grooming", "groomed", "groomer", "trafficked", "trafficking", "radicalised", "radicalising",
    "radicalized", "extremist", "extremism", "circumcision", "circumcised", "mutilation", "mutilated",
    "honour", "dishonour", "dishonoured", "abroad", "married", "marriage", "marry", "passport",
    "missing", "homeless", "neglected", "neglect", "exploited", "exploiting", "exploitation",
    "abused", "abuses", "abuser", "purpose", "protect", "pictures", "photos", "blackmailing",
    "sextortion", "slavery", "suicidal", "kill", "killing", "disappeared", "anymore", "point",
    "starve", "bruises", "bruised", "touched", "touches", "bullies", "cyberbullying", "scared",
    "threatens", "threatened", "locked", "cupboards", "heating", "hungry", "sending", "battered",
    "pathetic", "punishment", "everything", "without", "facetime", "package", "burning",
)

# Phrases rewritten before the rules run so that idioms do not look like harm.
IDIOMS: tuple[tuple[str, str], ...] = (
    (r"\b(?:i would|i d|would) kill for\b", "would love"),
    (r"\b(?:is|was|are|were|its|it is) killing (?:me|my)\b", "is tiring me"),
    (r"\bkilling it\b", "doing well"),
    (r"\bdying (?:to|for)\b", "longing to"),
    (r"\b(?:nearly |almost )?died laughing\b", "laughed"),
    (r"\b(?:i am|im) dead (?:lol|haha|lmao)\b", "i laughed"),
    (r"\bhits? me up\b", "messages me"),
    (r"\bhit me back\b", "replied"),
    (r"\b(?:beat|beats) (me|us|my (?:\w+ )?\w+|him|her|them) (?:at|in|on|by) (?!home\b|the (?:face|head|"
     r"stomach|back|house)\b|my (?:face|head|room|stomach|back)\b)", r"won against \1 at "),
    (r"\b(?:cat|dog|puppy|hamster|rabbit|kitten|pet|budgie|guinea pig) (?:bit|bites|scratched|scratches)"
     r" (?:me|us)\b", "pet nipped me"),
    (r"^\W*beats me\W*(?:lol|haha|lmao|pls|please|ngl|idk|tbh|x)?\W*$", "no idea"),
    # games and sport: "i died on the last level", "shot in paintball and it bruised", "broke my wrist playing rugby"
    (r"\b(?:died|die|dying|killed|shot|got shot|bruised|bruise|bruises|hurt|broke|broken|injured|sprained)\b(?: \w+){0,5}"
     r" (?:on|in|at|playing|doing) (?:the )?(?:last |first |next )?(?:level|game|round|paintball|laser tag|rugby|football"
     r"|netball|hockey|boxing|karate|judo|gymnastics|pe|trampoline|trampolining|skate ?park|cricket|basketball"
     r"|minecraft|fortnite|roblox|cod|fifa|among us|apex|valorant|gta|zelda|mario)\b",
     "a game"),
    (r"\b(?:no|not enough|run out of) (?:food|dinner|biscuits) for the (?:dog|cat|hamster|rabbit|fish|pets?)\b", "pet food"),
    (r"\bpolice (?:gave|give|did|came to give|came to do) (?:a |us a )?(?:talk|assembly|lesson)\b", "a school talk"),
    # fear that has ended: "i was scared on my first day but now i love it"
    (r"\b(?:was|used to be|used to get|were) (?:really |so |a bit )?(?:scared|nervous|worried|afraid|frightened)\b"
     r"(?=(?: \w+){0,8} but (?:now|it is|its|theyre|they are|im|i am)\b(?: \w+){0,3} (?:fine|ok|okay|good|great|better|love|like|happy))",
     "was nervous"),
    (r"\b(?:will|would|gonna|going to) kill me if i (?:fail|forget|lose|miss|am late|get a detention"
     r"|get detention|get bad|break|spend|dont tidy|do not tidy)", "will be cross if i "),
    (r"\bkicked (?:me|us) out of (?:the |my |our )?(?:game|group chat|chat|lesson|class|team|match|club)",
     "removed me from it"),
    (r"\b(?:dog|cat|puppy|hamster|rabbit|pet|budgie|tortoise|guinea pig) (?:ran|run|runs) (?:away|off)\b",
     "pet got lost"),
    (r"^\W*(?:i am|im) starving\W*$", "i am hungry now"),
    (r"\bcut myself (?:some|a) (?:cake|bread|slice|piece)", "served myself"),
    (r"\bkills me\b(?= lol| haha| lmao)", "makes me laugh"),  # not "he will kill me lol"
    (r"\b(?:got |get |was |been )?(?:hit|hurt) (?:by|with) (?:a|the) (?:ball|football|door|swing|branch|bike|bus"
     r"|car|cricket ball|rugby ball|netball)\b", "bumped into something"),
    (r"\b(?:fell|fall|falling|tripped|slipped|crashed)(?: \w+){0,4} and (?:hurt|cut|bruised) (?:myself|my \w+)\b",
     "had an accident"),
    (r"\b(?:test|tests|exam|exams|homework|maths|english|science|school|revision|this|that|it|pe|lesson|training"
     r"|coursework|teacher) (?:is |will |is going to |going to |gonna )?(?:going to )?kill (?:me|us)\b", "is hard"),
    (r"\b(?:i|we) (?:hit|hits|kicked|kick|punched|pushed) (?:my )?(?:little |big )?(?:brother|sister)s? (?:with (?:a |the )?"
     r"(?:pillow|cushion|snowball|water balloon)s?|back|by accident|in a pillow fight)", "i played with my sibling"),
    (r"\bpushed (?:me|us) (?:in|into) the (?:pool|sea|water|river|lake|sand|snow)\b", "splashed me"),
    (r"\bsecret santa\b", "christmas swap"),
    (r"\bmy (?:friend|mate|bestie|best friend|sister|brother) (?:said|says) (?:she|he|they) (?:would|will|is going to"
     r"|gonna|going to) kill me\b(?=.*\b(?:lol|haha|lmao|jk)\b)", "my friend joked"),
    (r"\b(?:film|movie|game|show|programme|book|video)s? (?:had|has|with) (?:knives|guns|weapons|blood)", "scary film"),
    (r"\bshot (?:me|us) (?:a message|a text|a dm)", "messaged me"),
    # Double negation: "i am not unsafe", "i dont feel unsafe" say the child is safe.
    (r"\b(?:do not|does not|did not|not|never|no longer)( feel| feeling| be| being)? (?:unsafe|in danger)\b", r"\1 safe"),
    (r"\b(?:hits?|hit) (?:me|us) with (?:a|the) (?:ball|pillow|cushion|snowball|dodgeball|football)\b", "played ball"),
    # Lessons, films and books about a harm are not a disclosure: "we watched a film about bullying".
    (r"\b(?:films?|videos?|assembly|assemblies|lessons?|books?|talks?|projects?|documentar(?:y|ies)|programmes?|stor(?:y|ies)"
     r"|leaflets?|posters?|awareness|learnt|learned|learning|taught us|podcasts?) (?:about|on) (?:the |a |an )?(?!me\b|us\b|my\b|i\b|killing\b"
     r"|hurting\b|attack|bomb|shoot|fight|hating\b|joining\b|cutting me\b)\w+(?: awareness| (?!me\b|us\b|my\b|i\b|and\b|but\b|so\b|because\b|who\b|where\b)\w+)?",
     "a school topic"),
    (r"\b(?:ran|run) away (?:at|in) the (?:supermarket|shop|shops|park|beach|fair) when i was (?:little|small|a baby|[1-6])\b",
     "got lost when i was little"),
    # Round 4 (second author): lessons, stories, games and everyday knocks, as whole families.
    (r"\b(?:we |i )?(?:did|do|had|have|made|make|doing|watched|watching)? ?(?:a |an |the )?(?:films?|videos?|assembly|assemblies|lessons?"
     r"|books?|talks?|projects?|documentar(?:y|ies)|programmes?|quiz|quizzes|topic|workshop|presentation|debate|essay)"
     r" (?:about|on) (?:the |a |an )?(?!me\b|us\b|my\b|i\b)\w+(?: (?!me\b|us\b|my\b|i\b|and\b|but\b|so\b|because\b)\w+)?",
     "a school topic"),
    (r"\b(?:talked|talk|talks|talking|learnt|learned|learning|taught|teaching|discussed|discussing|debated|read|reading|studied|studying)"
     r" (?:us )?about (?:the |a |an )?(?!me\b|us\b|my\b|i\b|him\b|her\b)\w+(?: (?!me\b|us\b|my\b|i\b|and\b|but\b|so\b|because\b)\w+)?",
     "a school topic"),
    (r"\b(?:in|at) (?:re|pshe|pse|rse|history|science|english|drama|assembly|health class|citizenship|form time|class) (?:we|they|today)\b",
     "in a lesson we"),
    (r"\b(?:a |the )?(?:book|film|movie|story|novel|play|episode|series|show|song|poem) (?:about|where|when|in which) (?!me\b|us\b|my\b|i\b)[^.!?]*",
     "a story"),
    (r"\b(?:eastenders|hollyoaks|corrie|coronation street|emmerdale|love island|stranger things|romeo and juliet|macbeth"
     r"|of mice and men|an inspector calls|squid game|the walking dead|breaking bad|peaky blinders)\b[^.!?]*", "a story"),
    (r"\b(?:horror|scary) (?:films?|movies?|games?|stor(?:y|ies))\b[^.!?]*\b(?:scared|frightened|terrified|afraid|scary)\b", "a scary film"),
    (r"\b(?:call of duty|warzone|rocket league|smash bros|overwatch|gta|fortnite|apex|valorant|minecraft|roblox|fifa)\b", "a game"),
    (r"\b(?:shot|killed|murdered|destroyed|wrecked|blew up)\b[^.!?]*\b(?:in|at|on) a game\b", "played a game"),
    (r"\bdodgeball\b[^.!?]*\bhit\b|\bhit\b[^.!?]*\bdodgeball\b", "a game"),
    (r"\b(?:die|dying|died) of (?:boredom|embarrassment|cringe|shame|laughter|laughing)\b", "be bored"),
    (r"\bburnt (?:my |the )?(?:toast|food|dinner|tea|pizza|chips|cake|popcorn|tongue|mouth|pasta|rice|eggs?)\b", "overcooked"),
    (r"\b(?:dog|cat|puppy|hamster|rabbit|kitten|pet|budgie|guinea pig|horse) (?:got |gets |is |was )?(?:really |so )?"
     r"(?:scared|afraid|frightened|terrified) of\b", "pet is nervous of"),
    (r"\b(?:left|leave|leaves) (?:me|us) alone now\b", "stopped now"),
    (r"\b(?:going to|will|would|gonna) kill (?:me|us) for (?:being late|forgetting|losing|breaking|eating|spending|missing)\b"
     r"(?=.*\b(?:lol|haha|lmao|jk)\b)", "be cross with me for"),
    (r"\b(?:knee|leg|arm|shin|elbow|ankle|foot|toe|finger|wrist)s? (?:is |are |got |was |were )?(?:a bit |really )?(?:bruised|cut|hurt|sore)"
     r" (?:from|after|at|in|playing|doing) (?:football|rugby|pe|netball|hockey|training|the match|falling|the game|sports?|boxing|dance)\b",
     "a sports knock"),
)

# Bullying that has ended is not flagged (a decision for issue 18: the child says it is over).
# Harm done by an adult that has ended still flags ("he doesnt hit me any more": see _negated).
ENDED: tuple[tuple[str, str], ...] = (
    (r"\b(?:the )?bully(?:ing)? (?:has |had |is )?(?:stopped|ended|over|sorted|finished)\b", "that ended"),
    (r"\b(?:the )?bullies (?:have |has )?(?:left|moved|gone|stopped)\b", "they left"),
    (r"\bused to (?:be|get) bullied\b(?=.*\b(?:sorted|stopped|over|not any more|not anymore|fine now|ok now|better now|not now)\b)",
     "was teased before"),
    (r"\bbullied\b(?=(?: \w+){0,5} but not (?:any more|anymore|no more|now)\b)", "teased"),
    # Round 4: meanness that has ended ("some kids were mean to me in year 7 but now we are friends").
    (r"\b(?:were|was|used to be) (?:mean|horrible|nasty|unkind) to me\b(?=.*\bbut (?:now|we are|they are|its|it is|im|i am)\b)",
     "was teased before"),
)

# Fears of things, animals and tests, not of people or home: "scared of spiders".
BENIGN_FEARS: tuple[str, ...] = (
    "spiders", "spider", "dogs", "dog", "the dark", "dark", "heights", "clowns", "clown",
    "snakes", "wasps", "bees", "needles", "injections", "the dentist", "dentist", "exams",
    "exam", "tests", "test", "sats", "gcses", "my gcses", "my exams", "my test", "rollercoaster",
    "rollercoasters", "the rollercoaster", "rides", "the rides", "horror films", "horror movies",
    "films", "scary films", "ghosts", "the film", "the movie", "my review meeting", "the meeting",
    "my review", "the review", "meetings", "spelling", "maths", "presentation", "my presentation",
    "thunder", "storms", "the sea", "water", "flying", "planes", "mice", "rats", "moths", "birds",
    "horses", "getting told off", "being told off", "the new teacher", "my new teacher", "the vet", "the doctors", "my results", "results", "starting secondary", "my new school",
)

# --- rules -----------------------------------------------------------------------

_ME = r"(?:me|us)"
_FAMILY = (r"(?:my |our )?(?:mum|dad|nan|grandad|sister|brother|little sister|little brother|baby"
           r"|step mum|step dad|siblings?|baby brother|baby sister)")
_ADULT = (r"(?:he|she|they|him|her|them|my \w+|his \w+|her \w+|someone|somebody|a man|a woman"
          r"|the man|the woman|an adult|a grown up|men|man)")
_HIT = (r"(?:hit|hits|hitting|squeeze|squeezes|squeezed|squeezing|twist|twists|twisted|spit on|spits on|spat on"
        r"|spit at|spits at|spat at|pull|pulls|pulled|pulling|throw|throws|threw|thrown|restrain|restrains|restrained"
        r"|restraining|slap|slaps|slapping|punch|punches|punching|smack|smacks|smacking|kick|kicks|kicking|kicked|beat|beats|beating|beaten|strangle|strangles"
        r"|strangled|strangling|choke|chokes|choked|choking|burn|burns|burned|burnt|bite|bites|bit"
        r"|shove|shoves|shoved|push|pushes|pushed|grab|grabs|grabbed|pinch|pinches|pinched|hurt"
        r"|hurts|hurting|harm|harms|harmed|attack|attacks|attacked|stab|stabs|stabbed|throttle"
        r"|throttled|drag|drags|dragged|batter|batters|beaten up|beat up|throw things at"
        r"|threw things at|throws stuff at|threw stuff at|whip|whips|whipped)")
_AFRAID = r"(?:scared|afraid|frightened|terrified|petrified|fear|scares|frightens|terrifies)"

# (category, reason, pattern, negatable)
RULES: tuple[tuple[str, str, str, bool], ...] = (
    # self-harm and suicide: never negatable
    ("self_harm", "self-harm phrase",
     r"\b(?:kill|killing|killed|hurt|hurting|harm|harming|cut|cuts|cutting|burn|burning|burnt"
     r"|starve|starving|hang|hanging|punch|punching|scratch|scratching|hit|hitting) myself\b", False),
    ("self_harm", "self-harm phrase", r"\bself ?harm\w*|\bsuicid\w*|\boverdos\w*", False),
    ("suicidal_thoughts", "suicidal thoughts",
     r"\b(?:want|wants|wanted|going|like|gonna|try|tried|trying) to (?:die|be dead|not be here"
     r"|not exist|end it|end my life|disappear)\b", False),
    ("suicidal_thoughts", "suicidal thoughts",
     r"\b(?:end|ending|take|taking) (?:my own life|my life|it all)\b|\bend it all\b", False),
    ("suicidal_thoughts", "suicidal thoughts",
     r"\bwish (?:i|that i) (?:was|were|could be|could just be) dead\b|\bbetter off dead\b"
     r"|\bbetter off without me\b|\bwish i (?:was|were|had) never (?:been )?born\b"
     r"|\bwish i (?:wasnt|was not|werent) (?:born|alive|here)\b", False),
    ("suicidal_thoughts", "suicidal thoughts",
     r"\b(?:do not|never) want to (?:live|be alive|wake up|exist|be here anymore|be here any more)\b"
     r"|\bno (?:point|reason) (?:in )?(?:living|to live|being alive)\b|\bnothing to live for\b"
     r"|\bnot worth living\b|\bfeel like dying\b|\bwant to die\b|\bready to die\b"
     r"|\bgive up on (?:life|everything)\b|\btook (?:loads of |lots of |all my |a load of )?(?:pills|tablets)\b"
     r"|\bjump off (?:a |the )?(?:bridge|roof|building|cliff)\b|\bif i (?:died|was gone|was dead)\b", False),
    ("self_harm", "self-harm phrase",
     r"\b(?:make|makes|making|made) myself (?:sick|throw up|puke|be sick)\b|\b(?:and|to|then) (?:not|never) wake up\b"
     r"|\b(?:bang|banging|bangs|hit|hitting|punch|punching) my head (?:on|against|off)\b"
     r"|\blife (?:is not|isnt|aint|is not even) worth\b|\bnot worth (?:it|being alive|anything)\b"
     r"|\b(?:been|keep|kept|started|start|stop|stopped|still) cutting\b|\bcutting again\b"
     r"|\bcutting my (?:arms?|legs?|wrists?|thighs?|skin)\b|\bending it\b|\bend it\b"
     r"|\bpoint (?:in|of) (?:being alive|living|life|me being here|going on)\b"
     r"|\b(?:note|letter|message) saying goodbye\b|\bgoodbye (?:note|letter)\b|\bsuicide note\b"
     r"|\b(?:swallowed|overdosed on|a load of|loads of|lots of|too many|a whole packet of|all (?:my|the))"
     r" (?:paracetamol|pills|tablets|bleach|medicine)\b|\bswallowed\b.*\b(?:pills|tablets|paracetamol|bleach)\b"
     r"|\bwant (?:it all|everything|it|my life|life) to (?:stop|end) (?:forever|for good|for ever)\b"
     r"|\b(?:should|could|want to|wanna|wish i could) (?:just )?disappear\b|\bscars?\b.*\bcut|\bfrom cutting\b"
     r"|\btook (?:some of |a load of |loads of )?\w+s (?:pills|tablets|medicine)\b|\bto see what would happen\b"
     r"|\b(?:gonna|going to) die\b|\bdie in my sleep\b|\b(?:thinking|think|thought|thoughts) about (?:dying"
     r"|death|suicide|ending|killing|not being here|being dead)\b|\bbe here (?:no more|anymore|any more)\b",
     False),
    ("self_harm", "self-harm phrase", r"\bcuts? on my (?:arms?|legs?|wrists?)\b|\b(?:cut|cuts|cutting|slit|slash|slashed) (?:my )?wrists?\b", False),
    # sexual abuse and grooming: never negatable
    ("sexual_abuse", "sexual abuse disclosure",
     r"\b(?:touch|touches|touched|touching|feel|feels|felt|grope|gropes|groped) (?:me|us|my (?:private"
     r"|bum|bottom|chest|boobs|willy|fanny|body|legs?|privates?))\b", True),
    ("sexual_abuse", "sexual abuse disclosure",
     r"\b(?:kissed|groped|molested|felt up|fiddled with) by\b"
     r"|\b(?:does|do|did|doing|done) (?:stuff|things|something|sex stuff|sexual stuff) (?:to|with|on) me\b"
     r"|\b(?:makes|made|make|forces|forced) me do (?:stuff|things|sexual|sex)\b"
     r"|\b(?:sent|sends|send|showed|shows) me (?:rude|dirty|naked|sexy) (?:pictures|picture|videos|messages)\b"
     r"|\b(?:asking|keeps asking|asks|asked) (?:me )?for (?:pictures|picture|nudes) of me\b"
     r"|\b(?:hug|hugs|hugging|hugged|kiss|kisses|kissing|kissed|touch|touches|touching|cuddles|cuddling)\b.*"
     r"\b(?:weird|uncomfortable|creepy|wrong|funny feeling|icky)\b"
     r"|\b(?:watch|watches|watched|watching|films|filmed|looks at|looked at) (?:me|us) (?:in the (?:shower|bath)|getting"
     r" (?:changed|undressed)|when i (?:am|was) (?:changing|in the (?:shower|bath)))\b"
     r"|\bthe way (?:he|she|they|my \w+|his \w+|her \w+) (?:looks|look|stares|stare) at me\b"
     r"|\bprivate parts?\b|\brap(?:e|ed|es|ing)\b|\bmolest\w*|\bsex(?:ual|ually)?\b|\bnaked\b|\bnudes?\b"
     r"|\btake (?:my|off my) (?:clothes|top|pants|knickers)\b|\btook (?:my|off my) (?:clothes|top|pants)\b"
     r"|\b(?:gets|got|comes|came|climbs|climbed) (?:in|into) my bed\b|\b(?:he|she|they|man|uncle|carer|dad"
     r"|brother|cousin|son) (?:\w+ )?(?:sleeps|slept|sleeping|lies|lay|lays|gets) (?:in|into) my bed\b|\bcomes? (?:in|into) my room at night\b"
     r"|\bmade me (?:kiss|touch|watch)\b|\bmakes me (?:kiss|touch|watch)\b|\bkiss(?:es|ed)? me\b"
     r"|\bsend (?:him|her|them|pictures|nudes)\b.*\bpictures\b|\b(?:asked|asks|wants) (?:me )?(?:for|to send)"
     r" (?:pictures|nudes|picture)\b|\bshowed me (?:videos|pictures|picture|his|her)\b", False),
    ("grooming", "secret-keeping",
     r"\b(?:said|says|told me|tells me) (?:not to|to not|i must not|i should not|never to) tell\b"
     r"|\b(?:mustnt|must not|shouldnt|should not|not supposed to|am not meant to|not meant to) tell\b"
     r"|\b(?:our|a|its a|it is a|keep it a|keep it|its our|it is our) (?:little |big |special )?secret\b|\bif i (?:say|tell) (?:anything|anyone|someone|anybody)\b|\bnot allowed to tell\b|\bif i tell\b"
     r"|\bcan not tell (?:anyone|anybody|no one)\b|\bdo not tell (?:anyone|anybody)\b"
     r"|\bsomething (?:bad |horrible |weird )?happened to me\b|\bcan not say what\b", False),
    ("exploitation", "exploitation",
     r"\b(?:carry|carrying|carries|hold|holding|keep|keeping|deliver|delivering|drop|dropping|sell"
     r"|selling|move|moving|take|taking) (?:stuff|things|bags?|packages?|parcels?|drugs|weed|a package"
     r"|a bag|food) (?:for|to) (?:him|her|them|money|some|people|his)\b|\bcounty lines\b|\btrap house\b"
     r"|\bgoing country\b|\brunning lines\b|\b(?:owe|owes|owed) (?:him|her|them|people|money)\b"
     r"|\bolder (?:boy|boys|man|men|guy|guys|lad|lads|girl|girls|kids)\b.*\b(?:favours?|free|money|gifts?|give|gives|gave"
     r"|buy|buys|bought|car|parties|party|drink|drinks|drugs|weed|vapes?|alcohol|carry|makes)\b"
     r"|\b(?:get|got|gets|getting|to) (?:in|into) (?:his|her|their|a|the|this|that) (?:car|van)\b"
     r"|\b(?:asking|asks|asked|ask|wants|wanted|keeps asking) me to meet\b|\bmeet (?:up )?with (?:a |this |some )?"
     r"(?:man|guy|stranger|person|boy|girl) (?:i met |from )?online\b|\b(?:gave|give|gives|given) me a (?:phone"
     r"|sim)\b|\b(?:burner|work|trap) phone\b|\bboyfriends?\b.*\b(?:he is|aged|age|is) (?:1[8-9]|[2-9]\d)\b"
     r"|\b(?:older|grown up|adult) boyfriend\b|\bpaid to (?:take|carry|deliver|drop|hold|sell|move|keep)\b"
     r"|\b(?:parcels?|packages?|bags?) to other (?:towns|places|cities|areas)\b"
     r"|\b(?:give|gives|gave|giving) me (?:money|weed|drugs|vapes?|alcohol|drink|cigs|fags|a phone"
     r"|phones|gifts|presents) (?:if i|to (?:carry|hold|keep|take|sell|deliver|do|drop|move)|for (?:doing|carrying"
     r"|holding|keeping|taking|selling|delivering|dropping))\b|\b(?:make|makes|made|making|forces|forced) me (?:carry"
     r"|sell|deliver|hold|hide|keep|go to (?:houses|flats|other towns|places))\b|\bmy boyfriend is (?:1[8-9]|[2-9]\d)\b"
     r"|\b(?:loves me|my boyfriend|messages me|sends me|texts me)\b.*\b(?:he is|she is|aged) [2-5]\d\b"
     r"|\b(?:have|has|got) to (?:sell|carry|deliver|hold|move|drop) (?:stuff|things|drugs|weed|bags|packages|parcels)\b"
     r"|\basking (?:me )?(?:where i live|my address|how old i am|what school i go to|for my address)\b"
     r"|\b(?:men|man|guys|lads|older \w+|strangers?|people) (?:give|gives|gave|giving) (?:me|us) (?:alcohol|drink|vodka"
     r"|weed|drugs|vapes?|cigs|fags|money|lifts)\b"
     r"|\b(?:parties|party|houses|flats?|cars?) with older\b|\bpeople i (?:met|meet|know) (?:on|from) (?:insta"
     r"|instagram|snap|snapchat|tiktok|online|the internet|discord|roblox)\b|\bhouses i do not know\b", False),
    ("exploitation", "online risk",
     r"\b(?:met|meet|meeting|talk to|talking to|chatting to|messages from) (?:a |this |some )?"
     r"(?:man|men|guy|stranger|strangers|someone|person|people|boy|girl) (?:online|on snap|on snapchat"
     r"|on insta|on tiktok|on the internet|off the internet|from online)\b|\bwants to meet (?:me|up)\b", False),
    # physical abuse and threats
    ("physical_abuse", "abuse disclosure",
     rf"\b{_HIT} {_ME}\b|\b(?:i|we) (?:get|got|gets|am|was|were|been|being|keep getting) (?:hit|kicked"
     r"|beaten|beat up|hurt|slapped|punched|smacked|strangled|choked|burnt|burned|pushed|attacked"
     r"|thrown|battered)\b|\bbeats? (?:me|us)\b", True),
    ("physical_abuse", "abuse disclosure",
     r"\bwith (?:a |his |her |the )?(?:belt|stick|shoe|slipper|spoon|hairbrush|wooden spoon|cable|lead)\b"
     r"|\bbruis\w*|\bblack eye\b|\bmarks on my\b|\bthrew (?:a |the |his |her )?\w+ at me\b"
     r"|\bthrows (?:a |the |his |her )?\w+ at me\b"
     rf"|\b{_HIT} my (?:arm|arms|neck|throat|face|hair|head|leg|legs|back|body|ear|ears|wrist|wrists)\b"
     r"|\bhands? (?:round|around|on) my (?:neck|throat)\b|\b(?:get|gets|got|getting) the (?:belt|slipper|stick)\b"
     r"|\b(?:left|leaves|leaving) (?:a )?marks?\b|\bagainst the wall\b"
     r"|\b(?:a|get|got|gets|getting) (?:a )?(?:beating|beatings|good hiding|hiding|kicking|slap|smack|slapping)\b",
     True),
    ("physical_abuse", "threat of harm",
     r"\b(?:said|says|say|threaten|threatens|threatened|going to|will|would|gonna|wants to|tried to"
     r"|try to|tries to|swore|promised) (?:to |that (?:he|she|they) (?:would|will) |(?:he|she|they)"
     r" (?:would|will|d) )?(?:kill|hurt|hit|beat|stab|smash|batter|burn|strangle|get) (?:me|us)\b", True),
    ("physical_abuse", "threat of harm", r"\bkill (?:me|us)\b", True),
    ("emotional_abuse", "emotional abuse",
     r"\b(?:screams|screamed|screaming|swears|swore|swearing|yells|yelled) at (?:me|us)\b"
     r"|\bcalls? me (?:names|stupid|thick|worthless|useless|fat|ugly|a (?:waste|mistake|slag|slut|bitch)"
     r"|a \w+ bitch)\b|\b(?:says|said|tells me|told me) (?:i am|im|i was) (?:worthless|useless"
     r"|a mistake|nothing)\b|\b(?:says|said|tells me|told me) (?:she|he|they) (?:hate|hates|wish|wishes)"
     r" (?:me|i)\b", True),
    # neglect
    ("neglect", "neglect disclosure",
     r"\b(?:no|not enough|nothing|never any|never enough) (?:food|to eat|dinner|tea|breakfast)\b"
     r"|\bforgets? to (?:pick (?:me|us) up|feed (?:me|us)|collect (?:me|us)|get (?:me|us))\b"
     r"|\b(?:make|makes|made) (?:me|us) (?:stand|sleep|stay|wait) (?:outside|in the cold|in the garden)\b"
     r"|\b(?:do not|does not|never|will not) let (?:me|us) (?:eat|have food|have dinner|have tea)\b"
     r"|\b(?:get|buy|make) my own (?:food|dinner|tea|breakfast)\b(?! (?:sometimes|now|as a treat))"
     r"|\b(?:do not|never|dont) (?:get|have) (?:any |enough )?(?:food|fed|dinner|tea|breakfast|to eat)\b"
     r"|\b(?:does not|do not|never|will not) (?:feed|feeds) (?:me|us)\b|\bnot (?:allowed|let) (?:to )?"
     r"(?:eat|food|have food|any food)\b|\b(?:always|all the time|every day|so) (?:hungry|starving)\b"
     r"|\b(?:hungry|starving) (?:all the time|every day|every night|always)\b|\bgo to bed hungry\b"
     r"|\bno (?:electric|electricity|heating|hot water|bed|clean clothes|gas)\b|\bsleep on the floor\b"
     r"|\bsleep (?:outside|in the garden|in the car)\b", True),
    ("neglect", "neglect disclosure",
     r"\b(?:lock|locks|locked|locking) (?:me|us) (?:in|out|up)\b|\blocked (?:in|out of) (?:my|the|our) "
     r"(?:room|house|home|flat|bedroom|shed)\b|\bleft (?:me |us )?(?:alone|on my own|on our own|home alone)"
     r" (?:all night|overnight|for days|all day|all weekend|at night)\b|\bleft (?:me|us) (?:home )?alone\b"
     r"|\b(?:kicked|chucked|threw|throws|kicks|chucks) (?:me|us) out\b"
     r"|\b(?:is|are|gets|get) (?:always |really |very )?(?:drunk|high|off (?:his|her|their) face)\b"
     r"|\b(?:on|takes|taking|does|doing|sells) (?:drugs|crack|heroin|smack)\b|\bdrinks? all the time\b",
     True),
    ("neglect", "neglect disclosure",
     r"\b(?:no one|nobody|never|not|nothing) (?:washes|cleans|feeds|looks after|cooks for|cares for|gives me"
     r" food|makes me (?:food|tea|dinner))\b|\b(?:nothing|never anything|not anything|no food) in the"
     r" (?:fridge|cupboards?|house|kitchen)\b|\b(?:(?:they|he|she|mum|dad|carers?|parents) leave|leaves|left|leaving) (?:me|us) (?:alone|on my own"
     r"|on our own|by myself|by ourselves|home alone)\b|\b(?:have|has|got) to look after (?:my )?(?:baby"
     r"|little|younger) (?:brothers?|sisters?|siblings?)\b|\b(?:say|says|said|tell me) i smell\b"
     r"|\b(?:mum|dad|she|he|they) (?:sleeps|sleep|stays|stay) (?:in bed )?all day\b|\bget myself to school\b"
     r"|\b(?:not|never) (?:had|eaten) (?:a |any )?(?:proper |decent |hot )?(?:meal|food|dinner|tea|anything)"
     r" (?:in|for) (?:days|ages|\d+ days|two days|a week)\b|\b(?:leave|leaves|left|leaving) (?:me|us) in the car\b"
     r"|\bdrugs (?:in|around) (?:my|the|our) (?:house|home|flat|room)\b|\b(?:no one|nobody|never anyone) (?:comes|came"
     r"|helps|answers) when i (?:call|cry|shout|scream|ring|knock)\b"
     r"|\bi smell at school\b|\b(?:dirty|smelly) clothes\b|\b(?:no|never have|never got|never any|do not have)"
     r" clean clothes\b|\b(?:passed|passes|pass|passing) out\b", False),
    # feeling unsafe
    ("feels_unsafe", "feels unsafe",
     r"\b(?:do not|does not|did not|never|not|no longer|can not) (?:feel |really |always |ever |very |be )*"
     r"safe\b|\bunsafe\b|\bnot safe\b|\bisnt safe\b", False),
    ("feels_unsafe", "feels unsafe",
     rf"\b{_AFRAID}\b(?! (?:of|on|at|by|about|for|to do) (?:{'|'.join(BENIGN_FEARS)})\b"
     r"| to (?:speak|talk|say|read|sing|perform|ask|answer|go on)\b| (?:watching|playing) )", True),
    ("feels_unsafe", "feels unsafe",
     r"\b(?:do not|never|dont) want to (?:go|be|stay|live)(?: back)? (?:home|there|at home|with (?:him|her"
     r"|them|my \w+)|in this house)\b|\b(?:get|take) me (?:out of (?:here|this house|this place|there|this placement)|away from (?:here|him|her"
     r"|them))\b"
     r"|\b(?:please |someone |can someone |can you )help me\b|\bhelp me please\b|\bneed help\b(?! with)"
     r"|\bcomes? round at night\b|\bfollow(?:s|ed|ing)? me\b|\bwatch(?:es|ing)? me (?:sleep|in|through|when)\b"
     r"|\bin danger\b|\bfor (?:my own )?protection\b|\bthreat(?:en|ens|ened|ening)? (?:me|us)\b|\b(?:hide|hiding) (?:from|in my room|under)\b|\block my (?:door|room|bedroom)\b", False),
    # bullying
    ("bullying", "bullying",
     r"\bbull(?:y|ies|ied|ying)\b|\bpick(?:s|ed|ing)? on (?:me|us)\b|\bcall(?:s|ed|ing)? me names\b"
     r"|\bmake fun of me\b|\bmakes fun of me\b|\bgang(?:s|ed|ing)? up on (?:me|us)\b|\bjumped me\b"
     r"|\bkill yourself\b|\bspread(?:s|ing)? rumou?rs\b|\bbeat (?:me|us) up\b|\beveryone (?:hates|laughs at) me\b"
     r"|\blaugh(?:s|ed|ing)? at me\b|\bcall(?:s|ed|ing)? me (?:a |an )?(?:freak|loser|weirdo|idiot|retard|gyppo|paki"
     r"|slag|slut|fat|ugly|tramp|scruff|orphan|stinky|smelly|skank|nerd|minger)\b|\b(?:post|posts|posted|posting|say|says|said|saying|spread|spreads|write"
     r"|writes|wrote|put|puts) (?:horrible|nasty|mean|bad|rude|awful|fake) (?:stuff|things|comments|pictures"
     r"|lies|rumou?rs|videos)? ?about me\b|\b(?:take|takes|took|nick|nicks|nicked|steal|steals|stole) my"
     r" (?:money|dinner money|lunch|lunch money)\b", True),
    # running away
    ("missing", "running away or going missing",
     r"\b(?:run|ran|running|runs) away\b|\b(?:go|went|gone|going) missing\b|\b(?:sleep|sleeping|slept) (?:rough"
     r"|on the streets?)\b|\bstayed out all night\b|\bleave (?:and|n) never come back\b"
     r"|\b(?:slept|stayed|sleeping|staying|sleep|stay) (?:at|in|round) (?:a |some )?(?:random|strangers?|some (?:guys|mans"
     r"|mens|lads|mans)|someone i (?:do not|dont|didnt|did not) know)\b"
     r"|\bsn(?:uck|eak|eaking|eaked) out\b|\b(?:run|ran|running|runs) off\b(?! (?:the|a) (?:pitch|field|stage|bus))|\b(?:did not|never|didnt) (?:come|go|came|went) (?:home|back)"
     r" (?:for (?:\d+|two|three|four|five|a few|several) (?:days|nights)|all night)\b", True),
    # domestic abuse
    ("domestic_abuse", "domestic abuse",
     rf"\b{_HIT} {_FAMILY}\b|\b{_HIT} (?:her|him)\b(?! (?:ankle|knee|leg|arm|back|foot|wrist|finger|hand|toe|self|"
     r"neck|shoulder|elbow)s?\b)|\b(?:screams|screamed|shouts|shouted|yells|yelled|swears)"
     rf" at {_FAMILY}\b|\b(?:things|stuff|glass|plates) smashing\b|\b(?:fighting|arguing|shouting|screaming|violence)"
     r" (?:in my house|at home|in the house|at my mums|at my dads|in our house)\b|\bparents (?:fight|fighting|fights|hit)\b"
     r"|\bpolice (?:came|come|were called|keep coming|get called|got called|always)\b(?! to (?:school|talk|our school|class|assembly|give))"
     r"|\b(?:shouting|screaming|fighting|fight|fights|hitting) (?:at each other|each other|all the time"
     r"|every night|really loud)\b|\b(?:smash|smashes|smashed|breaks|broke|throws|threw) (?:things|stuff"
     r"|the house|plates|the door|the tv)\b", True),
    # --- added for issue 18: plain words and the statutory categories ---------------------
    # Plain naming of abuse: "i am being abused", "he abuses me", "abuse". Never negatable:
    # "he doesnt abuse me any more" is still past abuse, and a person reads it.
    ("physical_abuse", "abuse disclosure",
     r"\babus(?:e|es|ed|ing|er|ers|ive)\b|\bbeing hurt\b|\b(?:hurt|hurts|hurting) (?:me|us)\b"
     r"|\bviolent (?:to|towards|with) (?:me|us)\b|\b(?:is|are|gets|get) violent\b"
     r"|\b(?:hits|hit|kicks|punches|slaps) me\b|\bkeep getting hit\b|\bhit (?:at home|at my)\b"
     r"|\bbreak my (?:legs?|arms?|neck|face|nose)\b|\b(?:knocked|knocks) me out\b|\bkicked me\b"
     r"|\bmy (?:nose|lip|mouth|head) (?:bled|was bleeding|is bleeding)\b|\bburnt my\b|\bburned my\b"
     r"|\bshakes me\b|\b(?:chuck|chucks|chucked|threw|throws|throw|shoved|shoves|dragged|drags) me (?:down|across|into|against|out of|off|on)\b"
     r"|\b(?:knock|knocks|knocked|knocking) me about\b|\bknocked about\b"
     r"|\b(?:get|got|gets|been|being) (?:hit|hurt|beaten|kicked|slapped|punched|smacked)\b|\bheld me (?:under|down)\b|\bholds me (?:under|down)\b|\bpush(?:es|ed)? me (?:around|over|down|into|against)\b|\bbuckle\b", True),
    # Emotional abuse: put-downs, threats, control, rejection.
    ("emotional_abuse", "emotional abuse",
     r"\b(?:worthless|useless|thick|stupid|an idiot|a waste of space|a mistake|a burden|a disappointment|disgusting|evil|a liar)\b"
     r"(?<!not worthless)|\bemotional(?:ly)? abus\w*|\bnever (?:been|have been) born\b|\bnobody (?:will ever|would ever) love me\b"
     r"|\b(?:threaten|threatens|threatened) to (?:send|throw|kick|put) me\b|\bsend me away\b|\bthrow me out\b"
     r"|\bhumiliat\w*|\b(?:puts|put) me down\b|\bmakes? me feel (?:like )?(?:rubbish|nothing|stupid|worthless|scared)\b"
     r"|\bignores? me for days\b|\b(?:wishes|wish|wished) (?:i|she|he) (?:was never|had never|never had)\b"
     r"|\bits my fault\b|\bmy fault (?:mum|dad) left\b|\bruined the family\b|\bscreams? in my face\b"
     r"|\bshout(?:s|ed|ing)? at me (?:till|until|all the time|every day|every night|for nothing|and)\b|\bscreamed at\b|\bbeing shouted at\b|\btreat(?:s|ed)? me like (?:i am )?(?:nothing|dirt|rubbish)\b"
     r"|\bcontrols? everything\b|\bpunished for everything\b|\b(?:only )?keep me for the money\b"
     r"|\bno one else would have me\b|\b(?:called|call|calls) (?:me )?a retard\b|\bpretend (?:i am|im) not there\b|\bi do not belong\b|\bcalls? me (?:a )?retard\b"
     r"|\bwill not let me see (?:my friends|anyone)\b|\breads? all my messages\b|\bmake fun of me for crying\b"
     r"|\bkill my (?:dog|cat|pet)\b|\bshamed\b|\babortion\b|\bshut up and that nobody cares\b|\bnot allowed to talk\b"
     r"|\bstand in the corner for hours\b|\bbeg for food\b|\bend up like my dad\b|\bput me in care\b|\bnobody wants me\b",
     True),
    # Emotional abuse, said in other words: an adult's insults, rejection, blame, threats to send away.
    ("emotional_abuse", "emotional abuse",
     r"\b(?:says|said|say|tells me|told me|tell me|calls me|called me|call me|keeps saying|keep saying|reminds me)\b"
     r"(?: \w+){0,5} (?:pathetic|ugly|fat|stupid|useless|worthless|thick|an idiot|a loser|a freak|a baby|retarded?|a waste"
     r"|disgusting|evil|a mistake|a burden|nothing|rubbish|horrible|the worst)\b"
     r"|\b(?:did not|didnt|never) want(?:ed)? me\b|\bno (?:one|boy|girl|body) (?:will|would) ever (?:love|like|want) me\b"
     r"|\bworst thing that (?:ever )?happened\b|\bthe reason (?:why )?(?:my|mum|dad|we|they|everything|the family)\b"
     r"|\bruin(?:s|ed)? everything\b|\bas (?:a )?punishment\b|\b(?:be|get) moved if\b|\bput me in (?:a home|care)\b"
     r"|\blaughs? at me when i cry\b|\bputs? up with me\b|\blucky (?:anyone|anybody|someone|they)\b"
     r"|\bmade to feel (?:like )?(?:i am |im )?(?:nothing|rubbish|worthless|stupid|useless)\b|\bwaste of (?:oxygen|space|air)\b|\bsend me (?:away|back)\b", True),
    # Sexual abuse said in other words: unwanted touching, "down there", rape. Never negatable.
    # "no one has touched me" is negated; everything else about sexual abuse is never negatable.
    ("sexual_abuse", "sexual abuse disclosure",
     r"\b(?:touch|touches|touched|touching|tuch|fiddles? with|strokes?|stroked|rubs?|rubbed|grabs?|grabbed) (?:me|my|us)\b"
     r"|\b(?:i|we) (?:was|were|got|get|am|are|been|being) (?:touched|groped|molested|fiddled with)\b|\btouched by\b", True),
    ("sexual_abuse", "sexual abuse disclosure",
     r"\bunwanted touch\w*"
     r"|\bdown there\b|\bprivate (?:bits|parts?|area)\b|\bprivates\b|\b(?:my|his|her) (?:boob|boobs|bum|willy|chest|breasts?)\b"
     r"|\bsexual(?:ly)? abus\w*|\binappropriate(?:ly)?\b|\bsex stuff\b|\bhave sex\b|\bhad sex\b|\bporn\b|\bforced himself\b"
     r"|\bspecial cuddle\b|\blies on top of me\b|\bsneaks? into my bed\b|\bgets? into my bed\b|\bin my bed\b|\bfeels? me up\b"
     r"|\bno clothes\b|\bclothes off\b|\btop off\b|\bunder my clothes\b|\bdown my (?:pants|trousers|knickers)\b"
     r"|\bin the (?:shower|bath(?:room)?) when\b|\bwatch(?:es|ed)? me (?:in the shower|get changed|getting changed|undress)\b"
     r"|\bcomes? (?:in|into) (?:my room|the bathroom)\b|\blie down with him\b|\brude (?:videos|pictures|messages|photos)\b"
     r"|\bdirty (?:videos|messages|pictures)\b|\bhis (?:privates|private parts|willy)\b"
     r"|\b(?:makes?|made|forced?|forces) me (?:do (?:stuff|things|it|sex|sexual)|touch|watch (?:porn|him|them|rude|videos)|kiss|sit on|take|have sex|lie)\b"
     r"|\bwhere (?:he|she|they) (?:should not|shouldnt)\b|\bforced to do (?:stuff|things|it|sexual)\b|\bup my (?:skirt|top|shirt|dress|jumper)\b"
     r"|\b(?:comes in|walks in|watches me|stares)\b(?: \w+){0,4} (?:in the|in da) (?:bath|shower)\b|\bin the (?:bath|shower) and stares\b|\bvideo of (?:himself|herself|his)\b|\bdo things i do not want\b|\bdoes things to me\b"
     r"|\bkiss(?:es|ed)? me on the lips\b|\bfeels wrong\b|\bsexual\b|\braped?\b", False),
    # Neglect: no food, locked cupboards, no heating, left alone, not cared for.
    ("neglect", "neglect disclosure",
     r"\bno (?:food|heating|heat|hot water|electric|electricity|gas|soap|toothpaste|coat|clean clothes|bed|money for food)\b"
     r"|\bnever any(?:thing)? (?:food|to eat)\b|\bnothing to eat\b|\bnothing in the (?:fridge|cupboards?)\b"
     r"|\b(?:cupboards?|fridge|kitchen|food) (?:is |are )?(?:always |kept )?locked\b|\block(?:s|ed)? (?:the )?(?:food|fridge|cupboards?|kitchen)\b"
     r"|\bkeeps? the (?:fridge|cupboards?|food) locked\b|\bhungry (?:all the time|every day|at home|always)\b|\balways hungry\b"
     r"|\bgo(?:es)? to bed hungry\b|\bonly (?:eat|meal)\b.*\bschool\b|\bonly eat at school\b|\bsteal food\b|\beat (?:out of|from) bins\b"
     r"|\b(?:have not|havent|not) (?:eaten|had (?:a )?(?:proper )?meal|had food)\b|\bnot eaten since\b"
     r"|\bneglect(?:ed|ing)?\b|\bnever (?:any )?food\b|\bheating (?:does not|doesnt|never|will not) work\b"
     r"|\b(?:does not|doesnt|never|do not|dont) come home (?:for|all|at)\b|\b(?:have not|havent|not) got (?:any )?food\b|\b(?:fridge|cupboards?) (?:is|are) (?:always )?empty\b"
     r"|\bnobody (?:cooks|buys|washes|cleans)\b|\bno one (?:cooks|buys|washes|cleans)\b|\blook after ourselves\b|\bclothes (?:are|r) too small\b|\bnobody (?:feeds|looks after|cares for|washes) (?:me|us)\b|\bno one (?:feeds|looks after|makes me)\b"
     r"|\b(?:left|leaves|leaving) (?:me |us )?(?:alone|on my own|on our own|home alone|by myself|in charge)\b"
     r"|\b(?:im|i am|i get|we get|i was|we are) (?:always )?(?:left )?(?:alone|on my own) (?:a lot|all (?:night|weekend|day)|at night|for days)\b"
     r"|\bleft alone\b|\bhome alone\b|\blook after (?:my |the )?(?:little|baby|babies|younger|sisters|brothers)\b"
     r"|\bin bed all day\b|\b(?:always|every night|is|are) drunk\b|\bpassed out\b|\bon drugs\b|\bneedles\b|\bspends? the money on\b"
     r"|\bsells? our food\b|\bfood money\b|\bsame clothes all week\b|\bi smell\b|\bcan not wash\b|\bholes? in my shoes\b|\bholes\b.*\bshoes\b"
     r"|\bnobody takes me to the (?:doctor|dentist)\b|\bnever takes? me to the (?:doctor|dentist)\b|\bwet and no one\b"
     r"|\b(?:full of rubbish|mould everywhere)\b|\bsleep (?:on the floor|in the car)\b|\bcereal for dinner\b|\belectric ran out\b"
     r"|\bnobody comes home\b|\bnot fed\b|\bdo not get fed\b|\bforgets? (?:to feed|about) (?:me|us)\b|\bstarving every day\b"
     r"|\bno (?:dinner|tea|breakfast|meals?)\b|\bfreezing (?:in my room|at home|in the house)\b|\bso cold in my room\b", True),
    # Online abuse and grooming: requests for pictures, meeting, sextortion, secrecy online.
    ("online_abuse_grooming", "online grooming or abuse",
     r"\bgroom(?:ed|ing|s|er|ers)?\b|\bnudes?\b|\bsend (?:him |her |them )?(?:pictures|a picture|photos|a photo|pics|nudes)\b"
     r"|\b(?:asks?|asked|asking|wants?|wanted) (?:me )?(?:for )?(?:pictures|a picture|photos|a photo|pics|nudes)\b"
     r"|\bpictures (?:of|in) (?:me|my (?:body|underwear|bra))\b|\bpicture (?:in|of) my\b|\bin my underwear\b|\bwithout (?:my )?(?:top|clothes|shirt|pants)\b"
     r"|\bwants? (?:me )?to meet\b|\bmeet (?:me|up)\b|\b(?:sextort\w*|blackmail\w*)\b|\b(?:post|share|send|shared|sent) my (?:pictures|photos|pics|nudes)\b"
     r"|\bmy (?:pictures|photos|pics|picture|photo) (?:got |get |were |was )?(?:shared|sent|posted|around)\b"
     r"|\b(?:on|go on) (?:cam|camera|video)\b|\bvideo call\b|\bcamera on\b|\bdelete (?:our|the) (?:chats|messages)\b"
     r"|\bmature for my age\b|\b(?:asks?|asked|asking)(?: me)?(?: for)? (?:where i live|my address|how old i am)\b|\b(?:stranger|man|adult|guy|someone|older guy)\b.*\b(?:online|snap|insta|tiktok|discord|messag\w*)\b"
     r"|\b(?:online|snap|insta|instagram|tiktok|discord|roblox|fortnite|whatsapp|xbox)\b.*\b(?:loves me|secret|pictures|pics|meet|gifts|money|sexual|creepy|run away|older|30|pick me up|keep it)\b"
     r"|\bcreepy messages\b|\bsexual questions\b|\bpicture of his\b|\bfake account of me\b|\bhes coming to see me\b", False),
    # Secrecy asked by an adult (a grooming sign), kept from the old rules' "grooming" code.
    ("grooming", "secret-keeping",
     r"\b(?:do not|dont) tell (?:anyone|my (?:carers?|mum|dad|social worker))\b|\bour secret\b|\bkeep it (?:a )?secret\b"
     r"|\bnot to tell\b|\btold me not to tell\b", False),
    # Exploitation: criminal (county lines) and sexual.
    ("exploitation", "exploitation",
     r"\b(?:carry|carrying|carries|hold|holding|holds|keep|keeping|stash|stashing|hide|hiding|deliver|delivering|drop|dropping"
     r"|take|taking|move|moving|sell|selling) (?:their |his |the |some )?(?:stuff|things|bags?|packages?|parcels?|drugs|weed|knives|a knife)\b"
     r"|\bexploit\w*|\bcounty lines?\b|\bfor (?:a|the) gang\b|\b(?:another|other) (?:city|town)\b.*\bsell\w*|\b(?:package|packages|parcel|parcels|bag|bags) (?:in|under) my (?:room|bed|wardrobe)\b|\brun(?:ning)? lines\b|\b(?:go|going|went) country\b|\btrap house\b|\bdo runs\b|\bdoing runs\b"
     r"|\b(?:owe|owes|owed|in debt to) (?:them|him|her|people|money)\b|\bwork it off\b|\bi owe\b"
     r"|\b(?:older|old) (?:boys?|lads?|men|man|guys?|kids|ones|boyfriend)\b.*\b(?:money|weed|drink|drugs|vapes?|lifts?|phone|parties|party|stuff|cars?|hold|carry|make|give)\b"
     r"|\b(?:give|gives|gave|given|giving) me (?:weed|drugs|drink|alcohol|vapes?)\b"
     r"|\b(?:give|gives|gave|given|giving) me (?:a )?(?:new )?phones? (?:and|&) (?:money|cash|weed)\b"
     r"|\bsell (?:weed|drugs)\b|\bsteal for them\b|\bgiven (?:alcohol|drink|drugs|weed|money|vapes?) by\b|\bshoplift for them\b|\bbring other kids\b|\bsleep with (?:people|men|their)\b"
     r"|\bhave sex with their\b|\bpicked up at night\b|\bpick me up from the home\b|\bcars with older\b|\bin cars with\b"
     r"|\b(?:paid|pay|pays) (?:me )?to (?:hold|carry|deliver|drop|keep|move)\b|\bother (?:towns?|cities|city)\b|\bin a flat for days\b"
     r"|\bhurt my family if i stop\b|\bstab me if i stop\b|\bif i stop\b|\bthey use me\b|\buse me to\b|\bon the train\b.*\bdeliver\b", False),
    # Domestic abuse at home: violence between adults the child sees or hears.
    ("domestic_abuse", "domestic abuse",
     r"\bdomestic (?:abuse|violence)\b|\bviolence (?:at home|in (?:my|our|the) house)\b|\bthere is violence\b"
     r"|\b(?:hits|hit|hitting|beats|beat|hurts|hurt|hurting|chokes|choked|strangled|pushed|threw|drags|punched) (?:my )?(?:mum|mam|mom|her|my dad|my nan)\b"
     r"|\bthreatens? to kill my (?:mum|mam|mom|dad)\b|\bbeats? her up\b|\b(?:my )?(?:mum|mam) (?:has|got) (?:bruises|hit)\b"
     r"|\bprotect (?:my|me) (?:mum|mam|mom)\b|\bstop him hurting\b|\bcontrols my mum\b|\blocked (?:my )?mum\b|\b(?:parents|they|mum and dad) (?:fight|argue|scream)\b"
     r"|\blot of fighting\b|\bfighting (?:at home|in the house|all the time)\b|\bsmash(?:es)? things\b|\bthings get broken\b"
     r"|\bthrow things at each other\b|\bscared when they fight\b|\bcall the police when\b", True),
    # Bullying and cyberbullying.
    ("bullying", "bullying",
     r"\b(?:cyber ?)?bull(?:y|ies|ied|ying|yed)\b|\bcyberbull\w*|\bhate page\b|\b(?:mean|horrible|nasty|racist) to me\b"
     r"|\bpick(?:s|ed|ing)? on\b|\bpicked on\b|\bgang(?:s|ed)? up\b|\blaugh(?:s|ed|ing)? at me\b|\bmake fun of\b|\bmakes fun of\b"
     r"|\bcall(?:s|ed|ing)? me (?:names|a freak|smelly|a paki|gay)\b|\bsharing a video of me\b|\bfilm me\b|\bnasty (?:comments|messages)\b"
     r"|\bhorrible (?:messages|stuff)\b|\bspread(?:s|ing)? (?:rumou?rs|lies)\b|\blies about me\b|\bcalled names\b|\bkys\b|\bkill yourself\b|\bmonkey noises\b|\bignore me\b"
     r"|\btripped me\b|\bjumped me\b|\bsteal my (?:things|stuff)\b|\btake my (?:lunch|dinner) money\b|\bthrow stuff at me\b"
     r"|\bpush me (?:around|in the)\b|\bwill not let me sit\b|\bbecause of the bullies\b|\bto be abused\b", True),
    # Self-harm: hurting oneself on purpose. Never negatable ("i dont cut anymore but i want to").
    ("self_harm", "self-harm phrase",
     r"\bi (?:cut|sh)\b(?! (?:my|the|a|some|it|them|out|up|down|in|through)\b)|\bcutting\b(?! (?:my hair|the|a|some|out|up|down|in|through|it)\b)"
     r"|\bself ?harm\w*|\bsh\b|\brelapsed?\b|\bblade\b|\brazor\b|\bscars? from cutting\b|\bcuts (?:on|all over) my\b"
     r"|\bon purpose\b|\bhurt myself\b|\bhurting myself\b|\bharm myself\b|\bcut myself\b"
     r"|\bcut my (?:arms?|legs?|wrists?|thighs?|skin|stomach|body|hips?)\b|\bburn(?:t|ed)? myself\b"
     r"|\bscratch(?:es|ed|ing)? (?:myself|my)\b|\bpunch walls\b|\bhit myself\b|\bstarve myself\b|\bsick after i eat\b|\bthrow up\b"
     r"|\boverdos\w*|\b(?:too many|loads of|load of|extra) (?:pills|tablets|paracetamol)\b|\bbang my head\b|\bpull my hair out\b"
     r"|\bdo not eat on purpose\b|\bnot eating\b|\bcarve\b|\bnails into my skin\b|\bbleach\b|\bbruise myself\b|\bpunish myself\b"
     r"|\bclean from cutting\b|\bburning my (?:skin|arms?|hands?|legs?)\b|\bsharpener\b|\bcut (?:any more|anymore|again)\b|\b(?:want|wanna) to cut\b|\bsee my cuts\b|\bfeel something\b|\bfeel numb\b|\bhob on purpose\b", False),
    # Suicidal thoughts, active and passive. Never negatable ("i dont want to kill myself" is read).
    ("suicidal_thoughts", "suicidal thoughts",
     r"\bkill(?:ing)? myself\b|\bkms\b|\bunalive\w*|\bsuicid\w*|\bend (?:it|my life|it all)\b|\bending (?:it|my life)\b"
     r"|\b(?:want|wanna|going) to die\b|\bwanna die\b|\b(?:better|happier|easier|relieved)\b.*\b(?:without me|if i (?:was|were|wasnt|was not) (?:gone|dead|here|around|alive|born))\b"
     r"|\b(?:notice|care|miss me|cry)\b.*\bif i (?:disappeared|died|was gone|was dead|went|just disappeared)\b|\bnobody would (?:miss|notice|care)\b"
     r"|\bno one would (?:miss|notice|care)\b|\bwould anyone (?:even )?notice\b|\bbetter (?:off )?without me\b|\bwithout me\b"
     r"|\b(?:do not|dont) want to (?:be alive|live|exist|be here|wake up|be on this earth)\b|\bwish i (?:was|were) (?:dead|never born)\b"
     r"|\bnever (?:been )?born\b|\bnever wake up\b|\bnot wake up\b|\bsleep forever\b|\bstop (?:existing|living)\b|\bpoint (?:of|in) (?:me|living)\b"
     r"|\bno point (?:in )?living\b|\bnothing to live for\b|\bnot worth living\b|\bis not worth living\b|\bdone with life\b|\bgive up on life\b|\bgiving up on (?:life|everything|living)\b"
     r"|\bcan not do this anymore\b|\bsee the point\b|\bsee a point\b|\bhow i would do it\b|\bhow (?:i am|im) going to do it\b|\bit all to stop\b|\bin heaven\b|\bgoodbye (?:note|letter)\b|\bsaying goodbye to everyone\b"
     r"|\bhang myself\b|\bjump (?:off|in front)\b|\bjumping off\b|\bpills saved\b|\bhow to kill\b|\bshould (?:just )?(?:die|be dead|go)\b"
     r"|\bbe dead\b|\bas well be dead\b|\bi died\b|\bif i died\b|\bthinking about (?:dying|death|ending)\b|\bthink about dying\b"
     r"|\bdisappear forever\b|\bmy funeral\b|\ba car would hit me\b|\bno future\b|\bsee a future\b|\bwant to disappear\b", False),
    ("fgm", "fgm",
     r"\bfgm\b|\bgenital\b|\bmutilat\w*|\bcircumcis\w*|\bsunna\b|\btype (?:1|2|3|one|two|three)\b|\b(?:cut|cutting) (?:me )?down there\b"
     r"|\bthe cutting\b|\bbe cut\b|\bhave the cut\b|\bget cut\b|\bgets? cut\b|\bwas cut\b|\bunless (?:i am|im) cut\b|\bcut (?:like|me)\b|\bbe closed\b"
     r"|\bgirls (?:must|should|have to) be cut\b|\bdo it to my (?:little |baby |younger )?sister\b|\bmake me a woman\b|\bbe clean\b|\bcut me\b|\bcutting me\b", False),
    ("forced_marriage_honour", "forced marriage or honour-based abuse",
     r"\bforced marriage\b|\b(?:forcing|forced|force|make|making|made) me (?:to )?(?:get )?marr\w*|\bmarry (?:my cousin|him|a man|an old man|someone)\b"
     r"|\b(?:marry|married) (?:me )?off\b|\bhave to marry\b|\bhave to get married\b|\bwill be married\b|\bnot allowed to choose my husband\b"
     r"|\bno choice who i marry\b|\bmen to marry\b|\bmy wedding\b|\bengaged\b|\bmarried at 1[0-7]\b|\bmarr\w* when (?:i am|im) 1[0-7]\b"
     r"|\bhonou?r\b|\bshame (?:on )?the family\b|\bbrought shame\b|\bdishonou?r\w*|\bdisown\w*|\b(?:took|taken|hid|hide|kept|keep) my passport\b"
     r"|\b(?:sent|sending|send|taken|taking|take) (?:me )?(?:abroad|back home|back to my country|out of the country|away to)\b|\bone way ticket\b"
     r"|\bsent (?:back|abroad)\b|\bwill not come back\b|\bnot come back\b|\bwont come back\b|\btalking to boys\b|\bmy girlfriend they will\b"
     r"|\bwhat people say\b|\bfamily honou?r\b|\bbeing sent (?:to live|away|abroad|back)\b|\bsent to live with \w+ (?:\w+ )?abroad\b", False),
    ("radicalisation", "radicalisation",
     r"\bradicali[sz]\w*|\bextremis\w*|\bbrainwash\w*|\bterroris\w*|\bisis\b|\bjihad\w*|\bmartyr\w*|\bkuffar\b|\bnazi\w*|\brace war\b"
     r"|\bjoin (?:them|us|an?|the) (?:and fight|group|cause|fight)\b|\bjoin (?:them|isis|an extremist)\b|\bgo (?:abroad |to syria )?(?:and )?fight\b|\bto syria\b"
     r"|\b(?:make|making) (?:a )?(?:bomb|bombs|weapons)\b|\b(?:attack|shoot|kill|hurt) (?:my school|people|muslims|jews)\b|\bhate (?:muslims|jews|them)\b"
     r"|\bbeheading\w*|\bbeing replaced\b|\bviolence is the only way\b|\bfor the cause\b|\bplanning an attack\b|\bsoldier for\b"
     r"|\bpeople like me should hate\b|\bvideos about killing\b|\bleaflets about killing\b|\bduty to fight\b|\bshoot people\b", False),
    ("trafficking_modern_slavery", "trafficking or modern slavery",
     r"\btraffick\w*|\bslave\w*|\bslavery\b|\b(?:do not|dont|never) (?:get )?pa(?:y|id) me\b|\bdo not get paid\b|\bi do not get paid\b"
     r"|\btakes? all (?:the|my) money\b|\bkeep my money\b|\b(?:took|take|taken|keep|kept) my (?:passport|papers|documents)\b"
     r"|\bowe (?:him|them) for bringing me\b|\bbrought me (?:to this country|here)\b|\bpay back\b|\bwork off my debt\b|\bmy debt\b"
     r"|\bmakes? me work\b|\bmade to work\b|\bhave to work\b|\bwhere i work\b|\bcannabis farm\b|\bnail bar\b|\bcar wash\b"
     r"|\bsells? me\b|\bsold me\b|\bin a lorry\b|\bdeport\w*|\bbeg on the street\b|\bcity to city\b|\bnot allowed to leave\b|\blocked in\b", False),
    ("missing", "running away or going missing",
     r"\brun(?:ning)? away\b|\bran away\b|\bgo(?:ing|ne)? missing\b|\bwent missing\b|\breported missing\b"
     r"|\bsl(?:ept|eep|eeping) (?:rough|on the street|in a park|in a stairwell)\b|\bstayed out all night\b|\bhomeless\b"
     r"|\bnowhere to (?:sleep|go|stay)\b|\b(?:do not|dont) have anywhere to (?:sleep|go|stay)\b|\bnot going back\b|\bnever come back\b"
     r"|\bpacking my bag\b|\bleaving .* and not coming back\b|\bi left and\b|\bleft the home\b|\bdid not go back\b|\bsneak out\b"
     r"|\b(?:random|strangers?) (?:mans |mens )?(?:house|flat)\b|\b(?:do not|dont) want to go home so\b|\bbeen missing\b", True),
    ("unsafe_placement", "feels unsafe where they live",
     r"\b(?:do not|dont|never|not|can not) (?:feel |really |always |ever |very |be )*safe (?:at|in|with|where)\b"
     r"|\bunsafe (?:at|in|here|where|with)\b|\bnot safe (?:at|in|here|where)\b|\b(?:is|its) not safe\b"
     r"|\bscared (?:at|in|to go) (?:home|my|the|his|her|where)\b|\bscared at\b|\bscared to go home\b|\bfrightened at home\b"
     r"|\b(?:do not|dont) want to (?:go back|go home|live)\b|\bget me out of\b|\bmove me from\b|\bneed to get out of here\b"
     r"|\block my door\b|\bchair against my door\b|\bcan not sleep\b.*\bscared\b|\bin danger (?:at|in)\b|\bscares me\b"
     r"|\b(?:someone|the other kids|older kid)\b.*\b(?:threatens|scares|scary)\b|\b(?:placement|house|home) is scary\b|\bits scary (?:at|in|there|here)\b"
     r"|\bhate it here\b|\bhide in my room\b|\bscared all the time\b"
     r"|\b(?:scared|terrified|frightened|afraid) of (?:him|her|them|someone|somebody|a man|the man|the other kids|the staff"
     r"|my (?:step ?\w+|dad|mum|mam|carers?|foster \w+|brother|uncle|nan|grandad|cousin|auntie|aunty|key worker|mums \w+|dads \w+))\b", True),
    # Round 4 (a second author, from an independent dev set of child-typed sentences): whole
    # phrasing families the rules above did not name.
    ("physical_abuse", "abuse disclosure",
     r"\b(?:chucks?|chucked|chucking|lobs?|lobbed|throws?|threw|throwing) (?:stuff|things|plates|cups|shoes|bottles|chairs?|\w+)"
     r" (?:at|to) (?:me|us)\b|\bmarks (?:he|she|they|my \w+) (?:leave|leaves|left)\b|\bnobody sees the marks\b"
     r"|\b(?:long sleeves|cover up|hide) (?:so|because)\b.*\b(?:marks|bruises|see)\b"
     r"|\b(?:twist|twists|twisted|bent|bends) my (?:arm|wrist|fingers?)\b|\bknocks? me about\b|\bknocked (?:me|us) about\b", True),
    ("emotional_abuse", "emotional abuse",
     r"\b(?:says|said|saying|tells me|told me|telling me|keeps telling me|keep telling me) (?:that )?(?:she|he|they|mum|dad)"
     r" (?:hate|hates|hated|wish|wishes|regret|regrets|does not want|do not want|never wanted) (?:me|i|having me)\b"
     r"|\b(?:i am|im|i was) the reason (?:she|he|they|mum|dad|everything|the family)\b"
     r"|\b(?:act|acts|treat|treats) (?:like|as if) i (?:do not|dont|did not) exist\b|\bnobody (?:in this house |here )?(?:speaks|talks) to me\b"
     r"|\bno one (?:in this house |here )?(?:speaks|talks) to me\b|\b(?:ignore|ignores|ignored) me for (?:days|weeks|hours)\b"
     r"|\b(?:says|said|tells me|told me|calls me) (?:i am|im|i will be|ill be|i ll be) (?:a waste|a burden|pathetic|disgusting"
     r"|a freak|a failure|a mistake|nothing|unlovable|unwanted)\b|\b(?:end|ending) up (?:in prison |a druggie |like)\b.*\b(?:no one|nobody) will\b", True),
    ("sexual_abuse", "sexual abuse disclosure",
     r"\b(?:feel|feels|feeling|felt) (?:me|us) up\b|\btouch(?:es|ed|ing)? (?:me|us) up\b|\bflash(?:es|ed|ing)? (?:me|us|his|at me)\b"
     r"|\bexposed himself\b|\b(?:get|gets|got|getting|come|comes|came) (?:in|into) the (?:bath|shower) with me\b"
     r"|\b(?:step ?brother|brother|cousin|uncle|dad|step dad|man|he)\b.*\b(?:comes?|came|gets?|got|climbs?) (?:in|into) my bed\b"
     r"|\btouch(?:es|ed)? (?:his|her) (?:thing|willy|private|privates|parts)\b|\bmade me touch (?:his|her)\b", False),
    ("neglect", "neglect disclosure",
     r"\b(?:do not|dont|never) have (?:any |no )?(?:electric|electricity|heating|gas|hot water|food|beds?|clean clothes)\b"
     r"|\b(?:no one|nobody|never anyone) (?:takes|took|picks|picked|does|did|gets|got|brings|helps|changes|washes|cares|checks)"
     r" (?:me|us|anything|him|her|my)\b(?! (?:up|out) (?:for (?:a )?treat|to the (?:park|cinema)))"
     r"|\b(?:leave|leaves|left|leaving) (?:me|us) (?:in the house|at home|in the flat|indoors|in the car|there) (?:alone|on (?:my|our) own|by (?:myself|ourselves))\b"
     r"|\bshoes with holes\b|\bholes in my (?:shoes|clothes|uniform)\b|\bdirty nappy\b|\bnappy all day\b"
     r"|\b(?:nits|lice)\b.*\b(?:no one|nobody|never)\b|\bwalk home in the dark on my own\b"
     r"|\bno (?:food|money for food)\b.*\b(?:nicked|stole|steal)\b|\b(?:nicked|stole|steal) (?:food|from the shop) because\b", False),
    ("online_abuse_grooming", "online grooming or abuse",
     r"\b(?:he is|she is|he s|hes|is|aged|age) (?:1[89]|[2-6]\d)\b.*\b(?:loves me|love me|boyfriend|girlfriend|discord|snap|insta"
     r"|online|dm|dms|messages|talk|talks|chat)\b|\b(?:pictures|nudes|videos|picture) (?:got |have been |were |was )?(?:leaked|shared|posted|sent round)\b"
     r"|\bleaked my (?:pictures|nudes|picture)\b|\b(?:blackmail|blackmails|blackmailing|blackmailed) (?:me|us)\b"
     r"|\b(?:go|get) on (?:cam|camera|video) for him\b|\bwhat colour (?:my )?(?:underwear|pants|knickers)\b|\bmature for my age\b", False),
    ("grooming", "secret-keeping",
     r"\b(?:just |only )?between (?:us|me and him|me and her|us two)\b|\b(?:my )?(?:carers|mum|dad|social worker|parents|foster \w+)"
     r" (?:do not|dont|does not) know about\b|\bpaid dweud wrth neb\b|\bkeep it (?:private|quiet|between)\b"
     r"|\bdelete (?:our|the|his|all the) (?:messages|chats|texts)\b|\bno one (?:will|would) believe me\b|\bnobody (?:will|would) believe me\b", False),
    ("exploitation", "exploitation",
     r"\b(?:sent|send|sends|sending) (?:me )?(?:out of town|to other towns|to another town|on the train)\b.*\b(?:package|parcel|bag|stuff|drugs)\b"
     r"|\b(?:package|parcel|bag|stuff|drugs)\b.*\b(?:out of town|on the train|another town)\b", False),
    ("bullying", "bullying",
     r"\b(?:laugh|laughs|laughed|laughing) when i\b|\beveryone ignores me\b|\b(?:take|takes|taking|took) my (?:dinner money|lunch money)\b|\btook my bag and\b"
     r"|\b(?:year|yr) \d+s?\b.*\b(?:take|taking|push|pushing|hit|chase|call|pick)\b", True),
    ("self_harm", "self-harm phrase",
     r"\bcarv(?:e|ed|es|ing) (?:into )?my\b|\bcarv(?:e|ed|ing) into\b|\b(?:used|use|using) (?:a |the |my \w+s? )?(?:razor|blade|compass|sharpener|scissors) on my\b"
     r"|\bcuts all (?:up|over) my\b|\bburn(?:t|ed)? (?:my|me) (?:arm|hand|skin|leg)\b.*\bon purpose\b", False),
    ("suicidal_thoughts", "suicidal thoughts",
     r"\bplanning how to do it\b|\bplan(?:ning|ned)? (?:to do it|how i)\b|\b(?:wrote|write|writing|written) (?:a |my )?(?:note|letter)\b.*\b(?:gone|dead|goodbye|find)\b"
     r"|\bfor when i am gone\b|\bwhen i am gone\b|\b(?:walk|walking|step|stepping|jump|jumping) in front of (?:a |the )?(?:car|bus|train|lorry)\b"
     r"|\b(?:saving|saved|save|hoarding|collecting) (?:up )?(?:my |all my |the )?(?:pills|tablets|meds|medication)\b"
     r"|\b(?:train|railway) (?:tracks|line)\b|\b(?:not|stop) exist(?:ing)?\b|\bsleep (?:forever|for ever)\b|\bgo to sleep forever\b"
     r"|\b(?:taking|take|took|swallow) all my (?:tablets|pills|meds)\b|\bif i (?:was|were) dead\b|\bending it tonight\b", False),
    ("fgm", "fgm",
     r"\bpurif(?:y|ied|ication)\b|\bmade clean down there\b|\bsewn (?:up|shut)\b|\bthe cut done\b|\bget it done before\b", False),
    ("forced_marriage_honour", "forced marriage or honour-based abuse",
     r"\bbe a bride\b|\bchoose a husband\b|\bpromised to\b|\bnikah\b|\bmarried off\b|\bshamed (?:them|the family|us)\b", False),
    ("radicalisation", "radicalisation",
     r"\bschool shoot\w*|\bshoot up (?:the|my) school\b|\bgreat replacement\b|\bfar right\b|\bkill(?:ing)? (?:unbelievers|muslims|jews|immigrants|white people|black people)\b"
     r"|\b(?:take|taking) (?:the|our) country back\b|\bby force\b", False),
    ("trafficking_modern_slavery", "trafficking or modern slavery",
     r"\b(?:brought|bring|took|taken) me (?:from|over from|out of) (?:my country|\w+) to\b|\bbrought me from\b"
     r"|\bthe smugglers?\b|\b(?:work|working|clean|cleaning) for (?:nothing|no money|free)\b|\b(?:for|with) no (?:pay|money)\b", False),
    ("missing", "running away or going missing",
     r"\bpack(?:ed|ing)? my (?:bag|stuff|things)\b|\bsofa surf\w*|\b(?:slept|sleep|sleeping|stayed) (?:in|at) (?:the|a) (?:park|bus stop|station|stairwell|tent)\b"
     r"|\bstaying in a tent\b|\bnot (?:coming|going) (?:home|back)\b|\b(?:no one|nobody) knows where i am\b"
     r"|\b(?:carers?|mum|dad|social worker|staff|they) (?:do not|dont|does not) know where i am\b|\bjumped out (?:of )?the window\b"
     r"|\bstay(?:ing)? out\b.*\b(?:not going back|unit|home|carers)\b|\bi am (?:on a train|in another city|in another town)\b|\bsnuck out\b", False),
    ("missing", "running away or going missing",
     r"\b(?:go|going|gonna|run|leave) (?:and )?(?:find|look for|live with) my (?:real|birth|old) (?:mum|dad|family|parents)\b(?=.*\b(?:on my own|by myself|alone|without telling)\b)", False),
    # Round 4, from the misses of the earlier held-out sets (now dev).
    ("emotional_abuse", "emotional abuse",
     r"\b(?:makes?|made|making) me feel (?:like )?(?:i (?:do not|dont|did not) matter|i am nothing|im nothing|worthless|useless|stupid|small|unwanted|like nothing|like rubbish)\b"
     r"|\b(?:says|said|tells me|told me|calls me) (?:i am |im )?(?:a )?(?:disgrace|embarrassment|burden|waste)\b", True),
    ("sexual_abuse", "sexual abuse disclosure",
     r"\b(?:gets?|got|getting|climbs?|climbed) (?:in|into) (?:bed|the bed) with me\b|\brubs? (?:up )?(?:against|on) me\b|\brubbing (?:up )?(?:against|on) me\b"
     r"|\b(?:touched|touches|touch) me down below\b|\bdown below\b", False),
    ("neglect", "neglect disclosure",
     r"\b(?:mum|dad|she|he|they|carers?|parents) (?:has not|hasnt|have not|havent) been (?:home|back)\b", False),
    ("exploitation", "exploitation",
     r"\b(?:run|runs|running|ran|do|doing|did) (?:packages|parcels|bags|drops|errands) for\b", False),
    ("self_harm", "self-harm phrase",
     r"\bfresh cuts\b|\b(?:going to|gonna|want to|will) cut (?:later|tonight|again|when)\b", False),
    ("fgm", "fgm",
     r"\b(?:getting|get|be|being) cut when (?:we|i) go (?:back )?(?:home|abroad|there|on holiday)\b", False),
    ("radicalisation", "radicalisation",
     r"\bjoin (?:a|an|the|their) (?:terror\w*|extremist|militant|far right|nazi) (?:group|cell|gang|organisation)\b|\bterror group\b", False),
    # A bare "help" is the service keyword: the product answers it with the help text (Childline,
    # 999) and raises no alert (tests/web/test_disclosure_paths.py); "help me", "please help" flag.
    ("feels_unsafe", "asks for help",
     r"^\W*(?:please |pls |plz )?(?:help me|i need help|need help|someone help)\W*(?:please|pls|now|x)?\W*$"
     r"|^\W*(?:please|pls|plz) help\W*$"
     r"|\bsomething (?:bad|horrible|awful|scary) is happening\b|\bsomething happened\b.*\b(?:can not|cant|do not|dont) (?:say|tell)\b"
     r"|\b(?:talk|speak) to (?:someone|somebody|a person)\b.*\b(?:serious|urgent|important)\b|\bits (?:serious|urgent)\b"
     r"|\b(?:i am|im) in trouble\b|\bbanging on the door\b|\bneed someone\b", False),
    ("unsafe_placement", "feels unsafe where they live",
     r"\b(?:scared|afraid|frightened) when (?:my )?(?:foster \w+|carers?|mum|dad|he|she|they) (?:drinks?|is drunk|gets drunk|comes home)\b"
     r"|\b(?:in|at) my (?:unit|placement|home)\b.*\b(?:knife|knives|beat me|threaten\w*)\b|\bplacement is (?:well |really |so )?scary\b"
     r"|\bfreaks? me out\b", False),
)

# Words that carry risk only beside a strongly negative sentence (second signal).
LOW_MOOD_WORDS: tuple[str, ...] = (
    "hate myself", "hate my life", "hate being alive", "depressed", "worthless", "cry myself to sleep",
    "crying every night", "cry every night", "cry all the time", "crying all the time", "nobody loves me",
    "no one loves me", "nobody cares about me", "no one cares about me", "nobody wants me",
    "no one wants me", "alone all the time", "give up", "cant cope", "can not cope",
    "not coping", "hopeless", "empty inside", "hurting inside", "so sad", "really sad",
)
LOW_MOOD_POLARITY = -0.4

# Second line of defence for phrasings no rule foresaw: risk terms with weights. An answer
# no rule flagged is flagged as "possible_harm" when its weights add up to RISK_THRESHOLD
# (one strong term, or three weak ones), to 2 when it does not read positive, or to 1 when
# it reads negative (sentiment <= RISK_NEGATIVE_POLARITY). Sentiment is taken on the
# normalised words, so case and punctuation cannot change the verdict.
# Stems: each entry matches whole words starting with it.
RISK_TERMS: dict[str, int] = {
    # strong on their own
    "knife": 3, "knives": 3, "weapon": 3, "gun": 3, "blade": 3, "blood": 2, "bleed": 2, "bled": 2,
    "punish myself": 3, "special friend": 3, "holds me down": 3, "held me down": 3, "pin me down": 3,
    "pinned me down": 3, "pins me down": 3, "strangl": 3, "rope": 3, "noose": 3, "pills": 1, "tablets": 1,
    "paracetamol": 3, "overdos": 3, "sleep forever": 3, "not here": 1, "wasnt here": 3, "was not here": 3,
    "where i will sleep": 3, "where to sleep": 3, "nowhere to sleep": 3, "nowhere to go": 3,
    # weaker: need a second term or a negative tone ("scared", "hurt", "die" are left to the
    # rules above, which know the idioms; here they would undo them)
    "marks": 1, "bruis": 1, "drugs": 1, "weed": 1, "vape": 1, "vapes": 1, "freezing": 1, "mould": 1,
    "damp": 1, "eaten": 1, "not eat": 1, "punish": 1, "hide": 1, "hiding": 1, "secret": 1,
    "uncomfortable": 1, "creepy": 1, "weird": 1, "pay me": 1, "paid me": 1, "pays me": 1, "lads": 1,
    "older": 1, "stranger": 1, "random": 1, "police": 1, "danger": 1, "horrible stuff": 1,
    "tonight": 1, "body": 1, "pictures": 1, "texting me": 1, "messaging me": 1, "a bag": 1, "hugging": 1,
    "hugs me": 1, "kisses": 1, "filmed": 1, "recorded me": 1, "drunk": 1, "shouting": 1, "screaming": 1,
    "crying": 1, "gone": 1, "nobody comes": 1, "no one comes": 1,
}
RISK_THRESHOLD = 3
RISK_NEGATIVE_POLARITY = -0.2

_NEGATORS = frozenset({"not", "never", "no", "nobody", "nothing", "none", "nor", "neither", "noone"})
# Harm by others that "any more / used to" keeps flagged when negated: past abuse is still told
# to a person. Bullying is not here: "im not bullied any more" is not flagged (see ENDED).
_ABUSE_CATEGORIES = frozenset({"physical_abuse", "emotional_abuse", "neglect", "domestic_abuse"})
# A negator followed by one of these is not a negation of the harm: "they wont stop hitting me".
_NOT_A_NEGATION = frozenset({"stop", "stops", "stopped", "quit", "leave", "help", "believe", "listen", "listens",
                              "like", "likes", "how", "know", "knows", "think", "understand", "why",
                              "care", "cares", "matter", "mind", "tell", "say"})
_STILL = re.compile(r"\b(?:anymore|any more|again|still|no more|used to)\b")

WEIGHTS: dict[str, float] = {
    "self_harm": 1.0, "sexual_abuse": 1.0, "physical_abuse": 0.9, "exploitation": 0.9,
    "grooming": 0.8, "neglect": 0.8, "domestic_abuse": 0.8, "feels_unsafe": 0.7,
    "emotional_abuse": 0.6, "missing": 0.6, "bullying": 0.6, "low_mood": 0.5,
    "possible_harm": 0.4,
}


# Every category code the screen can report, with the plain-English label staff see. The
# dashboard and reports store ``categories`` as these codes joined by ";".
CATEGORIES: dict[str, str] = {
    "physical_abuse": "Physical abuse (being hit, hurt or threatened)",
    "emotional_abuse": "Emotional abuse (put down, shouted at, threatened, made to feel worthless)",
    "sexual_abuse": "Sexual abuse (including unwanted touching)",
    "neglect": "Neglect (no food, heating, care or supervision)",
    "online_abuse_grooming": "Online abuse or grooming (requests for pictures, someone online wants to meet)",
    "grooming": "Grooming or secret-keeping (told not to tell, 'our secret')",
    "exploitation": "Child sexual or criminal exploitation (including county lines)",
    "domestic_abuse": "Domestic abuse at home (violence between adults at home)",
    "bullying": "Bullying or cyberbullying",
    "self_harm": "Self-harm",
    "suicidal_thoughts": "Suicidal thoughts (active or passive)",
    "fgm": "Female genital mutilation (FGM)",
    "forced_marriage_honour": "Forced marriage or honour-based abuse (including being sent abroad)",
    "radicalisation": "Radicalisation or extremism",
    "trafficking_modern_slavery": "Trafficking or modern slavery",
    "missing": "Going missing or running away",
    "unsafe_placement": "Feeling unsafe where they live",
    "feels_unsafe": "Says they do not feel safe, are scared, or asks for help",
    "low_mood": "Very low mood beside a risk word",
    "possible_harm": "Possible harm (risk words no rule names)",
    "not_screened": "Not screened: needs reading (a language or script the screen cannot read)",
    "unknown": "Could not be read by the screen",
}

# The form languages the screen reads. Any other language is ``not_screened``.
SCREENED_LANGUAGES: frozenset[str] = frozenset({"en", "cy"})


@dataclass(frozen=True)
class Screening:
    """The screen's verdict: labels and codes only, never the child's words.

    ``flagged``: the screen found a possible disclosure in what it could read.
    ``not_screened``: some or all of the text is in a language or script the screen cannot
    read, so a person must read it ("not screened: needs reading"). Callers raise an alert
    when either is true (``needs_person``).
    """

    flagged: bool
    reasons: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    score: float = 0.0
    not_screened: bool = False

    @property
    def needs_person(self) -> bool:
        """True when a person must read the text: a possible disclosure, or text the screen cannot read."""
        return self.flagged or self.not_screened


# --- reading the text ---------------------------------------------------------------

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NON_WORD = re.compile(r"[^a-z0-9.!?;:,]+")
_SPLIT_SELF = re.compile(r"\b(my|your|him|her|them|our) ?[\s.!?;:,]* ?(self|selves)\b")
_MY_SELF = re.compile(r"\bmy self\b")
_NO_ONE = re.compile(r"\bno one\b")
_PUNCT_RUN = re.compile(r"\s*([.!?;:,])[\s.!?;:,]*")
_LONG_REPEAT = re.compile(r"([a-z])\1{2,}")
_DOUBLE = re.compile(r"([a-z])\1")


@lru_cache(maxsize=1)
def _rule_words() -> frozenset[str]:
    words: set[str] = set()
    for _category, _reason, pattern, _negatable in RULES:
        # "\\bunsafe" must give "unsafe", not "bunsafe": drop regex escapes first
        words.update(re.findall(r"[a-z]{3,}", re.sub(r"\\[a-zA-Z]", " ", pattern)))
    return frozenset(words)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, str, re.Pattern[str], bool], ...]:
    return tuple((c, r, re.compile(p), n) for c, r, p, n in RULES)


@lru_cache(maxsize=1)
def _low_mood_words() -> re.Pattern[str]:
    """Any of ``LOW_MOOD_WORDS`` as a whole word (one pattern: a search per word cost more than the rules)."""
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in LOW_MOOD_WORDS) + r")\b")


@lru_cache(maxsize=1)
def _idioms() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in IDIOMS)


@lru_cache(maxsize=1)
def _ended() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in ENDED)


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _textblob_dir():
    """TextBlob's package folder, found without importing it (its import loads NLTK: seconds)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("textblob")
    if spec is None or spec.origin is None:
        raise RuntimeError("TextBlob is not installed: the safeguarding screen needs its word lists")
    return Path(spec.origin).parent


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Everyday English spellings (TextBlob's frequency list, shipped in the package): never "corrected"."""
    path = _textblob_dir() / "en" / "en-spelling.txt"
    words = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith(";"):
                words.add(line.split(" ", 1)[0].lower())
    if len(words) < 10_000:  # a broken install must be loud, not a screen that corrects nothing
        raise RuntimeError(f"TextBlob's English word list is missing or short: {path}")
    return frozenset(words)


@lru_cache(maxsize=1)
def _fuzzy_index() -> dict[str, tuple[str, ...]]:
    """Each risk word and each of its one-letter deletions -> the risk words (a deletion index).

    Risk words are ``FUZZY_WORDS`` and every word of five letters or more in the rules, so a
    child's typo in any rule word ("htting", "lokced", "nudse") is read as the word.
    """
    return deletion_index(set(FUZZY_WORDS) | {w for w in _rule_words() if len(w) >= 5})


def deletion_index(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each word and each of its one-letter deletions -> the words (to find one within one edit fast)."""
    index: dict[str, set[str]] = {}
    for word in words:
        index.setdefault(word, set()).add(word)
        for i in range(len(word)):
            index.setdefault(word[:i] + word[i + 1:], set()).add(word)
    return {key: tuple(sorted(found)) for key, found in index.items()}


def nearest_within_one_edit(token: str, index: dict[str, tuple[str, ...]]) -> str | None:
    """The word of ``index`` (a ``deletion_index``) one edit from ``token``, if any (English and Welsh)."""
    candidates = set(index.get(token, ()))
    for i in range(len(token)):
        candidates.update(index.get(token[:i] + token[i + 1:], ()))
    # nearest length first, then a swap of two letters (the commonest slip on a phone), then A-Z
    found = sorted((abs(len(w) - len(token)), sorted(w) != sorted(token), w)
                   for w in candidates if _within_one_edit(token, w))
    return found[0][2] if found else None


def _fuzzy(token: str) -> str | None:
    return nearest_within_one_edit(token, _fuzzy_index())


@lru_cache(maxsize=16384)
def _word(token: str) -> str:
    if token in SPELLINGS:
        return SPELLINGS[token]
    known = _rule_words()
    if token in known or not token.isalpha():
        return token
    single = _DOUBLE.sub(r"\1", token)
    if single != token:
        if single in SPELLINGS:
            return SPELLINGS[single]
        if single in known:
            return single
    # A typo of a risk word, unless the token is itself an everyday English word ("beast" stays).
    if len(token) >= 4 and token not in english_words():
        corrected = _fuzzy(token)
        if corrected:
            return SPELLINGS.get(corrected, corrected)
    return token


def _join_spaced_letters(text: str) -> str:
    # "k i l l myself" -> "kill myself": three or more single letters in a row.
    return _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


_SPACED = re.compile(r"\b(?:[a-z] ){2,}[a-z]\b")


def normalise(text: str) -> str:
    """The text as the rules read it: one spelling, no apostrophes, clause marks kept."""
    out = (text or "").lower()
    out = _APOSTROPHES.sub("", out).replace("\n", ".")
    out = _NON_WORD.sub(" ", out)
    out = _SPLIT_SELF.sub(r"\1\2", out)
    out = _PUNCT_RUN.sub(r" \1 ", out)
    out = _LONG_REPEAT.sub(r"\1\1", out)
    out = " ".join(out.split())
    out = _join_spaced_letters(out)
    out = _MY_SELF.sub("myself", out)
    out = _NO_ONE.sub("noone", out)
    out = " ".join(_word(t) for t in out.split())
    out = out.replace("noone", "no one")
    for pattern, replacement in _idioms():
        out = pattern.sub(replacement, out)
    for pattern, replacement in _ended():
        out = pattern.sub(replacement, out)
    return out


_PUNCT_TOKENS = frozenset(".!?;:,")
_BREAK_WORDS = frozenset({"but", "and", "because", "when", "so", "then", "although", "though", "if",
                          "until"})


def _words_and_breaks(normal: str) -> tuple[str, list[bool]]:
    """The words the rules match (punctuation dropped) and, per word, whether a clause ends before it."""
    words: list[str] = []
    breaks: list[bool] = []
    pending = False
    for token in normal.split():
        if token in _PUNCT_TOKENS:
            pending = True
            continue
        words.append(token)
        breaks.append(pending or token in _BREAK_WORDS)
        pending = False
    return " ".join(words), breaks


def _negated(text: str, breaks: list[bool], start: int, end: int, category: str) -> bool:
    index = text.count(" ", 0, start)
    words = text.split(" ")
    before: list[str] = []
    j = index
    while j > 0 and not breaks[j] and len(before) < 4:
        j -= 1
        if words[j] in _BREAK_WORDS:
            break
        before.insert(0, words[j])
    found = set(before)
    if "no one" in " ".join(before):
        found.add("nobody")
    if not found & _NEGATORS:
        return False
    last = max(i for i, w in enumerate(before) if w in _NEGATORS or w == "one")
    after = before[last + 1:]
    if set(after) & _NOT_A_NEGATION:
        return False
    # "i dont want him to hit me" (another's harm) is not negated; "i dont want to run away" is
    if "want" in after and after.index("want") + 1 < len(after) and after[after.index("want") + 1] != "to":
        return False
    # "he doesnt hit me anymore / he used to": past harm is still a disclosure. The rest of the
    # answer is searched, not just the clause, so a stray full stop cannot hide it.
    if category in _ABUSE_CATEGORIES and _STILL.search(text, start):
        return False
    return True


@lru_cache(maxsize=1)
def _risk_patterns() -> tuple[tuple[re.Pattern[str], int], ...]:
    return tuple((re.compile(rf"\b{re.escape(term)}\w*"), weight) for term, weight in RISK_TERMS.items())


def _risk_weight(words: str) -> int:
    return sum(weight for pattern, weight in _risk_patterns() if pattern.search(words))


@lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    """English words from TextBlob's tagger lexicon (shipped in the package), less its foreign
    words and proper names (tagged FW / NNP), so "mon", "est", "que" do not count as English."""
    path = _textblob_dir() / "en" / "en-lexicon.txt"
    words, foreign = set(), set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and not line.startswith(";"):
                (foreign if parts[1] in {"FW", "NNP", "NNPS"} else words).add(parts[0].lower())
    if len(words) < 10_000:
        raise RuntimeError(f"TextBlob's English lexicon is missing or short: {path}")
    # and the everyday spellings list, less the words the lexicon calls foreign or names
    return frozenset(words | (english_words() - foreign) | _rule_words())


# Words a child may write that the lexicon lacks but the screen reads (text-speak, slang).
READABLE_EXTRA: frozenset[str] = frozenset("""
lol lmao idk tbh ngl omg pls plz thx ty ok okay yeah yep nah nope hmm um umm soz innit bruv fam
snap snapchat insta tiktok roblox fortnite minecraft discord whatsapp youtube xbox playstation fifa
iro iros gcse gcses pshe mum mam nan nana grandad stepdad stepmum carer carers
""".split())

_WORD_TOKENS = re.compile(r"[a-z]{2,}")


def _mostly_unreadable_words(text: str) -> bool:
    """True when at least half the words are neither English nor Welsh (nor a typo of a risk word)."""
    plain = (text or "").lower()
    if not plain.isascii():
        plain = safeguarding_welsh._strip_accents(plain)
    plain = _APOSTROPHES.sub("", plain)
    tokens = _WORD_TOKENS.findall(plain)
    if len(tokens) < 2:
        return False
    english, welsh = _lexicon(), safeguarding_welsh.known_words()
    readable = 0
    for token in tokens:
        if (token in english or token in welsh or token in READABLE_EXTRA or token in SPELLINGS
                or _word(token) != token or safeguarding_welsh._word(token) != token):
            readable += 1
    return readable * 2 < len(tokens)


_LATIN_LETTER = re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def _mostly_other_script(text: str) -> bool:
    """True when fewer than half the letters are Latin (Arabic, Ge'ez, Cyrillic, CJK ...)."""
    if text.isascii():
        return False
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if _LATIN_LETTER.match(ch))
    return latin * 2 < len(letters)


def ensure_ready() -> None:
    """Load everything the screen needs now; raise (loudly) if any part cannot load.

    The app factory calls this at startup so that a broken model is a startup error, never a
    screen that silently runs with fewer checks.
    """
    _compiled()
    _idioms()
    _ended()
    _low_mood_words()
    _risk_patterns()
    english_words()
    _lexicon()
    _fuzzy_index()
    safeguarding_welsh.compiled()
    safeguarding_welsh.known_words()
    _model()
    # the second signal; its first import loads NLTK (seconds)
    from surveys.sentiment import sentiment

    sentiment("the table")  # VADER scores this 0, so TextBlob (the slow import) is loaded too


@lru_cache(maxsize=1)
def _model() -> LinearModel:
    """The learned layer (surveys.safeguarding_model); raises ModelError when it cannot load."""
    return _load_model()


def screen(text: str, language: str = "en") -> Screening:
    """Screen one answer; flagged when any rule fires (or low mood meets strong negativity).

    ``language`` is the form's language ("en" or "cy"). Text the screen cannot read (another
    form language, or mostly another script) comes back ``not_screened=True``; any English in
    it is still screened.
    """
    try:
        result = _screen(text, language)
    except ModelError:
        # never a silent fall back to fewer checks: everything goes to a person
        return Screening(flagged=bool((text or "").strip()), reasons=["screen incomplete: learned model missing"],
                         categories=["unknown"], score=0.5)
    except Exception:  # noqa: BLE001 - the screen must never stop an answer being stored
        return Screening(flagged=bool((text or "").strip()), reasons=["unreadable text"],
                         categories=["unknown"], score=0.5)
    try:
        other = ((language or "en").lower()[:2] not in SCREENED_LANGUAGES or _mostly_other_script(text or "")
                 or _mostly_unreadable_words(text or ""))
    except Exception:  # noqa: BLE001
        other = True
    if other and (text or "").strip():
        return Screening(flagged=result.flagged, reasons=result.reasons, categories=result.categories,
                         score=result.score, not_screened=True)
    return result


_TRAILING_FILLER = re.compile(r"(?:[\s.!?;:,]+(?:lol|lmao|lmfao|haha\w*|hehe\w*|jk|x+|idk|ngl|tbh|pls|please|innit))+[\s.!?;:,]*$")


def _screen(text: str, language: str, use_model: bool = True) -> Screening:
    try:
        normal = normalise(text)
    except Exception:  # noqa: BLE001 - the screen must never stop an answer being stored
        return Screening(flagged=bool((text or "").strip()), reasons=["unreadable text"],
                         categories=["unknown"], score=0.5)
    words, breaks = _words_and_breaks(normal)
    if not words:
        return Screening(flagged=False)
    found: dict[str, str] = {}
    negated = False
    for category, reason, pattern, negatable in _compiled():
        if category in found:
            continue
        for match in pattern.finditer(words):
            if negatable and _negated(words, breaks, match.start(), match.end(), category):
                negated = True
                continue
            found[category] = reason
            break
    # Welsh is screened on every form: children mix the languages.
    welsh, welsh_negated = screen_welsh_detail(text)
    for category, reason in welsh.items():
        found.setdefault(category, reason)
    # The learned layer, for phrasings no rule foresaw. It is not asked when a rule saw a harm
    # word and read it as negated ("nobody hurts me"): the reviewed negation rules decide that.
    # Self-harm, suicide and sexual-abuse rules are never negatable, so this never hides them.
    # Nor about a single word: one word gives it too little to read ("end", Twilio's opt-out
    # keyword, scored as harm), and one-word disclosures ("abuse", "kms") are rules.
    if use_model and not found and not (negated or welsh_negated) and len(words.split()) >= 2:
        # Laughter or filler typed after a disclosure ("... haha", "... lol x") must never hide it:
        # the model is also asked about the text without it.
        plain = _TRAILING_FILLER.sub("", normal)
        if _model().flags(normal) or (plain != normal and plain and _model().flags(plain)):
            found["possible_harm"] = "learned model"
    if not found:
        flat = words.replace("can not", "cant")
        if _low_mood_words().search(flat):
            from surveys.sentiment import sentiment

            if sentiment(words).polarity <= LOW_MOOD_POLARITY:
                found["low_mood"] = "strongly negative with a risk word"
    if not found:
        weight = _risk_weight(words)
        if weight >= RISK_THRESHOLD:
            found["possible_harm"] = "several risk words"
        elif weight >= 1:
            from surveys.sentiment import sentiment

            feeling = sentiment(words)
            if feeling.polarity <= RISK_NEGATIVE_POLARITY or weight >= 2 and feeling.label != "positive":
                found["possible_harm"] = "risk words in a negative answer"
    if not found:
        return Screening(flagged=False)
    categories = list(found)
    reasons = list(dict.fromkeys(found.values()))
    missed = 1.0
    for category in categories:
        missed *= 1.0 - WEIGHTS.get(category, 0.5)
    return Screening(flagged=True, reasons=reasons, categories=categories, score=round(1.0 - missed, 4))
