#!/usr/bin/env python
"""The search index's own cost, without the web pages around it, beside the same questions
asked of the database directly (the only way to get exact answers without the index).

    DATABASE_URL=sqlite:////path/archive.db SEARCH_INDEX_DIR=/path/index \\
        .venv/bin/python benchmarks/search_engine.py --repeat 7

For each kind of question it prints the median and p95 time of: the index's top 20 by BM25;
the number of matches with the index's five facets (institution, topic, kind, source, year),
as a list page asks them (past EXACT_UP_TO matches, estimated from a sample), and the same
counted exactly; how far the estimate strays from the exact count (the count, and the worst
facet option that holds at least 1 % of the matches); a date-ordered page deep in the list
(by key, as "older →" asks it); and, with --sql, the database's
exact count and exact top 20 by its own ranking (FTS5 bm25 on SQLite, ts_rank on PostgreSQL).
Run it on an archive made by generate_archive after rebuild_search_index.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from archive.management.commands.benchmark_pages import COMMON  # noqa: E402
from archive.management.commands.generate_archive import RARE  # noqa: E402
from archive.models import Institution, Release  # noqa: E402
from archive import search_index  # noqa: E402
from archive.search_index import Criteria, get_index, sort_key  # noqa: E402

FACETS = ["institution", "topic", "kind", "source", "year"]


def timed(function, repeat: int) -> tuple[float, float]:
    function()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def exact_facets(index, criteria):
    """The facets counted over every match, however many."""
    limit, search_index.EXACT_UP_TO = search_index.EXACT_UP_TO, 10**12
    try:
        return index.facets(criteria, FACETS)
    finally:
        search_index.EXACT_UP_TO = limit


def estimate_error(index, criteria, estimated, exact) -> tuple[float, float]:
    """The count's relative error, and the worst relative error of a facet option holding
    at least 1 % of the matches it is counted over (a facet whose own filter is set counts
    the matches of the question without it), in per cent."""
    count = abs(estimated.total - exact.total) / max(exact.total, 1) * 100
    worst = 0.0
    for name, rows in exact.counts.items():
        guessed = dict(estimated.counts[name])
        total = index.count(criteria.without(name))
        for value, n in rows:
            if n >= total / 100:
                worst = max(worst, abs(guessed.get(value, 0) - n) / n * 100)
    return count, worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="Timed runs of each question.")
    parser.add_argument("--sql", action="store_true",
                        help="Also time the exact count and top 20 asked of the database.")
    args = parser.parse_args()
    index = get_index()
    index.searcher()  # catch up first, outside the timings
    bank = Institution.objects.get(name="Industrial and Commercial Bank of China").pk
    questions = {
        "common word": [Criteria(text=w) for w in COMMON[:4]],
        "rare word": [Criteria(text=w) for w in RARE[:4]],
        "phrase + bank + dates": [Criteria(text='"green bonds"', institutions=(bank,),
                                           date_from=datetime.date(2015, 1, 1))],
        "two common words": [Criteria(text="pension funds")],
        "no words, three filters": [Criteria(institutions=(bank,), topics=(1,), year=2016)],
    }
    releases = Release.objects.count()
    print(f"{connection.vendor}, {releases} releases, index at {index.path}")
    print(f"{'question':<26}{'matches':>9}{'top 20':>13}{'count+facets':>13}{'exact':>13}"
          f"{'error %':>12}{'deep page':>11}{'SQL count':>11}{'SQL top20':>11}"
          f"   (median / p95 ms; error: count / worst option ≥ 1 %)")
    deep = sort_key(datetime.date(2012, 6, 1), 0)
    for name, asked in questions.items():
        rows = {"top": [], "facets": [], "exact": [], "deep": [], "sql_count": [],
                "sql_top": []}
        matches, errors = 0, (0.0, 0.0)
        for criteria in asked:
            matches = max(matches, index.count(criteria))
            rows["top"].append(timed(lambda: index.ranked(criteria, 0, 20), args.repeat))
            rows["facets"].append(timed(lambda: index.facets(criteria, FACETS), args.repeat))
            rows["exact"].append(timed(lambda: exact_facets(index, criteria), args.repeat))
            error = estimate_error(index, criteria, index.facets(criteria, FACETS),
                                   exact_facets(index, criteria))
            errors = tuple(max(pair) for pair in zip(errors, error))
            rows["deep"].append(timed(lambda: index.by_date(criteria, 20, after=deep),
                                        args.repeat))
            if args.sql and criteria.text:
                found = Release.objects.visible().search(criteria.text, ranked=True)
                rows["sql_count"].append(timed(lambda: found.count(), 1))
                rows["sql_top"].append(timed(
                    lambda: list(found.order_by("-rank").values_list("pk", flat=True)[:20]), 1))

        def cell(key):
            if not rows[key]:
                return f"{'—':>11}"
            median = statistics.median(m for m, _ in rows[key])
            p95 = max(p for _, p in rows[key])
            return f"{median:>6.1f}/{p95:<5.0f}"

        print(f"{name:<26}{matches:>9}{cell('top'):>13}{cell('facets'):>13}{cell('exact'):>13}"
              f"{errors[0]:>5.1f} /{errors[1]:>4.1f}{cell('deep'):>11}"
              f"{cell('sql_count'):>11}{cell('sql_top'):>11}")


if __name__ == "__main__":
    main()
