"""The benchmark aids: a synthetic archive generator and the page timer."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from archive.models import Institution, Quote, Release
from archive.settings import BASE_DIR
from tests.conftest import make_release

pytestmark = pytest.mark.django_db


def test_generate_archive_writes_realistic_releases():
    call_command("generate_archive", "--releases", "60", "--batch", "25", stdout=StringIO())
    assert Release.objects.count() == 60
    lengths = [len(body.split()) for body in Release.objects.values_list("body", flat=True)]
    assert min(lengths) >= 200 and max(lengths) <= 1000
    years = {d.year for d in Release.objects.values_list("published", flat=True)}
    assert len(years) > 5 and min(years) >= 2006 and max(years) <= 2026
    assert Quote.objects.filter(institution__isnull=False).count() == 60
    # Skewed: the most named institution is in far more releases than the median one.
    counts = sorted(Institution.objects.with_counts().values_list("release_count", flat=True))
    assert counts[-1] >= 4 * max(counts[len(counts) // 2], 1)
    assert Release.objects.search("bank").exists()
    # The id sequences continue after the generated rows.
    assert make_release("After generation").pk > Release.objects.exclude(
        title="After generation").order_by("-pk").first().pk


def test_benchmark_pages_prints_and_writes_every_page(tmp_path):
    call_command("generate_archive", "--releases", "40", stdout=StringIO())
    out = StringIO()
    call_command("benchmark_pages", "--repeat", "2", "--admin",
                 "--json", str(tmp_path / "pages.json"), stdout=out)
    result = json.loads((tmp_path / "pages.json").read_text())
    assert result["releases"] == 40
    names = [page["page"] for page in result["pages"]]
    assert names[:4] == ["home", "list, unfiltered", "search, common word", "search, rare word"]
    # The admin's lists, answered (200) to the superuser made for the run, who is gone after.
    assert [n for n in names if n.startswith("admin: ")][::3] == [
        "admin: releases", "admin: releases of a year", "admin: statements",
        "admin: documents, by name"]
    assert not User.objects.exists()
    assert names[-1].startswith("CSV export (40 rows)")
    assert all(page["queries"] > 0 and 0 < page["sql_ms"] < page["median_ms"]
               for page in result["pages"])
    assert "page/SQL" in out.getvalue()


def test_benchmark_pages_compares_with_datasette_on_the_same_sqlite_file(tmp_path):
    pytest.importorskip("datasette")
    env = {**os.environ, "DJANGO_DEBUG": "True",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'archive.sqlite3'}",
           "SEARCH_INDEX_DIR": str(tmp_path / "search-index")}

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=900, check=True)

    manage("migrate", "--no-input")
    manage("generate_archive", "--releases", "40")
    manage("benchmark_pages", "--repeat", "2", "--datasette", "--datasette-repeat", "1",
           "--json", str(tmp_path / "p.json"))
    pages = {p["page"]: p for p in json.loads((tmp_path / "p.json").read_text())["pages"]}
    compared = [name for name, page in pages.items() if "datasette_ms" in page]
    assert compared == ["list, unfiltered", "search, common word", "search, rare word",
                        "phrase + institution + dates", "release page", "statements search",
                        "statements, phrase", "CSV export (40 rows)"]
    assert all(pages[name]["datasette_ms"] > 0 for name in compared)


def test_import_speed_prints_documents_per_second_and_memory():
    result = subprocess.run(
        [sys.executable, "benchmarks/import_speed.py", "--documents", "3", "6"], cwd=BASE_DIR,
        capture_output=True, text=True, timeout=900, check=True)
    lines = result.stdout.splitlines()
    rows = [line.split() for line in lines[2:]]
    assert [(row[0], row[1], row[2]) for row in rows] == [("SQLite", "3", "1"), ("SQLite", "6", "1")]
    # documents per second, peak MB, the machine reference
    assert all(float(row[4]) > 0 and float(row[5]) > 10 and float(row[6]) > 0 for row in rows)


def test_harvest_speed_prints_pages_per_minute_memory_and_extraction_time():
    result = subprocess.run(
        [sys.executable, "benchmarks/harvest_speed.py", "--pages", "3"], cwd=BASE_DIR,
        capture_output=True, text=True, timeout=300, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("3 pages of 3 KB on SQLite, politeness delay 0")
    harvest, fetching, extraction = (line.split(":", 1)[1].split() for line in lines[1:4])
    assert float(harvest[0]) > 0 and harvest[1] == "pages/minute" and float(harvest[-2]) > 10
    assert float(fetching[0]) > 0 and float(extraction[1]) > 0
