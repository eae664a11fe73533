"""Find many fixed phrases in a text at once.

A regular-expression alternation of hundreds of names tries every name at every position,
which made it the slowest step of an import. Here the text is split into word tokens once
and each run of up to N tokens is looked up in a dictionary: the cost grows with the text,
not with the number of phrases. Longest match wins, as in "Agricultural Bank of China" over
"Bank of China".
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate

# Possessive (++, *+): a token never gives back characters, so the engine keeps no state
# to try that with (a tenth faster).
TOKEN = r"\w++(?:[.'’&-]\w++)*+"
TOKEN_RE = re.compile(TOKEN)
# Splitting on the tokens yields separators and tokens in turn, in C: their lengths give
# every token's offsets without a match object per token.
TOKEN_SPLIT_RE = re.compile(f"({TOKEN})")
CJK_RE = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Tokens:
    """A text's word tokens and their offsets."""

    text: str  # with ’ written as ', as the phrases are
    words: list[str]
    starts: list[int]
    ends: list[int]

    @cached_property
    def folded(self) -> list[str]:
        return [word.casefold() for word in self.words]


def tokenize(text: str) -> Tokens:
    """The tokens of `text`. The gazetteer and both sets of topic keywords read the same
    paragraphs and title of a document, so the tokens of up to a few hundred of its
    paragraphs are kept for the next reader; a long text's are not, so the kept ones stay
    under about 30 MB."""
    return _tokenize_kept(text) if len(text) <= 5_000 else _tokenize(text)


def forget_tokens() -> None:
    """Drop the kept tokens: a new document begins. Its readers need only its own, and
    what a document costs to extract should not depend on the document before it."""
    _tokenize_kept.cache_clear()


def _tokenize(text: str) -> Tokens:
    normalised = text.replace("’", "'")
    parts = TOKEN_SPLIT_RE.split(normalised)
    offsets = list(accumulate(map(len, parts), initial=0))
    return Tokens(normalised, parts[1::2], offsets[1:-1:2], offsets[2::2])


_tokenize_kept = lru_cache(maxsize=256)(_tokenize)


def _key(phrase: str, fold: bool) -> tuple[str, ...]:
    tokens = tuple(TOKEN_RE.findall(phrase.replace("’", "'")))
    return tuple(t.casefold() for t in tokens) if fold else tokens


class PhraseMatcher:
    def __init__(self, phrases: Iterable[str], fold_case: bool = False):
        self.fold = fold_case
        self.keys: dict[tuple[str, ...], str] = {}
        cjk = []
        for phrase in phrases:
            if CJK_RE.search(phrase):
                cjk.append(phrase)  # Chinese has no spaces: matched as substrings below
                continue
            key = _key(phrase, fold_case)
            if key:
                self.keys.setdefault(key, phrase)
        # The lengths of the phrases each first word starts, longest first: most words
        # start none, and are passed over with one lookup.
        sizes: dict[str, set[int]] = {}
        for key in self.keys:
            sizes.setdefault(key[0], set()).add(len(key))
        self.sizes = {word: sorted(lengths, reverse=True) for word, lengths in sizes.items()}
        # "Industrial Bank's Dalian branch": a first word may carry a possessive.
        self.first_words = {*self.sizes, *(w + "'s" for w in self.sizes),
                            *(w + "'S" for w in self.sizes)}
        self.cjk = re.compile("|".join(map(re.escape, sorted(cjk, key=len, reverse=True)))) if cjk else None

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, phrase as given) for each match, in reading order, not overlapping."""
        tokens = tokenize(text)
        words = tokens.folded if self.fold else tokens.words
        first_words = self.first_words
        found = []
        after = 0  # matches do not overlap
        for index in [i for i, word in enumerate(words) if word in first_words]:
            if index < after:
                continue
            match = self._match_at(words, tokens, index)
            if match:
                found.append(match[:3])
                after = match[3]
        # Every Chinese phrase holds a CJK character: most texts hold none, and the test for
        # one costs a fraction of running the alternation of every Chinese phrase.
        if self.cjk and not text.isascii() and CJK_RE.search(text):
            found.extend((m.start(), m.end(), m.group()) for m in self.cjk.finditer(text))
            found.sort()
        return iter(found)

    def _match_at(self, words, tokens, index):
        first = words[index]
        if first not in self.sizes:
            first = first[:-2]
        for size in self.sizes[first]:
            if index + size > len(words):
                continue
            window = tuple(words[index: index + size])
            end = tokens.ends[index + size - 1]
            phrase = self.keys.get(window)
            if not phrase and window[-1][-2:] in ("'s", "'S"):
                # "Industrial Bank's Dalian branch": the possessive is not the name.
                phrase = self.keys.get(window[:-1] + (window[-1][:-2],))
                end -= 2
            if phrase and self._adjacent(tokens, index, size):
                return tokens.starts[index], end, phrase, index + size
        return None

    @staticmethod
    def _adjacent(tokens, index, size) -> bool:
        """The tokens of a phrase are separated by spaces only, not by commas or brackets."""
        text, starts, ends = tokens.text, tokens.starts, tokens.ends
        return all(not text[ends[i]: starts[i + 1]].strip() for i in range(index, index + size - 1))


def hints(alternation: str) -> tuple[str, ...]:
    """Strings of which a text matching the regex alternation `alternation` holds at least
    one: each alternative's leading words, less those containing a shorter one. Asking
    `hint in text` of a few dozen hints is far cheaper than running a long pattern over a
    paragraph that cannot match it, which is most paragraphs. They keep the alternation's
    order: holds_any() stops at the first it finds, so an alternation that lists its most
    common words first ("said") is answered after one search of most texts that match."""
    heads = dict.fromkeys(re.match(r"[\w\- ]+", alternative).group().strip()
                          for alternative in alternation.split("|"))
    return tuple(h for h in heads if not any(o != h and o in h for o in heads))


def holds_any(text: str, strings: tuple[str, ...]) -> bool:
    return any(map(text.__contains__, strings))
