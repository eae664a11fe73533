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
        self.longest = max((len(k) for k in self.keys), default=0)
        self.cjk = re.compile("|".join(map(re.escape, sorted(cjk, key=len, reverse=True)))) if cjk else None

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, phrase as given) for each match, in reading order, not overlapping."""
        normalised = text.replace("’", "'")
        tokens = list(TOKEN_RE.finditer(normalised))
        words = [t.group().casefold() if self.fold else t.group() for t in tokens]
        found = []
        index = 0
        while index < len(tokens):
            for size in range(min(self.longest, len(tokens) - index), 0, -1):
                window = tuple(words[index: index + size])
                end = tokens[index + size - 1].end()
                phrase = self.keys.get(window)
                if not phrase and window[-1].endswith(("'s", "'S")):
                    # "Industrial Bank's Dalian branch": the possessive is not the name.
                    phrase = self.keys.get(window[:-1] + (window[-1][:-2],))
                    end -= 2
                if phrase and self._adjacent(normalised, tokens, index, size):
                    found.append((tokens[index].start(), end, phrase))
                    index += size
                    break
            else:
                index += 1
        if self.cjk:
            found.extend((m.start(), m.end(), m.group()) for m in self.cjk.finditer(text))
            found.sort()
        return iter(found)

    @staticmethod
    def _adjacent(text, tokens, index, size) -> bool:
        """The tokens of a phrase are separated by spaces only, not by commas or brackets."""
        return all(
            not text[tokens[i].end(): tokens[i + 1].start()].strip()
            for i in range(index, index + size - 1)
        )
