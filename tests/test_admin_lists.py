"""The admin's lists at their edges: the date drill-down, the documents' and statements'
searches, actions across a searched list, and unranked searches against ranked ones."""

import datetime
import json
import random
import signal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from archive.admin import distinct_values
from archive.filters import ReleaseFilter
from archive.models import Document, Institution, Person, Quote, Release
from tests.conftest import make_document, make_release
from tests.test_admin import dated, drilldown, editor, post_action  # noqa: F401

pytestmark = pytest.mark.django_db

RELEASES = "/admin/archive/release/"
QUOTES = "/admin/archive/quote/"
DOCUMENTS = "/admin/archive/document/"


# The date drill-down.

def test_drilldown_offers_the_years_when_some_releases_have_no_date(editor, dated):
    """A release without a date must not hide every year of the others."""
    make_release("Undated notice", published=None)
    response = editor.get(RELEASES)
    assert response.status_code == 200
    assert set(drilldown(response)) == {"2019", "2021"}


def test_drilldown_of_a_year_with_undated_releases_lists_its_months(editor, dated):
    make_release("Undated notice", published=None)
    months = drilldown(editor.get(RELEASES, {"published__year": "2021"}))
    assert set(months) == {"All dates", "March 2021", "July 2021"}


def test_drilldown_of_a_list_whose_dates_are_all_null_shows_no_choice(editor):
    make_release("Undated", published=None)
    response = editor.get(RELEASES)
    assert response.status_code == 200
    assert drilldown(response) == {}


def test_drilldown_of_an_empty_list(editor):
    response = editor.get(RELEASES)
    assert response.status_code == 200
    assert drilldown(response) == {}


def test_a_date_in_the_last_representable_year_does_not_break_the_list(editor, dated):
    """A release dated 9999 (a placeholder some sites print) must not make the list a 500."""
    make_release("Placeholder date", published=datetime.date(9999, 12, 31))
    response = editor.get(RELEASES)
    assert response.status_code == 200
    assert set(drilldown(response)) == {"2019", "2021", "9999"}


def test_a_document_imported_at_the_last_moment_does_not_break_the_list(editor):
    document = make_document()
    Document.objects.filter(pk=document.pk).update(
        imported_at=datetime.datetime(9999, 12, 31, 12, tzinfo=datetime.timezone.utc))
    make_document()
    assert editor.get(DOCUMENTS).status_code == 200


@pytest.mark.parametrize("params", [
    {"published__year": "99999"},
    {"published__year": "2021", "published__month": "13"},
    {"published__year": "2021", "published__month": "2", "published__day": "30"},
    {"published__year": "0"},
    {"published__year": "-1"},
    {"published__year": "2021", "published__month": "x"},
    {"published__month": "3"},
])
def test_an_impossible_date_in_the_drilldown_is_no_server_error(editor, dated, params):
    assert editor.get(RELEASES, params).status_code in (200, 302)


def test_a_day_without_a_month_is_not_read_as_a_month(editor, dated):
    """?published__year=2021&published__day=3 lists 3 January 2021 (Django's reading); the
    drill-down must not offer the days of March as if 3 were the month."""
    response = editor.get(RELEASES, {"published__year": "2021", "published__day": "3"})
    assert response.status_code == 200
    choices = drilldown(response)
    assert not any(title.startswith("March ") and title != "March 2021" for title in choices)


def test_drilldown_follows_the_current_time_zone_for_documents(editor, settings):
    """A document imported late on 31 December (UTC) is on 1 January in Shanghai: offered
    there, and listed by the link offered."""
    settings.TIME_ZONE = "Asia/Shanghai"
    document = make_document()
    Document.objects.filter(pk=document.pk).update(
        imported_at=datetime.datetime(2021, 12, 31, 20, tzinfo=datetime.timezone.utc))
    other = make_document()
    Document.objects.filter(pk=other.pk).update(
        imported_at=datetime.datetime(2020, 6, 1, 12, tzinfo=datetime.timezone.utc))
    with timezone.override("Asia/Shanghai"):
        choices = drilldown(editor.get(DOCUMENTS))
        assert set(choices) == {"2020", "2022"}
        listed = editor.get(DOCUMENTS + choices["2022"]).context["cl"].result_list
        assert [d.pk for d in listed] == [document.pk]
        months = drilldown(editor.get(DOCUMENTS, {"imported_at__year": "2022"}))
        assert set(months) == {"All dates", "January 2022"}
        days = drilldown(editor.get(DOCUMENTS, {"imported_at__year": "2022",
                                                "imported_at__month": "1"}))
        assert set(days) == {"2022", "January 1"}


def test_drilldown_across_a_daylight_saving_midnight(editor, settings):
    """Midnight does not exist in São Paulo on 4 November 2018 (clocks went to 1:00)."""
    settings.TIME_ZONE = "America/Sao_Paulo"
    stamps = [datetime.datetime(2018, 11, 4, 3, 30, tzinfo=datetime.timezone.utc),  # 01:30
              datetime.datetime(2018, 11, 3, 23, 0, tzinfo=datetime.timezone.utc)]  # 21:00
    for stamp in stamps:
        document = make_document()
        Document.objects.filter(pk=document.pk).update(imported_at=stamp)
    with timezone.override("America/Sao_Paulo"):
        response = editor.get(DOCUMENTS, {"imported_at__year": "2018",
                                          "imported_at__month": "11"})
        assert response.status_code == 200
        assert set(drilldown(response)) == {"2018", "November 3", "November 4"}
        day = editor.get(DOCUMENTS, {"imported_at__year": "2018", "imported_at__month": "11",
                                     "imported_at__day": "4"})
        assert len(day.context["cl"].result_list) == 1


def test_drilldown_links_escape_the_search_kept(editor, dated):
    response = editor.get(RELEASES, {"q": '"><script>x</script>'})
    assert response.status_code == 200
    assert "<script>x</script>" not in response.text


# The documents.

def test_document_search_by_a_full_upper_case_sha256(editor):
    document = make_document(b"evidence")
    make_document(b"other")
    found = editor.get(DOCUMENTS, {"q": document.sha256.upper()}).context["cl"].result_list
    assert [d.pk for d in found] == [document.pk]


def test_document_search_finds_an_address_by_two_of_its_words(editor):
    """Django's search, which this list had, found a name holding each word of the search."""
    document = make_document(origin="https://bank.example/2021/notice.html")
    found = editor.get(DOCUMENTS, {"q": "bank.example notice"}).context["cl"].result_list
    assert [d.pk for d in found] == [document.pk]


def test_document_search_with_like_wildcards_is_literal(editor):
    make_document(origin="files/a_b.txt")
    make_document(origin="files/axb.txt")
    found = editor.get(DOCUMENTS, {"q": "a_b"}).context["cl"].result_list
    assert [d.origin for d in found] == ["files/a_b.txt"]
    assert list(editor.get(DOCUMENTS, {"q": "%"}).context["cl"].result_list) == []


def test_document_filters_offer_each_value_once_and_filter_by_it(editor):
    for media_type in ["text/html", "text/plain", "text/html", "application/pdf"]:
        make_document(media_type=media_type)
    response = editor.get(DOCUMENTS)
    spec = next(s for s in response.context["cl"].filter_specs if s.title == "media type")
    assert [c["display"] for c in spec.choices(response.context["cl"])] == [
        "All", "application/pdf", "text/html", "text/plain"]
    found = editor.get(DOCUMENTS, {"media_type": "text/html"}).context["cl"].result_list
    assert len(found) == 2


# The statements.

@pytest.fixture
def statements(db):
    bank = Institution.objects.create(name="Bank of Testing")
    pan = Person.objects.create(name="Pan Gongsheng")
    release = make_release("Rates", published=datetime.date(2024, 5, 1))
    by_bank = Quote.objects.create(release=release, institution=bank, kind="indirect",
                                   position=1, text="The bank will keep rates steady.")
    by_pan = Quote.objects.create(release=release, person=pan, kind="direct", position=2,
                                  text="Liquidity stays ample.")
    other = Quote.objects.create(release=release, person=pan, kind="direct", position=3,
                                 text="The bank sees growth.")
    return {"bank": by_bank, "pan": by_pan, "other": other}


def quote_search(client, term):
    response = client.get(QUOTES, {"q": term})
    assert response.status_code == 200, term
    return {q.pk for q in response.context["cl"].result_list}


@pytest.mark.parametrize("term", ["title:rates", "-title:rates", 'title:"keep rates"'])
def test_a_title_term_in_the_statements_search_is_no_server_error(editor, statements, term):
    """Statements have no title; the public lists refuse title:, the admin must not fail."""
    assert editor.get(QUOTES, {"q": term}).status_code == 200


def test_an_excluded_word_does_not_bring_back_its_speakers_statements(editor, statements):
    """-bank asks for statements without the word: not for those of the Bank of Testing."""
    assert quote_search(editor, "-bank") == {statements["pan"].pk}


def test_an_excluded_speaker_is_not_brought_back_by_name(editor, statements):
    assert quote_search(editor, "-speaker:pan") == {statements["bank"].pk}
    assert quote_search(editor, "speaker:pan") == {statements["pan"].pk, statements["other"].pk}


@pytest.mark.parametrize("term", ['"', '""', "-", "*", "OR", "the", "speaker:", '"the"',
                                  "a" * 300, "(", "NEAR(a b)", "'bank'", "bank*", "^bank"])
def test_odd_statement_searches_are_no_server_error(editor, statements, term):
    quote_search(editor, term)


def test_a_very_long_search_is_refused_as_the_public_lists_refuse_it(editor, statements):
    for url in (QUOTES, RELEASES):
        response = editor.get(url, {"q": " ".join(f"w{i}" for i in range(1100))})
        assert list(response.context["cl"].result_list) == []
        assert "Search for at most 50 words (this has 1100)." in response.text


@pytest.mark.parametrize("url", [QUOTES, RELEASES])
def test_a_search_of_many_exclusions_is_no_server_error(editor, statements, url):
    assert editor.get(url, {"q": " ".join(f"-w{i}" for i in range(300))}).status_code == 200


@pytest.mark.parametrize("query, verified", [("q=liquidity", "pan"), ("q=Testing", "bank"),
                                             ("speaker=person&q=bank", "other")])
def test_verifying_all_of_a_searched_list_verifies_only_its_statements(editor, statements,
                                                                       query, verified):
    response = post_action(editor, f"{QUOTES}?{query}", "verify", [statements[verified].pk],
                           select_across="1", index="0")
    assert response.status_code == 302
    assert set(Quote.objects.filter(verified=True)) == {statements[verified]}


# Releases: actions across a searched, drilled-down list.

def test_hiding_all_of_a_searched_year_hides_only_its_releases(editor, dated):
    url = RELEASES + "?q=liquidity&published__year=2021&published__month=3"
    listed = editor.get(url).context["cl"].result_list
    assert {r.published for r in listed} == {datetime.date(2021, 3, 9), datetime.date(2021, 3, 20)}
    post_action(editor, url, "hide_releases", [listed[0].pk], select_across="1", index="0")
    assert set(Release.objects.filter(hidden=True).values_list("published", flat=True)) == {
        datetime.date(2021, 3, 9), datetime.date(2021, 3, 20)}


def test_hiding_all_of_a_negated_search_hides_only_its_releases(editor, dated):
    post_action(editor, RELEASES + "?q=-liquidity", "hide_releases", [dated[0].pk],
                select_across="1", index="0")
    assert list(Release.objects.filter(hidden=True)) == [dated[0]]


# Unranked searches (feeds, exports, the admin) find what ranked ones find.

QUERIES = [
    "liquidity", "bank", "-bank", "-bank -liquidity", "bank -china", '"central bank"',
    '"central bank" -rate', "loans OR bonds", "loans OR bonds -green", "title:bank",
    "-title:bank", "title:bank liquidity", 'title:"central bank"', "speaker:pan",
    "speaker:pan loans", "-speaker:pan", "-speaker:pan bank", "speaker:lou -speaker:pan",
    "the", '"', "", "bank OR", "OR bank", "bank*", '"bank', "technology -title:technology",
    "speaker:nobody", "speaker:nobody bank", "rate rate", "China's", "re-lending",
]


@pytest.fixture
def searchable(archive):
    make_release("Liquidity support", "The central bank eased liquidity.",
                 published=datetime.date(2023, 2, 2))
    make_release("Undated bank notice", "Bonds and loans.", published=None)
    return archive


@pytest.mark.parametrize("query", QUERIES)
def test_unranked_release_search_finds_what_ranked_search_finds(searchable, query):
    ranked = set(Release.objects.search(query, ranked=True).values_list("pk", flat=True))
    assert set(Release.objects.search(query).values_list("pk", flat=True)) == ranked
    visible = Release.objects.visible()
    assert set(visible.search(query).values_list("pk", flat=True)) == set(
        visible.search(query, ranked=True).values_list("pk", flat=True))


@pytest.mark.parametrize("query", [q for q in QUERIES if "title:" not in q])
def test_unranked_statement_search_finds_what_ranked_search_finds(searchable, query):
    ranked = set(Quote.objects.search(query, ranked=True).values_list("pk", flat=True))
    assert set(Quote.objects.search(query).values_list("pk", flat=True)) == ranked


@pytest.mark.parametrize("query", ["loans", "bank -china", '"central bank"', "speaker:pan",
                                   "loans OR bonds -green", "-bank"])
def test_an_export_with_a_search_lists_the_ranked_searchs_releases(client, searchable, query):
    exported = set(ReleaseFilter({"q": query}, queryset=Release.objects.visible())
                   .matches().values_list("pk", flat=True))
    assert exported == set(Release.objects.visible().search(query, ranked=True)
                           .values_list("pk", flat=True))


def test_unranked_search_counts_and_slices_like_a_list(searchable):
    found = Release.objects.search("bank").order_by("-published", "-id")
    ranked = Release.objects.search("bank", ranked=True).order_by("-published", "-id")
    assert found.count() == ranked.count()
    assert list(found[:2]) == list(ranked[:2])
    assert Release.objects.filter(pk__in=found.values("pk")).count() == ranked.count()


def test_unranked_search_used_twice_on_one_list(searchable):
    twice = set(Release.objects.search("bank").search("loans").values_list("pk", flat=True))
    assert twice == set(Release.objects.search("bank", ranked=True).filter(
        pk__in=Release.objects.search("loans", ranked=True).values("pk")).values_list(
        "pk", flat=True))


def test_a_month_without_a_year_keeps_the_years_offered(editor, dated):
    """?published__month=3 alone filters March of every year (Django's list); the drill-down
    still offers the years, not the months of the year 3."""
    response = editor.get(RELEASES, {"published__month": "3"})
    assert response.status_code == 200
    assert set(drilldown(response)) == {"2019", "2021"}


def test_the_day_drilldown_ends_at_a_midnight_that_comes_twice(editor, settings):
    """In St John's on 7 November 2010 clocks went back from 00:01 to 23:01 the day before:
    a document imported at 23:30 that evening (the second time) must not loop the days."""
    settings.TIME_ZONE = "America/St_Johns"
    for stamp in [datetime.datetime(2010, 11, 7, 3, 0, tzinfo=datetime.timezone.utc),
                  datetime.datetime(2010, 11, 2, 12, 0, tzinfo=datetime.timezone.utc)]:
        document = make_document()
        Document.objects.filter(pk=document.pk).update(imported_at=stamp)

    def too_long(signum, frame):
        raise TimeoutError("the drill-down did not end")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(10)
    try:
        with timezone.override("America/St_Johns"):
            response = editor.get(DOCUMENTS, {"imported_at__year": "2010",
                                              "imported_at__month": "11"})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert set(drilldown(response)) == {"2010", "November 2", "November 6"}


def test_every_document_is_found_by_each_start_of_its_sha256(editor):
    documents = [make_document(f"bytes {i}".encode(), origin=f"doc-{'x' * (i % 3)}")
                 for i in range(40)]
    for document in documents[:12]:
        for length in (4, 5, 9, 64):
            start = document.sha256[:length]
            found = {d.pk for d in editor.get(
                DOCUMENTS, {"q": start.upper()}).context["cl"].result_list}
            assert found == {d.pk for d in documents if d.sha256.startswith(start)}, start


def test_a_statement_filter_still_holds_when_searching_by_a_speakers_name(editor, statements):
    """?speaker=person with a search naming an institution: the filter still holds."""
    found = editor.get(QUOTES, {"speaker": "person", "q": "Testing"}).context["cl"].result_list
    assert list(found) == []
    found = editor.get(QUOTES, {"speaker": "institution", "q": "bank"}).context["cl"]
    assert {q.pk for q in found.result_list} == {statements["bank"].pk}


def test_deleting_all_of_a_searched_list_deletes_only_its_releases(client, dated):
    client.force_login(User.objects.create_superuser("root", "r@example.org", "pw"))
    response = client.post(RELEASES + "?q=liquidity&published__year=2021&published__month=3",
                           {"action": "delete_selected", "select_across": "1", "index": "0",
                            "_selected_action": [str(dated[1].pk)], "post": "yes"})
    assert response.status_code == 302
    assert set(Release.objects.values_list("pk", flat=True)) == {dated[0].pk, dated[3].pk}


def test_a_title_term_finds_no_statement_since_statements_have_no_title(editor, statements):
    """Statements have no title: title:rates must not find a statement by its text (as it
    would on PostgreSQL, where a statement's text carries the title's weight). Refused, as
    the public list refuses it, and the curator told why."""
    for term in ("title:rates", "-title:rates"):
        response = editor.get(QUOTES, {"q": term})
        assert list(response.context["cl"].result_list) == []
        assert "Statements have no title" in response.text


EXPORT_QUERIES = ["loans", "bank -china", '"central bank"', "speaker:lou", "loans OR bonds",
                  "-bank", "title:technology", "-title:technology loans", "speaker:pan -rate"]


@pytest.mark.parametrize("query", EXPORT_QUERIES)
def test_the_json_exports_list_what_the_ranked_searches_find(client, searchable, query):
    def exported(url, params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {row["id"] for row in json.loads(b"".join(response.streaming_content))}

    visible = Release.objects.visible()
    assert exported("/releases/export.json", {"q": query}) == set(
        visible.search(query, ranked=True).values_list("pk", flat=True))
    if "title:" not in query:
        assert exported("/quotes/export.json", {"q": query}) == set(
            Quote.objects.visible().search(query, ranked=True).values_list("pk", flat=True))


def test_release_list_counts_its_facets_while_searching(editor, dated):
    response = editor.get(RELEASES, {"q": "liquidity", "_facets": "True"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3


@pytest.mark.parametrize("url", [DOCUMENTS, QUOTES, RELEASES])
def test_a_search_holding_a_nul_character_is_no_server_error(editor, statements, url):
    assert editor.get(url, {"q": "bank\x00"}).status_code in (200, 302)


def test_document_search_by_a_quoted_name(editor):
    """Django's search, which this list had, read "…" as one term without its quotes."""
    document = make_document(origin="https://bank.example/2021/notice.html")
    found = editor.get(DOCUMENTS, {"q": '"notice.html"'}).context["cl"].result_list
    assert [d.pk for d in found] == [document.pk]


def test_the_document_filters_offer_values_that_sort_together_each_once(editor):
    values = ["text/html", "TEXT/HTML", "text/html ", "text-html", "texthtml", "ä/x", "a/x",
              "A/x", "text/html;charset=utf-8"]
    for value in values + values[:3]:
        make_document(media_type=value)
    found = distinct_values(Document.objects.all(), "media_type")
    assert sorted(found) == sorted(values)
    response = editor.get(DOCUMENTS)
    spec = next(s for s in response.context["cl"].filter_specs if s.title == "media type")
    assert len(list(spec.choices(response.context["cl"]))) == len(values) + 1


def test_unranked_and_ranked_searches_agree_over_many_queries(db):
    rng = random.Random(7)
    vocabulary = ["bank", "loans", "liquidity", "bonds", "green", "rate", "china", "policy",
                  "credit", "yuan", "reserve", "of", "the"]
    pan = Person.objects.create(name="Pan Gongsheng")
    for i in range(60):
        release = make_release(" ".join(rng.sample(vocabulary, 3)),
                               " ".join(rng.choices(vocabulary, k=12)),
                               published=datetime.date(2020 + i % 5, 1 + i % 12, 1)
                               if i % 7 else None, hidden=i % 11 == 0)
        if i % 4 == 0:
            Quote.objects.create(release=release, person=pan, kind="direct", position=1,
                                 text=" ".join(rng.choices(vocabulary, k=6)))

    def term():
        word = rng.choice(vocabulary)
        return rng.choice([word, f"-{word}", f'"{word} {rng.choice(vocabulary)}"',
                           f"{word} OR {rng.choice(vocabulary)}", f"title:{word}",
                           f"-title:{word}", "speaker:pan", "-speaker:pan"])

    for _ in range(150):
        query = " ".join(term() for _ in range(rng.randint(1, 4)))
        for queryset in (Release.objects.all(), Release.objects.visible()):
            assert set(queryset.search(query).values_list("pk", flat=True)) == set(
                queryset.search(query, ranked=True).values_list("pk", flat=True)), query
        if "title:" not in query:
            assert set(Quote.objects.search(query).values_list("pk", flat=True)) == set(
                Quote.objects.search(query, ranked=True).values_list("pk", flat=True)), query


def test_statements_of_an_institution_searched_and_verified_across(editor, statements):
    bank = statements["bank"].institution
    url = QUOTES + f"?institution={bank.pk}&q=Pan"
    assert list(editor.get(url).context["cl"].result_list) == []
    url = QUOTES + f"?institution={bank.pk}&q=steady"
    assert [q.pk for q in editor.get(url).context["cl"].result_list] == [statements["bank"].pk]
    post_action(editor, url, "verify", [statements["bank"].pk], select_across="1", index="0")
    assert list(Quote.objects.filter(verified=True)) == [statements["bank"]]


def test_hiding_all_of_an_institutions_searched_releases(editor, dated):
    bank = Institution.objects.create(name="Bank of Testing")
    for release in dated[1:3]:
        release.institutions.add(bank)
    url = RELEASES + f"?institution={bank.pk}&q=liquidity"
    assert len(editor.get(url).context["cl"].result_list) == 2
    response = post_action(editor, url, "hide_releases", [dated[1].pk], select_across="1",
                           index="0")
    assert response.status_code == 302
    assert set(Release.objects.filter(hidden=True)) == {dated[1], dated[2]}
