"""Server time of the archive's pages, through the whole Django stack, on the current database."""

import json
import random
import statistics
import time
import tracemalloc

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client

from archive.management.commands.generate_archive import RARE  # words in ~0.2% of sentences
from archive.models import Institution, Quote, Release

COMMON = ["bank", "loans", "support", "credit", "market", "finance", "measures", "growth"]


class Command(BaseCommand):
    help = ("Time each public page (median and p95 over repeated requests with varied terms), "
            "with its number of queries and the time of its SQL alone; print a table and "
            "write it as JSON. Run against an archive made by generate_archive.")

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15, help="Requests per page.")
        parser.add_argument("--json", default="", help="Write the results to this file.")

    def handle(self, *args, repeat, json, **options):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        self.client = Client()
        releases = Release.objects.count()
        banks = list(Institution.objects.with_counts().order_by("-release_count")
                     .values_list("slug", flat=True)[:10])
        # A random sample by id: ORDER BY RANDOM() would sort the whole table.
        top = Release.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        sample = random.Random(1).sample(range(1, top + 1), min(top, repeat * 3))
        release_urls = [r.get_absolute_url() for r in Release.objects.filter(pk__in=sample)
                        .only("pk", "slug")[:repeat]]
        years = [str(y) for y in range(2008, 2025)]

        def pick(options, i):
            return options[i % len(options)]

        pages = {
            "list, unfiltered": lambda i: ("/releases/", {"page": str(i % 5 + 1)}),
            "search, common word": lambda i: ("/releases/", {"q": pick(COMMON, i)}),
            "search, rare word": lambda i: ("/releases/", {"q": pick(RARE, i)}),
            "phrase + institution + dates": lambda i: ("/releases/", {
                "q": '"technology finance"' if i % 2 else '"green bonds"',
                "institution": pick(banks, i), "date_from": f"{pick(years, i)}-01-01",
                "date_to": "2025-12-31"}),
            "three filters, all facets": lambda i: ("/releases/", {
                "institution": pick(banks, i), "topic": "credit-and-lending",
                "year": pick(years, i)}),
            "release page": lambda i: (pick(release_urls, i), {}),
            "statements search": lambda i: ("/quotes/", {"q": pick(COMMON, i)}),
            "institution page": lambda i: (f"/institutions/{pick(banks, i)}/", {}),
        }
        results = []
        connection.force_debug_cursor = True  # keep the query log with DEBUG off
        for name, request in pages.items():
            results.append(self.measure(name, request, repeat))
        results.append(self.export(min(10_000, releases)))
        connection.force_debug_cursor = False
        self.report(releases, results, json)

    def measure(self, name, request, repeat) -> dict:
        times, sql_times, queries = [], [], []
        self.client.get(*request(0))  # warm caches once
        for i in range(repeat):
            path, params = request(i)
            reset_queries()
            started = time.perf_counter()
            response = self.client.get(path, params)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, params, response.status_code)
            sql_times.append(sum(float(q["time"]) for q in connection.queries) * 1000)
            queries.append(len(connection.queries))
        return {
            "page": name, "median_ms": statistics.median(times),
            "p95_ms": sorted(times)[max(0, round(0.95 * len(times)) - 1)],
            "queries": max(queries), "sql_ms": statistics.median(sql_times),
        }

    def export(self, rows) -> dict:
        reset_queries()
        tracemalloc.start()
        started = time.perf_counter()
        response = self.client.get("/releases/export.csv")
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        elapsed = (time.perf_counter() - started) * 1000
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return {"page": f"CSV export ({lines - 1} rows)", "median_ms": elapsed, "p95_ms": elapsed,
                "queries": len(connection.queries),
                "sql_ms": sum(float(q["time"]) for q in connection.queries) * 1000,
                "peak_mb": round(peak, 1)}

    def report(self, releases, results, path):
        vendor = connection.vendor
        self.stdout.write(f"{vendor}, {releases} releases, {Quote.objects.count()} statements")
        self.stdout.write(f"{'page':<32}{'median ms':>10}{'p95 ms':>9}{'queries':>8}"
                          f"{'SQL ms':>9}{'page/SQL':>9}")
        for row in results:
            ratio = row["median_ms"] / row["sql_ms"] if row["sql_ms"] else 0
            extra = f"  peak {row['peak_mb']} MB" if "peak_mb" in row else ""
            self.stdout.write(f"{row['page']:<32}{row['median_ms']:>10.1f}{row['p95_ms']:>9.1f}"
                              f"{row['queries']:>8}{row['sql_ms']:>9.1f}{ratio:>9.1f}{extra}")
        if path:
            with open(path, "w") as out:
                json.dump({"database": vendor, "releases": releases, "pages": results}, out,
                          indent=2)
