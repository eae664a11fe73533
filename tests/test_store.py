"""The import's store against a real database: what an extraction writes (the original's
bytes, the release, its institutions, people and statements), what a re-import keeps, and
the maintenance a curator runs (re-extraction, re-tagging, the fixity check)."""

import contextlib
import datetime
import hashlib
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from archive.ingest.entities import InstitutionInfo, PersonInfo
from archive.ingest.pipeline import PARSER_VERSION, Extracted
from archive.ingest.statements import Statement
from archive.ingest.store import (
    Archive,
    damaged_originals,
    is_archived,
    load_context,
    reextract,
    retag,
)
from archive.models import (
    Appearance,
    Document,
    Institution,
    InstitutionAlias,
    Person,
    PersonAlias,
    Quote,
    Release,
    Topic,
)
from tests.conftest import make_document, make_release

pytestmark = pytest.mark.django_db


def extraction(**fields) -> Extracted:
    """A plain record as the pipeline returns one; each test names what it is about."""
    values = {
        "title": "Central bank holds its policy rate", "title_provisional": False,
        "kind": "press_release", "issuer": None, "url": None,
        "published": datetime.date(2025, 3, 4), "source": "", "source_date": None,
        "body": "The central bank held its policy rate at 3 percent.", "language": "en",
        "encoding": "utf-8", "media_type": "text/plain", "institutions": [], "persons": [],
        "quotes": [], "topics": [],
    }
    return Extracted(**values | fields)


def said(speaker, text, speaker_type="person", kind="direct") -> Statement:
    return Statement(speaker=speaker, speaker_type=speaker_type, kind=kind, text=text)


def test_a_new_file_is_archived_byte_for_byte_with_every_field_of_its_release():
    raw = "Central bank holds its policy rate\n\nThe rate stays at 3 percent.\n".encode()
    record = extraction(
        kind="statement", url="https://bank.example/rates", source="Xinhua",
        source_date=datetime.date(2025, 3, 3), language="fr", encoding="gb18030",
        media_type="text/html", title_provisional=True)
    status, release = Archive().store(raw, "/imports/rates.txt", record)
    assert status == "created"
    release = Release.objects.get(pk=release.pk)
    document = release.document
    assert bytes(document.content) == raw
    assert document.sha256 == hashlib.sha256(raw).hexdigest()
    assert (document.origin, document.size) == ("/imports/rates.txt", len(raw))
    assert (document.media_type, document.encoding) == ("text/html", "gb18030")
    assert document.parser_version == PARSER_VERSION
    assert timezone.now() - document.imported_at < datetime.timedelta(minutes=5)
    assert document.fetched_at is None and document.etag is None  # read from disk
    assert (release.title, release.title_provisional, release.kind) == (
        "Central bank holds its policy rate", True, "statement")
    assert (release.url, release.published, release.source, release.source_date) == (
        "https://bank.example/rates", datetime.date(2025, 3, 4), "Xinhua",
        datetime.date(2025, 3, 3))
    assert (release.body, release.language) == (record.body, "fr")
    assert release.slug == "central-bank-holds-its-policy-rate"
    assert is_archived(document.sha256) and not is_archived(hashlib.sha256(b"x").hexdigest())


def test_a_harvested_page_keeps_its_capture():
    fetched = timezone.now() - datetime.timedelta(hours=1)
    capture = {"fetched_at": fetched, "etag": '"abc"', "last_modified": "Tue, 04 Mar 2025",
               "warc_file": "harvest-1.warc.gz", "warc_offset": 1234,
               "warc_record_id": "<urn:uuid:1>"}
    _, release = Archive().store(b"page bytes", "https://bank.example/a", extraction(),
                                 capture=capture)
    document = Document.objects.get(pk=release.document_id)
    assert {name: getattr(document, name) for name in capture} == capture


def test_the_same_bytes_again_write_nothing():
    archive = Archive()
    archive.store(b"the bytes", "a.txt", extraction())
    assert archive.store(b"the bytes", "a.txt", extraction(title="Another title")) == (
        "unchanged", None)
    # From another origin too: the bytes are archived once.
    assert archive.store(b"the bytes", "copy/a.txt", extraction()) == ("unchanged", None)
    assert (Document.objects.count(), Release.objects.count()) == (1, 1)
    assert Release.objects.get().title == "Central bank holds its policy rate"


def test_bytes_whose_release_was_deleted_make_it_again_from_the_same_document():
    archive = Archive()
    _, first = archive.store(b"the bytes", "a.txt", extraction())
    document = first.document_id
    first.delete()
    status, again = archive.store(b"the bytes", "a.txt", extraction(title="Made again"))
    assert status == "created"
    assert Release.objects.get().pk == again.pk
    assert (again.title, again.document_id) == ("Made again", document)
    assert Document.objects.count() == 1
    # The same bytes found at another origin: no release is left of them either way.
    again.delete()
    status, third = archive.store(b"the bytes", "copy/a.txt", extraction())
    assert status == "created" and third.document_id == document
    assert Document.objects.count() == 1


def test_changed_bytes_from_an_origin_update_its_release_and_keep_the_old_bytes():
    archive = Archive()
    _, release = archive.store(b"first bytes", "a.txt", extraction())
    old = release.document_id
    status, updated = archive.store(b"second bytes", "a.txt", extraction(title="Rate cut"))
    assert status == "updated" and updated.pk == release.pk
    release.refresh_from_db()
    assert (release.title, release.slug) == ("Rate cut", "rate-cut")
    assert bytes(release.document.content) == b"second bytes"
    assert Document.objects.filter(pk=old, origin="a.txt").exists()  # a version of it
    assert Release.objects.count() == 1
    # Changed bytes from an origin never imported are a release of their own.
    assert archive.store(b"third bytes", "b.txt", extraction())[0] == "created"
    assert Release.objects.count() == 2


def test_changed_bytes_update_the_newest_release_of_their_origin():
    # Two releases from one origin (a curator made a second from it): the newest one
    # follows the file.
    older = make_release("Older", document=make_document(b"one", origin="a.txt"))
    newer = make_release("Newer", document=make_document(b"two", origin="a.txt"))
    status, release = Archive().store(b"three", "a.txt", extraction(title="Newest"))
    assert status == "updated" and release.pk == newer.pk
    assert Release.objects.get(pk=older.pk).title == "Older"
    assert Release.objects.get(pk=newer.pk).title == "Newest"


def test_overlong_values_are_cut_to_their_fields_not_refused():
    _, release = Archive().store(b"long", "a.txt", extraction(
        title="Rates " * 100, source="Agency " * 40, url="https://bank.example/" + "a" * 2100))
    release = Release.objects.get(pk=release.pk)
    assert release.title == ("Rates " * 100)[:500]
    assert release.source == ("Agency " * 40)[:200]
    assert release.url == ("https://bank.example/" + "a" * 2100)[:2000]


def curated(release, **values) -> Release:
    """The release as a curator left it: the values given, and those fields marked curated."""
    for name, value in values.items():
        setattr(release, name, value)
    release.curated_fields = list(values)
    release.save()
    return release


def test_a_reimport_keeps_each_field_a_curator_changed_and_updates_the_rest():
    archive = Archive()
    _, release = archive.store(b"one", "a.txt", extraction(title_provisional=True))
    curated(release, title="Policy rate held (curated)", kind="speech", source="Reuters")
    release.title_provisional = False  # as the admin sets it with a curator's title
    release.save()
    archive.store(b"two", "a.txt", extraction(
        title="Rates unchanged", title_provisional=True, kind="statement", source="Xinhua",
        body="A new body.", language="de"))
    release.refresh_from_db()
    assert (release.title, release.kind, release.source) == (
        "Policy rate held (curated)", "speech", "Reuters")
    # A curator's title is nobody's provisional one, and the release's address stays.
    assert release.title_provisional is False
    assert release.slug == "central-bank-holds-its-policy-rate"
    assert (release.body, release.language) == ("A new body.", "de")


def test_the_issuer_follows_the_extraction_unless_a_curator_chose_it():
    archive = Archive()
    _, release = archive.store(b"one", "a.txt", extraction(issuer="Bank of Korea"))
    korea = Institution.objects.get(name="Bank of Korea")
    assert Release.objects.get(pk=release.pk).issuer == korea
    archive.store(b"two", "a.txt", extraction(issuer="Bank of Japan"))
    assert Release.objects.get(pk=release.pk).issuer.name == "Bank of Japan"
    archive.store(b"three", "a.txt", extraction(issuer=None))  # the page no longer says
    assert Release.objects.get(pk=release.pk).issuer is None
    curated(Release.objects.get(pk=release.pk), issuer=korea)
    archive.store(b"four", "a.txt", extraction(issuer="Bank of Japan"))
    assert Release.objects.get(pk=release.pk).issuer == korea


def test_a_reimport_replaces_the_institutions_and_topics_unless_curated():
    archive = Archive()
    banks = [InstitutionInfo("Bank of Korea", "central_bank", "South Korea"),
             InstitutionInfo("Korea Development Bank", "policy_bank", "South Korea")]
    _, release = archive.store(b"one", "a.txt", extraction(
        institutions=banks + banks[:1], topics=["green-finance", "no-such-topic",
                                                "green-finance", "monetary-policy"]))
    assert sorted(release.institutions.values_list("name", flat=True)) == [
        "Bank of Korea", "Korea Development Bank"]
    assert sorted(release.topics.values_list("slug", flat=True)) == [
        "green-finance", "monetary-policy"]
    # A new institution takes the kind and country the extraction gives it.
    assert Institution.objects.get(name="Korea Development Bank").kind == "policy_bank"
    assert Institution.objects.get(name="Bank of Korea").country == "South Korea"
    archive.store(b"two", "a.txt", extraction(
        institutions=[InstitutionInfo("Bank of Japan")], topics=["real-estate"]))
    assert list(release.institutions.values_list("name", flat=True)) == ["Bank of Japan"]
    assert list(release.topics.values_list("slug", flat=True)) == ["real-estate"]
    release.curated_fields = ["institutions", "topics"]
    release.save()
    archive.store(b"three", "a.txt", extraction(
        institutions=[InstitutionInfo("Bank of Korea")], topics=["green-finance"]))
    assert list(release.institutions.values_list("name", flat=True)) == ["Bank of Japan"]
    assert list(release.topics.values_list("slug", flat=True)) == ["real-estate"]


def test_people_appear_once_each_with_the_role_and_affiliation_stated():
    lee = Person.objects.create(name="Lee Min-jun")
    PersonAlias.objects.create(person=lee, name="M. J. Lee")
    _, release = Archive().store(b"one", "a.txt", extraction(persons=[
        PersonInfo("Lee Min-jun", "governor", "Bank of Korea"),
        PersonInfo("M. J. Lee", "chairman", None),  # the same person: the first stands
        PersonInfo("Park Ji-ho", "analyst " * 40, None)]))
    appearances = {a.person.name: a for a in release.appearances.all()}
    assert sorted(appearances) == ["Lee Min-jun", "Park Ji-ho"]
    assert appearances["Lee Min-jun"].role == "governor"
    assert appearances["Lee Min-jun"].affiliation.name == "Bank of Korea"
    assert appearances["Lee Min-jun"].person == lee
    assert appearances["Park Ji-ho"].role == ("analyst " * 40)[:200]
    assert appearances["Park Ji-ho"].affiliation is None
    # A new name is a row of its own, at the address its name gives.
    assert sorted(Person.objects.values_list("name", "slug")) == [
        ("Lee Min-jun", "lee-min-jun"), ("Park Ji-ho", "park-ji-ho")]
    assert list(Institution.objects.values_list("name", "slug")) == [
        ("Bank of Korea", "bank-of-korea")]


def test_a_reimport_replaces_the_people_unless_a_curator_chose_them():
    archive = Archive()
    _, release = archive.store(b"one", "a.txt", extraction(
        persons=[PersonInfo("Lee Min-jun", "governor")]))
    archive.store(b"two", "a.txt", extraction(persons=[PersonInfo("Park Ji-ho", "analyst")]))
    assert list(release.appearances.values_list("person__name", "role")) == [
        ("Park Ji-ho", "analyst")]
    release.curated_fields = ["persons"]
    release.save()
    archive.store(b"three", "a.txt", extraction(persons=[PersonInfo("Kim Do-yun")]))
    assert list(release.appearances.values_list("person__name", flat=True)) == ["Park Ji-ho"]


def test_statements_are_stored_in_order_with_their_speakers():
    _, release = Archive().store(b"one", "a.txt", extraction(
        persons=[PersonInfo("Lee Min-jun", "governor " * 30, "Bank of Korea")],
        quotes=[said("Lee Min-jun", "Rates will stay where they are."),
                said("Bank of Japan", "it will watch prices", "institution", "indirect"),
                said("Park Ji-ho", "Cuts come later.")]))
    quotes = list(Quote.objects.filter(release=release).order_by("position"))
    assert [(q.position, q.text, q.kind) for q in quotes] == [
        (1, "Rates will stay where they are.", "direct"),
        (2, "it will watch prices", "indirect"),
        (3, "Cuts come later.", "direct")]
    assert (quotes[0].person.name, quotes[0].institution) == ("Lee Min-jun", None)
    assert (quotes[1].person, quotes[1].institution.name) == (None, "Bank of Japan")
    assert quotes[2].person.name == "Park Ji-ho"  # a speaker named nowhere else
    # Each speaker is a row of its kind only: a bank is no person, a person no institution.
    assert sorted(Person.objects.values_list("name", flat=True)) == ["Lee Min-jun", "Park Ji-ho"]
    assert sorted(Institution.objects.values_list("name", flat=True)) == [
        "Bank of Japan", "Bank of Korea"]
    # The speaker's role as the document states it, cut to the field; none for the others.
    assert [q.role for q in quotes] == [("governor " * 30)[:200], "", ""]
    assert not any(q.verified for q in quotes)


def test_a_reimport_replaces_the_statements_unless_one_was_verified_or_curated():
    archive = Archive()
    _, release = archive.store(b"one", "a.txt", extraction(
        quotes=[said("Lee Min-jun", "First.")]))
    archive.store(b"two", "a.txt", extraction(quotes=[said("Lee Min-jun", "Second.")]))
    assert list(release.quotes.values_list("text", "position")) == [("Second.", 1)]
    release.quotes.update(verified=True)
    archive.store(b"three", "a.txt", extraction(quotes=[said("Lee Min-jun", "Third.")]))
    assert list(release.quotes.values_list("text", flat=True)) == ["Second."]
    release.quotes.update(verified=False)
    release.curated_fields = ["quotes"]
    release.save()
    archive.store(b"four", "a.txt", extraction(quotes=[said("Lee Min-jun", "Fourth.")]))
    assert list(release.quotes.values_list("text", flat=True)) == ["Second."]
    release.curated_fields = []
    release.save()
    archive.store(b"five", "a.txt", extraction(quotes=[said("Lee Min-jun", "Fifth.")]))
    assert list(release.quotes.values_list("text", flat=True)) == ["Fifth."]


def test_names_are_found_by_name_or_alias_and_a_long_name_is_stored_cut_short():
    korea = Institution.objects.create(name="Bank of Korea", slug="bank-of-korea")
    InstitutionAlias.objects.create(institution=korea, name="BOK")
    long_name = "Committee " * 40
    archive = Archive()
    ids = archive.ids(Institution, archive.institution_ids,
                      {"bok": {}, "BANK OF KOREA": {}, long_name: {"kind": "government"}})
    assert ids["bok"] == ids["BANK OF KOREA"] == korea.pk
    committee = Institution.objects.get(pk=ids[long_name])
    assert committee.name == long_name[:300] and committee.kind == "government"
    # The same long name in another document finds the row made of it.
    _, release = archive.store(b"one", "a.txt", extraction(
        institutions=[InstitutionInfo(long_name)]))
    assert list(release.institutions.all()) == [committee]
    assert Institution.objects.count() == 2
    # A name with nothing to make an address of takes the model's.
    dots = archive.ids(Institution, archive.institution_ids, {"…": {}})["…"]
    assert Institution.objects.get(pk=dots).slug == "institution"
    # A fresh run, which has looked up nothing yet, finds it in the database.
    fresh = Archive()
    assert fresh.ids(Institution, fresh.institution_ids, {long_name: {}}) == {
        long_name: committee.pk}
    assert Institution.objects.count() == 3


def test_a_run_reads_the_curators_institutions_aliases_and_keywords():
    korea = Institution.objects.create(name="Bank of Korea", slug="bank-of-korea",
                                       kind="central_bank", country="South Korea")
    InstitutionAlias.objects.create(institution=korea, name="BOK")
    Topic.objects.filter(slug="green-finance").update(keywords="green bond\n\n  climate loan ")
    context = load_context()
    assert context.institutions["Bank of Korea"] == InstitutionInfo(
        "Bank of Korea", "central_bank", "South Korea")
    assert context.aliases == {"BOK": "Bank of Korea"}
    assert context.topic_keywords["green-finance"] == ["green bond", "climate loan"]


def test_reextraction_rewrites_releases_from_their_originals_and_reports_the_unreadable():
    text = ("Bank of Korea holds rates\n\nMarch 4, 2025\n\nThe Bank of Korea kept its "
            "policy rate at 3 percent on Tuesday.\n").encode()
    good = make_release("Old title", "Old body.", document=make_document(text, origin="k.txt"))
    other = make_release("Old", document=make_document(text.replace(b"3", b"4"), origin="j.txt"))
    # The unreadable one comes first: the others are still done.
    empty = make_release("Lost notice", document=make_document(b"", origin="empty.txt"))
    done, failures = reextract(Release.objects.order_by("-pk"))
    assert (done, failures) == (2, ["Lost notice: the file is empty"])
    good.refresh_from_db()
    assert good.title == "Bank of Korea holds rates"
    assert "policy rate at 3 percent" in good.body
    assert "policy rate at 4 percent" in Release.objects.get(pk=other.pk).body
    assert Release.objects.get(pk=empty.pk).title == "Lost notice"


def test_retagging_sets_the_topics_the_keywords_find_except_where_curated():
    Topic.objects.filter(slug="green-finance").update(keywords="climate loan")
    green = Topic.objects.get(slug="green-finance")
    monetary = Topic.objects.get(slug="monetary-policy")
    tagged = make_release("Climate loan scheme widened", "Banks lend more.")
    tagged.topics.set([monetary])
    kept = make_release("Climate loan scheme", "A curator chose the topics.",
                        curated_fields=["topics"])
    kept.topics.set([monetary])
    untagged = make_release("Nothing to tag", "A quiet week.")
    untagged.topics.set([monetary])
    assert retag(Release.objects.all()) == 3
    assert list(tagged.topics.all()) == [green]
    assert list(kept.topics.all()) == [monetary]
    assert list(untagged.topics.all()) == []


def test_the_fixity_check_names_only_the_originals_whose_bytes_changed():
    make_document(b"kept as read", origin="intact.txt")
    changed = make_document(b"as read", origin="changed.txt")
    Document.objects.filter(pk=changed.pk).update(content=b"altered")  # bypasses save()
    assert list(damaged_originals()) == [
        (changed.pk, "changed.txt", hashlib.sha256(b"as read").hexdigest(),
         hashlib.sha256(b"altered").hexdigest())]


def test_a_name_left_out_of_an_insert_is_found_by_its_alias_before_anything_is_created():
    from archive.ingest.store import _get_or_create

    # An alias a curator added after the run read them: the name is that person's.
    lee = Person.objects.create(name="Lee Min-jun")
    PersonAlias.objects.create(person=lee, name="M. J. Lee")
    assert _get_or_create(Person, "m. j. lee", {"name": "m. j. lee"}) == lee
    assert Person.objects.count() == 1
    # A name of no row is created, with a slug of its own when its own is taken.
    Person.objects.create(name="Park Jiho", slug="park-ji-ho")
    park = _get_or_create(Person, "Park Ji-ho", {"name": "Park Ji-ho"})
    assert (park.name, park.slug) == ("Park Ji-ho", "park-ji-ho-2")


@contextlib.contextmanager
def racing_import(write):
    """Another import on a connection of its own, which has run `write` and commits a second
    later, while this one waits on the rows it holds; yields what `write` returned."""
    written, commit, rows = threading.Event(), threading.Event(), []

    def other_import():
        try:
            with transaction.atomic():
                rows.append(write())
                written.set()
                commit.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_import)
    thread.start()
    assert written.wait(10)
    threading.Timer(1, commit.set).start()
    try:
        yield rows[0]
    finally:
        commit.set()
        thread.join()


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time: no import can lose a race there")


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_create_that_loses_a_race_takes_the_row_the_other_import_wrote():
    from archive.ingest.store import _get_or_create

    # The other import's row is not committed when this one looks for the name: this one
    # finds nothing, and its insert waits for the other to commit.
    with racing_import(lambda: Person.objects.create(name="Kim Do-yun", slug="kim-do-yun")
                       ) as winner:
        found = _get_or_create(Person, "Kim Do-yun", {"name": "Kim Do-yun"})
    assert found.pk == winner.pk
    assert Person.objects.count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bytes_another_import_archives_meanwhile_are_unchanged_not_a_failure():
    def archive_them():
        return Archive().store(b"the bytes", "other/a.txt", extraction())[1]

    archive = Archive()
    with racing_import(archive_them) as release:
        assert archive.store(b"the bytes", "a.txt", extraction(
            institutions=[InstitutionInfo("Bank of Japan")])) == ("unchanged", None)
    assert list(Release.objects.values_list("pk", flat=True)) == [release.pk]
    assert not Institution.objects.exists()  # nothing of the lost attempt is left
    # The run goes on with its next document.
    status, _ = archive.store(b"other bytes", "b.txt", extraction(
        institutions=[InstitutionInfo("Bank of Japan")]))
    assert status == "created"


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bytes_whose_release_was_deleted_are_made_one_release_by_two_imports_at_once():
    archive = Archive()
    archive.store(b"the bytes", "a.txt", extraction())[1].delete()

    def make_it_again():
        return Archive().store(b"the bytes", "a.txt", extraction())[1]

    # Both find the bytes without a release; the second waits for the first's lock, then
    # finds the release it made, though from another origin.
    with racing_import(make_it_again) as release:
        assert archive.store(b"the bytes", "copy/a.txt", extraction()) == ("unchanged", None)
    assert list(Release.objects.values_list("pk", flat=True)) == [release.pk]
