"""Entities: organisations and persons recognised in the annotated paragraphs, then
canonicalised to the archive's institutions and persons.

Recognition is the model's (spaCy's ORG and PERSON entities) with the gazetteer laid over it as
an entity ruler: a known name or alias always wins and carries its canonical name. An
organisation the gazetteer does not know becomes an institution under the name the text gives,
once it passes the shape tests below (not an outlet, not an event, not an internal body such as
"the Governing Council", not an undefined acronym). Roles come from the words around a name:
a title before it ("Bundesbank vice president Helmut Schlesinger") or an appositive after it
("Philip Shaw, chief economist at Investec Securities").
"""

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property

from archive.ingest import language
from archive.ingest.gazetteer import INSTITUTIONS
from archive.ingest.outlets import outlet_names
from archive.ingest.phrases import CJK_RE

OUTLETS = outlet_names()

# Words of an organisation's name that say nothing about which one it is: a name made of
# these alone ("the Governing Council", "Monetary Policy Committee", "communications
# department") is an internal body of an institution named elsewhere, not an institution.
GENERIC_ORG_WORDS = {
    "the", "of", "and", "for", "on", "&", "'s", "’s", "board", "boards", "council", "committee",
    "committees", "department", "division", "office", "unit", "group", "team", "hub", "centre",
    "center", "directorate", "secretariat", "governing", "executive", "monetary", "policy",
    "financial", "finance", "markets", "market", "open", "supervisory", "supervision",
    "communications", "communication", "general", "international", "research", "risk",
    "stability", "economic", "economics", "statistics", "operations", "legal", "services",
    "search", "bank", "banks", "central", "management", "investment", "innovation", "public",
    "affairs", "relations", "press", "media", "audit", "compliance", "treasury", "payments",
    "banking", "credit", "governors", "directors", "trustees", "advisory", "assembly",
    "administration", "government", "ministry", "agency", "authority",
    "commission", "exchange", "fund", "institute", "association", "system", "network",
    "state", "party", "people", "people's", "reserve", "federal", "aggregates", "capital",
    "debt", "syndicate", "sovereign", "supranational", "equity", "income", "fixed",
    "investments", "institutions", "excellence", "external",
}
CONNECTORS = {"and", "of", "for", "the", "with", "to", "in", "on", "&"}
# Names opening with these are publications or documents.
NOT_ORG_FIRST = {"journal", "review", "memorandum", "report", "annual", "quarterly"}
GROUPING_RE = re.compile(r"^G-?\d+$")
# An organisation named with one of these last is an event, a law or a product.
NOT_ORG_HEADS = {
    "conference", "summit", "meeting", "meetings", "forum", "week", "expo", "act", "law",
    "plan", "program", "programme", "index", "agreement", "project", "initiative", "award",
    "prize", "report", "survey", "day", "session", "sessions", "show", "podcast", "rules",
    "bill", "framework", "accord", "treaty", "partnership", "understanding", "rate", "rates",
    "guidelines", "bond", "bonds", "notes", "loan", "loans", "market",
}
LEGAL_SUFFIX_RE = re.compile(
    r"(?:,?\s+(?:Inc\.?|Ltd\.?|LLC|L\.L\.C\.|plc|PLC|Co\.,?\s*Ltd\.?|Co\.?|Corp\.?|AG|SA|S\.A\.|"
    r"N\.V\.|GmbH|Limited))+$"
)
THE_RE = re.compile(r"^(?:the|The|THE)\s+")
POSSESSIVE_RE = re.compile(r"(?:'s|’s|'|’)$")
ACRONYM_RE = re.compile(r"^[A-Z][A-Za-z&]*[A-Z][A-Za-z&]*$")
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord",
              "lady", "madam", "mr.", "mrs.", "ms.", "dr.", "prof."}
POST_NOMINALS = {"ao", "ac", "am", "oam", "obe", "cbe", "mbe", "kbe", "dbe", "phd", "ph.d.",
                 "cfa", "cpa", "mp", "qc", "kc", "esq", "esq."}
# Head words of a person's post. A role is kept only when it ends in one of these.
ROLE_HEADS = {
    "governor", "deputy", "chairman", "chairwoman", "chairperson", "chair", "president",
    "director", "director-general", "secretary", "secretary-general", "minister", "economist",
    "analyst", "strategist", "professor", "researcher", "fellow", "head", "chief", "ceo", "cfo",
    "coo", "cio", "cto", "officer", "executive", "manager", "treasurer", "commissioner",
    "spokesman", "spokeswoman", "spokesperson", "member", "counsellor", "counselor", "adviser",
    "advisor", "founder", "co-founder", "partner", "dean", "lecturer", "scholar", "expert",
    "official", "mayor", "premier", "senator", "representative", "ambassador", "moderator",
    "host", "trader", "banker", "investor", "leader", "principal", "coordinator",
    "administrator", "vice-president", "vice-chairman", "vice-governor", "vice-minister",
    "comptroller", "superintendent", "registrar", "auditor", "consultant", "architect",
    "correspondent", "lawmaker", "congressman", "congresswoman", "judge", "chancellor",
    "mp", "owner", "board",
}
SPACES_RE = re.compile(r"\s+")
# Words that name organisations rather than people.
ORG_WORDS = {"partners", "securities", "capital", "holdings", "bancorp", "insurance", "bank",
             "group", "inc", "ltd", "corp", "company", "university", "college", "school",
             "foundation", "trust", "asset", "assets", "investments", "advisors", "advisers",
             "consulting", "research", "ratings", "global", "international", "national",
             "federal", "reserve", "street", "news", "times", "post", "journal"}


@dataclass
class InstitutionInfo:
    name: str
    kind: str = "other"
    country: str = ""


@dataclass
class PersonInfo:
    name: str
    role: str = ""
    affiliation: str | None = None


@dataclass(frozen=True)
class Mention:
    """An entity named at tokens [start, end) of a paragraph."""

    paragraph: int
    start: int
    end: int
    name: str
    kind: str  # "person" or "institution"


class Gazetteer:
    """Every known institution name and alias, with the entity ruler built from them once for
    a whole import run."""

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
        # Chinese names: the English tokenizer keeps a run of characters as one token, so
        # they are found in the text itself.
        self.chinese = {alias: name for alias, name in self.aliases.items() if CJK_RE.search(alias)}

    @cached_property
    def ruler(self):
        """spaCy's entity ruler over the model's entities: a known name replaces whatever
        entity the model saw there. Names match case: "Fed" is not "fed", "SAFE" not "safe",
        and "Industrial Bank" not "an industrial bank"."""
        from spacy.pipeline import EntityRuler

        nlp = language.english()
        ruler = EntityRuler(nlp, phrase_matcher_attr="ORTH", overwrite_ents=True)
        patterns = []
        for alias, name in self.aliases.items():
            # As written, with either apostrophe, and in capitals for the shouted
            # headlines of newswire.
            for form in {alias, alias.replace("'", "’"), alias.upper()}:
                patterns.append({"label": "ORG", "pattern": form, "id": name})
                if form.endswith(("'s", "’s")) and " " not in form:
                    # "Moody’s/S&P": a possessive the tokenizer left whole
                    patterns.append({"label": "ORG", "pattern": [{"ORTH": form}], "id": name})
        # The ruler tokenizes its patterns with the pipeline it is given, which outside a
        # pipeline means tagging and parsing two thousand names: the tokenizer is enough.
        with nlp.select_pipes(disable=nlp.pipe_names):
            ruler.add_patterns(patterns)
        return ruler

    def canonical(self, text: str) -> str | None:
        return self.folded.get(THE_RE.sub("", text.strip()).casefold())

    def misspelt(self, text: str) -> str | None:
        """The known institution a long name misspells by a letter or two ("Banko Sentral ng
        Pilipinas")."""
        if len(text) < 12:
            return None
        close = difflib.get_close_matches(text, self.info, n=1, cutoff=0.94)
        return close[0] if close else None

    def kind_of(self, name: str) -> str:
        info = self.info.get(name)
        return info.kind if info else guess_kind(name)


def guess_kind(name: str) -> str:
    if re.search(r"\bCentral Bank\b|\bReserve Bank\b|\bMonetary Authority\b", name):
        return "central_bank"
    if re.search(r"\b(?:Regulatory|Supervisory)\b.*\b(?:Commission|Administration|Authority)\b", name):
        return "regulator"
    if re.search(r"\bExchange\b|\bBourse\b", name):
        return "exchange"
    if re.search(r"\bBank\b", name):
        return "commercial_bank"
    if re.search(r"\b(?:Academy|Institute|University|College|Institution|Research|School)\b", name):
        return "research"
    if re.search(r"\b(?:Ministry|Government|Bureau|Office|Council|Administration|Commission|"
                 r"Department|Congress|Senate|House)\b", name):
        return "government"
    if re.search(r"\b(?:Co|Corp|Company|Ltd|Group|Holdings|Inc)\b|\.com\b", name):
        return "company"
    return "other"


# "the Federal Reserve Banks of Boston, New York and Chicago": one institution per place.
COORDINATED_RE = re.compile(
    r"(?P<prefix>(?:[A-Z][\w.'’-]*\s+)*)(?P<plural>Banks|Universities|Ministries|Departments|"
    r"Commissions|Authorities|Exchanges|Institutes)\s+of\s+"
    r"(?P<places>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*(?:\s*,\s*(?:and\s+)?[A-Z][\w.'’-]*"
    r"(?:\s+[A-Z][\w.'’-]*)*)*(?:,?\s+and\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*)?)"
)
SINGULAR = {"Banks": "Bank", "Universities": "University", "Ministries": "Ministry",
            "Departments": "Department", "Commissions": "Commission",
            "Authorities": "Authority", "Exchanges": "Exchange", "Institutes": "Institute"}


def coordinated_names(text: str) -> list[str]:
    names = []
    for match in COORDINATED_RE.finditer(text):
        head = f"{match['prefix']}{SINGULAR[match['plural']]} of "
        for place in re.split(r"\s*,\s*(?:and\s+)?|,?\s+and\s+", match["places"]):
            place = place.rstrip(".") if place.count(".") == 1 and place.endswith(".") else place
            if place:
                names.append(SPACES_RE.sub(" ", head + place).strip())
    return names


@dataclass
class Entities:
    """What a document names: institutions in order of first mention, persons by canonical
    name, and every mention by paragraph and token."""

    institutions: list[str] = field(default_factory=list)
    persons: dict[str, PersonInfo] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    acronyms: dict[str, str] = field(default_factory=dict)

    def add_institution(self, name: str) -> None:
        if name not in self.institutions:
            self.institutions.append(name)


def clean_org(text: str) -> str:
    text = SPACES_RE.sub(" ", text).strip(" ,.;:()[]\"'“”")
    text = THE_RE.sub("", text)
    # "American Economic Association's Committee on …": a body counts as its parent.
    text = re.split(r"(?:'s|’s)\s+(?=[A-Z])", text, maxsplit=1)[0]
    # "Founder, Crystal Steel Fabricators": a post run into the name.
    words = text.split()
    while len(words) > 1 and words[0].strip(",").casefold() in ROLE_HEADS:
        words.pop(0)
    text = " ".join(words)
    # "Comcast Corporation" is Comcast; "Federal Deposit Insurance Corporation" keeps its name.
    text = re.sub(r"^(\S+)\s+(?:Corporation|Company|Incorporated)$", r"\1", text)
    text = POSSESSIVE_RE.sub("", text).strip()
    return LEGAL_SUFFIX_RE.sub("", text).strip(" ,")


def is_institution_name(name: str) -> bool:
    """Shape tests for an organisation the gazetteer does not know."""
    words = name.split()
    if not words or len(name) < 3 or not name[0].isupper():
        return False
    if any(c.isdigit() for c in name) or "/" in name or GROUPING_RE.match(name):
        return False  # "M1B", "AAA/AAA", "G20": figures, ratings and groupings
    if words[-1].casefold() in CONNECTORS or words[0].casefold() in NOT_ORG_FIRST:
        return False  # a name cut short, or a document's title
    if sum(w.casefold() in ROLE_HEADS or w.casefold() in ("&", "and", "next", "vice")
           for w in words) * 2 >= len(words):
        return False  # "Next President & CEO": a post
    if any(name.casefold() == outlet or name.casefold().startswith(outlet + " ")
           for outlet in OUTLETS) or name[:1].isdigit():
        return False
    if ACRONYM_RE.match(name) and len(words) == 1:
        return False  # an acronym nobody defined: which body it names is a guess
    if words[-1].casefold() in NOT_ORG_HEADS:
        return False
    if all(w.casefold().strip(",") in GENERIC_ORG_WORDS for w in words):
        return False
    if name.isupper() and len(words) > 1:
        return False  # a headline or a shouted line, not a name
    return True


NAME_PARTICLES = {"de", "van", "von", "der", "ng", "bin", "binti", "al", "la", "le", "du", "da",
                  "di", "del", "dos", "ter"}
PERSON_TITLES = {w.rstrip(".") for w in HONORIFICS} | {"vice", "deputy", "former", "acting",
                                                       "assistant", "senior", "chief"}


def clean_person(tokens) -> str | None:
    """A person's name from the tokens the model marked, without honorifics, titles and
    post-nominals; None when what is left is not a full name. Words are read as written, so
    "Ju-yeol" and "Matlock-Turner" stay one word."""
    words = SPACES_RE.sub(" ", tokens.text).strip(" ,.;:").split()
    while words and (words[0].casefold().rstrip(".") in PERSON_TITLES
                     or words[0].casefold() in ROLE_HEADS):
        words.pop(0)
    if words:
        words[-1] = POSSESSIVE_RE.sub("", words[-1])
    while words and (not words[-1] or words[-1].casefold() in POST_NOMINALS):
        words.pop()
    if len(words) < 2 or len(words) > 5:
        return None
    if any(any(c.isdigit() for c in w) or not (w[:1].isupper() or w in NAME_PARTICLES)
           for w in words):
        return None
    if all(w.isupper() and len(w) > 2 for w in words):
        return None
    folded = [w.casefold() for w in words]
    if any(w in ORG_WORDS or w in NOT_ORG_HEADS or w in GENERIC_ORG_WORDS and w not in NAME_PARTICLES
           for w in folded) or " ".join(folded) in OUTLETS or folded[0] in OUTLETS:
        return None  # "Project Mandala", "Global Governance", "Yicai Global"
    return " ".join(words)


def person_key(name: str) -> tuple[str, str]:
    """First and last word: "Patrick Harker" and "Patrick T. Harker" are one person."""
    words = name.casefold().replace(".", "").split()
    return words[0], words[-1]


def recognise(docs, title: str, gazetteer: Gazetteer, bylines: set[str]) -> Entities:
    """Institutions and persons of a document whose paragraphs the model annotated."""
    found = Entities()
    keys: dict[tuple[str, str], str] = {}
    for doc in docs:
        for start, end, long_name in _definitions(doc, gazetteer):
            found.acronyms[doc[start:end].text] = long_name
    for doc in docs:
        gazetteer.ruler(doc)
    surnames = _surnames_in_use(docs)
    for index, doc in enumerate(docs):
        _mark_local_bodies(doc)
        if surnames:
            _mark_full_names(doc, surnames)
        for ent in doc.ents:
            if ent.label_ != "PERSON" and not _named_like_a_person(doc, ent):
                continue
            name = clean_person(ent)
            if not name or gazetteer.canonical(name):
                continue
            key = person_key(name)
            canonical = keys.setdefault(key, name)
            if len(name) > len(canonical):  # the fuller form, middle initials kept
                found.persons[name] = found.persons.pop(canonical, PersonInfo(name))
                found.persons[name].name = name
                keys[key] = canonical = name
            person = found.persons.setdefault(canonical, PersonInfo(canonical))
            found.mentions.append(Mention(index, ent.start, ent.end, canonical, "person"))
            if not person.role:
                person.role, affiliation = role_of(doc, ent, gazetteer, found.acronyms)
                person.affiliation = person.affiliation or affiliation
    # A shortened name ("Greenspan", "Mr Bessent"), which the model may take for an
    # organisation, stands for the person of that name.
    short = {}
    for name in found.persons:
        for word in {name.split()[0], name.split()[-1]}:
            short[word] = None if short.get(word, name) != name else name
    for index, doc in enumerate(docs):
        for name in coordinated_names(doc.text):
            found.add_institution(gazetteer.canonical(name) or name)
        if CJK_RE.search(doc.text):
            for alias, name in gazetteer.chinese.items():
                if alias in doc.text:
                    found.add_institution(name)
        for ent in doc.ents:
            words = [t.text for t in ent if t.lower_.rstrip(".") not in HONORIFICS
                     and t.text not in ("'s", "’s")]
            full = short.get(words[-1]) if words and len(words) <= 2 and not ent.ent_id_ else None
            if full and all(w in full.split() for w in words):
                found.mentions.append(Mention(index, ent.start, ent.end, full, "person"))
                person = found.persons[full]
                if not person.role:  # "Federal Reserve chairman Mr Greenspan"
                    person.role, affiliation = role_of(doc, ent, gazetteer, found.acronyms)
                    person.affiliation = person.affiliation or affiliation
            elif ent.label_ == "ORG" and (ent.ent_id_ or not _is_heading(doc)):
                name = _institution(ent, gazetteer, found.acronyms)
                if name:
                    found.add_institution(name)
                    found.mentions.append(Mention(index, ent.start, ent.end, name, "institution"))
        # A defined acronym the model did not mark is still a mention of its institution.
        marked = {t.i for ent in doc.ents for t in ent}
        for token in doc:
            if token.i not in marked and token.text in found.acronyms:
                found.mentions.append(Mention(index, token.i, token.i + 1,
                                              found.acronyms[token.text], "institution"))
    # A name the page credits (a byline, a photographer) is not a person of the story unless
    # the story itself names that person again.
    for name in [n for n in found.persons if n in bylines]:
        if sum(m.name == name for m in found.mentions) < 2:
            del found.persons[name]
            found.mentions = [m for m in found.mentions if m.name != name]
    _list_affiliations(docs, found)
    for ent in gazetteer.ruler(language.tokens_only(title)).ents:
        found.add_institution(ent.ent_id_)
    _rename_merged(found, keys)
    return found


def _is_heading(doc) -> bool:
    """A short line in title case (a heading, a table's labels): the model takes its words
    for organisations' names, so it names none the gazetteer does not know. A line that
    names a person with a post ("John Fry, President, Temple University") is no heading."""
    if any(e.label_ == "PERSON" for e in doc.ents) or any(t.text == "," or t.pos_ in ("VERB", "AUX")
                                                         for t in doc):
        return False
    words = [t for t in doc if t.is_alpha and not t.is_stop]
    return len(doc) <= 25 and len(words) >= 2 and sum(t.text[0].isupper() for t in words) >= 0.8 * len(words)


PERSON_CONTEXT = ROLE_HEADS | {"vice", "deputy", "senior", "former", "assistant", "mr", "ms",
                                "mrs", "dr"}


def _named_like_a_person(doc, ent) -> bool:
    """The small model sometimes takes a name for an organisation ("Mervyn Hale, governor
    of …"). An unknown "organisation" of two or three capitalised words, none of them a word
    organisations are named with, beside a post, is a person."""
    if ent.label_ != "ORG" or ent.ent_id_ or not 2 <= len(ent) <= 3:
        return False
    if not all(t.pos_ == "PROPN" and t.text[:1].isupper() and t.text[1:].islower() for t in ent):
        return False
    if any(t.lower_ in GENERIC_ORG_WORDS or t.lower_ in NOT_ORG_HEADS or t.lower_ in ORG_WORDS
           for t in ent):
        return False
    after = doc[ent.end + 1] if ent.end + 1 < len(doc) and doc[ent.end].text == "," else None
    before = doc[ent.start - 1] if ent.start > 0 else None
    return bool(after is not None and (after.lower_ in PERSON_CONTEXT or after.lower_ in ("a", "an", "the") and
                ent.end + 2 < len(doc) and doc[ent.end + 2].lower_ in PERSON_CONTEXT)
                or before is not None and before.lower_.rstrip(".") in PERSON_CONTEXT)


TITLES_BEFORE_SURNAME = {"mr", "ms", "mrs", "dr", "prof", "miss"}
SAYING_LEMMAS = {"say", "tell", "add", "note", "explain", "warn"}


def _surnames_in_use(docs) -> set[str]:
    """Words the text uses as a person's surname: after "Mr"/"Ms"/"Dr", or alone as the one
    who says something ("Paulson said"), when the gazetteer does not know them."""
    found = set()
    for doc in docs:
        for token in doc:
            if token.pos_ != "PROPN" or not token.text[:1].isupper() or token.ent_id_:
                continue
            if token.i > 0 and doc[token.i - 1].lower_.rstrip(".") in TITLES_BEFORE_SURNAME or \
                    token.dep_ == "nsubj" and token.head.lemma_ in SAYING_LEMMAS and \
                    not any(c.dep_ == "compound" for c in token.children):
                found.add(token.text)
    return found


LOCAL_HEADS = {"commission", "office", "bureau", "administration", "department", "government",
               "committee", "council"}


def _mark_local_bodies(doc) -> None:
    """"the Shanghai financial work commission": a place and lower-case words before the
    head of a public body name that body, which the model, reading capitals, misses."""
    from spacy.tokens import Span

    found = []
    for chunk in doc.noun_chunks:
        words = [t for t in chunk if t.dep_ not in ("det", "poss")]
        if chunk.root.lower_ not in LOCAL_HEADS or len(words) < 3 or len(words) > 7:
            continue
        place, rest = words[0], words[1:]
        if place.ent_type_ != "GPE" or not all(t.is_lower and t.is_alpha for t in rest):
            continue
        if any(t.ent_type_ for t in rest):
            continue
        name = " ".join([place.text, *(t.text.capitalize() for t in rest)])
        found.append(Span(doc, place.i, rest[-1].i + 1, label="ORG", span_id=name))
    _replace_entities(doc, found)


def _mark_full_names(doc, surnames: set[str]) -> None:
    """A given name before a surname in use ("Anna Paulson", "Isabel Vansteenkiste") is a
    person's full name, whatever the model took it for."""
    spans = []
    for token in doc[1:]:
        if token.text not in surnames or token.ent_type_ == "PERSON":
            continue
        start = token.i - 1
        if re.fullmatch(r"[A-Z]\.", doc[start].text) and start > 0:
            start -= 1  # a middle initial
        given = doc[start]
        if given.pos_ == "PROPN" and given.text[:1].isupper() and given.text[1:].islower() and \
                not given.ent_id_ and not token.ent_id_ and given.lower_.rstrip(".") not in TITLES_BEFORE_SURNAME \
                and given.lower_ not in ROLE_HEADS and doc[start].ent_type_ != "PERSON":
            spans.append(doc[start:token.i + 1])
    from spacy.tokens import Span

    _replace_entities(doc, [Span(doc, s.start, s.end, label="PERSON") for s in spans])


def _replace_entities(doc, spans) -> None:
    """Lay `spans` over the doc's entities, dropping those they overlap."""
    if not spans:
        return
    taken = {i for span in spans for i in range(span.start, span.end)}
    doc.ents = [e for e in doc.ents if not taken & set(range(e.start, e.end))] + list(spans)


def _list_affiliations(docs, found: Entities) -> None:
    """"Voting for the FOMC monetary policy action were: A, Chairman; B; C": the people of a
    list an institution introduces are of that institution, unless the list says otherwise."""
    by_paragraph: dict[int, list[Mention]] = {}
    for mention in found.mentions:
        by_paragraph.setdefault(mention.paragraph, []).append(mention)
    for index, doc in enumerate(docs):
        colon = next((t.i for t in doc if t.text == ":"), None)
        if colon is None or sum(t.text == ";" for t in doc[colon:]) < 2:
            continue
        here = by_paragraph.get(index, [])
        introducing = [m.name for m in here if m.kind == "institution" and m.end <= colon]
        if not introducing:
            continue
        for mention in here:
            if mention.kind == "person" and mention.start > colon:
                person = found.persons.get(mention.name)
                if person and not person.affiliation:
                    person.affiliation = introducing[-1]


def _rename_merged(found: Entities, keys: dict) -> None:
    """Mentions recorded under a shorter form of a name point to the fuller one."""
    mentions = []
    for mention in found.mentions:
        if mention.kind == "person":
            full = keys[person_key(mention.name)]
            mention = Mention(mention.paragraph, mention.start, mention.end, full, "person")
        mentions.append(mention)
    found.mentions = mentions


def _definitions(doc, gazetteer: Gazetteer):
    """"Bank for International Settlements (BIS)": the acronym in brackets after a name."""
    for token in doc[2:-1]:
        if token.text in ("(", "（") or not ACRONYM_RE.match(token.text):
            continue
        before, after = token.nbor(-1), token.nbor(1)
        if before.text not in ("(", "（") or after.text not in (")", "）"):
            continue
        # The name is the capitalised words before the bracket.
        start = before.i
        while start > 0 and (doc[start - 1].text[:1].isupper() or doc[start - 1].lower_ in
                             ("of", "and", "for", "the", "&", "on")):
            start -= 1
        while start < before.i and not doc[start].text[:1].isupper():
            start += 1
        long_text = clean_org(doc[start:before.i].text)
        if not long_text or long_text.split()[0].casefold() == token.text.casefold():
            continue
        if gazetteer.canonical(token.text):
            continue  # an abbreviation the gazetteer knows keeps its meaning, misspelt or not
        if not gazetteer.canonical(long_text) and not is_institution_name(long_text):
            continue  # "Memorandum of Understanding (MoU)", "Monetary Policy Committee (MPC)"
        initials = "".join(w[0] for w in long_text.split() if w[:1].isupper())
        if token.text[0] != initials[:1] and token.text not in initials:
            continue
        yield token.i, token.i + 1, gazetteer.canonical(long_text) or long_text


def _institution(ent, gazetteer: Gazetteer, acronyms: dict[str, str]) -> str | None:
    doc = ent.doc
    if ent.start > 0 and doc[ent.start - 1].text == "-" and not doc[ent.start - 1].whitespace_ \
            or ent.end < len(doc) and doc[ent.end].text == "-" and not doc[ent.end - 1].whitespace_:
        return None  # part of a hyphenated word: "CBN" in "ABS-CBN"
    if ent.ent_id_:
        return ent.ent_id_
    text = clean_org(ent.text)
    if text in acronyms:
        return acronyms[text]
    if ent[0].tag_ == "VBG":
        return None  # "improving the financial service system": an aim, not a body
    known = gazetteer.canonical(text) or gazetteer.misspelt(text)
    if known:
        return known
    # "the Bank's Monetary Policy Committee", "BIS Innovation Hub": a body of an institution.
    head = ent.root
    if head.lower_ in GENERIC_ORG_WORDS and any(t.ent_type_ == "ORG" and t.ent_id_ for t in
                                                head.lefts):
        return None
    return text if is_institution_name(text) else None


ROLE_STOP_POS = {"DET", "PUNCT", "VERB", "AUX", "PRON", "CCONJ", "SCONJ", "NUM", "ADV", "PART"}
ROLE_BRIDGE = {"of", "at", "for", "with", "and", "to", "the", "&", "in"}


def role_of(doc, ent, gazetteer: Gazetteer, acronyms: dict) -> tuple[str, str | None]:
    """The post a person holds as the text states it, and the institution of that post:
    from the words before the name ("Bundesbank vice president Helmut Schlesinger"), else
    from an appositive after it ("Philip Shaw, chief economist at Investec Securities")."""
    words, affiliation = [], None
    i = ent.start - 1
    while i >= 0 and doc[i].lower_.rstrip(".") in HONORIFICS:  # "chairman Mr Greenspan"
        i -= 1
    while i >= 0:
        token = doc[i]
        if token.ent_type_ == "ORG":
            span = _entity_at(doc, i)
            known = _institution_of_span(span, gazetteer, acronyms)
            if len(span) == 1 and not span[0].ent_id_ and span.text not in acronyms:
                words.insert(0, token)  # "Treasury Secretary": a title, not an institution
            elif not known and all(t.lower_ in GENERIC_ORG_WORDS for t in span):
                words[0:0] = list(span)  # "former Executive Board member": a body, in the post
            else:
                affiliation = affiliation or known
                # Before the institution only "former" or "then" still belongs to the post.
                while span.start > 0 and doc[span.start - 1].lower_ in ("former", "then", "acting"):
                    span = doc[span.start - 1:span.end]
                    words.insert(0, span[0])
                break
            i = span.start - 1
            continue
        if token.text in ("'s", "’s") and i > 0 and doc[i - 1].ent_type_ == "ORG":
            i -= 1
            continue
        if token.text == "-" and words and not token.whitespace_ and i > 0 and \
                not doc[i - 1].whitespace_:  # "vice-chairman"
            words.insert(0, token)
            i -= 1
            continue
        if token.pos_ in ROLE_STOP_POS and token.lower_ not in ("former", "then"):
            break
        if token.ent_type_ in ("PERSON", "GPE", "DATE", "NORP"):
            break
        if token.pos_ not in ("NOUN", "PROPN", "ADJ") and token.lower_ != "former":
            break
        words.insert(0, token)
        i -= 1
    if words and words[-1].lower_ in ROLE_HEADS:
        return _words(words), affiliation
    for reading in (_appositive_role, _post_before, _post_in_clause):
        role, affiliation = reading(doc, ent, gazetteer, acronyms)
        if role:
            return role, affiliation
    return "", None


# "Roland Straub, who has been appointed Deputy Director General …", "As Deputy Director
# General …, Mr Straub will": a post stated in a clause about the person.
POST_CLAUSE_RE = re.compile(
    r"^,?\s*who\s+(?:is|was|has\s+been|will\s+be|becomes|became)\s+(?:appointed\s+|named\s+)?"
    r"(?:as\s+)?(?:the\s+|an?\s+|its\s+)?(?P<post>[^,.;()]{3,80})", re.I)
POST_BEFORE_RE = re.compile(r"\bAs\s+(?:the\s+|an?\s+)?(?P<post>[^,.;()]{3,80}),\s*$")


def _post_in_clause(doc, ent, gazetteer, acronyms) -> tuple[str, str | None]:
    sentence = ent.sent
    after = doc.text[ent.end_char:sentence.end_char]
    before = doc.text[sentence.start_char:ent.start_char]
    before = re.sub(r"(?:Mr|Ms|Mrs|Dr)\.?\s*$", "", before)
    match = POST_CLAUSE_RE.match(after) or POST_BEFORE_RE.search(before)
    if not match:
        return "", None
    span = doc.char_span(*(match.span("post") if match.re is POST_BEFORE_RE else
                           (ent.end_char + match.start("post"), ent.end_char + match.end("post"))),
                         alignment_mode="contract")
    if span is None:
        return "", None
    words, affiliation = [], None
    for token in span:
        if token.ent_type_ == "ORG":
            affiliation = affiliation or _institution_of_span(_entity_at(doc, token.i), gazetteer, acronyms)
            break
        if token.pos_ in ("VERB", "AUX", "ADP") and token.lower_ not in ("of",):
            break
        words.append(token)
    while words and words[-1].lower_ in ROLE_BRIDGE:
        words.pop()
    if not words or not any(w.lower_ in ROLE_HEADS for w in words):
        return "", None
    return _words(words), affiliation


def _post_before(doc, ent, gazetteer, acronyms) -> tuple[str, str | None]:
    """"The chairman of the Federal Reserve Board, Paul Volcker, …": the name in apposition
    to a post."""
    post = ent.root.head
    if ent.root.dep_ != "appos" or post.lower_ not in ROLE_HEADS or post.i > ent.start:
        return "", None
    words = [c for c in post.lefts if c.dep_ in ("amod", "compound")] + [post]
    affiliation = next((_institution_of_span(_entity_at(doc, t.i), gazetteer, acronyms)
                        for t in post.subtree if t.ent_type_ == "ORG" and t.i < ent.start), None)
    return _words(words), affiliation


def _words(tokens) -> str:
    return "".join(t.text_with_ws for t in tokens).strip(" ,").lower()


def _appositive_role(doc, ent, gazetteer, acronyms) -> tuple[str, str | None]:
    """"Philip Shaw, chief economist at Investec Securities, said …", "David Frost, BCC
    director general", "Jorge Familiar Vice President and Treasurer, World Bank"."""
    i = ent.end
    bracketed = i < len(doc) and doc[i].text == "("  # "Brad Jones (Assistant Governor)"
    if i < len(doc) and doc[i].text in (",", "("):
        i += 1
    elif i >= len(doc) or doc[i].lower_ not in ROLE_HEADS | {"vice", "senior", "deputy"}:
        return "", None
    if i < len(doc) and doc[i].lower_ in ("the", "a", "an"):
        i += 1
    words, affiliation = [], None
    while i < len(doc):
        token = doc[i]
        if token.ent_type_ == "ORG":
            span = _entity_at(doc, i)
            # "CEO and Founder, Crystal Steel …" taken whole for a name: the post comes off.
            while i < span.end and span[i - span.start].lower_ in ROLE_HEADS | ROLE_BRIDGE | {","}:
                words.append(doc[i])
                i += 1
            named = _institution_of_span(doc[i:span.end], gazetteer, acronyms) if i < span.end \
                else None
            if named:
                affiliation = named
                if words:
                    break
            elif all(t.lower_ in GENERIC_ORG_WORDS for t in doc[i:span.end]):
                # "Head of Capital Markets and Syndicate": a department, part of the post
                words.extend(doc[i:span.end])
            else:
                break  # an institution the archive cannot name: the post ends before it
            i = span.end
            continue
        if bracketed and token.text == ")":
            # The institution may follow the bracket: "(Assistant Governor) Financial System,
            # Reserve Bank of Australia".
            for j in range(i + 1, min(i + 8, len(doc))):
                if doc[j].ent_type_ == "ORG" and doc[j].ent_id_:
                    affiliation = doc[j].ent_id_
                    break
                if doc[j].is_sent_start or doc[j].pos_ == "VERB":
                    break
            break
        if token.text in (";", "(", ")", "“", "”", '"') or token.is_sent_start or \
                token.pos_ in ("VERB", "AUX") or token.lower_ in ("who", "which", "said"):
            break
        if token.text == ",":
            # "Vice President and Treasurer, World Bank", "Director, Syndicate & Debt Capital
            # Markets, ANZ Bank New Zealand": the institution closing a list of posts, whose
            # departments belong to the post.
            if words:
                extra, affiliation = _institution_after(doc, i, gazetteer, acronyms)
                if affiliation:
                    words += [token, *extra]
            break
        if token.ent_type_ in ("PERSON", "GPE", "DATE"):
            break
        words.append(token)
        i += 1
    while words and words[-1].lower_ in ROLE_BRIDGE:
        words.pop()
    if not words or not any(w.lower_ in ROLE_HEADS for w in words) or len(words) > 12:
        return "", None
    words, named = _named_after(words)
    return _words(words), named or affiliation


def _institution_after(doc, comma: int, gazetteer, acronyms):
    """The institution a comma-separated list of posts and departments ends with, and the
    tokens of the departments before it."""
    segment = []
    for j in range(comma + 1, min(comma + 14, len(doc))):
        token = doc[j]
        if token.ent_type_ == "ORG":
            named = _institution_of_span(_entity_at(doc, j), gazetteer, acronyms)
            if named:
                return segment, named
        if token.is_sent_start or token.pos_ in ("VERB", "AUX") or token.is_quote or \
                token.text in (";", "(", ")") or token.ent_type_ in ("PERSON", "GPE", "DATE"):
            break
        segment.append(token)
    return [], None


def _named_after(words) -> tuple[list, str | None]:
    """"deputy director of the National Academy of Economic Strategy": an organisation the
    model did not mark, named by capitalised words after the post, is split off it."""
    for k, token in enumerate(words[1:], start=1):
        if token.lower_ not in ("of", "at", "with"):
            continue
        rest = words[k + 1:]
        if rest and rest[0].lower_ == "the":
            rest = rest[1:]
        run = []
        for word in rest:
            if word.text[:1].isupper() or run and word.lower_ in ("of", "and", "for", "&", "the"):
                run.append(word)
            else:
                break
        while run and not run[-1].text[:1].isupper():
            run.pop()
        name = clean_org(_words(run).title() if run and run[0].text.islower() else
                         "".join(t.text_with_ws for t in run))
        if run and is_institution_name(name) and any(w.lower_ in ROLE_HEADS for w in words[:k]):
            return words[:k], name
    return words, None


def _entity_at(doc, i: int):
    return next(ent for ent in doc.ents if ent.start <= i < ent.end)


def _institution_of_span(span, gazetteer, acronyms) -> str | None:
    if span[0].ent_id_:
        return span[0].ent_id_
    text = clean_org(span.text)
    return acronyms.get(text) or gazetteer.canonical(text) or (
        text if is_institution_name(text) else None)
