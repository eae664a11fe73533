"""Curation in the admin, on both databases: every list, form and action; merges; roles."""

import datetime
import re
import shutil
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.db.models import ProtectedError
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive.admin import distinct_values
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
from tests.ingest_helpers import FIXTURES

pytestmark = pytest.mark.django_db
ReleaseInstitution = Release.institutions.through


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", "e@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


@pytest.fixture
def imported(tmp_path):
    for name in ("press_release.txt", "news_report.txt", "article.html"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    call_command("import_releases", str(tmp_path), stdout=open("/dev/null", "w"))
    return tmp_path


def post_action(client, url, action, ids, **extra):
    return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids], **extra})


class BrowserForm(HTMLParser):
    """What a browser submits from the admin's change form, unedited: every field's value,
    checked boxes, selected options, and textareas with their line breaks sent as CRLF
    (after the newline that follows <textarea>, which browsers drop)."""

    def __init__(self, page: str):
        super().__init__()
        self.data, self.select, self.textarea = [], None, None
        self.feed(page.split('id="release_form"', 1)[1].split("</form>", 1)[0])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data.append((name, attrs.get("value") or ("on" if "checked" in attrs
                                                              else "")))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.append((self.select, attrs.get("value", "")))
        elif tag == "textarea":
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            name, text = self.textarea
            self.data.append((name, text.removeprefix("\n").replace("\n", "\r\n")))
            self.textarea = None

    def post(self, **changes) -> dict:
        data = {}
        for name, value in self.data:
            data.setdefault(name, []).append(value)
        return data | {name: [value] for name, value in changes.items()}


MODELS = ["release", "institution", "person", "quote", "topic", "document"]


def test_institutions_and_people_show_their_counts_hidden_releases_included(editor, imported):
    pboc = Institution.objects.get(name="People's Bank of China")
    Release.objects.filter(institutions=pboc).update(hidden=True)
    rows = {i.name: (i.release_count, i.quote_count) for i in
            editor.get("/admin/archive/institution/").context["cl"].result_list}
    assert rows["People's Bank of China"] == (pboc.releases.count(), pboc.quotes.count())
    assert rows["People's Bank of China"][0] >= 2
    person = Person.objects.filter(quotes__isnull=False).first()
    rows = {p.name: (p.release_count, p.quote_count) for p in
            editor.get("/admin/archive/person/").context["cl"].result_list}
    assert rows[person.name] == (person.appearances.count(), person.quotes.count())


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_and_change_form_opens_for_an_editor(editor, imported, model):
    response = editor.get(f"/admin/archive/{model}/")
    assert response.status_code == 200
    first = response.context["cl"].result_list[0]
    assert editor.get(f"/admin/archive/{model}/{first.pk}/change/").status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_changelists_run_a_bounded_number_of_queries(editor, imported, model):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert editor.get(f"/admin/archive/{model}/").status_code == 200
        return len(captured)

    before = queries()
    for number in range(12):  # more rows of every kind
        release = make_release(f"Extra release {number}", "Extra body.")
        institution = Institution.objects.create(name=f"Extra Bank {number}")
        person = Person.objects.create(name=f"Extra Person {number}")
        release.institutions.add(institution)
        release.topics.add(Topic.objects.first())
        Quote.objects.create(release=release, person=person, kind="direct", position=1, text="x")
    # Only facet and filter lists may grow with new options, never with rows: one query each.
    assert queries() <= before + 2


def test_release_list_has_facet_counts_and_a_curated_badge(editor, imported):
    release = Release.objects.get(title__startswith="Lenders")
    release.curated_fields = ["title"]
    release.save()
    response = editor.get("/admin/archive/release/")
    assert "News report (" not in response.text and "Show counts" in response.text
    response = editor.get("/admin/archive/release/", {"_facets": "True"})
    assert "News report (" in response.text  # facet count, when asked for
    assert response.context["cl"].result_list.count() == 3
    badge = [r for r in response.context["cl"].result_list if r.pk == release.pk][0]
    assert response.context["cl"].model_admin.curated(badge) is True


def test_releases_are_filtered_by_an_institution_typed_not_listed(editor, imported):
    bank = Institution.objects.get(name="Agricultural Bank of China")
    page = editor.get("/admin/archive/release/").text
    # Not a link per institution: a box that asks the admin's autocomplete view.
    assert "?institution=" not in page
    assert 'data-ajax--url="/admin/autocomplete/"' in page and 'name="institution"' in page
    assert "admin/js/autocomplete.js" in page
    response = editor.get("/admin/archive/release/", {"institution": bank.pk, "kind": "news"})
    assert [r.pk for r in response.context["cl"].result_list] == list(
        bank.releases.filter(kind="news").values_list("pk", flat=True))
    # The chosen one is shown in the box, and the other parameters ride along.
    assert f'<option value="{bank.pk}" selected>Agricultural Bank of China</option>' in response.text
    assert '<input type="hidden" name="kind" value="news">' in response.text
    found = editor.get("/admin/autocomplete/", {"term": "Agricul", "app_label": "archive",
                                                 "model_name": "release",
                                                 "field_name": "institutions"}).json()
    assert {"id": str(bank.pk), "text": "Agricultural Bank of China"} in found["results"]
    assert editor.get("/admin/archive/release/", {"institution": "x"}).url.endswith("?e=1")


def test_statements_are_filtered_by_an_institution_typed_not_listed(editor, imported):
    speaker = Quote.objects.filter(institution__isnull=False).first().institution
    response = editor.get("/admin/archive/quote/", {"institution": speaker.pk})
    assert {q.institution_id for q in response.context["cl"].result_list} == {speaker.pk}


def test_actions_count_in_words_that_agree(editor, imported):
    release = Release.objects.first()
    response = post_action(editor, "/admin/archive/release/", "hide_releases", [release.pk])
    assert "Hid 1 release." in editor.get(response.url).text
    response = post_action(editor, "/admin/archive/release/", "show_releases",
                           Release.objects.values_list("pk", flat=True))
    assert "Showed 3 releases." in editor.get(response.url).text


def test_a_releases_statements_are_folded_in_its_form(editor, imported):
    release = Release.objects.filter(quotes__isnull=False).first()
    page = editor.get(f"/admin/archive/release/{release.pk}/change/").text
    assert 'class="js-inline-admin-formset inline-group"' in page
    statements = page.split('id="quotes-group"', 1)[1]
    assert "<details>" in statements[:800] and "<details open>" not in statements[:800]


def test_release_search_uses_the_full_text_index(editor, imported):
    response = editor.get("/admin/archive/release/", {"q": "reserve requirement"})
    assert [r.title for r in response.context["cl"].result_list] == [
        "Central bank cuts reserve requirement ratio by 0.5 point"]


def test_release_provenance_links_to_the_public_page_and_original(editor, imported):
    release = Release.objects.get(title__startswith="Lenders")
    response = editor.get(f"/admin/archive/release/{release.pk}/change/")
    assert release.get_absolute_url() in response.text
    assert f"/releases/{release.pk}/original" in response.text


def test_mark_reviewed_hide_and_show(editor, imported):
    ids = list(Release.objects.values_list("pk", flat=True))
    post_action(editor, "/admin/archive/release/", "mark_reviewed", ids)
    assert Release.objects.filter(reviewed=True).count() == 3
    post_action(editor, "/admin/archive/release/", "hide_releases", ids[:1])
    assert list(Release.objects.filter(hidden=True).values_list("pk", flat=True)) == ids[:1]
    post_action(editor, "/admin/archive/release/", "show_releases", ids[:1])
    assert not Release.objects.filter(hidden=True).exists()


def test_reextraction_keeps_curated_fields(editor, imported):
    release = Release.objects.get(title__startswith="Lenders")
    release.title = "Lenders and the green transition (curated)"
    release.body = "Edited by a curator."
    release.curated_fields = ["title"]
    release.save()
    release.quotes.all().delete()
    post_action(editor, "/admin/archive/release/", "reextract_releases", [release.pk])
    release.refresh_from_db()
    assert release.title == "Lenders and the green transition (curated)"
    assert release.body.startswith("Chinese lenders will step up green loans")  # not curated
    assert release.quotes.count() == 6


def test_merging_institutions_moves_everything_and_keeps_the_names(editor, imported, tmp_path):
    abc = Institution.objects.get(name="Agricultural Bank of China")
    duplicate = Institution.objects.create(name="AgBank of China Ltd", kind="commercial_bank")
    InstitutionAlias.objects.create(institution=duplicate, name="ABC Ltd")
    branch = Institution.objects.create(name="AgBank Hebei Branch", parent=duplicate)
    other = make_release("Rural credit expands", "Loans to farmers grew.")
    other.institutions.add(duplicate)
    both = Release.objects.get(title__startswith="Lenders")
    both.institutions.add(duplicate)
    Quote.objects.create(release=other, institution=duplicate, kind="indirect", position=1,
                         text="rural loans grew")
    person = Person.objects.create(name="Qian Lu")
    Appearance.objects.create(release=other, person=person, role="analyst", affiliation=duplicate)

    confirm = post_action(editor, "/admin/archive/institution/", "merge_selected",
                          [abc.pk, duplicate.pk])
    assert confirm.status_code == 200 and "Merge into the one kept" in confirm.text
    assert [(o.name, impact) for o, impact in confirm.context["rows"]] == [
        ("AgBank of China Ltd",
         {"releases": 2, "statements": 1, "appearances": 1, "aliases": 1, "branches": 1}),
        ("Agricultural Bank of China",
         {"releases": 1, "statements": 1, "appearances": 1, "aliases": 0, "branches": 0}),
    ]
    post_action(editor, "/admin/archive/institution/", "merge_selected", [abc.pk, duplicate.pk],
                confirm="yes", survivor=str(abc.pk))

    assert not Institution.objects.filter(pk=duplicate.pk).exists()
    assert set(abc.releases.values_list("title", flat=True)) == {
        "Lenders pledge more support for green transition", "Rural credit expands"}
    assert ReleaseInstitution.objects.filter(release=both, institution=abc).count() == 1
    assert abc.quotes.filter(text="rural loans grew").exists()
    assert Appearance.objects.get(person=person).affiliation == abc
    assert set(abc.aliases.values_list("name", flat=True)) >= {"ABC Ltd", "AgBank of China Ltd"}
    response = editor.get(f"/institutions/{duplicate.slug}/")
    assert (response.status_code, response.url) == (301, abc.get_absolute_url())
    branch.refresh_from_db()
    assert branch.parent == abc
    assert not ReleaseInstitution.objects.exclude(institution__in=Institution.objects.all()).exists()
    # A later import naming the merged institution lands on the survivor.
    (tmp_path / "later.txt").write_text(
        "AgBank of China Ltd lends more to farmers\n2025-12-01\n\n"
        "AgBank of China Ltd said it will lend more to farmers this winter.\n")
    call_command("import_releases", str(tmp_path / "later.txt"), stdout=open("/dev/null", "w"))
    later = Release.objects.get(title="AgBank of China Ltd lends more to farmers")
    assert list(later.institutions.values_list("name", flat=True)) == ["Agricultural Bank of China"]
    assert later.quotes.get().institution == abc


def test_merging_people_moves_statements_and_appearances(editor, imported):
    zhao = Person.objects.get(name="Zhao Minghui")
    duplicate = Person.objects.create(name="Minghui Zhao")
    PersonAlias.objects.create(person=duplicate, name="M. Zhao")
    release = Release.objects.get(title__startswith="Lenders")
    Appearance.objects.create(release=release, person=duplicate, role="head")  # both appear
    other = make_release("Bank chief speaks", "Minghui Zhao spoke.")
    Appearance.objects.create(release=other, person=duplicate, role="chairman")
    Quote.objects.create(release=other, person=duplicate, kind="direct", position=1, text="Hello.")
    before = Quote.objects.count()
    post_action(editor, "/admin/archive/person/", "merge_selected", [zhao.pk, duplicate.pk],
                confirm="yes", survivor=str(zhao.pk))
    assert not Person.objects.filter(pk=duplicate.pk).exists()
    assert Quote.objects.count() == before
    assert zhao.quotes.filter(text="Hello.").exists()
    assert list(zhao.appearances.order_by("release__title").values_list("role", flat=True)) == [
        "chairman", "president"]
    assert set(zhao.aliases.values_list("name", flat=True)) == {"M. Zhao", "Minghui Zhao"}
    # The merged person's address leads to the survivor, for good.
    response = editor.get(f"/people/{duplicate.slug}/")
    assert (response.status_code, response.url) == (301, zhao.get_absolute_url())
    assert editor.get("/people/nobody-ever/").status_code == 404


def test_a_statement_with_two_speakers_is_refused_by_the_form(editor, imported):
    quote = Quote.objects.filter(person__isnull=False).first()
    institution = Institution.objects.first()
    response = editor.post(f"/admin/archive/quote/{quote.pk}/change/", {
        "release": quote.release_id, "person": quote.person_id, "institution": institution.pk,
        "kind": "direct", "text": quote.text, "position": quote.position, "role": ""})
    assert response.status_code == 200
    assert "A statement has exactly one speaker" in response.text
    quote.refresh_from_db()
    assert quote.institution is None


def test_verifying_statements_and_editing_one(editor, imported):
    ids = list(Quote.objects.filter(kind="direct").values_list("pk", flat=True))
    post_action(editor, "/admin/archive/quote/", "verify", ids)
    assert set(Quote.objects.filter(verified=True).values_list("pk", flat=True)) == set(ids)
    response = editor.get("/admin/archive/quote/", {"speaker": "institution"})
    assert all(q.institution_id for q in response.context["cl"].result_list)


def test_retagging_uses_the_current_keywords_and_keeps_curated_topics(editor, imported):
    real_estate = Topic.objects.get(slug="real-estate")
    real_estate.keywords += "\nreserve requirement ratio"
    real_estate.save()
    curated = Release.objects.get(title__startswith="Lenders")
    curated.curated_fields = ["topics"]
    curated.save()
    curated.topics.set([real_estate])
    post_action(editor, "/admin/archive/topic/", "retag_releases", [real_estate.pk])
    rrr = Release.objects.get(title__startswith="Central bank cuts")
    assert rrr.topics.filter(slug="real-estate").exists()
    assert list(curated.topics.values_list("slug", flat=True)) == ["real-estate"]


def test_editors_cannot_manage_users_or_groups(editor):
    assert editor.get("/admin/auth/user/").status_code == 403
    assert editor.get("/admin/auth/group/").status_code == 403
    assert editor.get("/admin/archive/release/").status_code == 200


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/archive/release/", "/admin/archive/release/1/change/",
    "/admin/archive/institution/", "/admin/archive/person/", "/admin/archive/quote/",
    "/admin/archive/topic/", "/admin/archive/document/", "/admin/auth/user/",
    "/admin/autocomplete/",
])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_forms_are_protected_against_csrf(imported):
    client = Client(enforce_csrf_checks=True)
    user = User.objects.create_superuser("root", "r@example.org", "pw")
    client.force_login(user)
    release = Release.objects.first()
    assert client.post(f"/admin/archive/release/{release.pk}/change/", {"title": "x"}).status_code == 403
    assert client.post("/admin/archive/release/", {"action": "hide_releases",
                                                   "_selected_action": [release.pk]}).status_code == 403
    release.refresh_from_db()
    assert release.title != "x" and not release.hidden


def test_chinese_names_display_and_search(editor):
    Institution.objects.create(name="中国人民银行", kind="central_bank")
    Institution.objects.create(name="中国建设银行", kind="commercial_bank")
    response = editor.get("/admin/archive/institution/", {"q": "人民银行"})
    assert [i.name for i in response.context["cl"].result_list] == ["中国人民银行"]
    assert "中国人民银行" in response.text


@pytest.fixture
def release_with_paragraphs(imported):
    release = Release.objects.get(title__startswith="Lenders")
    assert release.body.count("\n\n") >= 3 and release.quotes.exists()
    return release


def test_saving_a_release_unedited_changes_nothing(editor, release_with_paragraphs):
    release = release_with_paragraphs
    before = Release.objects.values().get(pk=release.pk)
    quotes = list(release.quotes.values())
    url = f"/admin/archive/release/{release.pk}/change/"
    response = editor.post(url, BrowserForm(editor.get(url).text).post())
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Release.objects.values().get(pk=release.pk) == before
    assert list(release.quotes.values()) == quotes
    page = editor.get(release.get_absolute_url())
    assert page.text.count("<p>") >= release.body.count("\n\n")


def test_an_edit_marks_curated_only_the_fields_whose_text_changed(editor, release_with_paragraphs):
    release = release_with_paragraphs
    url = f"/admin/archive/release/{release.pk}/change/"
    form = BrowserForm(editor.get(url).text)
    assert editor.post(url, form.post(title="Lenders step up green loans")).status_code == 302
    edited = Release.objects.get(pk=release.pk)
    assert edited.curated_fields == ["title"]
    assert edited.body == release.body  # sent back as CRLF, kept as it was
    # An edit to the body is kept with the line breaks the rest of the archive has.
    body = release.body.replace("\n", "\r\n") + "\r\n\r\nA curator's note."
    assert editor.post(url, form.post(body=body)).status_code == 302
    edited.refresh_from_db()
    assert edited.body == release.body + "\n\nA curator's note."
    assert edited.curated_fields == ["body", "title"]


def test_a_topics_keywords_saved_unedited_stay_as_they_were(editor):
    topic = Topic.objects.get(slug="green-finance")
    before = topic.keywords
    assert "\n" in before
    url = f"/admin/archive/topic/{topic.pk}/change/"
    form = editor.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data["keywords"] = before.replace("\n", "\r\n")
    assert editor.post(url, data).status_code == 302
    topic.refresh_from_db()
    assert topic.keywords == before


def test_a_releases_original_document_cannot_be_swapped(editor, imported):
    release = Release.objects.get(title__startswith="Lenders")
    other = Release.objects.exclude(pk=release.pk).first().document
    url = f"/admin/archive/release/{release.pk}/change/"
    page = editor.get(url).text
    assert 'name="document"' not in page and other.sha256 not in page
    form = BrowserForm(page)
    assert editor.post(url, form.post(document=str(other.pk))).status_code == 302
    release.refresh_from_db()
    assert release.document != other
    assert editor.get("/admin/archive/release/add/").status_code == 403


def test_editors_hide_releases_rather_than_delete_them(editor, imported):
    release = Release.objects.first()
    assert editor.get(f"/admin/archive/release/{release.pk}/delete/").status_code == 403
    post_action(editor, "/admin/archive/release/", "delete_selected", [release.pk], post="yes")
    assert Release.objects.filter(pk=release.pk).exists()
    institution = Institution.objects.filter(quotes__isnull=False).first()
    assert editor.get(f"/admin/archive/institution/{institution.pk}/delete/").status_code == 403
    root = Client()
    root.force_login(User.objects.create_superuser("root", "r@example.org", "pw"))
    assert root.post(f"/admin/archive/release/{release.pk}/delete/", {"post": "yes"}
                     ).status_code == 302
    assert not Release.objects.filter(pk=release.pk).exists()


def test_deleting_an_institution_never_deletes_its_statements(imported):
    institution = Institution.objects.filter(quotes__isnull=False).first()
    statements = institution.quotes.count()
    with pytest.raises(ProtectedError):
        institution.delete()
    assert institution.quotes.count() == statements
    person = Person.objects.filter(quotes__isnull=False).first()
    with pytest.raises(ProtectedError):
        person.delete()


def drilldown(response) -> dict[str, str]:
    """The date drill-down's choices shown: title → link."""
    nav = response.text.split('id="date-hierarchy-label"', 1)[1].split("</nav>", 1)[0]
    return {title.replace("&lsaquo;", "").strip(): href.replace("&amp;", "&")
            for href, title in re.findall(r'<a href="([^"]*)"(?: class="date-back")?>([^<]*)</a>', nav)}


@pytest.fixture
def dated(db):
    days = [datetime.date(2019, 3, 9), datetime.date(2021, 3, 9), datetime.date(2021, 3, 20),
            datetime.date(2021, 7, 1)]
    return [make_release(f"Release of {day}", "Liquidity support." if day.year == 2021
                         else "Bond market.", published=day) for day in days]


def test_the_date_drilldown_offers_only_dates_that_hold_releases(editor, dated):
    with CaptureQueriesContext(connection) as captured:
        response = editor.get("/admin/archive/release/")
    assert set(drilldown(response)) == {"2019", "2021"}  # no 2020
    assert drilldown(response)["2021"] == "?published__year=2021"
    # Read a step at a time along the date's index: no query truncates every row's date or
    # looks for the first and last of them all.
    assert not [q for q in captured if "date_trunc" in q["sql"].lower()
                or 'MIN("archive_release"."published")' in q["sql"]]
    months = drilldown(editor.get("/admin/archive/release/", {"published__year": "2021"}))
    assert months == {"All dates": "?", "March 2021": "?published__month=3&published__year=2021",
                      "July 2021": "?published__month=7&published__year=2021"}
    response = editor.get("/admin/archive/release/", {"published__year": "2021",
                                                       "published__month": "3"})
    assert set(drilldown(response)) == {"2021", "March 9", "March 20"}
    assert [r.published.day for r in response.context["cl"].result_list] == [20, 9]
    day = editor.get("/admin/archive/release/", {"published__year": "2021",
                                                  "published__month": "3", "published__day": "20"})
    assert drilldown(day) == {"March 2021": "?published__month=3&published__year=2021"}
    assert [r.published.day for r in day.context["cl"].result_list] == [20]


def test_the_date_drilldown_keeps_a_search_and_offers_the_whole_lists_dates(editor, dated):
    response = editor.get("/admin/archive/release/", {"q": "liquidity"})
    assert len(response.context["cl"].result_list) == 3
    # The choices are the dates of the whole list; each keeps the search.
    assert drilldown(response) == {"2019": "?published__year=2019&q=liquidity",
                                   "2021": "?published__year=2021&q=liquidity"}
    response = editor.get("/admin/archive/release/", {"q": "liquidity", "published__year": "2019"})
    assert list(response.context["cl"].result_list) == []


def test_a_list_within_one_month_starts_its_drilldown_at_its_days(editor, imported):
    # Every fixture document was imported today: the list of documents starts at the days.
    today = timezone.localdate()
    response = editor.get("/admin/archive/document/")
    assert set(drilldown(response)) == {f"{today:%Y}", f"{today:%B} {today.day}"}
    assert editor.get("/admin/archive/document/", {"imported_at__year": "x"}).url.endswith("?e=1")


def test_distinct_values_are_read_along_the_index_null_last(db):
    for etag in ["b", None, "a", "b"]:
        make_document(etag=etag)
    assert distinct_values(Document.objects.all(), "etag") == ["a", "b", None]
    assert distinct_values(Document.objects.filter(etag="b"), "etag") == ["b"]
    assert distinct_values(Document.objects.none(), "media_type") == []


def test_documents_are_filtered_by_the_values_they_hold_and_found_by_name_or_hash(editor):
    page = make_document(b"<p>page</p>", media_type="text/html", origin="https://bank.example/a")
    make_document(b"text", media_type="text/plain", origin="files/notice.txt")
    response = editor.get("/admin/archive/document/")
    choices = [c["display"] for spec in response.context["cl"].filter_specs
               if spec.title == "media type" for c in spec.choices(response.context["cl"])]
    assert choices == ["All", "text/html", "text/plain"]
    found = editor.get("/admin/archive/document/", {"media_type": "text/html"})
    assert [d.pk for d in found.context["cl"].result_list] == [page.pk]

    def search(term):
        return [d.origin for d in
                editor.get("/admin/archive/document/", {"q": term}).context["cl"].result_list]

    assert search("BANK.example") == ["https://bank.example/a"]
    assert search(page.sha256[:10].upper()) == ["https://bank.example/a"]
    assert search(page.sha256[5:15]) == []  # a hash is found by its start
    assert search("nowhere") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite reads names along their index")
def test_a_document_search_by_name_is_answered_by_the_trigram_index(editor):
    make_document(b"text", origin="files/notice-4711.txt")
    with CaptureQueriesContext(connection) as captured:
        editor.get("/admin/archive/document/", {"q": "notice-4711"})
    searches = [q["sql"] for q in captured if "LIKE UPPER(" in q["sql"]]
    assert searches
    with connection.cursor() as cursor:
        # A table this small is best scanned: the plan is asked of the indexes alone.
        for method in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute("EXPLAIN " + searches[0])
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "document_origin_trgm_idx" in plan, plan


def test_statements_are_listed_latest_import_first_and_found_by_words_or_speaker(editor):
    pan = Person.objects.create(name="Pan Gongsheng")
    bank = Institution.objects.create(name="Bank of Testing")
    # Listed by when they were imported, whatever the dates they print.
    older = make_release("Older", published=datetime.date(2024, 5, 1))
    newer = make_release("Newer", published=datetime.date(2019, 5, 1))
    for release in (older, newer):
        Quote.objects.create(release=release, person=pan, kind="direct", position=1,
                             text=f"Liquidity stays ample ({release.title}).")
        Quote.objects.create(release=release, institution=bank, kind="indirect", position=2,
                             text=f"Credit grows steadily ({release.title}).")
    listed = editor.get("/admin/archive/quote/").context["cl"].result_list
    assert [(q.release.title, q.position) for q in listed] == [
        ("Newer", 1), ("Newer", 2), ("Older", 1), ("Older", 2)]

    def search(term):
        return [(q.release.title, q.position) for q in
                editor.get("/admin/archive/quote/", {"q": term}).context["cl"].result_list]

    assert search("liquidity") == [("Newer", 1), ("Older", 1)]
    assert search('"credit grows" older') == [("Older", 2)]
    assert search("Gongsheng") == [("Newer", 1), ("Older", 1)]  # a speaker's name
    assert search("Bank of Testing") == [("Newer", 2), ("Older", 2)]
    assert search("speaker:pan -ample") == []


def query_plan(sql: str, index_order: bool = False) -> str:
    """The database's plan for `sql`, as one line. With `index_order`, PostgreSQL is asked for
    an index's order (a table this small is best scanned and sorted), and still sorts when no
    index gives it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        else:
            for method in ("seqscan", "bitmapscan", "sort") if index_order else ():
                cursor.execute(f"SET LOCAL enable_{method} = off")
            cursor.execute("EXPLAIN " + sql)
        return " ".join(str(row) for row in cursor.fetchall())


def test_each_step_of_the_date_drilldown_is_read_from_an_index_unsorted(editor, dated):
    with CaptureQueriesContext(connection) as captured:
        editor.get("/admin/archive/release/", {"published__year": "2021"})
    steps = [q["sql"] for q in captured
             if q["sql"].startswith('SELECT "archive_release"."published"') and "LIMIT 1" in q["sql"]]
    assert len(steps) >= 3  # a step for each month found, and one past the last
    for sql in steps:
        plan = query_plan(sql, index_order=True)
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_actions_on_every_match_of_a_search_touch_those_matches_only(editor):
    first, other = make_release("Liquidity one", "Liquidity."), make_release("Other", "Bonds.")
    second = make_release("Liquidity two", "More liquidity.")
    every_match = {"select_across": "1", "index": "0"}
    post_action(editor, "/admin/archive/release/?q=liquidity", "hide_releases", [first.pk],
                **every_match)
    assert set(Release.objects.filter(hidden=True)) == {first, second}
    pan = Person.objects.create(name="Pan Gongsheng")
    said = Quote.objects.create(release=other, person=pan, kind="direct", position=1,
                                text="Liquidity stays ample.")
    Quote.objects.create(release=other, institution=Institution.objects.create(name="A Bank"),
                         kind="direct", position=2, text="Liquidity too.")
    Quote.objects.create(release=first, person=Person.objects.create(name="Yi Gang"),
                         kind="direct", position=1, text="Bonds.")
    post_action(editor, "/admin/archive/quote/?q=Gongsheng", "verify", [said.pk], **every_match)
    assert list(Quote.objects.filter(verified=True)) == [said]


def test_releases_are_filtered_by_topic_and_counted_per_topic(editor, dated):
    green, tech = Topic.objects.get(slug="green-finance"), Topic.objects.get(slug="technology-finance")
    first, second, third, _ = dated
    for release in (first, third):
        release.topics.add(green, tech)
    second.topics.add(green)
    bank = Institution.objects.create(name="Bank of Testing")
    first.institutions.add(bank)
    with CaptureQueriesContext(connection) as captured:
        response = editor.get("/admin/archive/release/", {"topic": green.pk})
        assert list(editor.get("/admin/archive/release/", {"topic": green.pk, "institution": bank.pk})
                    .context["cl"].result_list) == [first]
    assert list(response.context["cl"].result_list) == [third, second, first]  # once each
    # From the link tables' ids: no join that repeats a release, to be made distinct again.
    assert not [q for q in captured if 'DISTINCT "archive_release"."id"' in q["sql"]]
    response = editor.get("/admin/archive/release/", {"topic": tech.pk, "_facets": "True"})
    assert list(response.context["cl"].result_list) == [third, first]
    assert f"{green.name} (3)" in response.text and f"{tech.name} (2)" in response.text
    assert editor.get("/admin/archive/release/", {"topic": "x"}).url.endswith("?e=1")


@pytest.mark.parametrize("column, value", [("reviewed", "0"), ("kind", "speech"),
                                           ("title_provisional", "1")])
def test_a_filtered_list_is_read_in_order_from_an_index(editor, dated, column, value):
    # Not by walking the dates and reading each release's row to test it: these columns
    # come after the body.
    with CaptureQueriesContext(connection) as captured:
        response = editor.get("/admin/archive/release/", {f"{column}__exact": value})
    assert response.status_code == 200
    page = [q["sql"] for q in captured if q["sql"].startswith('SELECT "archive_release"."id"')
            and "ORDER BY" in q["sql"]]
    assert len(page) == 1
    plan = query_plan(page[0], index_order=True)
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    # The column is the index's (SQLite), or nothing is tested row by row (PostgreSQL, which
    # may also read the partial index of visible releases).
    assert f"({column}=?)" in plan or (connection.vendor == "postgresql"
                                       and "Filter" not in plan), plan


def test_releases_are_filtered_hidden_or_shown(editor, dated):
    Release.objects.filter(pk=dated[1].pk).update(hidden=True)
    hidden = editor.get("/admin/archive/release/", {"hidden": "1", "_facets": "True"})
    assert list(hidden.context["cl"].result_list) == [dated[1]]
    assert "Hidden (1)" in hidden.text and "Shown (3)" in hidden.text
    shown = editor.get("/admin/archive/release/", {"hidden": "0", "q": "liquidity"})
    assert list(shown.context["cl"].result_list) == [dated[3], dated[2]]
    # The public list's order reads releases by id among the visible ones: never along an
    # index of every release by hidden, which SQLite would walk whole.
    with CaptureQueriesContext(connection) as captured:
        Release.objects.visible().in_bulk([release.pk for release in dated])
    plan = query_plan(captured[0]["sql"])
    assert "release_hidden_idx" not in plan and "release_visible_idx" not in plan, plan
