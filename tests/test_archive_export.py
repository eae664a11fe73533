"""The whole archive exported and imported back into an empty database: nothing lost."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from archive.models import (
    Document,
    Institution,
    InstitutionAlias,
    Person,
    PersonAlias,
    Quote,
    Release,
    Topic,
)
from tests.ingest_helpers import FIXTURES

pytestmark = pytest.mark.django_db

STORED_MODELS = [m for m in apps.get_app_config("archive").get_models(include_auto_created=True)
                 if m._meta.managed]


def snapshot() -> dict:
    """Every stored row of the archive's tables, as plain values. Rows linking releases to
    institutions and topics are compared by what they link, not by their own keys."""
    rows = {}
    for model in STORED_MODELS:
        names = [f.attname for f in model._meta.concrete_fields
                 if not f.generated and not (model._meta.auto_created and f.primary_key)]
        rows[model._meta.label] = sorted(
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model.objects.values_list(*names)
        )
    return rows


def wipe() -> None:
    for model in (Quote, Release.institutions.through, Release.topics.through, Release,
                  Document, InstitutionAlias, PersonAlias, Institution, Person, Topic):
        model.objects.all().delete()


@pytest.fixture
def curated_archive():
    call_command("import_releases", str(FIXTURES), stdout=StringIO(), stderr=StringIO())
    release = Release.objects.get(title="Lenders pledge more support for green transition")
    release.title = "Lenders pledge support for the green transition"
    release.curated_fields = ["title"]
    release.reviewed = True
    release.save()
    Release.objects.exclude(pk=release.pk).filter(language="zh").update(hidden=True)
    quote = release.quotes.first()
    quote.text, quote.verified = quote.text + " (checked against the recording)", True
    quote.save()
    InstitutionAlias.objects.create(institution=Institution.objects.get(name="People's Bank of China"),
                                    name="the PBOC")
    PersonAlias.objects.create(person=Person.objects.get(name="Zhao Minghui"), name="M. Zhao")
    Topic.objects.filter(slug="green-finance").update(keywords="green loans\nclimate finance")
    return release


def test_an_exported_archive_imports_back_with_nothing_lost(curated_archive, tmp_path):
    before = snapshot()
    found_before = list(Release.objects.search("green").values_list("pk", flat=True))
    quotes_before = list(Quote.objects.search("recording").values_list("pk", flat=True))
    path = tmp_path / "archive.json.gz"
    call_command("export_archive", str(path), stdout=StringIO())

    wipe()
    assert not any(snapshot().values())
    out = StringIO()
    call_command("import_archive", str(path), stdout=out)

    assert snapshot() == before
    assert "Imported 7 documents, 7 releases" in out.getvalue()
    # Search works on what was loaded: the search index is rebuilt, not copied.
    assert list(Release.objects.search("green").values_list("pk", flat=True)) == found_before
    assert list(Quote.objects.search("recording").values_list("pk", flat=True)) == quotes_before
    call_command("verify_fixity", stdout=StringIO())
    # New imports after a restore get fresh keys, not ones the archive already used.
    call_command("import_releases", str(FIXTURES.parent.parent / "seeds"), stdout=StringIO())
    assert Release.objects.count() == 8


def test_import_archive_refuses_a_database_that_is_not_empty(curated_archive, tmp_path):
    path = tmp_path / "archive.json"
    call_command("export_archive", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="only loads into an empty one"):
        call_command("import_archive", str(path))
    assert Release.objects.count() == 7


def test_a_damaged_original_stops_the_import_and_leaves_the_database_empty(curated_archive,
                                                                             tmp_path):
    path = tmp_path / "archive.json"
    call_command("export_archive", str(path), stdout=StringIO())
    original = Document.objects.first()
    damaged = path.read_text().replace(original.sha256, "0" * 64)
    path.write_text(damaged)
    wipe()
    with pytest.raises(CommandError, match="1 originals do not match"):
        call_command("import_archive", str(path))
    assert not Document.objects.exists() and not Release.objects.exists()
