import pytest
from django.contrib.auth.models import User

from archive.models import Appearance, Institution, Person, Quote, Topic
from tests.conftest import make_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    release = make_release(
        "Capital support for <innovation>",
        "China Construction Bank said it will support technology firms.",
        source="China Daily",
    )
    bank = Institution.objects.create(name="China Construction Bank", kind="commercial_bank")
    person = Person.objects.create(name="Lou Feipeng")
    release.institutions.add(bank)
    release.topics.add(Topic.objects.get(slug="technology-finance"))
    Appearance.objects.create(release=release, person=person, role="researcher", affiliation=bank)
    Quote.objects.create(release=release, institution=bank, kind="indirect", position=1,
                         text="it will support technology firms")
    Quote.objects.create(release=release, person=person, kind="direct", position=2,
                         text="<script>alert(1)</script>")
    return release


def test_home_lists_the_latest_releases(client, release):
    response = client.get("/")
    assert response.status_code == 200
    assert "Capital support for &lt;innovation&gt;" in response.text
    assert "1 release," not in response.text  # no date yet, so no span
    assert "1 release." in response.text


def test_a_release_page_shows_statements_escaped(client, release):
    response = client.get(release.get_absolute_url())
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text
    assert 'id="statement-2"' in response.text
    assert release.document.sha256 in response.text


def test_a_wrong_slug_redirects_to_the_canonical_url(client, release):
    response = client.get(f"/releases/{release.pk}/old-title/")
    assert response.status_code == 301
    assert response["Location"] == release.get_absolute_url()


def test_a_hidden_release_is_not_found(client, release):
    release.hidden = True
    release.save()
    assert client.get(release.get_absolute_url()).status_code == 404


def test_institution_person_and_topic_pages(client, release):
    bank = Institution.objects.get(name="China Construction Bank")
    assert "it will support technology firms" in client.get(bank.get_absolute_url()).text
    person = Person.objects.get(name="Lou Feipeng")
    assert "researcher" in client.get(person.get_absolute_url()).text
    topic = Topic.objects.get(slug="technology-finance")
    assert release.title.replace("<", "&lt;").replace(">", "&gt;") in client.get(
        topic.get_absolute_url()).text


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/admin/archive/release/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("model", [
    "document", "institution", "person", "topic", "release", "quote",
])
def test_every_admin_changelist_and_form_opens(client, release, model):
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    assert client.get(f"/admin/archive/{model}/").status_code == 200
    assert client.get(f"/admin/archive/{model}/?q=china").status_code == 200


def test_admin_change_forms_open(client, release):
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    bank = Institution.objects.get(name="China Construction Bank")
    for url in [
        f"/admin/archive/release/{release.pk}/change/",
        f"/admin/archive/institution/{bank.pk}/change/",
        f"/admin/archive/quote/{release.quotes.first().pk}/change/",
        f"/admin/archive/document/{release.document.pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url


def test_the_institution_autocomplete_finds_by_name(client, release):
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    response = client.get("/admin/autocomplete/", {
        "term": "constr", "app_label": "archive", "model_name": "release",
        "field_name": "institutions",
    })
    assert [r["text"] for r in response.json()["results"]] == ["China Construction Bank"]
