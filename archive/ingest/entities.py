"""Institutions and persons named in a text.

Institutions come from the shipped gazetteer, aliases curators add, abbreviations a text
defines ("Bank of Communications (BOCOM)"), and organisations discovered by their shape
("X Bank", "Ministry of X", "X Academy of Y", "Shanghai municipal financial service office").
Branches and sub-units count as their parent because the parent's name is what is matched.
Persons are names in a person context: an appositive with a post ("Yin Zhentao, deputy
director of …"), a title before the name ("SSE Chairman Qiu Yong") or a verb of saying.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property

from archive.ingest.gazetteer import INSTITUTIONS
from archive.ingest.outlets import outlet_names
from archive.ingest.phrases import PhraseMatcher, hints, holds_any

OUTLETS = outlet_names()

HEADS_END = (
    "Bank|Commission|Administration|Bureau|Office|Council|Association|Federation|Academy|"
    "Institute|Institution|University|College|Exchange|Center|Centre|Authority|Corporation|"
    "Corp|Company|Co|Ltd|Limited|Group|Fund|Agency|Committee|Department|Society|Organization|"
    "Organisation|Holdings|Trust|Union|Cooperative|Ministry|Government|Bourse|Chamber"
)
HEADS_OF = (
    "Bank|Ministry|Government|University|Academy|Institute|Department|Federation|Association|"
    "Bureau|Office|Administration|Commission|Authority|Council|Society|Chamber|School|"
    "Committee|Institution|Fund|Corporation|Agency"
)
# Patterns built from these lists are compiled once: a pattern given as a new string at every
# call costs hashing that string to find it in re's cache.
HEADS_END_RE = re.compile(rf"\b(?:{HEADS_END})$")
HEADS_OF_RE = re.compile(rf"\b(?:{HEADS_OF})\s+(?:of|for|on)\s+")
THE_PREFIX_RE = re.compile(r"^the\s+", re.I)
AND_THE_RE = re.compile(r"\s+and\s+the\s+")  # "Ministry of Finance and the Treasury"
POSSESSIVE_END_RE = re.compile(r"(?:’s|'s)$")
SPACES_RE = re.compile(r"\s+")
EVENT_WORDS = re.compile(
    r"\b(?:Conference|Forum|Meeting|Summit|Symposium|Expo|Session|Week|Festival|Award|Plan|"
    r"Program|Programme|Initiative|Law|Act|Rules|Index|Agreement|Partnership|Day|"
    r"Briefing|Ceremony|Fair|Games|Project|Zone|Park)\b"
)
LEADING_NOISE = re.compile(
    r"^(?:(?:The|A|An|In|On|At|During|For|By|With|As|After|Before|Under|Following|According|"
    r"To|From|And|But|While|Meanwhile|Also|Both|Its|Their|His|Her)\s+)+"
)
CAP_TAIL = r"[\w'’&.\-]*"
CAP = rf"[A-Z]{CAP_TAIL}"
CONNECT = r"(?:of|and|for|the|on|de|ng|du|la|&)"
# The patterns run over whole paragraphs open with a lookahead for the letters their matches
# can start with: at any other position they fail there, before trying each alternative
# (three to four times faster on news text). A pattern whose very first element is a set of
# characters is faster still: the engine skips to the next character of the set without
# starting a match anywhere else. ORG_SHAPE_RE is written so, the lookbehind after its first
# letter standing for the one before it (twice as fast as with the lookahead).
ORG_SHAPE_RE = re.compile(
    rf"[A-Z](?<![\w@.][A-Z]){CAP_TAIL}(?:\s+(?:{CONNECT}\s+)*{CAP})*"
)
ORG_SUFFIX_RE = re.compile(r"(?:,?\s+(?:Co\.?,?\s*Ltd\.?|Co\.?|Corp\.?|Ltd\.?|Limited|Inc\.?|Corporation|Group Co))+$")
LOCAL_BODY_RE = re.compile(
    r"(?=[A-Z])\b(?P<place>[A-Z][a-z]{2,})(?P<middle>(?:\s+(?:municipal|provincial|city|"
    r"financial|finance|work|service|services|regulatory|development|reform|supervision|"
    r"supervisory|local|banking|insurance|securities|commerce|economic|economy|information|"
    r"technology|industry|and|people's|market|administration)){1,5})\s+"
    r"(?P<head>commission|office|bureau|administration|department|government)\b"
)
WEB_COMPANY_RE = re.compile(r"(?=[A-Z])(?<![@\w.])[A-Z][A-Za-z0-9\-]+\.(?:com|cn|net|io)\b(?!\.\w)")
DEFINITION_RE = re.compile(r"\((?:shortened as |hereinafter |or )?(?P<abbr>[A-Z][A-Za-z]{1,7})\)")
NOT_PLACES = {"The", "This", "That", "Chinese", "China", "National", "State", "Its", "Their",
              "Local", "Our", "New", "Each", "Every", "All", "Other", "Some", "Many"}

DESCRIPTIVE = {
    # "the central bank" -> the central bank named in the text
    "central bank": "central_bank", "regulator": "regulator", "banking regulator": "regulator",
    "securities regulator": "regulator", "exchange": "exchange", "bourse": "exchange",
    "bank": "bank", "lender": "bank", "association": "Association", "federation": "Federation",
    "ministry": "Ministry", "commission": "Commission", "bureau": "Bureau", "office": "Office",
    "academy": "Academy", "institute": "Institute", "company": "company", "firm": "company",
    "group": "Group", "fund": "Fund", "administration": "Administration",
}
DESCRIPTIVE_RE = re.compile(
    r"\b(?:the|its|China's|the country's|the nation's)\s+(?:top\s+|own\s+|local\s+|"
    r"state-owned\s+|commercial\s+|national\s+)*(?P<noun>central bank|banking regulator|"
    r"securities regulator|regulator|exchange|bourse|bank|lender|association|federation|"
    r"ministry|commission|bureau|office|academy|institute|company|firm|group|fund|administration)"
    r"(?!\s+(?:of|for)\b)",
    re.I,
)

ROLE_WORDS = (
    r"director|directorgeneral|director-general|chairman|chairwoman|chairperson|chair|president|"
    r"governor|researcher|fellow|professor|economist|analyst|chief|head|secretary|"
    r"secretary-general|minister|vice-minister|premier|spokesperson|spokesman|spokeswoman|"
    r"commissioner|CEO|CFO|CIO|CTO|executive|manager|officer|founder|co-founder|partner|"
    r"investor|dean|lecturer|scholar|expert|adviser|advisor|strategist|official|member|mayor|"
    r"ambassador|representative|principal|leader|banker|consultant|administrator|lawmaker|"
    r"deputy|vice-chairman|vice-president|vice-governor|supervisor|trader|general manager"
)
ROLE_RE = re.compile(rf"\b(?:{ROLE_WORDS})\b", re.I)
TITLE_WORDS = (
    r"Governor|Deputy Governor|Chairman|Chairwoman|Vice[- ]Chairman|President|Vice[- ]President|"
    r"Premier|Vice[- ]Premier|Minister|Vice[- ]Minister|Secretary|Secretary-General|Director|"
    r"Director-General|Deputy Director|Chief Executive|Chief Economist|CEO|Commissioner|"
    r"Spokesperson|Spokesman|Spokeswoman|Professor|Prof\.|Dr\.|Mr\.|Ms\.|Mrs\.|Ambassador|"
    r"Economist|Analyst|Chief|Head|Chair|Mayor|Senator|Treasurer|Counselor|Councillor"
)
NAME_INITIALS = "A-ZÀ-ÖØ-Þ"  # a name starts with one of these
# Its lower-case runs are possessive (++): what may follow them (a hyphen, a space, a comma,
# an apostrophe, a word boundary) never starts with a lower-case letter, so giving letters
# back could not make a match; the engine no longer tries, at every capitalised word.
NAME_TOKEN = rf"[{NAME_INITIALS}][a-zß-öø-ÿ]++(?:-[A-ZÀ-ÖØ-Þa-zß-öø-ÿ][a-zß-öø-ÿ]++)?"
NAME = (rf"(?:(?:[A-Z]\.){{1,3}}\s?{NAME_TOKEN}|"
        rf"{NAME_TOKEN}(?:\s+[A-Z]\.)?(?:\s+{NAME_TOKEN}){{1,2}})")
SAY_VERBS = (
    r"said|says|told|added|noted|stressed|emphasized|emphasised|pointed out|explained|"
    r"remarked|commented|warned|argued|believes|believed|expressed|conveyed|asserted|"
    r"admitted|recalled|urged|suggested|estimated|predicted|expects|expected|announced|"
    r"stated|acknowledged|insisted|observed|revealed|disclosed|highlighted|underlined|"
    r"reiterated|confirmed|indicated|mentioned|wrote|concluded|continued|projected"
)
SAY_VERB_RE = re.compile(rf"\b(?:{SAY_VERBS})\b")
APPOSITIVE_RE = re.compile(
    rf"(?=[{NAME_INITIALS}])(?:\b(?:Mr|Ms|Mrs|Dr|Prof)\.\s+)?(?P<name>{NAME}),\s+"
    rf"(?P<post>(?:a|an|the)?\s*[^,.;:“”\"]*?"
    rf"\b(?i:{ROLE_WORDS})\b(?:[^.;:“”\"]|\.(?=\w))*?)(?=,\s|\.\s|\.$|$|\s+(?:{SAY_VERBS})\b|;|\s+who\b)"
)
TITLE_MODIFIERS = (
    r"Deputy|Vice|Former|Acting|Executive|Chief|Senior|Finance|Foreign|Commerce|Trade|Prime|"
    r"Principal|General|Assistant|Associate|Managing"
)
# "SSE Chairman Qiu Yong", "Finance Secretary Maria Santos": the institution, if any, is the
# mention that ends just before the title.
TITLED_RE = re.compile(
    rf"(?=[A-Z])\b(?P<title>(?:(?:{TITLE_MODIFIERS})\s+)*(?:{TITLE_WORDS}))\s+"
    rf"(?P<name>{NAME})(?:’s|'s)?\b"
)
SPEAKER_NAME_RE = re.compile(
    rf"(?=[{NAME_INITIALS}san])(?:(?P<name>{NAME})\s+(?:(?:on|last|this)\s+\w+\s+)?(?:also\s+)?"
    rf"(?:{SAY_VERBS})\b|\b(?:said|says|added|noted|according to)\s+(?P<name2>{NAME})\b)"
)
# Words a pattern needs (phrases.hints): a text without any of them is passed over. The
# local-body and web-company patterns test paragraphs for theirs; the reported-speech
# patterns (quotes.py) test each sentence for a verb of saying.
SAY_HINTS = hints(SAY_VERBS)
LOCAL_BODY_HINTS = ("commission", "office", "bureau", "administration", "department",
                    "government")
WEB_COMPANY_HINTS = (".com", ".cn", ".net", ".io")
NOT_NAME_WORDS = {
    "The", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "In", "On", "At",
    "But", "And", "For", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "China", "Chinese", "Beijing",
    "Shanghai", "Shenzhen", "Hong", "Kong", "State", "Bank", "Banks", "Central", "National",
    "Party", "Communist", "Asia", "Asian", "Pacific", "Europe", "European", "American", "United",
    "States", "Jakarta", "Manila", "Seoul", "Tokyo", "Singapore", "India", "Indian", "Japan",
    "Korea", "Korean", "Japanese", "Philippines", "Indonesia", "Government", "Ministry",
    "Commission", "Committee", "Council", "Exchange", "Market", "Markets", "Forum", "Board",
    "Financial", "Finance", "Economic", "Securities", "Stock", "Capital", "Fund", "Group",
    "According", "However", "Meanwhile", "Also", "Still", "Yet", "Global", "Times", "Daily",
    "News", "Agency", "Reuters", "Xinhua", "Street", "Road", "Province", "City", "Municipal",
    "Trade", "Foreign", "Secretary", "Governor", "Chairman", "President", "Minister",
    "Director", "Vice", "Deputy", "Premier", "Mr", "Ms", "Dr", "Last", "Next", "New", "Sci",
    "Tech", "Innovation", "Technology", "Office", "Service", "Services", "Industrial",
    "Commercial", "Construction", "Communications", "Postal", "Savings", "Development",
    "Reform", "Regulatory", "Association", "Federation", "Institute", "Academy", "University",
    "Center", "Centre", "Bureau", "Administration", "Authority", "Agricultural",
}


@dataclass
class InstitutionInfo:
    name: str
    kind: str = "other"
    country: str = ""


@dataclass
class Mention:
    start: int
    end: int
    name: str


class Gazetteer:
    """Every known institution name and alias, compiled once for a whole import run."""

    def __init__(self, extra_aliases: dict[str, str] | None = None,
                 extra_institutions: dict[str, InstitutionInfo] | None = None):
        self.info: dict[str, InstitutionInfo] = {}
        self.aliases: dict[str, str] = {}
        for name, kind, country, aliases in INSTITUTIONS:
            self.info[name] = InstitutionInfo(name, kind, country)
            for alias in [name, *aliases]:
                self.aliases[alias] = name
        for name, info in (extra_institutions or {}).items():
            self.info.setdefault(name, info)
            self.aliases.setdefault(name, name)
        for alias, name in (extra_aliases or {}).items():
            self.aliases[alias] = name
        self.folded = {alias.casefold(): name for alias, name in self.aliases.items()}

    @cached_property
    def matcher(self) -> PhraseMatcher:
        return PhraseMatcher(self.aliases)

    def find(self, text: str):
        """(start, end, canonical name) of each known name in `text`."""
        for start, end, alias in self.matcher.finditer(text):
            yield start, end, self.aliases[alias]

    def canonical(self, text: str) -> str | None:
        text = THE_PREFIX_RE.sub("", text.strip())
        return self.folded.get(text.casefold())

    def kind_of(self, name: str) -> str:
        info = self.info.get(name)
        if info:
            return info.kind
        return guess_kind(name)


def guess_kind(name: str) -> str:
    if re.search(r"\bCentral Bank\b|\bReserve Bank\b|\bMonetary Authority\b", name):
        return "central_bank"
    if re.search(r"\b(?:Regulatory|Supervisory)\b.*\b(?:Commission|Administration|Authority)\b", name):
        return "regulator"
    if re.search(r"\bExchange\b|\bBourse\b", name):
        return "exchange"
    if re.search(r"\bBank\b", name):
        return "commercial_bank"
    if re.search(r"\b(?:Academy|Institute|University|College|Institution|Research)\b", name):
        return "research"
    if re.search(r"\b(?:Ministry|Government|Bureau|Office|Council|Administration|Commission|"
                 r"Department)\b", name):
        return "government"
    if re.search(r"\b(?:Co|Corp|Company|Ltd|Group|Holdings)\b|\.com\b", name):
        return "company"
    return "other"


def _clean_org(candidate: str) -> str:
    candidate = LEADING_NOISE.sub("", candidate.strip())
    candidate = POSSESSIVE_END_RE.sub("", candidate)
    return candidate.strip(" ,.")


def _is_org_shape(name: str) -> bool:
    words = name.split()
    if len(words) < 2 or EVENT_WORDS.search(name) or name.isupper():
        return False
    if HEADS_END_RE.search(name):
        # "Centre of Excellence" is not an organisation; "Beijing Equity Trading Center" is.
        return True
    return bool(HEADS_OF_RE.search(name))


def find_institutions(paragraphs: list[str], gazetteer: Gazetteer) -> list[list[Mention]]:
    """Institution mentions of each paragraph in reading order, with canonical names.
    Abbreviations one paragraph defines ("Bank Indonesia (BI)") count in every paragraph."""
    found = [_institutions_in(text, gazetteer) for text in paragraphs]
    defined: dict[str, str] = {}
    for text, mentions in zip(paragraphs, found):
        for mention in mentions:
            definition = DEFINITION_RE.match(text, mention.end + 1)
            if definition and text[mention.end: mention.end + 1] == " ":
                defined.setdefault(definition.group("abbr"), mention.name)
    for text, mentions in zip(paragraphs, found):
        for abbr, name in defined.items():
            for match in re.finditer(rf"(?<![\w-]){re.escape(abbr)}(?![\w])", text):
                if not any(m.start < match.end() and match.start() < m.end for m in mentions):
                    mentions.append(Mention(match.start(), match.end(), name))
        mentions.sort(key=lambda m: m.start)
    return found


def _institutions_in(text: str, gazetteer: Gazetteer) -> list[Mention]:
    mentions: list[Mention] = []

    def taken(start, end):
        return any(m.start < end and start < m.end for m in mentions)

    for start, end, name in gazetteer.find(text):
        mentions.append(Mention(start, end, name))
    for match in LOCAL_BODY_RE.finditer(text) if holds_any(text, LOCAL_BODY_HINTS) else ():
        if match.group("place") in NOT_PLACES or taken(match.start(), match.end()):
            continue
        name = " ".join(w if w == "and" else w[:1].upper() + w[1:] for w in match.group().split())
        mentions.append(Mention(match.start(), match.end(), gazetteer.canonical(name) or name))
    for match in WEB_COMPANY_RE.finditer(text) if holds_any(text, WEB_COMPANY_HINTS) else ():
        if not taken(match.start(), match.end()) and not OUTLETS.get(match.group().casefold()):
            mentions.append(Mention(match.start(), match.end(), match.group()))
    for match in ORG_SHAPE_RE.finditer(text):
        raw = match.group()
        name = _clean_org(raw)
        start = match.start() + raw.find(name)
        end = start + len(name)
        if not name or OUTLETS.get(name.casefold()):
            continue
        known = gazetteer.canonical(AND_THE_RE.sub(" and ", name))
        if known:
            # A longer known name wins over the shorter one inside it.
            mentions[:] = [m for m in mentions if not (start <= m.start and m.end <= end)]
            if not taken(start, end):
                mentions.append(Mention(start, end, known))
            continue
        if taken(start, end):
            # "Fintechly.com and the Government of Kerala": what follows a known name.
            last = max(m.end for m in mentions if m.start < end and start < m.end)
            rest = re.match(rf"^[\s,]*(?:{CONNECT}\s+)*(?P<rest>.*)$", text[last:end]).group("rest")
            name = _clean_org(rest)
            start = end - len(rest) + rest.find(name) if name else end
            if not name or taken(start, end):
                continue
        if not _is_org_shape(name):
            continue
        stripped = ORG_SUFFIX_RE.sub("", name).strip(" ,")
        if len(stripped.split()) < 2 and not stripped.endswith(".com"):
            continue
        mentions.append(Mention(start, end, gazetteer.canonical(stripped) or stripped))
    mentions.sort(key=lambda m: m.start)
    return mentions


def resolve_descriptive(noun: str, before: int, mentions: list[Mention], gazetteer: Gazetteer,
                        default_central_bank: str | None = None) -> str | None:
    """The institution "the bank", "the regulator", "the central bank" refers to: the most
    recent one of that kind named before `before`, else the only one in the text."""
    want = DESCRIPTIVE.get(noun.lower())
    if not want:
        return None

    def fits(name):
        kind = gazetteer.kind_of(name)
        if want == "bank":
            return kind in ("commercial_bank", "policy_bank") or (
                "Bank" in name and kind != "central_bank")
        if want in ("central_bank", "regulator", "exchange", "company"):
            return kind == want
        return want in name

    earlier = [m.name for m in mentions if m.start < before and fits(m.name)]
    if earlier:
        return earlier[-1]
    anywhere = {m.name for m in mentions if fits(m.name)}
    if len(anywhere) == 1:
        return anywhere.pop()
    if want == "central_bank" and not anywhere:
        return default_central_bank
    return None


@dataclass
class PersonInfo:
    name: str
    role: str = ""
    affiliation: str | None = None
    aliases: set[str] = field(default_factory=set)


def _role_and_affiliation(post: str, offset: int, mentions: list[Mention],
                          context: list[Mention], gazetteer) -> tuple[str, str | None]:
    """Split "deputy director of the National Academy of …" into role and institution."""
    inside = [m for m in mentions if offset <= m.start < offset + len(post)]
    cut = len(post)
    affiliation = None
    if inside:
        affiliation = inside[0].name
        cut = inside[0].start - offset
    else:
        descriptive = DESCRIPTIVE_RE.search(post)
        if descriptive:
            affiliation = resolve_descriptive(descriptive.group("noun"), offset, context, gazetteer)
            if affiliation:
                cut = descriptive.start()
    role = post[:cut]
    role = re.sub(r"\s+(?:of|at|with|from|for|in)(?:\s+the)?\s*$", "", role.strip(" ,"))
    role = re.sub(r"^(?:a|an|the)\s+", "", role, flags=re.I)
    role = re.sub(r"\b[\w-]+-based\s+", "", role)
    role = POSSESSIVE_END_RE.sub("", role).strip(" ,")
    return role.lower(), affiliation


def _plausible_name(name: str, mentions: list[Mention], start: int, end: int,
                    bylines: set[str]) -> bool:
    tokens = name.replace(".", ". ").split()
    if any(t in NOT_NAME_WORDS for t in tokens):
        return False
    if name in bylines or name.title() in bylines:
        return False
    return not any(m.start < end and start < m.end for m in mentions)


def find_persons(paragraphs: list[str], institutions: list[list[Mention]], gazetteer: Gazetteer,
                 bylines: set[str]) -> dict[str, PersonInfo]:
    """Named persons with the role and affiliation the text states (first statement wins)."""
    persons: dict[str, PersonInfo] = {}

    def add(name, role="", affiliation=None):
        name = SPACES_RE.sub(" ", name).strip()
        person = persons.setdefault(name, PersonInfo(name))
        if role and not person.role:
            person.role, person.affiliation = role, affiliation
        elif affiliation and not person.affiliation:
            person.affiliation = affiliation

    seen: list[Mention] = []  # earlier paragraphs' mentions, for "president of the bank"
    for text, mentions in zip(paragraphs, institutions):
        context = seen + mentions
        seen = seen + [Mention(-1, -1, m.name) for m in mentions]
        # No hints() first: opening with a lookahead, these patterns pass over a paragraph
        # faster than a test for the words they need would.
        for match in APPOSITIVE_RE.finditer(text):
            name = match.group("name")
            if not _plausible_name(name, mentions, match.start("name"), match.end("name"), bylines):
                continue
            post, post_start = match.group("post"), match.start("post")
            # "Principal Secretary, Information Technology, Government of Maharashtra."
            tail = re.match(r"[^.;“”\"]*", text[match.end("post"):]).group()
            if tail.startswith(",") and not SAY_VERB_RE.search(tail) and any(
                    match.end("post") <= m.start < match.end("post") + len(tail) for m in mentions):
                post += tail
            role, affiliation = _role_and_affiliation(post, post_start, mentions, context,
                                                      gazetteer)
            if role and len(role.split()) <= 12:
                add(name, role, affiliation)
        for match in TITLED_RE.finditer(text):
            name = match.group("name")
            if not _plausible_name(name, mentions, match.start("name"), match.end("name"), bylines):
                continue
            role = match.group("title")
            if re.fullmatch(r"(?:Mr|Ms|Mrs|Dr|Prof)\.", role):
                role = ""
            before = text[: match.start("title")].rstrip()
            before = before[:-2] if before.endswith(("'s", "’s")) else before
            org = [m.name for m in mentions if m.end == len(before)]
            add(name, role.lower(), org[0] if org else None)
        for match in SPEAKER_NAME_RE.finditer(text):
            name = match.group("name") or match.group("name2")
            span = match.span("name") if match.group("name") else match.span("name2")
            if _plausible_name(name, mentions, *span, bylines) and len(name.split()) >= 2:
                add(name)
    for person in persons.values():
        tokens = [t for t in re.split(r"[\s.]+", person.name) if len(t) > 1]
        person.aliases = {person.name, *tokens}
    return persons
