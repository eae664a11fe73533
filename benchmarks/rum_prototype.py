#!/usr/bin/env python
"""Design B measured: PostgreSQL answering the search questions itself with the RUM index
(index-ordered top-k ranking), on a narrow search table, counts and facets exact or from a
sample. It asks the questions `search_engine.py` asks the Tantivy index, so the two compare.

    DATABASE_URL=postgres://…/archive .venv/bin/python benchmarks/rum_prototype.py --repeat 5

Needs the RUM extension in the server (Debian: `apt-get install postgresql-15-rum`). It builds
`bench_rum_search` (id, date, institution ids, the release's weighted tsvector) with a RUM
index once, prints how long that took and its size, then for each question the median and
p95 ms of: the top 20 by RUM's ranking (`<=>`, in index order); the exact count; one exact
facet (institutions); the same count and facet from a 10 % block sample (TABLESAMPLE SYSTEM)
and their error. `--drop` removes the table afterwards. Nothing here is used by the archive.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from search_engine import timed  # beside this file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from archive.management.commands.benchmark_pages import COMMON  # noqa: E402
from archive.management.commands.generate_archive import RARE  # noqa: E402
from archive.models import Institution  # noqa: E402

TABLE = "bench_rum_search"
SAMPLE_PERCENT = 10


def build() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        cursor.execute("SELECT to_regclass(%s)", [TABLE])
        if cursor.fetchone()[0]:
            return
        started = time.perf_counter()
        cursor.execute(f"""
            CREATE TABLE {TABLE} AS
            SELECT r.id, r.published, r.search_vector,
                   coalesce(array_agg(l.institution_id) FILTER (WHERE l.institution_id
                            IS NOT NULL), '{{}}') AS institutions
            FROM archive_release r LEFT JOIN archive_release_institutions l
                 ON l.release_id = r.id
            WHERE NOT r.hidden GROUP BY r.id""")
        filled = time.perf_counter() - started
        cursor.execute(f"CREATE INDEX {TABLE}_rum ON {TABLE} USING rum "
                       f"(search_vector rum_tsvector_ops)")
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute(f"SELECT pg_size_pretty(pg_relation_size('{TABLE}_rum')), "
                       f"pg_size_pretty(pg_relation_size('{TABLE}'))")
        index_size, table_size = cursor.fetchone()
        print(f"built {TABLE} in {filled:.0f} s and its RUM index in "
              f"{time.perf_counter() - started - filled:.0f} s: index {index_size}, "
              f"table {table_size}")


def ask(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--drop", action="store_true", help="Drop the table afterwards.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Design B is PostgreSQL's: give a postgres:// DATABASE_URL.")
    build()
    bank = Institution.objects.get(name="Industrial and Commercial Bank of China").pk
    questions = {
        "common word": [(w, "") for w in COMMON[:4]],
        "rare word": [(w, "") for w in RARE[:4]],
        "phrase + bank + dates": [('"green bonds"',
                                   f"AND institutions @> ARRAY[{bank}]::bigint[] "
                                   f"AND published >= '2015-01-01'")],
        "two common words": [("pension funds", "")],
    }
    print(f"{'question':<24}{'matches':>9}{'top 20':>14}{'exact count':>14}{'exact facet':>14}"
          f"{'sampled':>14}{'error %':>12}   (median / p95 ms; error: count / worst option ≥ 1 %)")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    for name, asked in questions.items():
        cells = {"top": [], "count": [], "facet": [], "sampled": []}
        matches, errors = 0, (0.0, 0.0)
        for words, extra in asked:
            where = f"search_vector @@ websearch_to_tsquery('english', %s) {extra}"
            top = (f"SELECT id FROM {TABLE} WHERE {where} ORDER BY search_vector <=> "
                   f"websearch_to_tsquery('english', %s) LIMIT 20")
            count = f"SELECT count(*) FROM {TABLE} WHERE {where}"
            facet = (f"SELECT i, count(*) FROM {TABLE}, unnest(institutions) i WHERE {where} "
                     f"GROUP BY i")
            sampled = (f"SELECT i, count(*) FROM {TABLE} TABLESAMPLE SYSTEM "
                       f"({SAMPLE_PERCENT}) REPEATABLE (1), unnest(institutions) i "
                       f"WHERE {where} GROUP BY i")
            sampled_count = (f"SELECT count(*) FROM {TABLE} TABLESAMPLE SYSTEM "
                             f"({SAMPLE_PERCENT}) REPEATABLE (1) WHERE {where}")
            cells["top"].append(timed(lambda: ask(top, [words, words]), args.repeat))
            cells["count"].append(timed(lambda: ask(count, [words]), args.repeat))
            cells["facet"].append(timed(lambda: ask(facet, [words]), args.repeat))
            cells["sampled"].append(timed(
                lambda: ask(sampled, [words]) + ask(sampled_count, [words]), args.repeat))
            exact_total = ask(count, [words])[0][0]
            matches = max(matches, exact_total)
            exact = ask(facet, [words])
            guessed = ask(sampled, [words]) + ask(sampled_count, [words])
            scale = 100 / SAMPLE_PERCENT
            guessed_total = guessed[-1][0] * scale
            guessed_facet = {i: n * scale for i, n in guessed[:-1]}
            count_error = abs(guessed_total - exact_total) / max(exact_total, 1) * 100
            worst = max((abs(guessed_facet.get(i, 0) - n) / n * 100 for i, n in exact
                         if n >= exact_total / 100), default=0.0)
            errors = (max(errors[0], count_error), max(errors[1], worst))

        def cell(key):
            median = statistics.median(m for m, _ in cells[key])
            p95 = max(p for _, p in cells[key])
            return f"{median:>7.1f}/{p95:<6.0f}"

        print(f"{name:<24}{matches:>9}{cell('top'):>14}{cell('count'):>14}{cell('facet'):>14}"
              f"{cell('sampled'):>14}{errors[0]:>5.1f} /{errors[1]:>5.1f}")
    if args.drop:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {TABLE}")


if __name__ == "__main__":
    main()
