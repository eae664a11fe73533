#!/usr/bin/env python
"""Import speed and memory: generate N seed-sized documents, import them into a fresh
database, and print documents per second and the importer's peak memory.

    .venv/bin/python benchmarks/import_speed.py --documents 500 2000
    .venv/bin/python benchmarks/import_speed.py --database-url postgres://postgres@127.0.0.1/bench

Each run is a separate `manage.py import_releases` process with production settings, so its
peak resident memory is its own; memory that stays flat as N grows shows that files are
streamed, not loaded first.
"""

import argparse
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.ingest.gazetteer import INSTITUTIONS  # noqa: E402

SEED = ROOT / "seeds" / "000_53a132089076e03c.txt"
BANKS = [name for name, kind, *_ in INSTITUTIONS if kind in ("commercial_bank", "policy_bank")]
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Tao", "Yan", "Hui", "Qiang", "Ning"]


def generate(folder: Path, count: int) -> None:
    """Seed-sized documents: the seed's layout with other banks, people, dates and figures."""
    seed = SEED.read_text(encoding="utf-8")
    rng = random.Random(count)
    for number in range(count):
        text = seed
        for old in ("China Construction Bank", "Bank of Communications", "Industrial Bank"):
            text = text.replace(old, rng.choice(BANKS))
        for old in ("Yin Zhentao", "Lou Feipeng"):
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}{rng.choice(GIVEN).lower()}"
            text = text.replace(old, name).replace(old.split()[0] + " ", name.split()[0] + " ")
        day = rng.randint(1, 28)
        text = text.replace("12-24-2025", f"{rng.randint(1, 12):02d}-{day:02d}-{rng.randint(2006, 2025)}")
        text = text.replace("1201160062", str(rng.randint(10**9, 10**10)))
        (folder / f"doc-{number:06d}.txt").write_text(text, encoding="utf-8")


def run_import(folder: Path, database_url: str, workers: int) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one import process."""
    # Production settings, as an archive's imports run: in debug mode Django also formats
    # every statement for its query log, which on SQLite costs a query of its own.
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "False",
           "SECRET_KEY": secrets.token_urlsafe(50)}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, "manage.py", "import_releases", str(folder), "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status:
        raise SystemExit(f"import failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def fresh_database(url: str | None, scratch: Path, label: str) -> str:
    if not url:
        return f"sqlite:///{scratch / (label + '.sqlite3')}"
    name = url.rsplit("/", 1)[-1]
    base = url.rsplit("/", 1)[0]
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name}"],
                   check=True)
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c", f"CREATE DATABASE {name}"], check=True)
    return url


def machine_reference() -> float:
    """Seconds this machine takes for a fixed piece of pure-Python work. Shared machines
    differ, and one machine differs from hour to hour: two runs' documents per second
    compare only beside this figure."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--database-url", help="postgres://… (a database it may drop and "
                                               "recreate); SQLite in a temporary file if absent")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    database = "PostgreSQL" if args.database_url else "SQLite"
    print("machine: seconds for 5 million Python loop steps, just before each import")
    print(f"{'database':<11}{'documents':>10}{'workers':>8}{'seconds':>9}{'docs/s':>9}"
          f"{'peak MB':>9}{'machine':>9}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        # The same count may be given twice to see how much a figure varies: each run has
        # its own folder and database.
        for run, count in enumerate(args.documents):
            folder = scratch / f"docs-{run}-{count}"
            folder.mkdir()
            generate(folder, count)
            url = fresh_database(args.database_url, scratch, f"bench-{run}-{count}")
            reference = machine_reference()
            seconds, peak = run_import(folder, url, args.workers)
            print(f"{database:<11}{count:>10}{args.workers:>8}{seconds:>9.1f}"
                  f"{count / seconds:>9.1f}{peak:>9.0f}{reference:>9.2f}")


if __name__ == "__main__":
    main()
