"""Settings come from the environment, and a bad value stops the start with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from archive.settings import BASE_DIR, database_from_url


def start(**env) -> subprocess.CompletedProcess:
    """Run `manage.py check` in a fresh process with exactly these archive variables (and
    no .env file unless DJANGO_ENV_FILE names one)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "ALLOWED_HOSTS")}
    env.setdefault("DJANGO_ENV_FILE", os.devnull)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env={**clean, **env},
        capture_output=True, text=True, timeout=60,
    )


def test_a_missing_secret_key_with_debug_off_stops_the_start():
    result = start(DJANGO_DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_secret_key_with_debug_off_starts():
    result = start(DJANGO_DEBUG="False", SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr


def test_debug_on_needs_no_secret_key():
    assert start(DJANGO_DEBUG="True").returncode == 0


def test_an_env_file_sets_what_the_environment_does_not(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# development\nDJANGO_DEBUG=True\n\nALLOWED_HOSTS = archive.test\n")
    assert start(DJANGO_ENV_FILE=str(env_file)).returncode == 0  # debug on: no key needed
    result = start(DJANGO_ENV_FILE=str(env_file), DJANGO_DEBUG="False")  # the environment wins
    assert "SECRET_KEY must be set" in result.stderr
    env_file.write_text("DJANGO_DEBUG\n")
    result = start(DJANGO_ENV_FILE=str(env_file))
    assert result.returncode != 0
    assert "line 1: expected NAME=value, not 'DJANGO_DEBUG'" in result.stderr


def make_plan(target: str) -> str:
    """What `make target` would run from scratch (printed, nothing run)."""
    return subprocess.run(["make", "-n", "-B", target], cwd=BASE_DIR, capture_output=True,
                          text=True, timeout=60).stdout


def test_make_run_installs_what_the_archive_needs_and_no_test_extras():
    run, test = make_plan("run"), make_plan("test")
    assert "pip install --quiet -e ." in run and "[test,bench]" not in run
    assert "[test,bench]" in test


def test_the_readme_commands_run_as_printed_after_make_install(tmp_path):
    """`make install` leaves a .env for development; manage.py then needs no variables."""
    assert "echo DJANGO_DEBUG=True > .env" in make_plan("install")
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_DEBUG=True\n")
    assert start(DJANGO_ENV_FILE=str(env_file)).returncode == 0
    assert ".env" in (BASE_DIR / ".dockerignore").read_text().split()


def test_a_bad_boolean_stops_the_start():
    result = start(DJANGO_DEBUG="perhaps")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='perhaps' is not a boolean" in result.stderr


def test_a_bad_database_url_stops_the_start():
    result = start(DJANGO_DEBUG="True", DATABASE_URL="mysql://localhost/archive")
    assert result.returncode != 0
    assert "DATABASE_URL='mysql://localhost/archive' is not understood" in result.stderr


def test_sqlite_urls_are_relative_to_the_project_or_absolute():
    assert database_from_url("sqlite:///db.sqlite3")["NAME"] == BASE_DIR / "db.sqlite3"
    assert database_from_url("sqlite:////tmp/archive.db")["NAME"] == Path("/tmp/archive.db")


def test_sqlite_shares_the_file_between_importer_and_server():
    options = database_from_url("sqlite:///db.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_connections_are_kept_between_requests_on_either_database(monkeypatch):
    for url in ("sqlite:///db.sqlite3", "postgres://localhost/archive"):
        assert database_from_url(url)["CONN_MAX_AGE"] == 60
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "0")
    assert database_from_url("sqlite:///db.sqlite3")["CONN_MAX_AGE"] == 0


def test_postgres_urls_are_parsed():
    db = database_from_url("postgres://archive:s%40cret@db.internal:5433/policy")
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql", "policy", "archive", "s@cret", "db.internal", "5433",
    )


@pytest.mark.parametrize("url", ["postgres://localhost/", "sqlite://", "postgres://h:port/db"])
def test_incomplete_database_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url)


def test_production_caches_pages_and_development_does_not():
    show = ("from django.conf import settings; "
            "print(settings.CACHE_MIDDLEWARE_SECONDS, len(settings.MIDDLEWARE))")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "PAGE_CACHE_SECONDS")}

    def shell(**env):
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c", show], cwd=BASE_DIR,
                                env={**clean, **env}, capture_output=True, text=True, timeout=60,
                                check=True)
        seconds, middleware = result.stdout.splitlines()[-1].split()
        return int(seconds), int(middleware)

    production = shell(DJANGO_DEBUG="False", SECRET_KEY="x" * 60)
    development = shell(DJANGO_DEBUG="True")
    assert production == (120, development[1] + 2)
    assert development[0] == 0
    assert shell(DJANGO_DEBUG="False", SECRET_KEY="x" * 60, PAGE_CACHE_SECONDS="0")[0] == 0


def test_the_html_cleaner_html_imports_need_is_a_direct_dependency():
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    direct = {Requirement(r).name.replace("_", "-").lower()
              for r in requires("financial-policy-archive") if "extra ==" not in r}
    assert "lxml-html-clean" in direct
    import lxml_html_clean  # noqa: F401  what trafilatura imports for every HTML page
