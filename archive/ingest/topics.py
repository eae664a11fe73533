"""Topic tags from the taxonomy's keywords (curators edit them in admin).

A keyword counts on word boundaries; one written with capitals ("RRR", "IMF") must match
case, the rest match any case. Title hits weigh more than body hits. A document is tagged
with each topic whose score is substantial both absolutely and beside its best topic.
"""

from collections import Counter
from dataclasses import dataclass

from archive.ingest.phrases import PhraseMatcher

TITLE_WEIGHT = 3
MIN_SCORE = 2
SHARE_OF_BEST = 0.2


@dataclass
class Keywords:
    """All keywords in two matchers (one case-sensitive), each scanning a text once."""

    matchers: list[PhraseMatcher]
    topics_of: dict[str, set[str]]

    def counts(self, paragraphs: list[str]) -> Counter:
        counts = Counter()
        for matcher in self.matchers:
            for paragraph in paragraphs:
                for _, _, keyword in matcher.finditer(paragraph):
                    for slug in self.topics_of[keyword]:
                        counts[slug] += 1
        return counts


def compile_keywords(topics: dict[str, list[str]]) -> Keywords:
    topics_of: dict[str, set[str]] = {}
    for slug, keywords in topics.items():
        for keyword in (k.strip() for k in keywords):
            if keyword:
                topics_of.setdefault(keyword, set()).add(slug)
    sensitive = [k for k in topics_of if k != k.lower()]
    insensitive = [k for k in topics_of if k == k.lower()]
    return Keywords([PhraseMatcher(sensitive), PhraseMatcher(insensitive, fold_case=True)],
                    topics_of)


def tag(title: str, body: str, keywords: Keywords) -> list[str]:
    # Paragraph by paragraph: a keyword does not run across a paragraph break, and the
    # gazetteer has already split these same paragraphs into words (phrases.tokenize).
    scores = keywords.counts(body.split("\n"))
    for slug, count in keywords.counts([title]).items():
        scores[slug] += TITLE_WEIGHT * count
    if not scores:
        return []
    best = max(scores.values())
    chosen = [s for s, v in scores.items() if v >= MIN_SCORE and v >= SHARE_OF_BEST * best]
    return sorted(chosen, key=lambda s: -scores[s])
