#!/usr/bin/env python
"""Load test: serve the archive with gunicorn and production settings, drive it with wrk.

    .venv/bin/python manage.py generate_archive --releases 100000     # with DATABASE_URL set
    .venv/bin/python benchmarks/load_test.py --database-url postgres://postgres@127.0.0.1/bench

Clients request a mix of the public pages — home, lists, searches (the commonest words
too), filtered and faceted lists, deep pages, release pages, statements, feeds, exports —
for `--seconds`, and the script prints requests per second, p50, p95 and p99 latency and
the errors (refused or broken connections, timeouts, answers of 400 or more). Needs `wrk`
(Debian: apt-get install wrk).
"""

import argparse
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What the clients ask for, by weight: searches and lists dominate, as on a real archive.
MIX = {"home": 5, "list": 10, "deep page": 5, "search, common word": 15, "search, rare word": 10,
       "phrase and filters": 10, "filtered and faceted": 10, "release page": 20,
       "statements": 8, "institution page": 3, "feed": 3, "export": 1}

LUA = """
local paths = %s
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write("RESULT " .. string.format(
    '{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout) .. "\\n")
end
"""


def production_env(database_url: str, port: int, cache_dir: str) -> dict:
    return {
        **os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: no redirect to HTTPS, cookies without Secure.
        "DJANGO_SECURE_SSL_REDIRECT": "False", "DJANGO_SECURE_COOKIES": "False",
        "DJANGO_HSTS_SECONDS": "0", "DATABASE_STATEMENT_TIMEOUT": "5000", "PORT": str(port),
        "CACHE_DIR": cache_dir,
    }


def paths(rng: random.Random) -> list[str]:
    """A few thousand request paths in the proportions of MIX, from the archive itself."""
    import django
    from urllib.parse import urlencode

    django.setup()
    from archive.management.commands.benchmark_pages import COMMON
    from archive.management.commands.generate_archive import RARE
    from archive.filters import RESULT_WINDOW
    from archive.models import Institution, Person, Release, Topic
    from archive.views import PER_PAGE

    banks = list(Institution.objects.with_counts().order_by("-release_count")
                 .values_list("slug", flat=True)[:30])
    topics = list(Topic.objects.values_list("slug", flat=True))
    people = list(Person.objects.values_list("slug", flat=True)[:200])
    top = Release.objects.order_by("-pk").values_list("pk", flat=True).first()
    sample = rng.sample(range(1, top + 1), min(top, 2000))
    releases = [r.get_absolute_url() for r in Release.objects.filter(pk__in=sample).only("pk", "slug")]
    years = range(2007, 2026)
    last_page = RESULT_WINDOW // PER_PAGE

    def query(path, **params):
        return f"{path}?{urlencode(params)}"

    makers = {
        "home": lambda: "/",
        "list": lambda: query("/releases/", page=rng.randint(1, 5)),
        # Lists page through their first RESULT_WINDOW results: the deepest pages there are.
        "deep page": lambda: query("/releases/", page=rng.randint(last_page // 2, last_page)),
        "search, common word": lambda: query("/releases/", q=rng.choice(COMMON)),
        "search, rare word": lambda: query("/releases/", q=rng.choice(RARE)),
        "phrase and filters": lambda: query(
            "/releases/", q=rng.choice(['"green bonds"', '"technology finance"']),
            institution=rng.choice(banks), date_from=f"{rng.choice(years)}-01-01"),
        "filtered and faceted": lambda: query(
            "/releases/", institution=rng.choice(banks), topic=rng.choice(topics),
            year=rng.choice(years)),
        "release page": lambda: rng.choice(releases),
        "statements": lambda: query("/quotes/", q=rng.choice(COMMON + RARE)),
        "institution page": lambda: f"/institutions/{rng.choice(banks)}/",
        "feed": lambda: rng.choice([query("/releases/feed.atom", q=rng.choice(COMMON)),
                                    f"/people/{rng.choice(people)}/feed.rss"]),
        "export": lambda: query("/releases/export.csv", institution=rng.choice(banks),
                                year=rng.choice(years)),
    }
    return [makers[kind]() for kind, weight in MIX.items() for _ in range(weight * 40)]


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--page-cache", type=int, default=120, metavar="SECONDS",
                        help="PAGE_CACHE_SECONDS of the server (0: every page rendered; "
                             "default 120, as in production).")
    parser.add_argument("--json", help="Also write the figures to this file.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        # The page cache starts empty: every page is rendered at least once under load.
        env = production_env(args.database_url, args.port, str(Path(scratch) / "cache"))
        env["PAGE_CACHE_SECONDS"] = str(args.page_cache)
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                       cwd=ROOT, env=env, check=True)
        urls = paths(random.Random(7))
        script = Path(scratch) / "mix.lua"
        script.write_text(LUA % ("{" + ",".join(json.dumps(u) for u in urls) + "}"))
        with open(Path(scratch) / "gunicorn.log", "w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "archive.wsgi", "--config", "gunicorn.conf.py",
                 "--access-logfile", "/dev/null"], cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                wait_for(args.port)
                output = subprocess.run(
                    ["wrk", "-t", "2", "-c", str(args.clients), "-d", f"{args.seconds}s",
                     "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{args.port}"],
                    capture_output=True, text=True, check=True).stdout
            finally:
                server.terminate()
                server.wait(timeout=30)
    result = json.loads(output.split("RESULT ", 1)[1])
    errors = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    print(f"{args.clients} clients for {result['seconds']:.0f} s over {len(set(urls))} different "
          f"pages; gunicorn workers: {os.environ.get('WEB_CONCURRENCY', 'gunicorn.conf.py')}; "
          f"page cache: {f'{args.page_cache} s' if args.page_cache else 'off'}")
    print(f"{'requests/s':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    print(f"{result['requests'] / result['seconds']:>11.1f}{result['p50']:>9.1f}"
          f"{result['p95']:>9.1f}{result['p99']:>9.1f}{result['max']:>9.1f}{errors:>8}")
    if errors:
        print("errors: " + ", ".join(f"{k} {result[k]}" for k in
                                     ("connect", "read", "write", "status", "timeout")))
    if args.json:
        Path(args.json).write_text(json.dumps({**result, "errors": errors}, indent=2))


if __name__ == "__main__":
    main()
