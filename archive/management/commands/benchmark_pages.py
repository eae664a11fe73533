"""Server time of the archive's pages, through the whole Django stack, on the current database."""

import datetime
import json
import random
import statistics
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings

from archive.management.commands.generate_archive import RARE  # words in ~0.2% of sentences
from archive.models import Institution, Person, Quote, Release, Topic
from archive.search_index import sort_key, statement_sort_key

COMMON = ["bank", "loans", "support", "credit", "market", "finance", "measures", "growth"]
# Phrases of two words, as the releases' page asks, in one in twenty generated statements
# to most.
STATEMENT_PHRASES = ['"green bonds"', '"the measures"', '"pension funds"',
                     '"technology finance"']


def _datasette_releases(path, params) -> str:
    """A list page's question as a Datasette table page: visible releases, full-text search
    with its FTS5 table, the date range, and the facets Datasette counts on columns (source
    and publication date; it has none over the many-to-many institutions and topics)."""
    query = {"hidden": "0", "_facet": "source", "_facet_date": "published"}
    if params.get("q"):
        query.update(_search=params["q"], _searchmode="raw")  # raw keeps "phrases"
    else:
        query["_sort_desc"] = "published"
    if params.get("date_from"):
        query["published__gte"] = params["date_from"]
    if params.get("date_to"):
        query["published__lte"] = params["date_to"]
    return "archive_release?" + urlencode(query)


# The pages Datasette can answer, translated to its URLs (path after /database/).
DATASETTE = {
    "list, unfiltered": _datasette_releases,
    "search, common word": _datasette_releases,
    "search, rare word": _datasette_releases,
    "phrase + institution + dates": _datasette_releases,  # without the institution
    "release page": lambda path, params: f"archive_release/{path.split('/')[2]}",
    "statements search": lambda path, params: "archive_quote?" + urlencode(
        {"_search": params["q"]}),
    "statements, phrase": lambda path, params: "archive_quote?" + urlencode(
        {"_search": params["q"], "_searchmode": "raw"}),
}


def pick(options, i):
    """The i-th request's choice among `options`, in turn."""
    return options[i % len(options)]


class QueryTimer:
    """Counts the queries a request sends and times them, without Django's query log (which,
    on SQLite, asks the database again to quote each query's parameters)."""

    def __init__(self):
        self.queries, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.seconds += time.perf_counter() - started


class Command(BaseCommand):
    help = ("Time each public page (median and p95 over repeated requests with varied terms), "
            "with its number of queries and the time of its SQL alone; print a table and "
            "write it as JSON. Run against an archive made by generate_archive.")

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15, help="Requests per page.")
        parser.add_argument("--json", default="", help="Write the results to this file.")
        parser.add_argument("--datasette", action="store_true",
                            help="SQLite only: also time the same questions asked of Datasette "
                                 "on the same file (pip install datasette).")
        parser.add_argument("--admin", action="store_true",
                            help="Also time the curators' lists in the admin (signed in as a "
                                 "superuser made for the run and removed after it).")
        parser.add_argument("--datasette-repeat", type=int, default=0,
                            help="Requests per page asked of Datasette (default: --repeat); "
                                 "at a million releases its searches take seconds each.")

    def handle(self, *args, **options):
        # Pages rendered as in production, without debugging's query log, whatever .env
        # says, and without the page cache: what is timed is the rendering.
        cache = {"archive.middleware.UpdateCurrentPageCache",
                 "archive.middleware.FetchCurrentPageCache"}
        with override_settings(DEBUG=False, SECURE_SSL_REDIRECT=False,
                               ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
                               MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in cache]):
            self.run(**options)

    def run(self, repeat, json, datasette, datasette_repeat, admin, **options):
        if datasette and connection.vendor != "sqlite":
            raise CommandError("--datasette compares on an SQLite file: set DATABASE_URL to one.")
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
        topics = list(Topic.objects.values_list("slug", flat=True))
        people = [p.get_absolute_url() for p in Person.objects.annotate(n=Count("quotes"))
                  .order_by("-n")[:10]]  # those quoted most: the longest pages
        # A key halfway through the list by date: a page as deep as any.
        halfway = str(sort_key(datetime.date(2016, 1, 1), 0))
        statements_halfway = str(statement_sort_key(datetime.date(2016, 1, 1), 0, 0xFFFF))
        deep = max(1, min(101, releases // 200))  # page 101 once there are enough matches

        pages = {
            "home": lambda i: ("/", {}),
            "list, unfiltered": lambda i: ("/releases/", {"page": str(i % 5 + 1)}),
            "search, common word": lambda i: ("/releases/", {"q": pick(COMMON, i)}),
            "search, rare word": lambda i: ("/releases/", {"q": pick(RARE, i)}),
            f"common word, page {deep}": lambda i: ("/releases/", {"q": pick(COMMON, i),
                                                                  "page": str(deep)}),
            "newest, halfway (by key)": lambda i: ("/releases/", {"after": halfway}),
            "browse a year's month": lambda i: ("/releases/", {"year": pick(years, i),
                                                               "month": str(i % 12 + 1)}),
            "phrase + institution + dates": lambda i: ("/releases/", {
                "q": '"technology finance"' if i % 2 else '"green bonds"',
                "institution": pick(banks, i), "date_from": f"{pick(years, i)}-01-01",
                "date_to": "2025-12-31"}),
            "three filters, all facets": lambda i: ("/releases/", {
                "institution": pick(banks, i), "topic": "credit-and-lending",
                "year": pick(years, i)}),
            "release page": lambda i: (pick(release_urls, i), {}),
            "statements search": lambda i: ("/quotes/", {"q": pick(COMMON, i)}),
            "statements, phrase": lambda i: ("/quotes/", {"q": pick(STATEMENT_PHRASES, i)}),
            "statements, halfway (by key)": lambda i: ("/quotes/", {"after": statements_halfway}),
            "institution page": lambda i: (f"/institutions/{pick(banks, i)}/", {}),
            "topic page": lambda i: (f"/topics/{pick(topics, i)}/", {}),
            "person page": lambda i: (pick(people, i), {}),
            "people, institutions": lambda i: ("/people/" if i % 2 else "/institutions/", {}),
        }
        results = []
        for name, request in pages.items():
            results.append(self.measure(name, request, repeat))
        if admin:
            results += self.admin_lists(repeat, years, sample, banks)
        results.append(self.export(min(10_000, releases)))
        since = results[-1].pop("since")
        if datasette:
            # The export too: the same releases as CSV, streamed.
            translations = {**DATASETTE, results[-1]["page"]: lambda path, params: (
                "archive_release.csv?" + urlencode({"hidden": "0", "published__gte": since,
                                                    "_size": "max", "_stream": "on"}))}
            pages[results[-1]["page"]] = lambda i: ("", {})
            for row in results:
                if row["page"] in translations:
                    row["datasette_ms"] = self.datasette(translations[row["page"]],
                                                         pages[row["page"]],
                                                         datasette_repeat or repeat)
        self.report(releases, results, json)

    def admin_lists(self, repeat, years, sample, banks) -> list[dict]:
        """The admin's lists of releases, statements and documents, whole, searched and
        filtered, as a curator opens them."""
        curator = get_user_model().objects.create_superuser(f"benchmark-{time.time_ns()}")
        public, self.client = self.client, Client()
        self.client.force_login(curator)
        origins = [f"/{pk}.txt" for pk in sample]  # generate_archive's file names
        bank_ids = list(Institution.objects.filter(slug__in=banks).values_list("pk", flat=True))

        lists = {
            "admin: releases": lambda i: ("/admin/archive/release/", {}),
            "admin: releases, common word": lambda i: ("/admin/archive/release/",
                                                       {"q": pick(COMMON, i)}),
            "admin: releases, rare word": lambda i: ("/admin/archive/release/",
                                                     {"q": pick(RARE, i)}),
            "admin: releases of a year": lambda i: ("/admin/archive/release/",
                                                    {"published__year": pick(years, i)}),
            "admin: releases of a bank": lambda i: ("/admin/archive/release/",
                                                    {"institution": pick(bank_ids, i)}),
            "admin: releases not reviewed": lambda i: ("/admin/archive/release/",
                                                       {"reviewed__exact": "0"}),
            "admin: statements": lambda i: ("/admin/archive/quote/", {}),
            "admin: statements, common word": lambda i: ("/admin/archive/quote/",
                                                         {"q": pick(COMMON, i)}),
            "admin: documents": lambda i: ("/admin/archive/document/", {}),
            "admin: documents, by name": lambda i: ("/admin/archive/document/",
                                                    {"q": pick(origins, i)}),
        }
        try:
            return [self.measure(name, request, repeat) for name, request in lists.items()]
        finally:
            self.client = public
            curator.delete()

    def measure(self, name, request, repeat) -> dict:
        times, sql_times, queries = [], [], []
        for i in range(repeat):  # every request once first: timed warm, as Datasette is
            self.client.get(*request(i))
        for i in range(repeat):
            path, params = request(i)
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = self.client.get(path, params)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, params, response.status_code)
            sql_times.append(timer.seconds * 1000)
            queries.append(timer.queries)
        return {
            "page": name, "median_ms": statistics.median(times),
            "p95_ms": sorted(times)[max(0, round(0.95 * len(times)) - 1)],
            "queries": max(queries), "sql_ms": statistics.median(sql_times),
        }

    def export(self, rows, repeat: int = 3) -> dict:
        """A CSV export of the newest `rows` releases (those since a date), streamed: once to
        warm the caches as for the pages, then timed `repeat` times, then once more to
        measure peak memory (tracing allocations slows Python, so not while timing)."""
        dates = Release.objects.visible().order_by("-published").values_list("published", flat=True)
        since = dates[rows - 1] if rows else None
        params = {"date_from": since} if since else {}

        def download() -> int:
            response = self.client.get("/releases/export.csv", params)
            # Rows end with CRLF (the csv module's), the line breaks of a body inside one with
            # LF alone.
            return sum(chunk.count(b"\r\n") for chunk in response.streaming_content) - 1

        download()
        times, sql_times = [], []
        for _ in range(repeat):
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                lines = download()
                times.append((time.perf_counter() - started) * 1000)
            sql_times.append(timer.seconds * 1000)
        queries = timer.queries
        tracemalloc.start()
        download()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return {"page": f"CSV export ({lines} rows)", "median_ms": statistics.median(times),
                "p95_ms": max(times), "queries": queries,
                "sql_ms": statistics.median(sql_times), "peak_mb": round(peak, 1),
                "since": str(since or "")}

    def datasette(self, translate, request, repeat) -> float:
        """Median time of Datasette answering the same requests (the page's HTML) in-process,
        with its time limits lifted so that it computes what the archive computes."""
        import asyncio
        import logging

        from datasette.app import Datasette

        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line a request otherwise

        path = Path(settings.DATABASES["default"]["NAME"])
        app = Datasette([str(path)], settings={"sql_time_limit_ms": 600_000,
                                              "facet_time_limit_ms": 600_000,
                                              "suggest_facets": False})
        database = path.stem

        async def timed(i):
            path, params = request(i)
            url = f"/{database}/{translate(path, params)}"
            started = time.perf_counter()
            response = await app.client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return (time.perf_counter() - started) * 1000

        async def run():
            for i in range(repeat):  # every request once first, as for the archive
                await timed(i)
            return [await timed(i) for i in range(repeat)]

        return statistics.median(asyncio.run(run()))

    def report(self, releases, results, path):
        vendor = connection.vendor
        self.stdout.write(f"{vendor}, {releases} releases, {Quote.objects.count()} statements")
        self.stdout.write(f"{'page':<32}{'median ms':>10}{'p95 ms':>9}{'queries':>8}"
                          f"{'SQL ms':>9}{'page/SQL':>9}")
        for row in results:
            ratio = row["median_ms"] / row["sql_ms"] if row["sql_ms"] else 0
            extra = f"  peak {row['peak_mb']} MB" if "peak_mb" in row else ""
            if "datasette_ms" in row:
                extra += (f"  Datasette {row['datasette_ms']:.1f} ms, ours/Datasette "
                          f"{row['median_ms'] / row['datasette_ms']:.2f}")
            self.stdout.write(f"{row['page']:<32}{row['median_ms']:>10.1f}{row['p95_ms']:>9.1f}"
                              f"{row['queries']:>8}{row['sql_ms']:>9.1f}{ratio:>9.1f}{extra}")
        if path:
            with open(path, "w") as out:
                json.dump({"database": vendor, "releases": releases, "pages": results}, out,
                          indent=2)
