"""One filter, one answer: a list page asks the search index, its feeds and exports ask the
database, and every filter must find the same releases and statements in all of them."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from archive.models import Appearance, Institution, Person, Quote
from tests.conftest import make_release
from tests.test_views import ATOM, titles

pytestmark = pytest.mark.django_db

FIRST, SECOND, THIRD = ("Banks back technology firms", "Green loans rise at state lenders",
                        "Central bank keeps policy rate")


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def _release_lists(client, params) -> dict[str, list[str]]:
    """The titles of one query's page (newest first), Atom and RSS feeds, CSV and JSON."""
    page = titles(client.get("/releases/", {**params, "sort": "newest"}))
    atom = ET.fromstring(client.get("/releases/feed.atom", params).content)
    rss = ET.fromstring(client.get("/releases/feed.rss", params).content)
    rows = list(csv.reader(io.StringIO(_body(client.get("/releases/export.csv", params)))))
    data = json.loads(_body(client.get("/releases/export.json", params)))
    return {"page": page,
            "atom": [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")],
            "rss": [i.findtext("title") for i in rss.iter("item")],
            "csv": [row[1] for row in rows[1:]],
            "json": [d["title"] for d in data]}


@pytest.mark.parametrize("params, expected", [
    ({}, [FIRST, SECOND, THIRD]),
    ({"institution": "bank-of-communications"}, [SECOND]),
    ({"institution": ["bank-of-communications", "peoples-bank-of-china"]}, [SECOND, THIRD]),
    ({"person": "lou-feipeng"}, [FIRST]),
    ({"person": "pan-gongsheng"}, [THIRD]),
    ({"topic": "technology-finance"}, [FIRST, SECOND]),
    ({"topic": ["green-finance", "monetary-policy"]}, [SECOND, THIRD]),
    ({"source": "Xinhua"}, [THIRD]),
    ({"document": "press_release"}, [FIRST, SECOND, THIRD]),
    ({"document": "speech"}, []),
    ({"kind": "commercial_bank"}, [FIRST, SECOND]),
    ({"kind": "central_bank"}, [THIRD]),
    ({"date_from": "2025-06-01"}, [FIRST, SECOND]),
    ({"date_to": "2025-06-01"}, [SECOND, THIRD]),
    ({"date_from": "2025-06-01", "date_to": "2025-06-01"}, [SECOND]),  # a single day
    ({"year": "2025"}, [FIRST, SECOND]),
    ({"year": "2025", "month": "6"}, [SECOND]),
    ({"month": "6"}, [FIRST, SECOND, THIRD]),  # a month without its year is ignored
    ({"q": "technology"}, [FIRST, SECOND]),
    ({"q": "loans -green"}, [FIRST, THIRD]),
    ({"q": "technology", "kind": "commercial_bank", "year": "2025", "month": "12"}, [FIRST]),
    ({"q": "*"}, []),
    ({"institution": "no-such-bank"}, []),
    ({"year": "0"}, []),
])
def test_a_release_filter_finds_the_same_releases_on_its_page_feeds_and_exports(
        client, archive, params, expected):
    found = _release_lists(client, params)
    assert found == dict.fromkeys(found, expected)



def test_a_country_filters_a_list_page_as_it_filters_feeds_and_exports(client, archive):
    Institution.objects.filter(pk=archive["pboc"].pk).update(country="China")
    found = _release_lists(client, {"country": "China"})
    assert found == dict.fromkeys(found, [THIRD])

def _statement_lists(client, params) -> dict[str, list[str]]:
    """The texts of one query's statements on the page, in CSV and in JSON."""
    page = [q.text for q in client.get("/quotes/", params).context["page_obj"]]
    rows = list(csv.reader(io.StringIO(_body(client.get("/quotes/export.csv", params)))))
    data = json.loads(_body(client.get("/quotes/export.json", params)))
    return {"page": page, "csv": [row[5] for row in rows[1:]], "json": [d["text"] for d in data]}


LIQUIDITY = "We will keep liquidity reasonably ample"
EXPAND = "it will expand technology loans"
RELENDING = "re-lending helps <script>alert(1)</script>"


@pytest.mark.parametrize("params, expected", [
    ({}, [EXPAND, RELENDING, LIQUIDITY]),
    ({"speaker": "lou-feipeng"}, [RELENDING]),
    # The bank speaks itself, and the researcher spoke for it.
    ({"institution": "china-construction-bank"}, [EXPAND, RELENDING]),
    ({"institution": "peoples-bank-of-china"}, [LIQUIDITY]),
    ({"kind": "commercial_bank"}, [EXPAND, RELENDING]),
    ({"kind": "central_bank"}, [LIQUIDITY]),
    ({"topic": "monetary-policy"}, [LIQUIDITY]),
    ({"topic": "technology-finance"}, [EXPAND, RELENDING]),
    ({"date_from": "2025-01-01"}, [EXPAND, RELENDING]),
    ({"date_to": "2024-12-31"}, [LIQUIDITY]),
    ({"date_from": "2024-03-05", "date_to": "2024-03-05"}, [LIQUIDITY]),
    ({"q": "liquidity"}, [LIQUIDITY]),
    ({"speaker": "nobody"}, []),
])
def test_a_statement_filter_finds_the_same_statements_on_its_page_and_exports(
        client, archive, params, expected):
    found = _statement_lists(client, params)
    assert found == dict.fromkeys(found, expected)


def test_a_person_speaks_for_the_institution_named_beside_them_in_that_release(client, archive):
    # The researcher stood for the bank in one release; in another, for no one.
    lou, third = archive["lou"], archive["third"]
    Appearance.objects.create(release=third, person=lou, role="economist")
    Quote.objects.create(release=third, person=lou, kind="direct", position=2,
                         text="Rates will stay low")
    for params in ({"institution": "china-construction-bank"}, {"kind": "commercial_bank"}):
        found = _statement_lists(client, params)
        assert found == dict.fromkeys(found, [EXPAND, RELENDING]), params


def test_a_person_beside_one_who_speaks_for_an_institution_speaks_for_no_one(client, archive):
    # In the release where the researcher stood for the bank, an analyst named beside no one.
    analyst = Person.objects.create(name="Qiu Wenhao")
    Appearance.objects.create(release=archive["first"], person=analyst, role="analyst")
    Quote.objects.create(release=archive["first"], person=analyst, kind="direct", position=3,
                         text="Demand for loans is soft")
    for params in ({"institution": "china-construction-bank"}, {"kind": "commercial_bank"}):
        found = _statement_lists(client, params)
        assert found == dict.fromkeys(found, [EXPAND, RELENDING]), params


def _options(response, name) -> list[tuple]:
    return [(o.label, o.count, o.selected, o.href) for o in response.context["facets"][name]]


def test_facet_options_are_counted_ordered_and_link_to_their_choice_on_page_one(client, archive):
    response = client.get("/releases/", {"institution": "bank-of-communications",
                                         "sort": "newest", "page": "1", "after": "3"})
    chosen = "?institution=bank-of-communications"
    assert _options(response, "institution") == [
        ("China Construction Bank", 2, False, f"{chosen}&institution=china-construction-bank"
                                              "&sort=newest"),
        ("Bank of Communications", 1, True, "?sort=newest"),
        ("People's Bank of China", 1, False, f"{chosen}&institution=peoples-bank-of-china"
                                             "&sort=newest")]
    assert _options(response, "topic") == [
        ("Green finance", 1, False, f"{chosen}&sort=newest&topic=green-finance"),
        ("Technology finance", 1, False, f"{chosen}&sort=newest&topic=technology-finance")]
    assert _options(response, "kind") == [
        ("Commercial bank", 1, False, f"{chosen}&kind=commercial_bank&sort=newest")]
    assert _options(response, "source") == [
        ("China Daily", 1, False, f"{chosen}&sort=newest&source=China+Daily")]
    assert _options(response, "year") == [("2025", 1, False, f"{chosen}&sort=newest&year=2025")]
    assert "month" not in response.context["facets"]  # until a year is chosen
    # The sort and the page's position are no filters to remove.
    assert [(c.label, c.href) for c in response.context["chips"]] == [
        ("Institution: Bank of Communications", "?sort=newest")]


def test_facets_list_the_most_found_first_and_offer_more_only_past_twelve(client):
    # Sources written in the reverse of the order shown: the most found first, ties by name.
    sources = [*(f"Source {letter}" for letter in "JIHGFEDCBA"), "Reuters", "Reuters",
               "Caixin", "Caixin", "China Daily", "China Daily", "China Daily"]
    releases = [make_release(f"Notice {n}", "Rates.", source=source)
                for n, source in enumerate(sources)]
    # Twelve banks, the first written last in name order; the last one counted twice.
    banks = [Institution.objects.create(name=f"Bank {letter}") for letter in "LKJIHGFEDCBA"]
    for bank, release in zip(banks, releases):
        release.institutions.add(bank)
    releases[-1].institutions.add(banks[-1])
    response = client.get("/releases/")
    facets = response.context["facets"]
    assert [(o.label, o.count) for o in facets["source"]] == [
        ("China Daily", 3), ("Caixin", 2), ("Reuters", 2),
        *((f"Source {letter}", 1) for letter in "ABCDEFGHI")]  # the thirteenth is cut
    assert [(o.label, o.count) for o in facets["institution"]] == [
        ("Bank A", 2), *((f"Bank {letter}", 1) for letter in "BCDEFGHIJKL")]
    # Twelve banks fit; thirteen sources do not.
    assert list(response.context["more"]) == ["source"]
    assert response.context["more"]["source"] == "?more=source"
    # Asked for, every source is shown, and no link offers more.
    response = client.get("/releases/", {"more": "source"})
    assert [o.label for o in response.context["facets"]["source"]][-2:] == [
        "Source I", "Source J"]
    assert response.context["more"] == {}


def test_a_facet_of_thirteen_shows_its_twelve_largest_and_all_thirteen_when_asked(client):
    # Releases naming eleven, twelve and thirteen banks: eleven banks found three times, the
    # twelfth twice, the thirteenth once.
    banks = [Institution.objects.create(name=f"Bank {letter}") for letter in "ABCDEFGHIJKLM"]
    for n in (11, 12, 13):
        make_release(f"Notice {n}", "Rates.").institutions.set(banks[:n])
    response = client.get("/releases/")
    assert [(o.label, o.count) for o in response.context["facets"]["institution"]] == [
        *((f"Bank {letter}", 3) for letter in "ABCDEFGHIJK"), ("Bank L", 2)]
    assert response.context["more"] == {"institution": "?more=institution"}
    response = client.get("/releases/", {"more": "institution"})
    assert [(o.label, o.count) for o in response.context["facets"]["institution"]] == [
        *((f"Bank {letter}", 3) for letter in "ABCDEFGHIJK"), ("Bank L", 2), ("Bank M", 1)]


def test_a_chosen_person_is_a_chip_by_name(client, archive):
    response = client.get("/releases/", {"person": "lou-feipeng", "source": "China Daily"})
    assert [(c.label, c.href) for c in response.context["chips"]] == [
        ("Person: Lou Feipeng", "?source=China+Daily"),
        ("Source: China Daily", "?person=lou-feipeng")]


def test_a_chosen_year_offers_its_months_in_calendar_order(client, archive):
    response = client.get("/releases/", {"year": "2025", "q": "loans"})
    assert _options(response, "month") == [("June", 1, False, "?month=6&q=loans&year=2025"),
                                           ("December", 1, False, "?month=12&q=loans&year=2025")]
    assert [(o.label, o.count, o.selected) for o in response.context["facets"]["year"]] == [
        ("2025", 2, True), ("2024", 1, False)]
    assert [(o.label, o.count) for o in response.context["facets"]["topic"]] == [
        ("Technology finance", 2), ("Green finance", 1)]
    assert [(c.label, c.href) for c in response.context["chips"]] == [
        ("Search: loans", "?year=2025"), ("Year: 2025", "?q=loans")]


def test_each_statement_filter_is_a_chip_that_removes_it(client, archive):
    params = {"speaker": "lou-feipeng", "institution": "china-construction-bank",
              "kind": "commercial_bank", "topic": "technology-finance", "date_from": "2025-01-01"}
    response = client.get("/quotes/", params)
    assert [q.text for q in response.context["page_obj"]] == [RELENDING]
    chips = {c.label: c.href for c in response.context["chips"]}
    assert chips == {
        "Speaker: Lou Feipeng": "?date_from=2025-01-01&institution=china-construction-bank"
                                "&kind=commercial_bank&topic=technology-finance",
        "Speaker's institution: China Construction Bank":
            "?date_from=2025-01-01&kind=commercial_bank&speaker=lou-feipeng"
            "&topic=technology-finance",
        "Kind of institution: Commercial bank": "?date_from=2025-01-01"
            "&institution=china-construction-bank&speaker=lou-feipeng&topic=technology-finance",
        "Topic: Technology finance": "?date_from=2025-01-01&institution=china-construction-bank"
                                     "&kind=commercial_bank&speaker=lou-feipeng",
        "From: 2025-01-01": "?institution=china-construction-bank&kind=commercial_bank"
                            "&speaker=lou-feipeng&topic=technology-finance"}


def test_a_search_counts_every_word_of_its_phrases_and_exclusions(client, archive):
    fifty = '"technology loans" ' + " ".join(f"word{n}" for n in range(44)) + " -a1 -a2 -a3 -a4"
    response = client.get("/releases/", {"q": fifty})
    assert response.status_code == 200 and "at most 50 words" not in response.text
    response = client.get("/releases/", {"q": fifty + " -a5"})
    assert "Search for at most 50 words (this has 51)." in response.text
    assert titles(response) == []


def test_the_institutions_list_offers_each_country_once_in_name_order(client, archive):
    # The Bank of Communications names no country: no empty choice stands for it.
    Institution.objects.filter(pk__in=[archive["pboc"].pk, archive["ccb"].pk]).update(
        country="China")
    Institution.objects.create(name="Bank of Korea", country="South Korea")
    Institution.objects.create(name="Bank of Japan", country="Japan")
    form = client.get("/institutions/").context["filter"].form
    assert list(form.fields["country"].choices) == [
        ("", "Any country"), ("China", "China"), ("Japan", "Japan"),
        ("South Korea", "South Korea")]


@pytest.mark.parametrize("params, expected", [
    ({}, [FIRST, SECOND, THIRD]),
    ({"institution": "china-construction-bank"}, [FIRST, SECOND]),
    ({"q": "speaker:feipeng"}, [FIRST]),  # a speaker narrows, with no words to rank by
    ({"sort": "no-such-order"}, [FIRST, SECOND, THIRD]),
])
def test_a_list_without_search_words_is_newest_first_and_paged_by_date(
        client, archive, params, expected):
    response = client.get("/releases/", params)
    assert response.context["ranked"] is False
    assert titles(response) == expected


@pytest.mark.parametrize("url", ["/releases/", "/quotes/"])
def test_a_search_with_an_invalid_filter_is_explained_not_reported_as_finding_nothing(
        client, archive, url):
    response = client.get(url, {"q": "technology", "date_from": "2025-06-02",
                                "date_to": "2025-06-01"})
    assert ("“From” (2 June 2025) is after “To” (1 June 2025): no date lies between them. "
            "Swap the two dates.</") in response.text
    assert "for “technology”" not in response.text
    assert "No release matches" not in response.text
    assert response.context["query"] == ""
