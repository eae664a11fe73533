"""One document from bytes to an extracted record: plain data, no database."""

import datetime
import re
from dataclasses import dataclass, field
from itertools import islice

from archive.ingest import (
    entities,
    kind,
    language,
    mentions,
    phrases,
    statements,
    topics,
)
from archive.ingest.entities import Gazetteer, InstitutionInfo
from archive.ingest.layout import outlet, parse
from archive.ingest.phrases import CJK_RE
from archive.ingest.read import UnreadableDocument, read

# Bumped whenever extraction changes, so re-extraction can tell old records from new.
PARSER_VERSION = "2.0"
# Both open with the set of their first letters, the word boundary before it written as a
# lookbehind: the engine skips to the next of these letters (see entities.ORG_SHAPE_RE).
CHINA_RE = re.compile(
    r"[BCRy](?<!\w[BCRy])(?:(?<=C)hina|(?<=C)hinese|(?<=B)eijing|(?<=y)uan|(?<=R)MB)\b"
)
# Case is ignored after the first letter only: a pattern-wide re.I has no first letters.
CENTRAL_BANK_RE = re.compile(r"[tT](?<!\w[tT])(?i:he central bank)\b")


@dataclass
class Context:
    """What extraction needs from the archive, loaded once per run: curators' aliases and
    institutions, and the topic keywords."""

    aliases: dict[str, str] = field(default_factory=dict)
    institutions: dict[str, InstitutionInfo] = field(default_factory=dict)
    topic_keywords: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        self.gazetteer = Gazetteer(self.aliases, self.institutions)
        self.keywords = topics.compile_keywords(self.topic_keywords)

    def __getstate__(self):  # sent to worker processes as plain data
        return {"aliases": self.aliases, "institutions": self.institutions,
                "topic_keywords": self.topic_keywords}

    def __setstate__(self, state):
        self.__init__(**state)


@dataclass
class Extracted:
    title: str
    title_provisional: bool
    kind: str
    issuer: str | None
    url: str | None
    published: datetime.date | None
    source: str
    source_date: datetime.date | None
    body: str
    language: str
    encoding: str
    media_type: str
    institutions: list[InstitutionInfo]
    persons: list[entities.PersonInfo]
    quotes: list[statements.Statement]
    topics: list[str]

    def as_json(self) -> dict:
        """The record as DESIGN's `--dry-run --json` interface prints it."""
        return {
            # The headline as the page prints it: none when the page has none.
            "title": None if self.title_provisional else self.title,
            "provisional_title": self.title if self.title_provisional else None,
            "kind": self.kind,
            "issuer": self.issuer,
            "published": self.published.isoformat() if self.published else None,
            "source": self.source or None,
            "institutions": [i.name for i in self.institutions],
            "persons": [{"name": p.name, "role": p.role or None, "affiliation": p.affiliation}
                        for p in self.persons],
            "quotes": [{"speaker": q.speaker, "speaker_type": q.speaker_type, "kind": q.kind,
                        "text": q.text} for q in self.quotes],
            "topics": self.topics,
        }


def page_address(url: str) -> str | None:
    """The page's canonical address as it declares it, when it is a web address."""
    url = url.strip()
    return url[:2000] if re.match(r"https?://[^\s/]+\.[^\s]+$", url) else None


PROVISIONAL_TITLE_WORDS = 20


def provisional_title(paragraphs: list[str]) -> str:
    """A page without a headline is titled by its first sentence (cut at a word), so that it
    is still imported; the release is marked for a curator to give it a real title."""
    sentence = re.split(r"(?<=[.!?])\s", paragraphs[0], maxsplit=1)[0]
    words = sentence.split()
    return " ".join(words[:PROVISIONAL_TITLE_WORDS]) + ("…" if len(words) > PROVISIONAL_TITLE_WORDS else "")


def analyse(paragraphs: list[str], title: str, gazetteer: Gazetteer, bylines=(),
            default_central_bank: str | None = None):
    """The language stages over a document's paragraphs: annotate, recognise entities,
    resolve mentions, attribute statements. Returns the entities and the statements."""
    docs = language.annotate(paragraphs)
    found = entities.recognise(docs, title, gazetteer, set(bylines))
    spans = [statements.quote_spans(doc.text) for doc in docs]
    quoted = [statements.quoted_tokens(doc, doc_spans) for doc, doc_spans in zip(docs, spans)]
    resolver = mentions.Resolver(docs, found, quoted, gazetteer, default_central_bank)
    return found, statements.find_statements(docs, resolver, spans)


def page_text(raw: bytes, name: str) -> str:
    """A document's headline and paragraphs as extraction reads them, without the language
    stages: what two versions of a page are compared by. Empty when it cannot be read."""
    try:
        text = read(raw, name)
    except UnreadableDocument:
        return ""
    parsed = parse(text.text, text.meta)
    return "\n\n".join([parsed.title, *parsed.paragraphs])


def extract(raw: bytes, name: str, context: Context) -> Extracted:
    """Read, lay out and extract one document; UnreadableDocument says why it cannot be."""
    phrases.forget_tokens()
    text = read(raw, name)
    parsed = parse(text.text, text.meta)
    if not parsed.paragraphs:
        raise UnreadableDocument("no text could be found")
    gazetteer = context.gazetteer
    paragraphs = parsed.paragraphs
    body_text = "\n".join(paragraphs)
    # Named at least twice; the search stops at the second mention.
    about_china = len(list(islice(CHINA_RE.finditer(body_text), 2))) == 2
    default_central_bank = "People's Bank of China" if about_china else None
    # Captions name people and institutions of the story too.
    found, found_statements = analyse(paragraphs + parsed.captions, parsed.title, gazetteer,
                                      parsed.bylines, default_central_bank)

    names = list(found.institutions)
    if default_central_bank and CENTRAL_BANK_RE.search(body_text) and not any(
            gazetteer.kind_of(n) == "central_bank" for n in names):
        names.append(default_central_bank)
    known = set(names)
    names.extend(dict.fromkeys(s.speaker for s in found_statements
                               if s.speaker_type == "institution" and s.speaker not in known))
    source = gazetteer.canonical(parsed.source) or outlet(parsed.source) or parsed.source
    names = [n for n in names if n != source or not outlet(n)]
    institutions = [
        gazetteer.info.get(n) or InstitutionInfo(n, entities.guess_kind(n)) for n in names
    ]
    issued_by = kind.issuer(text.meta.get("sitename", ""), parsed.source, gazetteer)
    if issued_by:
        # In an institution's own release a post named without an institution is one of its
        # own ("Deputy Director General Market Operations").
        for person in found.persons.values():
            if person.role and not person.affiliation:
                person.affiliation = issued_by
    return Extracted(
        title=parsed.title or provisional_title(paragraphs),
        title_provisional=not parsed.title,
        kind=kind.document_kind(parsed.title, paragraphs, outlet=outlet(source) or (
            outlet(text.meta.get("sitename", ""))), bylines=parsed.bylines, issued_by=issued_by),
        issuer=issued_by,
        url=page_address(text.meta.get("url", "")),
        published=parsed.published,
        source=source,
        source_date=parsed.source_date,
        body="\n\n".join(paragraphs),
        language="zh" if len(CJK_RE.findall(body_text)) > len(body_text) / 3 else "en",
        encoding=text.encoding,
        media_type=text.media_type,
        institutions=institutions,
        persons=list(found.persons.values()),
        quotes=found_statements,
        topics=topics.tag(parsed.title, body_text, context.keywords),
    )
