"""Find many fixed phrases in a text at once.

A regular-expression alternation of hundreds of names tries every name at every position,
which made it the slowest step of an import. Here the text is split into word tokens once
and each run of up to N tokens is looked up in a dictionary: the cost grows with the text,
not with the number of phrases. Longest match wins, as in "Agricultural Bank of China" over
"Bank of China".
"""

import re
from collections.abc import Iterable, Iterator

TOKEN_RE = re.compile(r"\w+(?:[.'’&-]\w+)*")
CJK_RE = re.compile(r"[\u3400-\u9fff]")


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
        self.cjk = re.compile("|".join(map(re.escape, sorted(cjk, key=len, reverse=True)))) if cjk else None

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, phrase as given) for each match, in reading order, not overlapping."""
        normalised = text.replace("’", "'")
        tokens = list(TOKEN_RE.finditer(normalised))
        words = [t.group().casefold() if self.fold else t.group() for t in tokens]
        sizes = self.sizes
        # Only tokens that can start a phrase need a closer look.
        starts = [i for i, w in enumerate(words)
                  if w in sizes or (w[-2:] in ("'s", "'S") and w[:-2] in sizes)]
        found = []
        spans = [t.span() for t in tokens] if starts else []
        after = 0  # matches do not overlap
        for index in starts:
            if index < after:
                continue
            match = self._match_at(words, spans, normalised, index)
            if match:
                found.append(match[:3])
                after = match[3]
        if self.cjk:
            found.extend((m.start(), m.end(), m.group()) for m in self.cjk.finditer(text))
            found.sort()
        return iter(found)

    def _match_at(self, words, spans, text, index):
        first = words[index]
        if first not in self.sizes:
            first = first[:-2]
        for size in self.sizes[first]:
            if index + size > len(words):
                continue
            window = tuple(words[index: index + size])
            end = spans[index + size - 1][1]
            phrase = self.keys.get(window)
            if not phrase and window[-1][-2:] in ("'s", "'S"):
                # "Industrial Bank's Dalian branch": the possessive is not the name.
                phrase = self.keys.get(window[:-1] + (window[-1][:-2],))
                end -= 2
            if phrase and self._adjacent(text, spans, index, size):
                return spans[index][0], end, phrase, index + size
        return None

    @staticmethod
    def _adjacent(text, spans, index, size) -> bool:
        """The tokens of a phrase are separated by spaces only, not by commas or brackets."""
        return all(
            not text[spans[i][1]: spans[i + 1][0]].strip() for i in range(index, index + size - 1)
        )
