"""Bytes -> text: encoding detection, HTML -> main text, with nothing lost or garbled.

The order of evidence is the byte-order mark, then the charset an HTML page declares (unless
the bytes are valid UTF-8 that it would garble), then strict UTF-8, then statistical
detection (charset-normalizer). A file that is none of these
is refused with a reason rather than turned into mojibake.
"""

import codecs
import html
import logging
import re
from dataclasses import dataclass, field

import nh3
from charset_normalizer import from_bytes

from archive.search import MARK_END, MARK_START

logger = logging.getLogger(__name__)

BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
HTML_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# GB2312 and GBK are subsets of GB18030: decoding with the superset never loses a character.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "utf-8",
             "iso8859-1": "cp1252"}
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# Single-byte Latin code pages (Windows, ISO, DOS, Mac) the detector confuses on text
# that is mostly ASCII.
WESTERN_LOOKALIKES = {"cp1250", "cp1252", "cp1254", "cp1257", "cp437", "cp775", "cp850",
                      "cp852", "cp858", "mac-roman", "mac-latin2",
                      *(f"iso8859-{n}" for n in (2, 3, 4, 9, 10, 13, 14, 15, 16))}


DROPPED = dict.fromkeys(map(ord, ["\x00", MARK_START, MARK_END]))


class UnreadableDocument(ValueError):
    """The bytes cannot be read as a document; the message says why."""


@dataclass
class ReadText:
    text: str
    encoding: str
    media_type: str
    meta: dict = field(default_factory=dict)  # title, date, source found in HTML metadata


def _normalise(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return SUPERSETS.get(name, name)


def decode(raw: bytes, is_html: bool = False, name: str = "") -> tuple[str, str]:
    """Return (text, encoding name) or raise UnreadableDocument; `name` is the file's,
    for warnings."""
    if not raw.strip():
        raise UnreadableDocument("the file is empty")
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise UnreadableDocument(f"it starts with a {encoding} mark but is not {encoding}: {error}") from None
    # NUL bytes mean UTF-16/32 without a mark, or a binary file.
    if b"\x00" in raw[:4096]:
        even, odd = raw[:4096:2], raw[1:4096:2]
        for encoding, zeros, letters in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            # UTF-16 of mostly Latin text: one byte of each pair is zero, the other is not.
            if zeros.count(0) > 0.8 * len(zeros) and letters.count(0) < 0.1 * len(letters):
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError:
                    break
                if _control_ratio(text) <= 0.05:
                    return text, encoding
        raise UnreadableDocument("it is a binary file, not text")
    candidates = []
    declared = HTML_CHARSET_RE.search(raw[:4096]) if is_html else None
    if declared:
        try:
            candidates.append(_normalise(declared.group(1).decode("ascii")))
        except (LookupError, UnicodeDecodeError):
            pass
    if candidates and candidates[0] != "utf-8" and not raw.isascii() and _is_utf8(raw):
        # Non-ASCII bytes that all form valid UTF-8 are UTF-8, whatever the page says: a
        # page saved as UTF-8 keeps the declaration of the Latin-1 page it came from, and
        # real Latin-1 text almost never happens to be valid UTF-8.
        logger.warning("%s declares the charset %s but is valid UTF-8: read as UTF-8",
                       name or "a page", declared.group(1).decode("ascii"))
        candidates = []
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(raw).best()
    if best is None:
        raise UnreadableDocument("its encoding could not be recognised (not text?)")
    encoding = _normalise(best.encoding)
    # On short Western texts the detector cannot tell the Windows code pages apart; the
    # archive's sources are overwhelmingly Western European, so cp1252 wins where it fits.
    if encoding in WESTERN_LOOKALIKES:
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnreadableDocument(f"it is not valid {encoding}: {error}") from None
    if _control_ratio(text) > 0.05:
        raise UnreadableDocument("it is a binary file, not text")
    return text, encoding


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _control_ratio(text: str) -> float:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls / max(len(sample), 1)


def plain(text: str) -> str:
    """Text with any markup removed and entities decoded: what is stored is plain text, and
    templates escape it when shown."""
    if "<" not in text:
        return text
    return html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))


# Labels a page prints before or after its headline: "Joint Media Release", "Press Releases".
LABEL_RE = re.compile(
    r"^(?:(?:joint\s+)?(?:media|press|news)\s+releases?|news|press|statements?|speeches|"
    r"publications?|announcements?|home)(?:\s+number\s*:?\s*[\w-]+)?$",
    re.I,
)
# "Release Date: July 23, 2025": the date the page gives for the release, wherever it stands.
PRINTED_DATE_RE = re.compile(r"^(?:release\s+date|date\s+of\s+release|published|issued)\b.{0,40}\d{4}", re.I)
TITLE_SEPARATOR_RE = re.compile(r"\s+[|–—-]\s+|\s*\|\s*|(?<=[a-z)])-(?=[A-Z])")


def headline(tree, site_name: str) -> str:
    """The headline as the page prints it: its h1 (without a kicker label such as "Joint
    Media Release"), else og:title, else <title>, without the site's name or section."""
    titles = [t for t in tree.xpath("//meta[@property='og:title']/@content | //title/text()")
              if t.strip()]
    for h1 in tree.xpath("//h1"):
        parts = [" ".join(h1.text_content().split()), " ".join((h1.text or "").split())]
        parts += [" ".join(child.text_content().split()) for child in h1.iterdescendants()
                  if child.tag in ("span", "div", "a", "strong", "em", "small")]
        parts = [p for p in parts if p and not LABEL_RE.match(p) and p != site_name]
        if not parts:
            continue
        # The part the page's own title repeats, or else the whole h1 without its labels.
        for part in sorted(parts, key=len, reverse=True):
            if any(part.casefold() in " ".join(t.split()).casefold() for t in titles):
                return part
        return _without_labels(parts[0], site_name)
    for title in titles:
        cleaned = _without_labels(" ".join(title.split()), site_name)
        if cleaned:
            return cleaned
    return ""


def _without_labels(title: str, site_name: str) -> str:
    segments = [s.strip() for s in TITLE_SEPARATOR_RE.split(title) if s and s.strip()]
    kept = [s for s in segments if not LABEL_RE.match(s) and s.casefold() != site_name.casefold()
            and not s.casefold().startswith("media release number")]
    return max(kept, key=len) if kept else ""


def html_to_text(page: str) -> tuple[str, dict]:
    """The main text of an HTML page (navigation, scripts and boilerplate removed) and its
    metadata (headline, date, site name, address) from the markup and the visible date."""
    import lxml.html
    import trafilatura  # imported here: loading it costs ~0.5 s that plain-text imports skip

    document = trafilatura.bare_extraction(
        page, with_metadata=True, include_comments=False, include_tables=True,
        favor_recall=True,
    )
    result = document.as_dict() if document else {}
    if not (result.get("text") or "").strip():
        raise UnreadableDocument("no main text could be found in the HTML page")
    # The page is decoded already: its own charset declaration must not decode it again.
    tree = lxml.html.fromstring(page.encode("utf-8"),
                                parser=lxml.html.HTMLParser(encoding="utf-8"))
    site_name = plain(" ".join(tree.xpath("//meta[@property='og:site_name']/@content")[:1])
                      or result.get("sitename") or "").strip()
    logo = tree.xpath("//h1//img/@alt | //header//a/img/@alt")
    printed = next((line for line in (" ".join(t.split()) for t in tree.xpath("//body//text()"))
                    if PRINTED_DATE_RE.match(line)), "")
    meta = {
        "printed_date": printed,
        "title": plain(headline(tree, logo[0].strip() if logo else site_name)).strip(),
        "date": result.get("date"),
        "sitename": site_name,
        "url": (tree.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")
                or [""])[0].strip(),
    }
    return plain(result["text"]), meta


def read(raw: bytes, name: str) -> ReadText:
    """Decode a file's bytes; HTML pages are reduced to their main text."""
    is_html = name.lower().endswith(HTML_SUFFIXES) or raw.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    )
    text, encoding = decode(raw, is_html=is_html, name=name)
    # NUL characters mean nothing in a document, and PostgreSQL refuses them in text; the
    # search's highlight markers would become <mark> in every snippet showing them.
    text = text.translate(DROPPED).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UnreadableDocument("the file is empty")
    if is_html:
        body, meta = html_to_text(text)
        return ReadText(body, encoding, "text/html", meta)
    return ReadText(plain(text), encoding, "text/plain")
