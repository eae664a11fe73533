"""Reads from a replica, writes and reads-after-write from the primary, with two real
databases: the replica is a copy of the primary taken before a release was imported, so
whichever database answers a query shows in its result."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from django.db import connection

from archive.settings import BASE_DIR, database_from_url
from tests.ingest_helpers import FIXTURES

TITLE = "Lenders pledge more support for green transition"
SCRIPT = f"""
import json
from django.db import transaction
from django.test import Client
from archive import search_index
from archive.models import Person, Release
from archive.routers import use_primary

def shows(client):
    return {TITLE!r} in client.get("/releases/").text

seen = {{"read": Release.objects.count()}}
seen["indexed"] = search_index.rebuild()
with transaction.atomic():
    seen["read in a transaction"] = Release.objects.count()
curator, visitor = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
seen["page"] = shows(curator)
login = curator.post("/admin/login/", {{"username": "curator", "password": "pw"}})
seen["login redirects"] = login.status_code == 302
seen["page after writing"] = shows(curator)
seen["page of another client"] = shows(visitor)
use_primary.set(False)
Person.objects.create(name="Someone New")
seen["read after a write"] = Release.objects.count()
print(json.dumps(seen))
"""


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    return subprocess.run([sys.executable, "manage.py", *map(str, args)], cwd=BASE_DIR,
                          env={**clean, "DJANGO_DEBUG": "True", **env}, capture_output=True,
                          text=True, timeout=120, check=True)


def test_reads_go_to_the_replica_until_a_client_writes(tmp_path, monkeypatch):
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    url = f"sqlite:///{primary}"
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "search-index"))
    manage("migrate", "--no-input", DATABASE_URL=url)
    manage("shell", "-c", "from django.contrib.auth.models import User; "
           "User.objects.create_superuser('curator', 'c@example.org', 'pw')", DATABASE_URL=url)
    shutil.copy(primary, replica)  # the processes have ended, so the WAL is checkpointed
    manage("import_releases", FIXTURES / "news_report.txt", DATABASE_URL=url)

    result = manage("shell", "-c", SCRIPT, DATABASE_URL=url,
                    DATABASE_REPLICA_URL=f"sqlite:///{replica}")
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "read": 0,  # the replica has not caught up
        "indexed": 1,  # the index is built from the primary, where the change log is
        "read in a transaction": 1,
        "page": False,
        "login redirects": True,
        "page after writing": True,  # the login wrote: this client now reads the primary
        "page of another client": False,
        "read after a write": 1,
    }


def test_without_a_replica_everything_uses_the_primary(settings):
    from archive.routers import PrimaryReplicaRouter

    assert "replica" not in settings.DATABASES
    assert PrimaryReplicaRouter().db_for_read(None) == "default"


def test_the_connection_pool_is_configured_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "8")
    database = database_from_url("postgres://archive@db:5432/archive")
    assert database["OPTIONS"]["pool"]["max_size"] == 8
    assert database["CONN_MAX_AGE"] == 0  # Django's pool replaces persistent connections
    monkeypatch.setenv("DATABASE_PGBOUNCER", "True")
    assert database_from_url("postgres://archive@db/archive")["DISABLE_SERVER_SIDE_CURSORS"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
def test_pooled_connections_serve_queries():
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/"
           f"{settings['NAME']}")
    result = manage("shell", "-c", "from django.db import connection; "
                    "connection.cursor().execute('SELECT 1'); "
                    "print(type(connection.pool).__name__, connection.pool.max_size)",
                    DATABASE_URL=url, DATABASE_POOL_SIZE="3")
    assert result.stdout.splitlines()[-1].split() == ["ConnectionPool", "3"]
