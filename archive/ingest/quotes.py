"""Statements and their speakers: direct speech (inside quotation marks, also across
paragraphs) and reported speech ("X said (that) …", "…, said X", "according to X, …",
"X noted / stressed / pointed out that …"), attributed to a named person or institution.
Pronouns ("he added") resolve to the person last speaking or named; descriptions ("the
central bank", "the chairman of the SSE") to the one entity they fit. Unnamed speakers
("analysts said", "an official of X") are left out.
"""

import re
from dataclasses import dataclass

from archive.ingest.entities import (
    DESCRIPTIVE_RE,
    POSSESSIVE_END_RE,
    ROLE_RE,
    SAY_HINTS,
    SAY_VERB_RE,
    SAY_VERBS,
    THE_PREFIX_RE,
    Gazetteer,
    Mention,
    PersonInfo,
    resolve_descriptive,
)
from archive.ingest.phrases import hints, holds_any

OPEN, CLOSE, STRAIGHT = "“", "”", '"'
ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Ms|Mrs|Dr|Prof|St|No|Co|Corp|Ltd|Inc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|"
    r"Oct|Nov|Dec|vs|etc|approx|Gov|Sen|Rep)|\b[A-Z]|(?:[A-Z]\.)+[A-Z]|e\.g|i\.e)$"
)
MASK = "\u2063"  # stands in for quoted text while reported speech is parsed
SENTENCE_END = re.compile(r"[.!?…](?:[”\"’)]+)?\s+(?=[“\"‘(]?[A-Z0-9\u2063])")
NO_THAT_VERBS = ("said", "says", "told", "added", "recalled saying", "expressed", "conveyed")
# Whatever it matches starts with a space, and a space follows it where the patterns use
# it: with the lookahead, the attempt fails at once at every other position (T_TRAILING
# took a third less time).
TIME_ADVERBIAL = (
    r"(?=\s)(?:\s+(?:on|last|this|late|early)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|week|month|year|morning|afternoon|evening|day)|\s+(?:also|earlier|later|"
    r"further|then|previously|recently|separately|yesterday|today))*"
)
TOLD_OBJECT = (
    r"(?:reporters|journalists|the media|the press|the audience|the forum|the conference|"
    r"participants|delegates|lawmakers|investors|(?:the\s+)?(?:[A-Z][\w'’.\-]*\s*){1,5})"
)
T_INVERTED = re.compile(rf"^(?P<clause>.+?),\s+(?:{SAY_VERBS})\s+(?P<who>.+?)[.!]?$")
T_ACCORDING = re.compile(r"^(?P<clause>.+?),?\s+according to (?P<who>.+?)[.!]?$")
T_TRAILING = re.compile(
    rf"^(?P<clause>.+),\s+(?P<who>[^,]{{1,90}}?){TIME_ADVERBIAL}\s+(?P<verb>{SAY_VERBS})\b"
    r"(?P<rest>.*)$"
)
L_ACCORDING = re.compile(r"^According to (?P<who>[^,]+),\s+(?P<clause>.+)$")
L_SAID = re.compile(
    rf"^(?P<who>.+?){TIME_ADVERBIAL}\s+(?P<verb>{SAY_VERBS})\b(?P<after>.*)$"
)
PARTICIPLES = "saying|adding|noting|stressing|explaining|arguing|warning"
PARTICIPLE = re.compile(  # starts at a comma or a space: elsewhere the lookahead fails first
    rf"(?=[,\s])(?:,\s+(?:{PARTICIPLES})\s+(?:that\s+)?(?P<clause>.+)$"
    rf"|,?\s+(?:but|and)\s+(?:also\s+)?(?:{SAY_VERBS})\s+that\s+(?P<clause2>.+)$)"
)
# Each pattern and the words it needs (phrases.hints): a sentence without them is passed
# over at once, which is most sentences. The two that open with a clause and a comma need
# a verb of saying after the sentence's first comma.
REPORTED = [(T_INVERTED, "say after a comma"), (T_ACCORDING, "according"),
            (T_TRAILING, "say after a comma"), (L_ACCORDING, "according"), (L_SAID, "say")]
# "…, but stressed that …" needs "that", the commonest, so it is asked first.
PARTICIPLE_HINTS = ("that", *hints(PARTICIPLES))
ACCORDING_HINTS = ("according to", "According to")
QUOTATION_MARK_RE = re.compile(f"[{OPEN}{CLOSE}{STRAIGHT}]")
# Compiled once: built inside the functions, each call made a new pattern string, which re
# hashed again to find it in its cache (see entities.HEADS_END_RE).
TRAILING_ADVERBIAL_RE = re.compile(TIME_ADVERBIAL + "$")
TOLD_CLAUSE_RE = re.compile(rf"^\s+{TOLD_OBJECT}{TIME_ADVERBIAL}\s+(?:that\s+)?(?P<clause>.+)$")
WORD_RE = re.compile(r"\w+")
NAME_TOKEN_RE = re.compile(r"(?:[A-Z]\.){1,3}\s?[A-Z][a-z]+|[A-Z][\w\-]+")
DOUBLE_OPEN_RE = re.compile(r"“”(?=\w)")
# A speaker phrase loses these: "X, who …," / "But X" / "X on Monday" (unless "the …").
WHO_CLAUSE_RE = re.compile(r",\s+who\s+[^,]+,?")
LEADING_CONJUNCTION_RE = re.compile(r"^(?:but|and|so|however|meanwhile|also|yet|then)\s+", re.I)
TRAILING_OCCASION_RE = re.compile(r"\s+(?:on|in|at|during)\s+.*$")
DESCRIBED_RE = re.compile(r"^(?:the|China's|its)\s", re.I)
# "MANILA - ", "BEIJING, March 6 (Reuters) - "
DATELINE_RE = re.compile(r"^[A-Z]{3,}(?:\s+[A-Z]{3,})?"
                         r"(?:,?\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,?\s+\d{4})?)?"
                         r"(?:\s*\([^)]{1,30}\))?\s*[-–—]+\s*")
THAT_AFTER_RE = re.compile(r"^(?:\s+[^,.;]{0,70}?)?,?\s+that\s")
# The clause a verb of saying introduces: "said (on Monday) that …", "said, …", "said …".
THAT_CLAUSE_RE = re.compile(r"^(?:\s+[^,.;]{0,70}?)??,?\s+that\s+(?P<clause>.+)$")
SAYING_CLAUSE_RE = re.compile(r"^\s+saying\s+(?P<clause>.+)$")
COMMA_CLAUSE_RE = re.compile(rf"^,\s(?!(?:{PARTICIPLES})\b)")
BARE_CLAUSE_RE = re.compile(r"^(?:\s+(?:on|in|at|during)\s+[^,]{1,40}?,)?\s+(?P<clause>.+)$")
NOT_A_CLAUSE_RE = re.compile(r"(?:on|in|at|during|while|when|after|before|to|for|with|from)\b")
LEADING_THAT_RE = re.compile(r"^(?:that\s+)")
TRAILING_SAID_RE = re.compile(r",\s+[^,]{1,60}?\s+(?:said|added|noted)\.?$")
CAPITALISED_RE = re.compile(r"[A-Z][\w\-]+(?:\s+[A-Z][\w\-]+){0,2}")
UNNAMED = re.compile(
    r"^(?:an?|some|many|several|other|two|three)\s|"
    r"\b(?:analysts|experts|officials|insiders|sources|observers|economists|people|traders|"
    r"investors|residents|reports|media|they|we|you)\b",
    re.I,
)
REPRESENTATIVE = re.compile(
    r"^an?\s+(?:representative|spokesperson|spokesman|spokeswoman|statement)\s+"
    r"(?:of|from|for|by|issued by|that)\s+(?P<org>.+)$", re.I,
)


@dataclass
class Quote:
    speaker: str
    speaker_type: str  # "person" or "institution"
    kind: str  # "direct" or "indirect"
    text: str
    paragraph: int
    offset: int


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; an abbreviation ("Dec.", "Mr.", "U.S.") does not end one."""
    sentences, start = [], 0
    for match in SENTENCE_END.finditer(text):
        end = match.start()
        # An abbreviation is a few characters: only the sentence's last ten are searched.
        if text[end] == "." and ABBREVIATIONS.search(text, max(start, end - 10), end):
            continue
        sentences.append((start, text[start: match.end()].strip()))
        start = match.end()
    if text[start:].strip():
        sentences.append((start, text[start:].strip()))
    return sentences


def quote_spans(paragraphs: list[str]) -> list[tuple[int, int, int, int, str]]:
    """Quoted passages as (start paragraph, start offset, end paragraph, end offset, text).

    A passage left open at a paragraph's end continues when the next paragraph opens with a
    quotation mark (the newspaper convention); one still open at the end of the text was cut
    off and is dropped.
    """
    spans = []
    opened = None  # (paragraph, offset)
    pieces: list[str] = []
    for index, text in enumerate(paragraphs):
        # Typing slips: "“”We expect" opens once; a stray "“" ending a paragraph that has an
        # open passage closes it.
        text = DOUBLE_OPEN_RE.sub(OPEN, text)
        if text.rstrip().endswith(OPEN) and text.count(OPEN) > text.count(CLOSE):
            text = text.rstrip()[:-1] + CLOSE
        paragraphs[index] = text
        if opened and not text.lstrip().startswith((OPEN, STRAIGHT)):
            opened, pieces = None, []  # an unclosed passage that did not continue
        for mark in QUOTATION_MARK_RE.finditer(text):  # no other character matters here
            offset, char = mark.start(), mark.group()
            if opened is None and char in (OPEN, STRAIGHT):
                opened, pieces = (index, offset + 1), []
            elif opened is not None and char in (CLOSE, STRAIGHT):
                start_index, start_offset = opened
                if start_index == index:
                    body = text[start_offset:offset]
                else:
                    body = " ".join([*pieces, text[:offset].lstrip(OPEN + STRAIGHT)])
                spans.append((start_index, start_offset, index, offset, body.strip()))
                opened = None
            elif opened is not None and char == OPEN and offset and text[offset - 1] != " ":
                continue
        if opened is not None:
            start_index, start_offset = opened
            pieces.append(text[start_offset:] if start_index == index else text.lstrip(OPEN + STRAIGHT))
    return spans


class Speakers:
    """Resolves a speaker phrase to a person or institution of this text."""

    def __init__(self, persons: dict[str, PersonInfo], mentions: list[list[Mention]],
                 gazetteer: Gazetteer, default_central_bank: str | None):
        self.persons = persons
        self.mentions = mentions
        self.gazetteer = gazetteer
        self.default_central_bank = default_central_bank
        self.by_alias: dict[str, str] = {}
        for person in persons.values():
            for alias in person.aliases:
                # A token shared by two people ("Wang") identifies neither.
                self.by_alias[alias] = None if alias in self.by_alias and self.by_alias[alias] != person.name else person.name
        self.last_person: str | None = None
        self.last_institution: str | None = None
        self.named_in: dict[int, list[tuple[int, str]]] = {}

    def person_in(self, phrase: str, at_end: bool) -> str | None:
        tokens = NAME_TOKEN_RE.findall(phrase)
        for size in (3, 2, 1):
            for i in range(len(tokens) - size + 1):
                if at_end and i + size != len(tokens):
                    continue
                name = self.by_alias.get(" ".join(tokens[i: i + size]))
                if name:
                    return name
        return None

    def resolve(self, phrase: str, paragraph: int, offset: int) -> tuple[str, str] | None:
        phrase = WHO_CLAUSE_RE.sub("", phrase).strip(" ,.")
        first = phrase.split(",")[0]
        if "," in phrase and self.person_in(first, at_end=True):
            phrase = first  # "Lou Feipeng, a researcher at …" -> "Lou Feipeng"
        else:
            phrase = phrase.rsplit(",", 1)[-1].strip()  # "At the sidelines of …, Medalla"
        phrase = LEADING_CONJUNCTION_RE.sub("", phrase)
        phrase = TRAILING_ADVERBIAL_RE.sub("", phrase).strip()
        phrase = TRAILING_OCCASION_RE.sub("", phrase) if not THE_PREFIX_RE.match(phrase) else phrase
        if not phrase:
            return None
        lowered = phrase.lower()
        if lowered in ("he", "she", "him", "her"):
            return (self.last_person, "person") if self.last_person else None
        if lowered == "it":
            return (self.last_institution, "institution") if self.last_institution else None
        representative = REPRESENTATIVE.match(phrase)
        if representative:
            org = self._institution_in(representative.group("org"), paragraph, offset)
            return (org, "institution") if org else None
        if UNNAMED.search(phrase):
            return None
        person = self.person_in(phrase, at_end=True)
        if person:
            return person, "person"
        if DESCRIBED_RE.match(phrase) and ROLE_RE.search(phrase):
            # "the chairman of the Shanghai Stock Exchange", "the central bank governor"
            org = self._institution_in(phrase, paragraph, offset)
            fitting = [p.name for p in self.persons.values()
                       if (org and p.affiliation == org)
                       or (p.role and p.role in lowered)]
            return (fitting[0], "person") if len(set(fitting)) == 1 else None
        org = self._institution_in(phrase, paragraph, offset, whole=True)
        return (org, "institution") if org else None

    def _institution_in(self, phrase: str, paragraph: int, offset: int,
                        whole: bool = False) -> str | None:
        phrase = POSSESSIVE_END_RE.sub("", phrase)
        for _, end, name in self.gazetteer.find(phrase):
            if not whole or end == len(phrase):
                return name
        folded = phrase.casefold()
        names = {m.name for ms in self.mentions for m in ms}
        for name in sorted(names, key=len, reverse=True):
            if folded.endswith(name.casefold()) or (not whole and name.casefold() in folded):
                return name
        descriptive = DESCRIPTIVE_RE.search(phrase)
        if descriptive and (not whole or descriptive.end() == len(phrase)):
            flat = [m for ms in self.mentions for m in ms]
            earlier = [m for i, ms in enumerate(self.mentions) for m in ms
                       if i < paragraph or (i == paragraph and m.start < offset)]
            return resolve_descriptive(descriptive.group("noun"), len(earlier), flat,
                                       self.gazetteer, self.default_central_bank)
        # An abbreviation the gazetteer or text defines: "CBRC".
        abbr = re.fullmatch(r"(?:the\s+)?([A-Z]{2,8})", phrase)
        if abbr:
            for ms in self.mentions:
                for m in ms:
                    if m.name.startswith(abbr.group(1)):
                        return m.name
        return None

    def saw(self, paragraph: int, text: str, upto: int) -> None:
        """Track the last person and institution named before `upto`, for pronouns."""
        for mention in self.mentions[paragraph]:
            if mention.start < upto:
                self.last_institution = mention.name
        person = None
        for end, named in self._persons_named(paragraph, text):
            if end > upto:
                break
            person = named
        if person:
            self.last_person = person

    def _persons_named(self, paragraph: int, text: str) -> list[tuple[int, str]]:
        """Where each person named in a paragraph is named (the end offset), read once per
        paragraph: saw() asks again at every sentence. Names do not run across sentences."""
        if paragraph not in self.named_in:
            # A name is among the words, or part of one is: most capitalised words are not.
            self.named_in[paragraph] = [
                (match.end(), person) for match in CAPITALISED_RE.finditer(text)
                if any(map(self.by_alias.__contains__, match.group().split()))
                and (person := self.person_in(match.group(), at_end=False))
            ]
        return self.named_in[paragraph]


def _clean_clause(clause: str) -> str:
    clause = LEADING_THAT_RE.sub("", clause.strip())
    clause = TRAILING_SAID_RE.sub("", clause)
    return clause.strip(" ,")


def _usable(clause: str) -> bool:
    words = clause.replace(MASK, " ").split()
    return len(words) >= 3 and clause.count(MASK) < len(clause) / 3


def extract_quotes(paragraphs: list[str], mentions: list[list[Mention]],
                   persons: dict[str, PersonInfo], gazetteer: Gazetteer,
                   default_central_bank: str | None = None) -> list[Quote]:
    speakers = Speakers(persons, mentions, gazetteer, default_central_bank)
    spans = quote_spans(paragraphs)
    quotes: list[Quote] = []
    headers = [i for i, text in enumerate(paragraphs) if _is_speaker_header(text, speakers)]

    for index, text in enumerate(paragraphs):
        masked = text
        own_spans = [s for s in spans if s[0] == index]
        for s in spans:
            start = s[1] if s[0] == index else 0
            end = s[3] if s[2] == index else len(text)
            if s[0] <= index <= s[2]:
                masked = masked[:start] + MASK * (end - start) + masked[end:]
        found_here = len(quotes)
        for offset, sentence in split_sentences(masked):
            speakers.saw(index, text, offset)
            original = text[offset: offset + len(sentence)]
            quotes.extend(_reported(sentence, original, index, offset, speakers))
        for span in own_spans:
            quote = _direct(span, paragraphs, speakers, quotes)
            if quote:
                quotes.append(quote)
        speakers.saw(index, text, len(text))
        if len(quotes) == found_here and index not in headers:
            header_speaker = _header_for(index, headers, paragraphs, speakers)
            if header_speaker and len(text.split()) >= 8 and not own_spans:
                quotes.append(Quote(header_speaker, "person", "direct", text, index, 0))
    quotes.sort(key=lambda q: (q.paragraph, q.offset))
    return _merge_and_dedupe(quotes)


def _reported(sentence: str, original: str, paragraph: int, offset: int,
              speakers: Speakers) -> list[Quote]:
    """Reported speech in one sentence (quoted passages masked out)."""
    present = {"say": holds_any(sentence, SAY_HINTS),
               "according": holds_any(sentence, ACCORDING_HINTS)}
    participle_possible = holds_any(sentence, PARTICIPLE_HINTS)
    if not (present["say"] or present["according"] or participle_possible):
        return []
    dateline = DATELINE_RE.match(sentence)
    cut = dateline.end() if dateline else 0
    sentence, original = sentence[cut:], original[cut:]
    first_comma = sentence.find(",", 1)  # a clause of at least one character comes first
    present["say after a comma"] = present["say"] and first_comma > 0 and holds_any(
        sentence[first_comma + 2:], SAY_HINTS)
    candidates = []
    for pattern, needs in REPORTED:
        match = pattern.match(sentence) if present[needs] else None
        if not match or MASK in match.group("who"):
            continue  # an attribution of a quoted passage: direct speech handles it
        if pattern is L_SAID:
            clause = _clause_after_verb(match.group("verb"), match.group("after"))
        else:
            clause = match.group("clause")
            if pattern is T_TRAILING and THAT_AFTER_RE.match(match.group("rest")):
                continue  # "X, a researcher at Y, said that …": the clause follows the verb
        if not clause or not _usable(clause):
            continue
        speaker = speakers.resolve(match.group("who"), paragraph, offset + match.start("who"))
        if speaker:
            start = sentence.rfind(clause) if pattern is L_SAID else match.start("clause")
            candidates.append((speaker, original[start: start + len(clause)]))
    found = []
    speaker = None
    if candidates:
        speaker, clause = max(candidates, key=lambda c: len(c[1]))
        found.append(Quote(*speaker, "indirect", _clean_clause(clause), paragraph, offset))
    participle = PARTICIPLE.search(sentence) if participle_possible else None
    if participle:
        name = "clause" if participle.group("clause") else "clause2"
        clause = original[participle.start(name): participle.end(name)]
        subject = speaker or speakers.resolve(sentence.split(",")[0].split(" is ")[0],
                                              paragraph, offset)
        if subject and _usable(participle.group(name)):
            if found and found[0].text.endswith(clause):
                found[0].text = _clean_clause(found[0].text[: -len(clause)].rsplit(",", 1)[0])
            found.append(Quote(*subject, "indirect", _clean_clause(clause), paragraph,
                               offset + participle.start()))
    for quote in found:
        if quote.speaker_type == "person":
            speakers.last_person = quote.speaker
        else:
            speakers.last_institution = quote.speaker
    return found


def _clause_after_verb(verb: str, after: str) -> str | None:
    that = THAT_CLAUSE_RE.match(after)
    if that:
        return that.group("clause")
    saying = SAYING_CLAUSE_RE.match(after)
    if saying:
        return saying.group("clause")
    if COMMA_CLAUSE_RE.match(after):
        return after[2:]
    if verb not in NO_THAT_VERBS:
        return None
    if verb == "told":
        told = TOLD_CLAUSE_RE.match(after)
        return told.group("clause") if told else None
    bare = BARE_CLAUSE_RE.match(after)
    if not bare or NOT_A_CLAUSE_RE.match(bare.group("clause")):
        return None
    return bare.group("clause")


# Dots that do not end a sentence: "Mr. S.V.R. Srinivas", "Jerome H. Powell".
_NAME_DOT = r"\b(?:Mr|Ms|Mrs|Dr|Prof)\.\s|(?<=\b[A-Z])\.\s?|\.(?=\S)"
ATTRIBUTION_AFTER = re.compile(
    rf"^[\s,]*(?:(?P<verb>{SAY_VERBS})\s+(?P<who>(?:{_NAME_DOT}|[^.;“\"])+)|(?P<who2>(?:{_NAME_DOT}|[^.;“\",]){{1,60}}?)"
    rf"{TIME_ADVERBIAL}\s+(?:{SAY_VERBS}))\b"
)
ATTRIBUTION_BEFORE = re.compile(
    rf"(?P<who>[^.;“”\"]{{1,90}}?){TIME_ADVERBIAL}\s+(?:{SAY_VERBS})(?:\s+[^.;“”\"]{{0,40}})?\s*[:,]?\s*$"
)


def _direct(span, paragraphs, speakers: Speakers, quotes: list[Quote]) -> Quote | None:
    start_index, start_offset, end_index, end_offset, body = span
    if len(body.split()) < 3:
        return None
    after = paragraphs[end_index][end_offset + 1:]
    before = paragraphs[start_index][: max(start_offset - 1, 0)]
    match = ATTRIBUTION_AFTER.match(after)
    if match:
        who = match.group("who") or match.group("who2")
        speaker = speakers.resolve(who, end_index, end_offset)
        return Quote(*speaker, "direct", body, start_index, start_offset) if speaker else None
    match = ATTRIBUTION_BEFORE.search(re.split(r"[.!?]\s", before)[-1]) if before.strip() else None
    if match:
        speaker = speakers.resolve(match.group("who"), start_index, start_offset)
        return Quote(*speaker, "direct", body, start_index, start_offset) if speaker else None
    # An unattributed passage that stands as a sentence continues the current speaker.
    starts_sentence = not before.strip() or re.search(r"[.!?:]\s*$", before.strip())
    if starts_sentence and len(body.split()) >= 4:
        recent = [q for q in quotes if q.paragraph >= start_index - 3]
        if recent:
            last = recent[-1]
            return Quote(last.speaker, last.speaker_type, "direct", body, start_index, start_offset)
        if speakers.last_person:
            return Quote(speakers.last_person, "person", "direct", body, start_index, start_offset)
    return None


def _is_speaker_header(text: str, speakers: Speakers) -> bool:
    """"Zeng Gang, deputy director-general of …": a name and post standing alone."""
    if text.endswith((".", "”", '"')) or SAY_VERB_RE.search(text):
        return False
    head = text.split(",")[0]
    return ("," in text and len(head.split()) <= 4 and len(text.split()) <= 30
            and speakers.person_in(head, at_end=True) is not None)


def _header_for(index: int, headers: list[int], paragraphs, speakers: Speakers) -> str | None:
    """The speaker of an unattributed paragraph in a quote list or beside a pull quote."""
    if len(headers) >= 2:
        previous = [h for h in headers if h < index]
        if previous:
            return speakers.person_in(paragraphs[previous[-1]].split(",")[0], at_end=True)
        return None
    if len(headers) == 1 and headers[0] == index + 1:
        return speakers.person_in(paragraphs[headers[0]].split(",")[0], at_end=True)
    return None


def _overlap(a: list[str], b: list[str]) -> float:
    """The share of the shorter word list's words that the other one has."""
    if not a or not b:
        return 0.0
    short, long_ = sorted((a, b), key=len)
    long_ = set(long_)
    return sum(1 for t in short if t in long_) / len(short)


def _merge_and_dedupe(quotes: list[Quote]) -> list[Quote]:
    """One quote per passage: a passage split by its attribution ("…," he said. "…") is one
    statement; the same statement repeated (a standfirst and the story) is kept once."""
    result: list[Quote] = []
    # A kept statement's words, read once and only when another of its speaker's comes.
    kept_words: dict[int, list[str]] = {}

    def words_of(index: int) -> list[str]:
        if index not in kept_words:
            kept_words[index] = WORD_RE.findall(result[index].text.lower())
        return kept_words[index]

    for quote in quotes:
        previous = result[-1] if result else None
        if (previous and previous.kind == quote.kind == "direct"
                and previous.speaker == quote.speaker and previous.paragraph == quote.paragraph):
            previous.text = f"{previous.text} … {quote.text}"
            kept_words.pop(len(result) - 1, None)
            continue
        same_speaker = [i for i, kept in enumerate(result) if kept.speaker == quote.speaker]
        if same_speaker:
            words = WORD_RE.findall(quote.text.lower())
            if any(_overlap(words_of(i), words) >= 0.8 for i in same_speaker):
                continue
            kept_words[len(result)] = words
        result.append(quote)
    return result
