#!/usr/bin/env python
"""Harvest speed and memory against a site served on 127.0.0.1, with the politeness delay
set to 0: pages per minute of a whole harvest (fetch, WARC, extraction, store), of fetching
alone, the extraction time per page, and the harvester's peak memory.

    .venv/bin/python benchmarks/harvest_speed.py --pages 200
    .venv/bin/python benchmarks/harvest_speed.py --database-url postgres://postgres@127.0.0.1/bench

The harvest is a separate `manage.py harvest` process with production settings, so its peak
resident memory is its own. Nothing leaves this machine.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from import_speed import SEED, fresh_database, machine_reference  # noqa: E402

SETUP = """
from archive.models import Institution, Source
bank = Institution.objects.create(name="Bank of Testland", kind="central_bank")
Source.objects.create(name="Bench", slug="bench", institution=bank, url="{feed}")
"""


def site_pages(count: int) -> dict[str, tuple[str, bytes]]:
    """A feed of `count` article pages of the seed's length, each with its own figures."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n") if len(p) > 80]
    pages = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")}
    for number in range(count):
        body = "".join(f"<p>{p.replace('2025', str(2000 + number % 26))} ({number})</p>"
                       for p in paragraphs)
        pages[f"/news/{number}.html"] = ("text/html; charset=utf-8", (
            f'<!DOCTYPE html><html><head><meta property="og:site_name" content="Bank of '
            f'Testland"><title>Announcement {number}</title></head><body><article>'
            f'<h1>Lenders cut rates, announcement {number}</h1>{body}</article></body></html>'
        ).encode())
    return pages


def serve(pages: dict) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            content_type, body = pages.get(self.path, ("text/plain", None))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_harvest(env: dict) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one harvest process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "manage.py", "harvest", "--source", "bench"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise SystemExit(f"harvest failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def fetch_and_extract(urls: list[str]) -> tuple[float, list[float]]:
    """Seconds to fetch every page alone (with WARC), and each page's extraction time."""
    import django

    django.setup()
    from archive.harvest.fetch import Fetcher
    from archive.harvest.harvester import extract_page
    from archive.harvest.warc import WarcFile
    from archive.ingest.pipeline import Context

    context, warc = Context(), WarcFile("bench")
    fetcher = Fetcher(warc)
    started = time.perf_counter()
    fetched = [fetcher.get(url) for url in urls]
    fetching = time.perf_counter() - started
    extract_page(fetched[0], context)  # the model loads once, before timing
    times = []
    for page in fetched:
        started = time.perf_counter()
        extract_page(page, context)
        times.append(time.perf_counter() - started)
    fetcher.close()
    warc.close()
    return fetching, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--database-url", help="postgres://… (a database it may drop and "
                                               "recreate); SQLite in a temporary file if absent")
    args = parser.parse_args()
    pages = site_pages(args.pages)
    server = serve(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    links = "".join(f"<item><link>{base}{path}</link></item>" for path in pages if "/news/" in path)
    pages["/feed.rss"] = ("application/rss+xml",
                          f"<rss><channel>{links}</channel></rss>".encode())
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        env = {**os.environ, "DJANGO_DEBUG": "False", "SECRET_KEY": secrets.token_urlsafe(50),
               "DATABASE_URL": fresh_database(args.database_url, scratch, "harvest-bench"),
               "WARC_DIR": str(scratch / "warc"), "HARVEST_DELAY": "0",
               "SEARCH_INDEX_DIR": str(scratch / "index")}
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                       cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "shell", "-c",
                        SETUP.format(feed=base + "/feed.rss")], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        reference = machine_reference()
        seconds, peak = run_harvest(env)
        fetching, extraction = fetch_and_extract(
            [base + path for path in pages if "/news/" in path])
    count = args.pages
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{count} pages of {len(pages['/news/0.html'][1]) // 1024} KB on {database}, "
          f"politeness delay 0 (machine reference {reference:.2f} s)")
    print(f"harvest, end to end:   {count / seconds * 60:8.0f} pages/minute "
          f"({seconds:.1f} s, model loading included), peak memory {peak:.0f} MB")
    print(f"fetching + WARC alone: {count / fetching * 60:8.0f} pages/minute")
    print(f"extraction per page:   median {statistics.median(extraction) * 1000:.0f} ms, "
          f"p95 {sorted(extraction)[int(len(extraction) * 0.95) - 1] * 1000:.0f} ms")
    server.shutdown()


if __name__ == "__main__":
    main()
