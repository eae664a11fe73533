"""The kind of a document (press release, statement, speech, interview, news report) and the
institution that issued it, kept apart from any outlet that carried it."""

import re

from archive.ingest.entities import Gazetteer

SPEECH_RE = re.compile(r"\b(?:speech|remarks|address|lecture|testimony|keynote)\b", re.I)
INTERVIEW_RE = re.compile(r"\binterview\b|^(?:Q|Question)\s*[:.]", re.I)
STATEMENT_RE = re.compile(r"\bstatement\b", re.I)


def issuer(site_name: str, source: str, gazetteer: Gazetteer) -> str | None:
    """The institution whose own page this is (its site's name) or whose release a page
    reprints (the source it names), when that is an institution the archive knows."""
    for name in (site_name, source):
        known = gazetteer.canonical(name) if name else None
        if known:
            return known
    return None


def document_kind(title: str, paragraphs: list[str], *, outlet: str, bylines: list[str],
                  issued_by: str | None) -> str:
    """Read from the headline and the page: a speech or an interview says so; an outlet or a
    byline makes a news report unless an institution issued the text; else a release."""
    opening = " ".join(paragraphs[:2])[:600]
    if INTERVIEW_RE.search(title) or sum(bool(INTERVIEW_RE.search(p)) for p in paragraphs) >= 3:
        return "interview"
    if SPEECH_RE.search(title):
        return "speech"
    if STATEMENT_RE.search(title) or STATEMENT_RE.search(opening[:80]):
        return "statement"
    if issued_by:
        return "press_release"
    if outlet or bylines:
        return "news_report"
    return "press_release"
