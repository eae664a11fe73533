"""The import_releases command against a real database."""

import datetime
import json
import shutil
import sqlite3
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from archive.ingest.pipeline import Context
from archive.ingest.store import insert_rows, insert_together
from archive.management.commands.import_releases import (
    IN_FLIGHT_PER_WORKER,
    MEGABYTE,
    Command,
)
from archive.models import Document, Institution, Person, PersonAlias, Quote, Release
from tests.ingest_helpers import FIXTURES, SEED

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("import_releases", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def folder(tmp_path):
    for name in ("press_release.txt", "news_report.txt", "article.html", "gb18030.txt"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_a_folder_is_imported(folder):
    output = run(folder)
    assert "4 created, 0 updated, 0 unchanged, 0 failed" in output
    assert Release.objects.count() == 4
    release = Release.objects.get(title="Lenders pledge more support for green transition")
    assert release.document.origin == str(folder / "news_report.txt")
    assert bytes(release.document.content) == (folder / "news_report.txt").read_bytes()
    assert release.document.encoding == "utf-8"
    assert release.document.size == (folder / "news_report.txt").stat().st_size
    assert release.document.media_type == "text/plain" and release.document.parser_version
    assert timezone.now() - release.document.imported_at < datetime.timedelta(minutes=5)
    assert release.quotes.filter(person__name="Zhao Minghui", kind="direct").exists()
    assert release.appearances.get(person__name="Sun Yufei").role == "senior economist"
    assert set(release.topics.values_list("slug", flat=True)) >= {"green-finance"}
    # The release row itself, written in one insert: derived and default fields filled.
    assert release.slug == "lenders-pledge-more-support-for-green-transition"
    assert release.document.imported_at <= release.created <= release.updated
    assert release.curated_fields == [] and not release.hidden and not release.reviewed
    assert list(Release.objects.search("transition")) == [release]


def test_canonical_institutions_are_shared_between_releases(folder):
    run(folder)
    pboc = Institution.objects.get(name="People's Bank of China")
    assert pboc.kind == "central_bank"
    assert pboc.releases.count() == 3


def test_a_second_import_of_the_same_files_changes_nothing(folder):
    run(folder)
    before = (Document.objects.count(), Release.objects.count(), Quote.objects.count())
    assert "0 created, 0 updated, 4 unchanged, 0 failed" in run(folder)
    assert (Document.objects.count(), Release.objects.count(), Quote.objects.count()) == before


def test_a_deleted_release_comes_back_when_its_file_is_imported_again(folder):
    run(folder)
    path = folder / "news_report.txt"
    deleted = Release.objects.get(document__origin=str(path))
    title, quotes = deleted.title, deleted.quotes.count()
    deleted.delete()
    assert "1 created, 0 updated, 3 unchanged" in run(folder)
    back = Release.objects.get(document__origin=str(path))
    assert (back.title, back.quotes.count()) == (title, quotes)
    assert Document.objects.filter(origin=str(path)).count() == 1  # the same bytes
    assert "0 created, 0 updated, 4 unchanged" in run(folder)
    # An origin whose release was made from newer bytes keeps it: the old bytes come back
    # as "unchanged", not as a second release.
    path.write_text(path.read_text().replace("green", "greener"))
    run(folder)
    old = Document.objects.filter(origin=str(path)).order_by("pk").first()
    shutil.copy(FIXTURES / "news_report.txt", path)
    assert "0 created, 0 updated, 4 unchanged" in run(folder)
    assert not Release.objects.filter(document=old).exists()
    assert Release.objects.filter(document__origin=str(path)).count() == 1


def test_a_utf8_page_declaring_latin1_is_stored_without_mojibake(tmp_path, caplog):
    (tmp_path / "bdf.html").write_bytes(
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>"
        "<title>Politique monétaire inchangée</title></head><body><article><p>La Banque de "
        "France a indiqué que la politique monétaire reste inchangée cette année, selon "
        "son gouverneur.</p></article></body></html>".encode())
    with caplog.at_level("WARNING", logger="archive.ingest.read"):
        run(tmp_path)
    release = Release.objects.get()
    assert release.title == "Politique monétaire inchangée"
    assert "monétaire" in release.body and "Ã" not in release.body
    assert release.document.encoding == "utf-8"
    assert "bdf.html declares the charset iso-8859-1" in caplog.text


def test_a_changed_file_makes_a_new_document_and_updates_its_release(folder):
    run(folder)
    path = folder / "press_release.txt"
    release = Release.objects.get(document__origin=str(path))
    path.write_text(path.read_text().replace("5 to 2", "6 to 1"))
    assert "0 created, 1 updated, 3 unchanged" in run(folder)
    release.refresh_from_db()
    assert "6 to 1" in release.body
    assert Document.objects.filter(origin=str(path)).count() == 2  # the old bytes are kept
    assert Release.objects.count() == 4


def test_curated_values_survive_a_reimport(folder):
    run(folder)
    path = folder / "press_release.txt"
    release = Release.objects.get(document__origin=str(path))
    release.title = "Bank of Thailand keeps its policy rate (curated)"
    release.curated_fields = ["title", "institutions"]
    release.save()
    release.institutions.set([Institution.objects.create(name="Monetary Policy Committee")])
    quote = release.quotes.first()
    quote.verified = True
    quote.text = "Credit conditions remain tight for small firms (checked against video)"
    quote.save()
    path.write_text(path.read_text().replace("5 to 2", "6 to 1"))
    run(folder)
    release.refresh_from_db()
    assert release.title == "Bank of Thailand keeps its policy rate (curated)"
    assert "6 to 1" in release.body  # not curated: updated
    assert list(release.institutions.values_list("name", flat=True)) == ["Monetary Policy Committee"]
    assert release.quotes.get(pk=quote.pk).text.endswith("(checked against video)")


def test_one_bad_file_is_reported_and_the_rest_imported(folder):
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "no-title.txt").write_text("---\n***\n")
    with pytest.raises(CommandError) as error:
        run(folder)
    message = str(error.value)
    assert f"{folder / 'empty.txt'}: the file is empty" in message
    assert f"{folder / 'image.txt'}: it is a binary file" in message
    assert f"{folder / 'no-title.txt'}: no text could be found" in message
    assert Release.objects.count() == 4
    assert not Document.objects.filter(origin__endswith="empty.txt").exists()


def test_a_file_over_the_size_limit_is_refused(folder):
    with pytest.raises(CommandError, match="the limit is 0 MB"):
        run(folder / "press_release.txt", "--max-size", "0")
    assert not Release.objects.exists()


def test_a_text_past_the_search_index_limit_is_archived_and_searchable(tmp_path):
    # 120,000 distinct words: their tsvector would be about 1.7 MB, past PostgreSQL's 1 MB.
    words = ["w" + "".join(chr(97 + n // 26 ** k % 26) for k in range(5)) for n in range(120_000)]
    lines = [" ".join(words[i: i + 100]) + "." for i in range(0, len(words), 100)]
    path = tmp_path / "lexicon.txt"
    path.write_text("A lexicon of distinct words\n\nDecember 2, 2025\n\n" + "\n\n".join(lines))
    assert "1 created" in run(path)
    release = Release.objects.get()
    assert release.body.endswith(words[-1] + ".")  # stored whole
    assert list(Release.objects.search(words[5])) == [release]


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="neither a file nor a directory"):
        run(tmp_path / "nowhere")


def test_dry_run_json_prints_records_and_writes_nothing(folder):
    records = json.loads(run(folder / "news_report.txt", "--dry-run", "--json"))
    assert records[0]["path"] == str(folder / "news_report.txt")
    assert records[0]["title"] == "Lenders pledge more support for green transition"
    assert set(records[0]) == {"path", "title", "provisional_title", "kind", "issuer",
                               "published", "source", "institutions",
                               "persons", "quotes", "topics"}
    assert {"speaker", "speaker_type", "kind", "text"} == set(records[0]["quotes"][0])
    assert not Document.objects.exists() and not Release.objects.exists()


def test_parallel_workers_store_the_same_records(folder):
    run(folder, "--workers", "2")
    assert Release.objects.count() == 4
    assert Quote.objects.filter(release__title__startswith="Lenders").count() == 6


def test_parallel_workers_read_only_a_few_files_ahead_of_the_store(tmp_path):
    for number in range(60):
        shutil.copy(FIXTURES / "press_release.txt", tmp_path / f"{number:02d}.txt")
    handed_out = []

    def files():
        for path in sorted(tmp_path.iterdir()):
            handed_out.append(path)
            yield path

    results = Command().results(files(), Context(), workers=2, max_size=50)
    first = next(results)
    # Results the store has not taken yet are held in memory: only a few may wait.
    assert len(handed_out) == 2 * IN_FLIGHT_PER_WORKER
    assert first.path == str(tmp_path / "00.txt") and first.extracted.title
    assert sum(1 for _ in results) == 59
    assert len(handed_out) == 60


def test_make_run_imports_the_seeds():
    recipe = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, check=True)
    assert "manage.py import_releases seeds/" in recipe.stdout
    run(SEED.parent)
    release = Release.objects.get()
    assert release.title == "Capital Support for Innovation in Further Focus"
    assert release.source == "China Daily"
    assert Person.objects.filter(name__in=["Yin Zhentao", "Lou Feipeng"]).count() == 2
    assert release.quotes.count() == 7


def test_an_edit_in_admin_is_kept_by_the_next_import(folder, client):
    from django.contrib.auth.models import User

    run(folder)
    path = folder / "press_release.txt"
    release = Release.objects.get(document__origin=str(path))
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    url = f"/admin/archive/release/{release.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"title": "Policy rate held (edited)", "institutions": [
        i.pk for i in release.institutions.all()], "topics": [t.pk for t in release.topics.all()]})
    for prefix in ("appearances", "quotes"):  # inlines left untouched
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    release.refresh_from_db()
    assert release.curated_fields == ["title"]
    path.write_text(path.read_text().replace("5 to 2", "6 to 1"))
    run(folder)
    release.refresh_from_db()
    assert release.title == "Policy rate held (edited)"
    assert "6 to 1" in release.body


def test_fixity_check_finds_a_changed_original(folder):
    run(folder)
    output = StringIO()
    call_command("verify_fixity", stdout=output)
    assert "All 4 originals match" in output.getvalue()
    tampered = Document.objects.get(origin__endswith="news_report.txt")
    Document.objects.filter(pk=tampered.pk).update(content=b"tampered")  # bypasses save()
    with pytest.raises(CommandError, match=f"document {tampered.pk} .*news_report.txt"):
        call_command("verify_fixity", stdout=StringIO())


def test_hostile_and_broken_files_are_reported_and_good_ones_land(tmp_path):
    import codecs
    import os

    shutil.copy(FIXTURES / "news_report.txt", tmp_path / "good.txt")
    (tmp_path / "whitespace.txt").write_bytes(b" \n\t \n")
    (tmp_path / "bom-only.txt").write_bytes(codecs.BOM_UTF8)
    (tmp_path / "report.pdf.txt").write_bytes(b"%PDF-1.7\n\x00\x01\x02\xff" + bytes(range(256)) * 4)
    (tmp_path / "archive.zip.html").write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)) * 4)
    (tmp_path / "nul-inside.txt").write_bytes(
        b"Rates steady at the central bank\n2025-01-02\n\n" + b"x" * 5000
        + b"\x00 The Bank of Korea said rates will stay.\n")
    (tmp_path / "long-title.html").write_text(
        f"<html><head><meta property='og:title' content='{'Very long headline ' * 40}'>"
        "</head><body><article><p>The Bank of Korea said rates will stay where they are "
        "for the rest of the year, as inflation eases.</p></article></body></html>")
    (tmp_path / "shift_jis.txt").write_bytes(
        "日本銀行は金融政策を維持した\n2025年1月4日\n\n日本銀行は政策金利を据え置いた。\n".encode("shift_jis"))
    (tmp_path / "loop").mkdir()
    os.symlink(tmp_path / "loop", tmp_path / "loop" / "again")
    with pytest.raises(CommandError) as error:
        run(tmp_path)
    message = str(error.value)
    for name in ("whitespace.txt", "bom-only.txt"):
        assert f"{tmp_path / name}: the file is empty" in message
    for name in ("report.pdf.txt", "archive.zip.html"):
        assert f"{tmp_path / name}: " in message
    titles = set(Release.objects.values_list("title", flat=True))
    assert "Lenders pledge more support for green transition" in titles
    assert "日本銀行は金融政策を維持した" in titles
    assert "Rates steady at the central bank" in titles
    assert "\x00" not in Release.objects.get(title="Rates steady at the central bank").body
    assert max(len(t) for t in titles) == 500  # cut to the field, not refused
    assert Release.objects.count() == 4


def test_more_broken_inputs_are_reported_and_the_batch_goes_on(tmp_path):
    import os

    shutil.copy(FIXTURES / "news_report.txt", tmp_path / "good.txt")
    (tmp_path / "image.png.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300))
    with open(tmp_path / "huge.txt", "wb") as huge:  # 200 MB, sparse: nothing is written
        huge.truncate(200 * MEGABYTE)
    os.symlink(tmp_path / "deleted.txt", tmp_path / "vanished.txt")
    nested = "<div>" * 5000 + "The Reserve Bank of India said it will keep rates." + "</div>" * 5000
    (tmp_path / "nested.html").write_text(
        f"<html><head><title>Deeply nested notice</title></head><body>{nested}</body></html>")
    # cp1252 bytes in a page that declares UTF-8, and UTF-8 with broken sequences.
    (tmp_path / "mislabelled.html").write_bytes(
        b"<html><head><meta charset='utf-8'><title>Caf\xe9 prices rise</title></head><body>"
        b"<article><p>The Banque de France said the caf\xe9 sector paid 4\x80 more a "
        b"week, as costs climbed through the year.</p></article></body></html>")
    (tmp_path / "broken-utf8.txt").write_bytes(
        "Rates held at the central bank\n2025-03-04\n\nThe Bank of Korea said rates hold.\n"
        .encode() + b"\xc3\x28 \xe2\x82 \xf0\x28\x8c\xbc\n")
    with pytest.raises(CommandError) as error:
        run(tmp_path)
    message = str(error.value)
    assert f"{tmp_path / 'image.png.html'}: it is a binary file" in message
    assert f"{tmp_path / 'huge.txt'}: the file is 200 MB; the limit is 50 MB" in message
    assert f"{tmp_path / 'vanished.txt'}: [Errno 2] No such file or directory" in message
    # Nesting deeper than the HTML parser follows: reported, not a crash.
    assert f"{tmp_path / 'nested.html'}: no main text could be found in the HTML page" in message
    titles = set(Release.objects.values_list("title", flat=True))
    assert "Lenders pledge more support for green transition" in titles
    assert "Café prices rise" in titles
    assert "4€ more" in Release.objects.get(title="Café prices rise").body
    # Undecodable bytes: stored as read, text kept, or refused with a reason; never a crash.
    broken = str(tmp_path / "broken-utf8.txt")
    assert "Rates held at the central bank" in titles or f"{broken}: " in message
    assert Document.objects.filter(origin=str(tmp_path / "image.png.html")).count() == 0


def test_links_out_of_the_folders_given_and_fifos_are_reported_not_read(tmp_path):
    import os

    folder, outside = tmp_path / "in", tmp_path / "outside"
    folder.mkdir(), outside.mkdir()
    shutil.copy(FIXTURES / "news_report.txt", folder / "good.txt")
    shutil.copy(FIXTURES / "press_release.txt", outside / "secret.txt")
    os.symlink(outside / "secret.txt", folder / "leak.txt")
    os.symlink(folder / "good.txt", folder / "alias.txt")  # within the folder: read
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")
    for workers in ("1", "2"):
        with pytest.raises(CommandError) as error:
            run(folder, "--workers", workers)
        message = str(error.value)
        assert (f"{folder / 'leak.txt'}: it links to {outside / 'secret.txt'}, outside the "
                "folders and files given") in message
        assert f"{folder / 'pipe.txt'}: it is not a regular file" in message
        assert f"{folder / 'loop.txt'}: [Errno 40] Too many levels of symbolic links" in message
        assert not Document.objects.filter(content=(outside / "secret.txt").read_bytes()).exists()
        assert Release.objects.count() == 1
    # A file named on the command line is read wherever its link leads.
    assert "1 created" in run(folder / "leak.txt")


def test_a_file_whose_extraction_runs_past_the_budget_fails_and_the_batch_goes_on(
        tmp_path, monkeypatch):
    import time

    from archive.management.commands import import_releases

    shutil.copy(FIXTURES / "news_report.txt", tmp_path / "a-good.txt")
    shutil.copy(FIXTURES / "press_release.txt", tmp_path / "b-slow.txt")
    shutil.copy(FIXTURES / "article.html", tmp_path / "c-good.html")
    extract = import_releases.extract

    def slow_for_one(raw, name, context):
        if name == "b-slow.txt":
            time.sleep(30)
        return extract(raw, name, context)

    monkeypatch.setattr(import_releases, "extract", slow_for_one)
    started = time.monotonic()
    with pytest.raises(CommandError) as error:
        run(tmp_path, "--time-budget", "5")
    assert time.monotonic() - started < 25
    assert (f"{tmp_path / 'b-slow.txt'}: extraction ran past its budget of 5 s"
            in str(error.value))
    assert Release.objects.count() == 2


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork",
                    reason="the workers must inherit the extractor replaced here")
def test_a_killed_worker_loses_only_its_file_and_the_batch_goes_on(tmp_path, monkeypatch):
    import os
    import signal

    from archive.management.commands import import_releases

    for number in range(12):
        shutil.copy(FIXTURES / "news_report.txt", tmp_path / f"{number:02d}.txt")
        with open(tmp_path / f"{number:02d}.txt", "a") as file:
            file.write(f"\nCopy {number}.\n")
    extract = import_releases.extract

    def killed_by_one(raw, name, context):
        if name == "05.txt":
            os.kill(os.getpid(), signal.SIGKILL)
        return extract(raw, name, context)

    monkeypatch.setattr(import_releases, "extract", killed_by_one)
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_releases", str(tmp_path), "--workers", "2", stdout=out,
                     stderr=StringIO())
    assert "11 created, 0 updated, 0 unchanged, 1 failed" in out.getvalue()
    assert f"{tmp_path / '05.txt'}: lost: the process extracting it died" in str(error.value)
    assert Document.objects.count() == 11


def test_names_are_looked_up_together_and_new_ones_created_together(django_assert_num_queries):
    from archive.ingest.store import Archive
    from archive.models import PersonAlias

    zhao = Person.objects.create(name="Zhao Lei")
    PersonAlias.objects.create(person=zhao, name="L. Zhao")
    sun = Person.objects.create(name="Sun Yu")
    PersonAlias.objects.create(person=Person.objects.create(name="Qian Hao"), name="sun yu")
    archive = Archive()
    names = ["ZHAO LEI", "L. Zhao", "Sun Yu", "Li Wei", "Li-Wei", "Gao Fei"]
    ids = archive.ids(Person, archive.person_ids, dict.fromkeys(names, {}))
    assert ids["ZHAO LEI"] == ids["L. Zhao"] == zhao.pk  # by name, by alias, any case
    assert ids["Sun Yu"] == sun.pk  # a name beats another person's alias
    # "Li Wei" and "Li-Wei" share a slug: the insert skips the second, which is then created
    # alone with a slug of its own.
    created = Person.objects.filter(pk__in=[ids["Li Wei"], ids["Li-Wei"], ids["Gao Fei"]])
    assert sorted(created.values_list("name", flat=True)) == ["Gao Fei", "Li Wei", "Li-Wei"]
    assert len(set(created.values_list("slug", flat=True))) == 3
    with django_assert_num_queries(0):  # a run asks for a name once
        assert archive.ids(Person, archive.person_ids, {"zhao lei": {}}) == {"zhao lei": zhao.pk}


def test_an_insert_larger_than_any_database_limit_is_written_whole():
    # 1,200 parameters: more than the smallest limit a database has, so the batch size is
    # asked of the connection; every row is written and each one's columns come back.
    rows = [{"name": f"Person {n}", "slug": f"person-{n}"} for n in range(600)]
    returned = insert_rows(Person, rows, returning=["id", "name"])
    assert sorted(name for _, name in returned) == sorted(row["name"] for row in rows)
    assert dict(Person.objects.values_list("name", "id")) == {n: pk for pk, n in returned}


def test_rows_of_several_tables_are_written_together_each_with_its_own_values():
    # PostgreSQL gets these statements in one query: each row must keep its own values
    # although the parameters of all of them travel as one list. The 1,200 parameters of
    # the aliases are more than one batch.
    people = [{"name": f"Person {n}", "slug": f"person-{n}"} for n in range(3)]
    ids = {name: pk for pk, name in insert_rows(Person, people, returning=["id", "name"])}
    aliases = [{"person": ids[f"Person {n % 3}"], "name": f"P. {n}"} for n in range(600)]
    more = [{"name": "Person 3", "slug": "person-3"}]
    insert_together([(PersonAlias, aliases), (Person, []), (Person, more)])
    assert Person.objects.filter(name="Person 3", slug="person-3").exists()
    written = PersonAlias.objects.values_list("name", "person__name")
    assert sorted(written) == sorted((f"P. {n}", f"Person {n % 3}") for n in range(600))


@pytest.mark.skipif(connection.vendor != "sqlite",
                    reason="PostgreSQL, its parameters bound in the client, takes any number of them")
def test_an_insert_past_the_connections_own_limit_is_split_into_batches_that_write_every_row():
    # A SQLite built before 3.32, or set so, takes 999 parameters a statement: 1,000 rows
    # of two columns are three statements there (499, 499 and 2 rows), each one's rows
    # written once and their columns returned.
    connection.ensure_connection()
    before = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    try:
        people = [{"name": f"Person {n}", "slug": f"person-{n}"} for n in range(1000)]
        returned = insert_rows(Person, people, returning=["id", "name"])
        aliases = [{"person": pk, "name": f"P. {name}"} for pk, name in returned]
        insert_together([(PersonAlias, aliases)])
    finally:
        connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    assert sorted(name for _, name in returned) == sorted(row["name"] for row in people)
    assert dict(Person.objects.values_list("name", "id")) == {n: pk for pk, n in returned}
    assert sorted(PersonAlias.objects.values_list("name", "person__name")) == sorted(
        (f"P. {row['name']}", row["name"]) for row in people)


def test_an_insert_skipping_conflicts_leaves_out_the_rows_that_clash_and_returns_the_rest():
    Person.objects.create(name="Wang Fang", slug="wang-fang")
    rows = [{"name": "WANG FANG", "slug": "wang-fang-2"},  # the same name in another case
            {"name": "Liu Yang", "slug": "wang-fang"},  # a slug another person has
            {"name": "Zhou Min", "slug": "zhou-min"}]
    inserted = insert_rows(Person, rows, returning=["name"], skip_conflicts=True)
    assert inserted == [("Zhou Min",)]
    assert sorted(Person.objects.values_list("name", flat=True)) == ["Wang Fang", "Zhou Min"]


def test_imported_private_use_markers_never_become_highlights(tmp_path, client):
    (tmp_path / "marks.txt").write_text(
        "Central bank holds rates steady\n2025-12-01\n\nThe \ue000central bank\ue001 said "
        "rates will hold this winter, and the \ue000 lending \ue001 rate too.\n")
    run(tmp_path)
    page = client.get("/releases/", {"q": "hold"}).text
    assert page.count("<mark>") == page.count("</mark>") == 1
    assert "<mark>hold</mark>" in page


def test_entity_expansion_bombs_and_deep_nesting_are_imported_in_bounded_time(tmp_path):
    import time

    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    (tmp_path / "laughs.html").write_text(
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY lol0 "lol">{laughs}]>'
        "<html><head><title>Entity bomb</title></head><body><article><p>The Bank of Korea "
        "said rates will hold &lol9; for the rest of the year.</p></article></body></html>")
    (tmp_path / "laughs.txt").write_text(
        f'Entity bomb in text\n2025-01-02\n\n<!DOCTYPE x [{laughs}]> The Bank of Korea said '
        "rates will hold &lol9; this year.\n")
    shutil.copy(FIXTURES / "news_report.txt", tmp_path / "good.txt")
    started = time.monotonic()
    try:
        run(tmp_path)
    except CommandError as error:
        assert "laughs" in str(error)  # refused with a reason is fine; expanded is not
    assert time.monotonic() - started < 30
    assert Release.objects.filter(title__startswith="Lenders").exists()
    assert all(len(body) < 10_000 and "lollol" not in body
               for body in Release.objects.values_list("body", flat=True))


def test_only_documents_are_taken_and_the_others_counted(folder):
    (folder / "notes.md").write_text("# Notes\nNot a release.")
    (folder / "annotations.json").write_text('{"title": "Not a release"}')
    output = run(folder)
    assert "4 created" in output
    assert "2 other files skipped" in output
    assert not Release.objects.filter(title__icontains="not a release").exists()


HEADLINELESS = ("Governor Maria Olsen of the Reserve Bank of India on Wednesday said it would be "
                "premature to talk about a rate hike now. “We are cautious about the outlook,” Olsen said.\n")


def test_a_page_without_a_headline_is_imported_under_a_provisional_title(tmp_path, client):
    from django.contrib.auth.models import User

    (tmp_path / "capture.txt").write_text(HEADLINELESS)
    run(tmp_path)
    release = Release.objects.get()
    assert release.title_provisional
    assert release.title.startswith("Governor Maria Olsen of the Reserve Bank of India")
    assert [q.text for q in release.quotes.order_by("position")] == [
        "it would be premature to talk about a rate hike now", "We are cautious about the outlook"]
    # A curator's title replaces it, and the next import keeps both.
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    url = f"/admin/archive/release/{release.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"title": "RBI governor rules out an early hike",
                 "institutions": [i.pk for i in release.institutions.all()],
                 "topics": [t.pk for t in release.topics.all()]})
    for prefix in ("appearances", "quotes"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    assert client.post(url, data).status_code == 302
    (tmp_path / "capture.txt").write_text(HEADLINELESS + "Olsen spoke in Mumbai.\n")
    run(tmp_path)
    release.refresh_from_db()
    assert (release.title, release.title_provisional) == ("RBI governor rules out an early hike", False)


def test_a_release_keeps_its_kind_and_issuer_apart_from_the_outlet(tmp_path):
    (tmp_path / "release.html").write_text(
        "<html><head><meta property='og:site_name' content='European Central Bank'>"
        "<title>ECB keeps rates unchanged</title></head><body><h1>ECB keeps rates unchanged</h1>"
        "<article><p>The Governing Council of the European Central Bank today decided to keep "
        "the three key interest rates unchanged, as inflation is close to its target.</p>"
        "</article></body></html>")
    (tmp_path / "report.txt").write_text(
        "Euro zone rates stay on hold as inflation eases\nBy Jan Novak\n\nThe European Central "
        "Bank kept its rates unchanged on Thursday, the bank said in a statement.\n")
    run(tmp_path)
    release = Release.objects.get(title="ECB keeps rates unchanged")
    assert (release.kind, release.issuer.name) == ("press_release", "European Central Bank")
    report = Release.objects.get(title__startswith="Euro zone rates")
    assert (report.kind, report.issuer) == ("news_report", None)


def test_a_page_keeps_its_web_address_and_shows_its_file_name_only(tmp_path, client):
    (tmp_path / "page.html").write_text(
        "<html><head><link rel='canonical' href='https://bank.example/press/2025/rates.html'>"
        "<title>Osland central bank keeps rates unchanged</title></head><body><h1>Osland "
        "central bank keeps rates unchanged</h1><article><p>The central bank of Osland kept its "
        "policy rate at 3 percent on Thursday, citing steady prices and growth.</p></article>"
        "</body></html>")
    run(tmp_path)
    release = Release.objects.get()
    assert release.url == "https://bank.example/press/2025/rates.html"
    body = client.get(release.get_absolute_url()).text
    assert 'href="https://bank.example/press/2025/rates.html"' in body
    assert "<dd>page.html — " in body and str(tmp_path) not in body
