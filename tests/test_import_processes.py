"""Commands as separate processes on a database of their own: two imports at once, one
killed mid-run, and the generator writing with several processes. Each process commits for
real, so these tests cannot run inside a test transaction."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.ingest_helpers import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = 300

# Facts that hold after any import, finished or not: every document is whole.
HALF_DOCUMENTS = """
    SELECT count(*) FROM archive_document d
    WHERE NOT EXISTS (SELECT 1 FROM archive_release r WHERE r.document_id = d.id)
       OR EXISTS (SELECT 1 FROM archive_release r WHERE r.document_id = d.id AND NOT EXISTS
                  (SELECT 1 FROM archive_quote q WHERE q.release_id = r.id))
"""
DUPLICATES = """
    SELECT (SELECT count(*) - count(DISTINCT origin) FROM archive_document)
         + (SELECT count(*) - count(DISTINCT lower(name)) FROM archive_person)
         + (SELECT count(*) - count(DISTINCT lower(name)) FROM archive_institution)
"""


@pytest.fixture
def database_url(tmp_path):
    """A scratch database of the kind the suite runs on, migrated."""
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        yield migrated(url)
        return
    settings = connection.settings_dict
    name = f"{settings['NAME']}_processes"
    server = dict(host=settings["HOST"] or None, port=settings["PORT"] or None,
                  user=settings["USER"] or None, password=settings["PASSWORD"] or None)
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = f"{settings['USER']}:{settings['PASSWORD']}@" if settings["USER"] else ""
    yield migrated(f"postgres://{credentials}{settings['HOST'] or 'localhost'}:"
                   f"{settings['PORT'] or 5432}/{name}")
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(url: str, *args, **popen) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "True"}
    return subprocess.Popen([sys.executable, "manage.py", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def migrated(url: str) -> str:
    process = manage(url, "migrate", "--no-input")
    assert process.wait(timeout=120) == 0, process.stderr.read()
    return url


def scalar(url: str, sql: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchone()[0]
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        return db.execute(sql).fetchone()[0]


@pytest.fixture
def folder(tmp_path):
    """Many distinct documents naming the same people and institutions."""
    folder = tmp_path / "documents"
    folder.mkdir()
    template = (FIXTURES / "news_report.txt").read_text(encoding="utf-8")
    for number in range(DOCUMENTS):
        (folder / f"report-{number:04d}.txt").write_text(
            f"{template}\nThis is report number {number}.\n", encoding="utf-8")
    return folder


def test_two_imports_of_one_folder_at_once_store_each_document_once(database_url, folder):
    first, second = manage(database_url, "import_releases", folder), manage(
        database_url, "import_releases", folder)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert first.returncode == second.returncode == 0, outputs

    created = sum(int(out.split(" created")[0].split()[-1]) for out, _ in outputs)
    assert created == DOCUMENTS
    assert scalar(database_url, "SELECT count(*) FROM archive_release") == DOCUMENTS
    assert scalar(database_url, DUPLICATES) == 0
    assert scalar(database_url, HALF_DOCUMENTS) == 0


def test_an_import_killed_mid_run_leaves_whole_documents_and_a_rerun_completes(database_url,
                                                                               folder):
    process = manage(database_url, "import_releases", folder)
    deadline = time.monotonic() + 120
    while scalar(database_url, "SELECT count(*) FROM archive_document") < 20:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()

    stored = scalar(database_url, "SELECT count(*) FROM archive_document")
    assert 20 <= stored < DOCUMENTS
    assert scalar(database_url, HALF_DOCUMENTS) == 0

    rerun = manage(database_url, "import_releases", folder)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"{DOCUMENTS - stored} created, 0 updated, {stored} unchanged, 0 failed" in out
    assert scalar(database_url, "SELECT count(*) FROM archive_release") == DOCUMENTS
    assert scalar(database_url, HALF_DOCUMENTS) == 0


def test_generate_archive_writes_with_several_processes(database_url):
    process = manage(database_url, "generate_archive", "--releases", "90", "--jobs", "3",
                     "--batch", "20")
    out, err = process.communicate(timeout=300)
    if database_url.startswith("sqlite"):
        assert process.returncode != 0 and "SQLite has one writer" in err
        return
    assert process.returncode == 0, err
    assert scalar(database_url, "SELECT count(*) FROM archive_release") == 90
    assert scalar(database_url, "SELECT count(DISTINCT document_id) FROM archive_release") == 90
    assert scalar(database_url,
                  "SELECT count(*) FROM archive_quote WHERE institution_id IS NOT NULL") == 90
    # The id sequence continues after the rows the processes wrote.
    assert scalar(database_url,
                  "SELECT nextval(pg_get_serial_sequence('archive_release', 'id'))") == 91


def test_pages_keep_answering_while_two_imports_write(database_url, folder):
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "archive.wsgi"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "True"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        paths = ["/", "/releases/", "/releases/?q=report+number", "/quotes/?q=green",
                 "/institutions/", "/people/", "/releases/feed.atom?q=green",
                 "/releases/export.csv?q=report", "/sitemap.xml", "/healthz"]
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr
                time.sleep(0.2)
        imports = [manage(database_url, "import_releases", folder) for _ in range(2)]
        statuses = []
        while any(process.poll() is None for process in imports):
            for path in paths:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                                timeout=30) as response:
                        response.read()
                        statuses.append((path, response.status))
                except urllib.error.HTTPError as error:
                    statuses.append((path, error.code))
        assert all(process.wait() == 0 for process in imports)
        assert len(statuses) >= len(paths)
        assert [s for s in statuses if s[1] != 200] == []
        assert scalar(database_url, "SELECT count(*) FROM archive_release") == DOCUMENTS
    finally:
        server.terminate()
        server.wait(timeout=30)
