"""Layout: text of a captured page -> title, dates, original publisher, byline names,
paragraphs.

Hard-wrapped text (newswire, plain-text statements) is first joined back into paragraphs, and
sentences or page labels run together ("said.Published on …") are parted. Captured pages carry
navigation, share buttons, captions and footers around the story. Each line is classified
(chrome, caption, byline, date line, source line, or text); the title is the headline-like
line best placed next to the page's date, byline or source lines. A page may have no headline
at all: then the title is empty and the pipeline gives the release a provisional one.
"""

import datetime
import re
from dataclasses import dataclass, field

from archive.ingest.dates import find_dates, first_date, may_hold_date
from archive.ingest.outlets import outlet_names
from archive.ingest.phrases import CJK_RE, holds_any

OUTLETS = outlet_names()

CHROME_RE = re.compile(
    r"""^(?:sitemap|site\ map|en|english|中文|简体|繁體|top|back\ to\ top|print|share|share\ this
    |pdf\ view|text\ size:?.*|font\ size:?.*|story\ tools|advertisement(?:\ \d+)?
    |article\ content|story\ continues\ below|go\ to\ contents|menu|search|log\ ?in|sign\ in
    |subscribe|read\ more|see\ also:?|more\ stories|related:?|editor's\ picks?|you\ may\ also\ like
    |e-?mail|facebook|twitter|weibo|wechat|linkedin|whatsapp|한국어|日本語|français|español
    |previous|next|close|home|\W*|\d+|press\ release|news\ release|media\ releases?
    |skip\ to\ (?:main\ )?content|last\ update:?.*|disclaimer:?.*
    |current\ location\s*[:：].*|website\ identification\ code.*|are\ you\ sure\ you\ want\ to\ leave.*
    |.*\bclick\ here\b.*|\|?\s*photo\ credits?:?.*|(?-i:(?:[A-Z]+/)+[A-Z .]+)
    |(?:tel|fax|phone|telephone)\s*[:：].*|copyright.*|©.*|all\ rights\ reserved.*
    |(?:\w+\s*/\s*)+\w+ )$""",
    re.I | re.X,
)
# "Home > News > Press Releases", "首页 > 新闻发布", "Business › Finance": short segments.
BREADCRUMB_RE = re.compile(
    r"^(?:home|首页|首頁)\b.*[>»›]|^[^>»›]{1,40}(?:\s*[>»›]\s*[^>»›]{1,40})+$"
    r"|^home(?:\s+[A-Z][\w&]*){3,}\s*$",
    re.I,
)
# Each of its forms holds one of these (or starts with "home"): a line without any is none.
BREADCRUMB_MARKS = (">", "»", "›")
IMAGE_RE = re.compile(r"^\S+\.(?:jpe?g|png|gif|webp|svg)(?:\.\w+)?$", re.I)
CAPTION_HINTS = ("photo", "/file", "(provided", "(courtesy")  # one is in every caption
CAPTION_RE = re.compile(
    r"(?:\[photo[^\]]*\]|\((?:file\s+)?photo[^)]*\)|photo\s*(?:by)?\s*[:：/]\s*[\w.\-/ ]+|/file|"
    r"\((?:provided|courtesy)[^)]*\))\s*$",
    re.I,
)
# Lines after these are the page footer, not the story.
FOOTER_RE = re.compile(
    r"""^(?:comments|join\ the\ conversation|related\ (?:stories|articles|news)|story\ tools
    |media\ contacts?:?.*|press\ contacts?:?.*|for\ media\ (?:enquiries|inquiries).*|top
    |back\ to\ top|website\ identification\ code.*|editor:.*|\(reporting\ by.*\)?)$""",
    re.I | re.X,
)
DATE_MARKER_RE = re.compile(
    r"^\s*(?:published|updated|posted|date|release\ date|issued|createtime|time|publish\ time)\b",
    re.I | re.X,
)
TIMESTAMP_RE = re.compile(r"^\d{1,2}:\d{2}(?:\s*(?:UTC|GMT)[+-]?\d*)?,?\s")
_CAPWORDS = r"[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){0,3}"
BYLINE_RE = re.compile(
    rf"^(?:-\s*)?(?i:by)\s+(?P<names>{_CAPWORDS}(?:\s*(?:,|and|&)\s*{_CAPWORDS})*)"
    r"(?:\s+\S+@\S+|\s*[|(].*)?$|"
    r"^\(?(?i:reporting|writing|editing)\s+(?i:by)\s+(?P<names2>.+?)\)?$",
)
NAME_LINE_RE = re.compile(
    r"^(?P<names>[A-Z][a-z]+(?:[ -][A-Z]?[a-z]+){1,2}(?:\s*[|&,]\s*[A-Z][a-z]+(?:[ -][A-Z]?[a-z]+){1,2})*)"
    r"(?:\s*,\s*(?P<outlet>[\w.\- ]+))?(?:\s+\S+@\S+)?$"
)
EMAIL_LINE_RE = re.compile(r"^(?P<names>[A-Z][\w\- ]+?)\s+\S+@\S+$")
SOURCE_LABELS = ("source", "来源", "來源")
SOURCE_RES = [
    # A report from China Daily Dec. 19th, 2025:
    re.compile(r"^(?:a\s+)?(?:report|article|story)\s+(?:from|by)\s+(?P<source>.+?)"
               r"(?:[,\s]+(?P<date>[A-Z][a-z]{2,8}\.?\s+\d.*?|\d.*?))?\s*[:：]?\s*$", re.I),
    # Source: Xinhua / / SOURCE: Yicai / Source:bankcomm Editor:x (SOURCE_LABELS)
    re.compile(r"(?:^|\s|/)(?:source|来源|來源)\s*[:：]\s*(?P<source>[^|:：]+?)(?:\s+\w+\s*[:：].*)?\s*$",
               re.I),
    # (Shenzhen Daily/Agencies) / ( China Daily )
    re.compile(r"^\(\s*(?P<source>[^()/]+?)\s*(?:/[^()]*)?\)$"),
    # chinadaily.com.cn | Updated: 2021-04-22
    re.compile(r"^(?P<source>[\w.-]+\.(?:com|cn|net|org)(?:\.\w+)?)\s*\|"),
]
WIRE_SOURCES = ("Reuters", "Xinhua", "Bloomberg", "AFP", "AP", "Yonhap", "Kyodo")
WIRE_RE = re.compile(rf"(?=[(trc])(?:\((?P<source>{'|'.join(WIRE_SOURCES)})\)\s*[-–—]"
                     r"|\b(?:translated|reported|compiled)\s+by\s+"
                     r"(?P<source2>Reuters|Xinhua|Bloomberg|Yonhap|Kyodo)\b)")
OUTLET_PREFIX_RE = re.compile(r"^(?P<source>[A-Z][\w' ]{2,40}):\s+\S")
NUMBERED_RE = re.compile(r"^\d{1,2}\.\s+(?=\S)")
ARTICLE_RE = re.compile(r"^(?:www\.|the\s+)")


@dataclass
class Parsed:
    title: str = ""
    published: datetime.date | None = None
    source: str = ""
    source_date: datetime.date | None = None
    paragraphs: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)


# "forum,Bank" -> "forum, Bank". The comma comes first so that only commas are tried.
MISSING_SPACE_RE = re.compile(r",(?=[A-Za-z])(?<=[a-z],)")


def clean_line(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\u00ad", "")
    # split() breaks at the same (Unicode) whitespace as \s, in a fraction of the time.
    return " ".join(MISSING_SPACE_RE.sub(", ", line).split())


def outlet(name: str) -> str:
    """The canonical outlet for a name or domain, or '' when it is not a known outlet."""
    key = name.strip(" .,;:()").casefold()
    if key.startswith(("www.", "the")):
        key = ARTICLE_RE.sub("", key)
    return OUTLETS.get(key, "") or OUTLETS.get("the " + key, "")


def _is_chrome(line: str) -> bool:
    if line.startswith("| ") and line.endswith("|"):
        return False  # a table's row, as the HTML reader writes it: content, not a menu
    segments = line.split("|")
    # "Home | About us | Investor Relations | News": a menu, not a sentence.
    menu = len(segments) >= 3 and all(len(s.split()) <= 4 for s in segments)
    breadcrumb = ((holds_any(line, BREADCRUMB_MARKS) or line[:4].lower() == "home")
                  and BREADCRUMB_RE.match(line))
    return bool(menu or CHROME_RE.match(line) or breadcrumb or IMAGE_RE.match(line))


def _is_caption(line: str) -> bool:
    return holds_any(line.lower(), CAPTION_HINTS) and bool(CAPTION_RE.search(line))


def _byline_names(line: str) -> list[str] | None:
    """Names of the people a byline line credits, or None when the line is not a byline."""
    match = BYLINE_RE.match(line)
    if match:
        names = match.group("names") or match.group("names2")
        return [n.strip().title() for n in re.split(r"[;|&]|\band\b|,\s*(?:editing|writing)\s+by", names) if n.strip()]
    match = EMAIL_LINE_RE.match(line) if "@" in line else None
    if match:
        return [match.group("names").strip().title()]
    match = NAME_LINE_RE.match(line) if _words_at_most(line, 8) else None
    if match:
        extra = match.group("outlet")
        if extra and not outlet(extra) and not extra.rstrip().endswith(("News", "Daily", "Times")):
            return None
        return [n.strip() for n in re.split(r"[|&,]", match.group("names")) if n.strip()]
    return None


def _source_of(line: str) -> tuple[str, datetime.date | None] | None:
    for pattern in SOURCE_RES:
        if pattern is SOURCE_RES[1] and not holds_any(line.lower(), SOURCE_LABELS):
            continue
        match = pattern.search(line)
        if match:
            raw = match.group("source").strip()
            name = outlet(raw) or (raw if pattern is SOURCE_RES[0] or pattern is SOURCE_RES[1] else "")
            if name:
                date_text = match.groupdict().get("date") or ""
                return name, first_date(date_text) if date_text else None
    name = outlet(line)
    return (name, None) if name else None


def _is_date_line(line: str) -> bool:
    """A line that dates the page: "Published: …", a short line holding a date, or a line
    that starts with one."""
    if TIMESTAMP_RE.match(line):
        return True
    if not may_hold_date(line):
        return False
    if DATE_MARKER_RE.match(line) or _words_at_most(line, 8):
        return bool(find_dates(line))
    dates = find_dates(line[:30])
    return bool(dates) and dates[0][0] == 0


def _words_at_most(line: str, count: int) -> bool:
    """Whether `line` has no more than `count` words; a long line is split only that far."""
    return len(line.split(maxsplit=count)) <= count


def _word_count(line: str) -> int:
    """Words, counting two Chinese characters as one (Chinese has no spaces)."""
    cjk = len(CJK_RE.findall(line))
    return len(CJK_RE.sub(" ", line).split()) + (cjk + 1) // 2


def _headline_score(line: str) -> float | None:
    words = line.split() if not CJK_RE.search(line) else ["w"] * _word_count(line)
    if len(words) < 2 or len(words) > 40 or len(line) > 300:
        return None
    if line.endswith((".", "。", ",")) and len(words) > 12 or len(words) > 30:
        return None  # a sentence of the story, not a headline
    score = min(len(words), 14) / 4
    # "Press Release", "Media Releases", "Jekki Pascual, ABS-CBN News": labels and names.
    if len(words) <= 4 and all(w[:1].isupper() or not w[:1].isalpha() for w in words):
        score -= 4
    return score


# "(MPC).All six members", "we did not do that.“We did": a sentence end run into the next.
RUN_TOGETHER_RE = re.compile(r"(?<=[a-z0-9)%][.!?])(?=[“\"]?[A-Z][a-z])|(?<=[.!?][”\"])(?=[“A-Z])")
# A page label glued to the text: "… said.Published on June 24, 2026".
GLUED_LABEL_RE = re.compile(r"\s*\b(?=(?:Published|Updated|Posted|Released)(?:\s+on)?:?\s+\S+\s+\d)")


# The model reads a paragraph at a time and refuses a text over a million characters; a
# paragraph longer than this (a page without line breaks) is parted at sentence ends.
MAX_PARAGRAPH = 20_000
SENTENCE_END_RE = re.compile(r"(?<=[.!?。])\s+")


def part_long(paragraph: str) -> list[str]:
    if len(paragraph) <= MAX_PARAGRAPH:
        return [paragraph]
    parts, current = [], ""
    for sentence in SENTENCE_END_RE.split(paragraph):
        while len(sentence) > MAX_PARAGRAPH:  # a "sentence" with no end at all
            cut = sentence.rfind(" ", 0, MAX_PARAGRAPH)
            cut = cut if cut > 0 else MAX_PARAGRAPH
            parts.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if current and len(current) + len(sentence) + 1 > MAX_PARAGRAPH:
            parts.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
    if current:
        parts.append(current)
    return parts


def unwrap(text: str) -> str:
    """Hard-wrapped text joined back into paragraphs.

    A text is hard-wrapped when most of its lines are cut near one width (60–100 characters)
    however long their sentences. A paragraph then ends at a blank line, at a line much
    shorter than that width, or where the next line is indented when paragraphs are marked
    by indentation (newswire)."""
    lines = text.split("\n")
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if len(lengths) < 6:
        return text
    width = lengths[int(len(lengths) * 0.9)]
    if not 50 <= width <= 100 or sum(n >= 0.75 * width for n in lengths) < 0.5 * len(lengths):
        return text
    indented = sum(1 for line in lines if line[:1] in (" ", "\t") and line.strip())
    indents_mark_paragraphs = 0.1 * len(lengths) < indented < 0.7 * len(lengths)
    paragraphs, current, previous_length = [], [], 0
    for line in lines:
        stripped = line.strip()
        starts = (not stripped or previous_length < 0.6 * width
                  or indents_mark_paragraphs and line[:1] in (" ", "\t"))
        if starts and current:
            paragraphs.append(" ".join(current))
            current = []
        if stripped:
            current.append(stripped)
        previous_length = len(line.rstrip()) if stripped else 0
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


# "[Photo by Wang Lei/example.gov.cn]", "(Photo: Li Na)"
PHOTO_CREDIT_RE = re.compile(r"[\[(]?\bphoto(?:graph)?\s*(?:by|:)\s*(?P<name>[^\]/)]+)[^\])]*[\])]?", re.I)
# "… target.” (Reporting by A; Editing by B)": a wire's credits closing a paragraph.
CREDIT_RE = re.compile(r"\s*\((?:additional\s+)?(?:reporting|writing|editing)\s+by\s+(?P<names>[^()]+)\)\s*$",
                       re.I)


def parse(text: str, meta: dict | None = None) -> Parsed:
    meta = meta or {}
    parsed = Parsed()
    text = GLUED_LABEL_RE.sub("\n", RUN_TOGETHER_RE.sub(" ", unwrap(text)))
    lines = []
    for line in text.split("\n"):
        credit = CREDIT_RE.search(line) if "by" in line.lower() else None
        if credit:
            parsed.bylines.extend(
                n.strip() for n in re.split(r";|\b(?:and|additional\s+reporting|reporting|"
                                            r"writing|editing)\s+by\b|\band\b", credit["names"], flags=re.I)
                if n.strip())
            line = line[:credit.start()]
        lines.append(clean_line(line))
    lines = [line for line in lines if line]
    kinds = []
    seen = set()
    for line in lines:
        if line in seen:
            kinds.append("duplicate")
            continue
        seen.add(line)
        if FOOTER_RE.match(line) and len(kinds) > 3:
            break
        if _is_chrome(line):
            kinds.append("chrome")
        elif _is_caption(line):
            kinds.append("caption")
        elif _is_date_line(line) and not SOURCE_RES[0].match(line):
            kinds.append("date")
        elif _words_at_most(line, 12) and _source_of(line):
            kinds.append("source")
        elif len(kinds) < 15 and _byline_names(line) is not None:
            kinds.append("byline")
        else:
            kinds.append("text")
    lines = lines[: len(kinds)]

    if meta.get("title"):
        # The page's metadata names the title; a body line is the title only if it repeats it.
        title_index = next((i for i, line in enumerate(lines) if line == meta["title"]), None)
    else:
        title_index = _find_title(lines, kinds)
    parsed.title = meta.get("title") or (lines[title_index] if title_index is not None else "")
    for index, (line, kind) in enumerate(zip(lines, kinds)):
        found = _source_of(line) if kind in ("source", "date") and not parsed.source else None
        if found:
            parsed.source, parsed.source_date = found
        elif kind == "byline":
            parsed.bylines.extend(_byline_names(line))
        if kind == "date" and "|" in line:  # "By Wang Lijun | Updated: 2025-11-03"
            parsed.bylines.extend(_byline_names(line.split("|")[0].strip()) or [])
        elif kind == "caption":
            credit = PHOTO_CREDIT_RE.search(line)
            if credit:  # the photographer is a credit, not a person of the story
                parsed.bylines.append(credit["name"].strip())
                line = (line[:credit.start()] + line[credit.end():]).strip()
            parsed.captions.append(line)
        elif kind == "text" and index != title_index:
            if line == parsed.title or line == f"{parsed.title} {parsed.title}":
                continue
            if title_index is not None and index < title_index:
                continue  # navigation and labels above the headline
            parsed.paragraphs.extend(part_long(NUMBERED_RE.sub("", line)))

    parsed.published = _published(lines, kinds, title_index, meta, parsed.captions)
    if not parsed.source:
        parsed.source = _source_elsewhere(parsed, meta)
    return parsed


def _find_title(lines: list[str], kinds: list[str]) -> int | None:
    best, best_score, first_seen = None, None, False
    for index, (line, kind) in enumerate(zip(lines[:40], kinds[:40])):
        if kind != "text":
            continue
        score = _headline_score(line)
        if score is None:
            if _word_count(line) > 40 or _word_count(line) > 20 and line.endswith((".", "。", "”")):
                break  # the story has begun: a headline stands above it
            continue
        if score > 0 and not first_seen:
            score += 2
            first_seen = True
        following = [k for k in kinds[index + 1: index + 4] if k not in ("chrome", "caption")]
        preceding = [k for k in kinds[max(0, index - 3): index] if k not in ("chrome", "caption")]
        if following[:2] and set(following[:2]) & {"date", "byline", "source"}:
            score += 3
        if preceding[-2:] and set(preceding[-2:]) & {"date", "byline", "source"}:
            score += 2
        score -= 0.1 * index
        if best_score is None or score > best_score:
            best, best_score = index, score
    return best


UPDATE_MARKER_RE = re.compile(r"^\s*(?:updated|last\s+updated?|modified|last\s+modified)\b", re.I)


def _published(lines, kinds, title_index, meta, captions) -> datetime.date | None:
    """The release date: a line that says so ("Release Date:", "Published") first, then the
    page's metadata, then a date line near the top, an "Updated" line last of all, and failing
    these a dateline opening the story or a date in a caption."""
    marked, plain_dates, updated = [], [], []
    for line, kind in zip(lines[:40], kinds[:40]):
        if kind == "date":
            date = first_date(line)
            if date:
                if UPDATE_MARKER_RE.match(line):
                    updated.append(date)
                else:
                    (marked if DATE_MARKER_RE.match(line) else plain_dates).append(date)
    for line, kind in zip(lines[40:], kinds[40:]):  # "Published on …" closing the page
        if kind == "date" and DATE_MARKER_RE.match(line) and not UPDATE_MARKER_RE.match(line):
            date = first_date(line)
            if date:
                marked.append(date)
    if not marked and meta.get("printed_date"):
        marked.append(first_date(meta["printed_date"]))
    if marked and marked[0]:
        return marked[0]
    if meta.get("date"):
        try:
            return datetime.date.fromisoformat(str(meta["date"])[:10])
        except ValueError:
            pass
    if plain_dates or updated:
        return (plain_dates or updated)[0]
    # A dateline opening the story: "BEIJING, Oct. 25, 2024 --"
    for index, (line, kind) in enumerate(zip(lines, kinds)):
        if kind == "text" and index != title_index:
            head = re.split(r"\s+[-–—]{1,2}\s+|…", line, maxsplit=1)[0]
            if len(head.split()) <= 6 and first_date(head):
                return first_date(head)
            break
    for caption in captions:
        date = first_date(caption)
        if date:
            return date
    return None


def _source_elsewhere(parsed: Parsed, meta: dict) -> str:
    match = OUTLET_PREFIX_RE.match(parsed.title)
    if match and outlet(match.group("source")):
        return outlet(match.group("source"))
    for paragraph in parsed.paragraphs:
        match = WIRE_RE.search(paragraph) if holds_any(paragraph, WIRE_SOURCES) else None
        if match:
            return outlet(match.group("source") or match.group("source2"))
    return ""
