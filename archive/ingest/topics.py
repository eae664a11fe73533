"""Topic tags from the taxonomy's keywords (curators edit them in admin).

A keyword counts on word boundaries; one written with capitals ("RRR", "IMF") must match
case, the rest match any case. Title hits weigh more than body hits. A document is tagged
with each topic whose score is substantial both absolutely and beside its best topic.
"""

import re

TITLE_WEIGHT = 3
MIN_SCORE = 2
SHARE_OF_BEST = 0.2


def compile_keywords(topics: dict[str, list[str]]) -> dict[str, list[re.Pattern]]:
    compiled = {}
    for slug, keywords in topics.items():
        compiled[slug] = [
            re.compile(rf"(?<![\w-]){re.escape(k)}(?![\w-])", 0 if k != k.lower() else re.I)
            for k in keywords if k.strip()
        ]
    return compiled


def tag(title: str, body: str, keywords: dict[str, list[re.Pattern]]) -> list[str]:
    scores = {}
    for slug, patterns in keywords.items():
        score = sum(
            TITLE_WEIGHT * len(p.findall(title)) + len(p.findall(body)) for p in patterns
        )
        if score:
            scores[slug] = score
    if not scores:
        return []
    best = max(scores.values())
    chosen = [s for s, v in scores.items() if v >= MIN_SCORE and v >= SHARE_OF_BEST * best]
    return sorted(chosen, key=lambda s: -scores[s])
