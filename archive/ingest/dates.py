"""Dates in the forms news and press pages print them; impossible dates are rejected."""

import datetime
import re

MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"

# Each pattern opens with a lookahead for the characters its dates can start with (a year's
# 1 or 2, a digit, a month's initial): at any other position they fail at the first test.
PATTERNS = [
    # 2025-12-24, 2025/12/24, 2025.12.24
    re.compile(rf"(?=[12])(?<!\d){_YEAR}(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)"
               rf"(?P<d>\d{{1,2}})(?!\d)"),
    # 2025年12月24日
    re.compile(rf"(?=[12]){_YEAR}\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日"),
    # 12-24-2025, 12/24/2025 (month first, as US pages print; day first when the first > 12)
    re.compile(rf"(?=\d)(?<![\d-])(?P<a>\d{{1,2}})(?P<sep>[-/])(?P<b>\d{{1,2}})(?P=sep)"
               rf"{_YEAR}(?!\d)"),
    # Dec. 19th, 2025 / February 18, 2022 / Jul 05 2017 / Oct. 25,2024
    re.compile(rf"(?=[adfjmnos])\b{_MONTH}\s*{_DAY},?\s*{_YEAR}(?!\d)", re.I),
    # 24-MAR-1987 (newswire), 5-Jan-2024
    re.compile(rf"(?=\d)(?<!\d){_DAY}-{_MONTH}-{_YEAR}(?!\d)", re.I),
    # 19 December 2025 / 26 February, 2018
    re.compile(rf"(?=\d)(?<!\d){_DAY}\s+{_MONTH},?\s+{_YEAR}(?!\d)", re.I),
]


def _build(year: str, month: str | int, day: str | int) -> datetime.date | None:
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _from_match(match: re.Match) -> datetime.date | None:
    groups = match.groupdict()
    if groups.get("m"):
        return _build(groups["year"], groups["m"], groups["d"])
    if groups.get("a"):
        first, second = int(groups["a"]), int(groups["b"])
        if first > 12:
            first, second = second, first
        return _build(groups["year"], first, second)
    # casefold, not lower: the pattern ignores case as Unicode does, so "ſept" (long s) is
    # September too.
    return _build(groups["year"], MONTHS[groups["month"].casefold().rstrip(".")], groups["day"])


def may_hold_date(text: str) -> bool:
    """Every form above holds a year, 19xx or 20xx: a text without a 1 or a 2 holds none."""
    return "1" in text or "2" in text


def find_dates(text: str) -> list[tuple[int, datetime.date]]:
    """Every valid date in `text` with its offset, in reading order."""
    if not may_hold_date(text):
        return []
    found = {}
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            date = _from_match(match)
            if date and not any(start <= match.start() < end for start, end in found):
                found[(match.start(), match.end())] = date
    return sorted((start, date) for (start, _), date in found.items())


def first_date(text: str) -> datetime.date | None:
    dates = find_dates(text)
    return dates[0][1] if dates else None
