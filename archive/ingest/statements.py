"""Statements attributed: direct quotes from quotation marks, reported speech from the parse.

A verb of saying (say, add, note, tell, warn, … and "according to") whose subject resolves to
a named person or institution makes its speaker. A direct quote takes the speaker of the verb
nearest to it in its sentence, else of its paragraph, else of the paragraph before when it
continues a quote. Reported speech is the verb's clausal complement ("… said that X", "X, he
said", "adding that X"); a clause that is all in quotation marks is the direct quote itself,
and quoted words inside a reported clause belong to that clause. A passage split by its
attribution ("A," he said. "B.") is one quote.
"""

import re
from dataclasses import dataclass

from archive.ingest.mentions import Referent, Resolver

SAY_LEMMAS = {
    "say", "tell", "add", "note", "warn", "stress", "emphasize", "emphasise", "explain", "argue",
    "state", "insist", "acknowledge", "assure", "estimate", "observe", "suggest", "predict",
    "remark", "comment", "caution", "reiterate", "admit", "concede", "contend", "indicate",
    "confirm", "write", "reply", "respond", "conclude", "recall", "announce", "declare",
    "point", "underline", "underscore", "assert", "claim", "forecast", "continue", "convey", "reveal",
    "disclose", "highlight", "mention", "urge",
}
# Verbs that attribute a quote next to them but do not report a clause of their own.
QUOTE_ONLY_LEMMAS = {"continue"}
# Nouns of saying: "comments from Kevin Hassett that “…”" attributes the quote after them.
SAY_NOUNS = {"comment", "remark", "statement", "warning", "word", "assertion", "testimony"}
# A paragraph that announces the words that follow as someone's: "Following are excerpts
# from Governor X's comments:", "X said:".
FRAMING_RE = re.compile(r"\b(?:excerpts?|extracts?|highlights|transcript)\s+(?:from|of)\b|:\s*$",
                        re.I)
# A curly opening mark may be closed by a straight one, as pages that mix them do.
QUOTE_RE = re.compile(
    r"“(?P<curly>[^“”\"]*)(?:[”\"]|$)"
    r'|"(?P<straight>[^"]*)(?:"|$)'
    r"|(?<!\w)‘(?P<single>(?:[^‘’]|’(?=\w))*)’(?!\w)"
    r"|«(?P<guillemet>[^«»]*)(?:»|$)"
)
MIN_QUOTE_WORDS = 4
STRIP = " ,;:-–—"
# The comma a sentence puts before a closing mark is the sentence's, not the statement's:
# "… the ‘One Big, Beautiful Bill,’" ends "Bill’".
CLOSING_PUNCTUATION_RE = re.compile(r"[,;:]+(?=[’”\"']*$)")


@dataclass
class Statement:
    speaker: str
    speaker_type: str  # "person" or "institution"
    kind: str  # "direct" or "indirect"
    text: str
    paragraph: int = 0
    start: int = 0  # character offset in the paragraph


@dataclass
class _Quote:
    start: int  # offsets of the words inside the marks
    end: int
    tokens: range
    speaker: Referent | None = None
    verb: int | None = None


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the words inside each pair of quotation marks; a quote left open at
    the end of a paragraph runs to its end, as newswire quotes spanning paragraphs do."""
    spans = []
    # An opening mark typed twice as “” opens the quote once.
    for match in QUOTE_RE.finditer(text.replace("“”", "“ ")):
        group = next(g for g in ("curly", "straight", "single", "guillemet") if match[g] is not None)
        start, end = match.span(group)
        while start < end and text[start] in " ”":
            start += 1
        spans.append((start, end))
    return spans


def quoted_tokens(doc, spans: list[tuple[int, int]]) -> set[int]:
    """Indices of the tokens inside quotation marks."""
    tokens = set()
    for start, end in spans:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None:
            tokens.update(range(span.start, span.end))
    return tokens


def speech_verbs(doc, quoted: set[int]):
    for token in doc:
        if token.i in quoted:
            continue
        if token.lemma_ in SAY_LEMMAS and token.pos_ == "VERB":
            if token.lemma_ == "point" and not any(c.lower_ == "out" for c in token.children):
                continue
            yield token
        elif token.lower_ == "according" and token.i + 1 < len(doc) and \
                doc[token.i + 1].lower_ == "to":
            yield token
        elif token.lemma_ in SAY_NOUNS and token.pos_ == "NOUN" and _introduces_words(token):
            yield token


def _introduces_words(noun) -> bool:
    """"comments from X earlier this month that “…”", "X's remarks: “…”": the noun brings
    in the words that follow; in "endorsed comments by X “about …”" the quoted words are
    the endorser's."""
    doc = noun.doc
    speaker = [c for c in noun.children if c.dep_ == "prep" and c.lower_ in ("from", "by", "of")]
    end = speaker[0].right_edge.i if speaker else noun.i
    following = doc[end + 1:end + 6]
    return any(t.lower_ == "that" or t.text == ":" for t in following)


def subject_of(verb):
    """The subject of a verb of saying; a participle or conjunct takes its head's subject
    ("he said, adding that …"); "according to X" has X."""
    if verb.lower_ == "according":
        to = verb.doc[verb.i + 1]
        objects = [c for c in to.children if c.dep_ == "pobj"]
        return objects[0] if objects else None
    if verb.pos_ == "NOUN":  # "comments from X", "X's remarks"
        for child in verb.children:
            if child.dep_ == "poss":
                return child
            if child.dep_ == "prep" and child.lower_ in ("from", "by", "of"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                return objects[0] if objects else None
        return None
    if verb.tag_ == "VBG" and not any(c.dep_ == "nsubj" for c in verb.children):
        # "X said growth was slowing, adding that …": the participle may hang from the
        # reported clause; its subject is that of the verb of saying above it.
        head = verb.head
        for _ in range(3):
            if head.lemma_ in SAY_LEMMAS and head is not verb:
                return subject_of(head)
            if head.dep_ not in ("ccomp", "advcl", "conj", "xcomp") or head.head is head:
                break
            head = head.head
    for _ in range(3):
        subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        if subjects:
            return subjects[0]
        if verb.dep_ in ("advcl", "xcomp", "conj", "pcomp", "acl") and verb.head is not verb:
            verb = verb.head
        else:
            return None
    return None


def find_statements(docs, resolver: Resolver, quoted_spans: list[list[tuple[int, int]]]):
    statements: list[Statement] = []
    previous_speaker: Referent | None = None
    for p, doc in enumerate(docs):
        first_here = len(statements)
        quotes = []
        for start, end in quoted_spans[p]:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                quotes.append(_Quote(start, end, range(span.start, span.end)))
        quoted = resolver.quoted[p]
        verbs = []
        for verb in speech_verbs(doc, quoted):
            subject = subject_of(verb)
            referent = resolver.resolve(p, subject) if subject is not None else None
            if referent and subject.i not in quoted:
                verbs.append((verb, referent))

        reported = _reported(doc, verbs, quotes)
        absorbed = {id(q) for q in quotes for r in reported if r[1] <= q.tokens.start and
                    q.tokens.stop <= r[2] + 1}
        direct = [q for q in quotes if id(q) not in absorbed and _is_statement(doc.text, q)]
        for before, quote in zip([None, *direct], direct):
            _attribute(doc, quote, verbs, before)
        if direct and direct[0].speaker is None and previous_speaker and \
                not doc.text[:direct[0].start].strip(" “”\"‘'"):
            direct[0].speaker = previous_speaker  # a quote continued from the paragraph before
        for quote in direct:
            if quote.speaker is None and verbs:
                quote.speaker = min(verbs, key=lambda v: abs(v[0].i - quote.tokens.start))[1]
        merged = _merge_split(doc, direct)
        for quote in merged:
            if quote.speaker:
                statements.append(Statement(quote.speaker.name, quote.speaker.kind, "direct",
                                            _trimmed(doc.text[quote.start:quote.end]), p,
                                            quote.start))
        for referent, start, end in reported:
            text = _trimmed(doc[start:end].text)
            if text:
                statements.append(Statement(referent.name, referent.kind, "indirect", text, p,
                                            doc[start].idx))
        in_paragraph = statements[first_here:]
        framed = FRAMING_RE.search(doc.text) and not quotes and [
            resolver.at[p, t.i] for t in doc if (p, t.i) in resolver.at
            and resolver.at[p, t.i].kind == "person"]
        if framed:
            previous_speaker = framed[0]
        elif in_paragraph:
            last = max(in_paragraph, key=lambda s: s.start)
            previous_speaker = Referent(last.speaker, last.speaker_type)
        elif not quotes and not _is_heading(doc):
            previous_speaker = None  # quotes run on across headings, not across other text
    statements.sort(key=lambda s: (s.paragraph, s.start))
    return _unique(statements)


def _trimmed(text: str) -> str:
    """A statement's words without the punctuation that joined them to the sentence."""
    return CLOSING_PUNCTUATION_RE.sub("", text.strip(STRIP)).strip(STRIP)


def _is_heading(doc) -> bool:
    """"ON THE YIELD BAND": a few words without a verb, between quotes of one speaker."""
    return len(doc) <= 10 and not any(t.pos_ in ("VERB", "AUX") for t in doc)


def _is_statement(text: str, quote: _Quote) -> bool:
    """Quoted words that make a statement, not a term or a title in quotation marks."""
    inner = text[quote.start:quote.end]
    return len(inner.split()) >= MIN_QUOTE_WORDS


def _attribute(doc, quote: _Quote, verbs, before: _Quote | None = None) -> None:
    """The speaker of the verb nearest the quote within the sentences it touches; a quote
    right after another whose attribution stands between them ('"A," he said. "B."') has
    that speaker."""
    first = doc[quote.tokens.start].sent
    last = doc[quote.tokens.stop - 1].sent
    near = [(verb, referent) for verb, referent in verbs if first.start <= verb.i < last.end]
    if not near and before is not None and before.verb is not None and \
            before.tokens.stop <= before.verb < quote.tokens.start:
        quote.speaker = before.speaker
        return
    if not near and last.end < len(doc) and last.end <= quote.tokens.stop + 1:
        # The quote ended its sentence: '"… rise." the governor said.'
        following = doc[last.end].sent
        near = [(verb, referent) for verb, referent in verbs
                if following.start <= verb.i < following.end]
    if near:
        verb, referent = min(near, key=lambda v: _distance(v[0].i, quote.tokens))
        quote.speaker, quote.verb = referent, verb.i


def _distance(i: int, tokens: range) -> int:
    return tokens.start - i if i < tokens.start else i - tokens.stop + 1


def _reported(doc, verbs, quotes) -> list[tuple[Referent, int, int]]:
    """(speaker, start token, end token) of each reported clause."""
    found = []
    for verb, referent in verbs:
        if verb.lemma_ in QUOTE_ONLY_LEMMAS or verb.pos_ == "NOUN":
            continue
        if verb.lower_ == "according":
            clause = _according_clause(doc, verb)
        else:
            complements = [c for c in verb.children if c.dep_ == "ccomp"]
            if not complements:
                continue
            clause = (complements[0].left_edge.i, complements[0].right_edge.i + 1)
        if clause is None:
            continue
        start, end = clause
        # "… growth was slowing, adding that prices were stable": the participle reports a
        # clause of its own.
        end = next((v.i for v, _ in verbs if start < v.i < end and v.tag_ == "VBG"
                    and v.dep_ in ("advcl", "xcomp", "conj")), end)
        # "… there is some pressure, responding to comments from X that “…”": another
        # speaker's words end the clause, with the phrase that brings them in.
        for noun, _ in verbs:
            if noun.pos_ == "NOUN" and start < noun.i < end:
                phrase = noun
                while phrase.dep_ != "advcl" and phrase.head is not phrase and \
                        start < phrase.head.i < end:
                    phrase = phrase.head
                end = min(end, (phrase if phrase.dep_ == "advcl" else noun).left_edge.i)
        while start < end and (doc[start].dep_ == "mark" or doc[start].is_punct):
            start += 1
        while end > start and doc[end - 1].is_punct and doc[end - 1].text not in ".?!":
            end -= 1
        if end - start < 3:
            continue
        # All or nearly all in quotation marks: the direct quote is the statement.
        quoted = sum(1 for i in range(start, end) if any(i in q.tokens for q in quotes))
        if quoted >= 0.8 * (end - start):
            continue
        found.append((referent, start, end))
    return found


def _according_clause(doc, verb):
    """"According to X, growth slowed." / "Growth slowed, according to X.": the sentence
    without the attribution."""
    sentence = verb.sent
    phrase = list(verb.subtree)
    left, right = phrase[0].i, phrase[-1].i + 1
    if left - sentence.start >= right - left and left > sentence.start:
        return sentence.start, left
    if sentence.end > right:
        return right, sentence.end
    return None


def _merge_split(doc, quotes: list[_Quote]) -> list[_Quote]:
    """"A," he said. "B." is one quote; "B," she added, is a second one."""
    merged: list[_Quote] = []
    for quote in quotes:
        before = merged[-1] if merged else None
        if before and before.speaker and quote.speaker == before.speaker and \
                (quote.verb is None or quote.verb < quote.tokens.start) and \
                len(doc.text[before.end:quote.start].split()) <= 12 and \
                before.verb is not None and before.tokens.stop <= before.verb < quote.tokens.start:
            merged[-1] = _Quote(before.start, quote.end,
                                range(before.tokens.start, quote.tokens.stop),
                                before.speaker, before.verb)
            continue
        merged.append(quote)
    return merged


def _unique(statements: list[Statement]) -> list[Statement]:
    seen, kept = set(), []
    for statement in statements:
        key = (statement.speaker, statement.text)
        if key not in seen:
            seen.add(key)
            kept.append(statement)
    return kept
