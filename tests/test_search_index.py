"""The search index: right over every match at any size, and current as soon as a write
commits, whoever writes. Each test builds its own index from its own records."""

import datetime
import json
import os
import re
import time
from collections import Counter
from io import StringIO

import pytest
import tantivy
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from archive import filters, merge, search_index, views
from archive.filters import QuoteFilter, ReleaseInstitution, ReleaseTopic, Year
from archive.models import (Appearance, Institution, Person, PersonAlias, Quote, Release,
                            Topic)
from tests.conftest import make_release
from tests.test_search_parity import DOCUMENTS, QUERIES

pytestmark = pytest.mark.django_db


def titles(response):
    return [r.title for r in response.context["page_obj"]]


def facet(response, name):
    return {o.label: o.count for o in response.context["facets"][name]}


@pytest.fixture
def generated():
    """Three old releases that are the most relevant for "pension", imported first, then
    2,500 generated releases that mostly mention pension funds in passing: more matches than
    the old window of the 2,000 latest imported ever looked at."""
    bank = Institution.objects.create(name="Old Pension Bank", kind="policy_bank")
    old = []
    for year in (2006, 2007, 2008):
        release = make_release(f"Pension reform: pension funds and pension savings {year}",
                               "Pension funds, pension savings and pension reform. " * 20,
                               published=datetime.date(year, 3, 1))
        release.institutions.add(bank)
        old.append(release)
    call_command("generate_archive", releases=2500, stdout=StringIO())
    return old


def test_the_most_relevant_old_releases_are_on_page_one(client, generated):
    response = client.get("/releases/", {"q": "pension"})
    matches = Release.objects.visible().search("pension").count()
    assert matches > 2000
    assert f"<strong>{matches:,}</strong> results" in response.text
    assert set(titles(response)[:3]) == {r.title for r in generated}  # equal scores
    # and with a year, among that year's matches
    response = client.get("/releases/", {"q": "pension", "year": "2007"})
    assert titles(response)[0] == generated[1].title


def test_facet_counts_equal_direct_sql(client, generated):
    response = client.get("/releases/", {"q": "pension"})
    matches = Release.objects.visible().search("pension").values("pk")
    links = ReleaseInstitution.objects.filter(release_id__in=matches)
    by_institution = Counter(dict(links.values_list("institution__name").annotate(n=Count("*"))))
    shown = facet(response, "institution")
    assert len(shown) == 12
    assert shown == {name: by_institution[name] for name in shown}
    assert sorted(shown.values(), reverse=True) == list(shown.values())
    assert min(shown.values()) >= sorted(by_institution.values(), reverse=True)[11]
    years = Counter(dict(Release.objects.filter(pk__in=matches).annotate(y=Year("published"))
                         .values_list("y").annotate(n=Count("*"))))
    assert {int(k): v for k, v in facet(response, "year").items()} == years
    # A chosen institution narrows the list; its own facet still counts the others.
    slug = Institution.objects.get(name=next(iter(shown))).slug
    response = client.get("/releases/", {"q": "pension", "institution": slug})
    assert facet(response, "institution") == shown
    narrowed = links.filter(institution__slug=slug).count()
    assert f"<strong>{narrowed:,}</strong> results" in response.text


@pytest.mark.parametrize("all_terms", [search_index.ALL_TERMS, None])
def test_facets_counted_from_sets_of_values_equal_direct_sql(generated, monkeypatch, all_terms):
    # Topics and kinds of institution are counted from each release's set of
    # them; past ALL_TERMS distinct sets (None: as many as the distinct values, fewer than
    # the sets), one by one. Either way, what direct SQL counts.
    matches = Release.objects.visible().search("pension").values("pk")
    links = ReleaseInstitution.objects.filter(release_id__in=matches)
    by_release = Count("release_id", distinct=True)
    expected = {
        "topic": dict(ReleaseTopic.objects.filter(release_id__in=matches)
                      .values_list("topic_id").annotate(n=Count("*"))),
        "kind": dict(links.values_list("institution__kind").annotate(n=by_release)),
        "country": dict(links.exclude(institution__country="")
                        .values_list("institution__country").annotate(n=by_release)),
    }
    if all_terms is None:
        all_terms = max(map(len, expected.values()))
        topic_sets = {tuple(sorted(ReleaseTopic.objects.filter(release_id=pk)
                                   .values_list("topic_id", flat=True))) for pk in
                      matches.values_list("pk", flat=True)[:all_terms * 4]}
        assert len(topic_sets) > all_terms + 1
    monkeypatch.setattr(search_index, "ALL_TERMS", all_terms)
    found = search_index.get_index().facets(search_index.Criteria(text="pension"),
                                            list(expected))
    assert not found.estimated
    for name, counts in expected.items():
        assert dict(found.counts[name]) == counts, name
        assert [n for _, n in found.counts[name]] == sorted(counts.values(), reverse=True)


def test_past_the_exact_limit_counts_come_from_a_sample_and_say_so(client, generated,
                                                                   monkeypatch):
    matches = Release.objects.visible().search("pension").values("pk")
    true_total = matches.count()
    # Limits scaled down to this archive: past 300 expected matches, a sample of half of
    # them (f = SAMPLED_MATCHES / (SAMPLED_MATCHES + matches)).
    monkeypatch.setattr(search_index, "EXACT_UP_TO", 200)
    monkeypatch.setattr(search_index, "SAMPLED_MATCHES", true_total)
    response = client.get("/releases/", {"q": "pension"})
    estimated = response.context["total"]
    assert response.context["estimated"] and f"<strong>about {estimated:,}</strong>" in response.text
    # A sample of half the matches: its standard error is about 2 %, so 3 standard errors.
    assert abs(estimated - true_total) <= 0.06 * true_total
    links = ReleaseInstitution.objects.filter(release_id__in=matches)
    by_institution = Counter(dict(links.values_list("institution__name").annotate(n=Count("*"))))
    for name, count in facet(response, "institution").items():
        truth = by_institution[name]
        assert abs(count - truth) <= 3 * (truth ** 0.5) + 1, name
    # The order is still by relevance over every match: the best old releases lead.
    assert set(titles(response)[:3]) == {r.title for r in generated}
    # A question with fewer matches than the limit is counted exactly, and not labelled.
    rare = client.get("/releases/", {"q": '"pension savings"'})
    assert not rare.context["estimated"] and "<strong>3</strong> results" in rare.text
    # Nor is one with as many matches as the limit, which a pilot foretells within half again
    # the limit (the sample, sized as in production, half again the limit too).
    with monkeypatch.context() as limits:
        limits.setattr(search_index, "EXACT_UP_TO", true_total)
        limits.setattr(search_index, "SAMPLED_MATCHES", true_total * 3 // 2)
        near = client.get("/releases/", {"q": "pension"})
    assert not near.context["estimated"]
    assert f"<strong>{true_total:,}</strong> results" in near.text
    # One bank's matches are few, and counted exactly; the institution facet, which counts
    # every bank's as if none were chosen, is sampled by its own matches and marked alone.
    bank = Institution.objects.get(name="Old Pension Bank")
    response = client.get("/releases/", {"q": "pension", "institution": bank.slug})
    in_bank = links.filter(institution=bank).count()
    assert not response.context["estimated"] and f"<strong>{in_bank}</strong> results" in response.text
    facets = response.context["facets"]
    assert all(option.about for option in facets["institution"])
    assert not any(option.about for option in facets["topic"] + facets["year"])
    assert response.text.count("<abbr title=\"about") == len(facets["institution"])
    for option in facets["institution"]:
        truth = by_institution[option.label]
        assert abs(option.count - truth) <= 3 * (truth ** 0.5) + 1, option.label
    # A chosen kind of document that most matches have: the list and the facets counted with
    # it are sampled, and so is its own facet, each marked.
    response = client.get("/releases/", {"q": "pension", "document": "press_release"})
    facets = response.context["facets"]
    assert response.context["estimated"]
    assert all(option.about for option in facets["institution"] + facets["document"])
    # A list without search words is counted exactly, whatever its size.
    response = client.get("/releases/")
    everything = Release.objects.visible().count()
    assert not response.context["estimated"]
    assert f"<strong>{everything:,}</strong> results" in response.text
    assert not any(option.about for option in response.context["facets"]["institution"])


@pytest.mark.parametrize("text", ["pension", '"pension savings"', "savings OR reform",
                                  "pension -savings", "title:reform pension"])
def test_a_samples_parts_hold_exactly_the_matches_in_their_buckets(generated, text):
    # The sample's buckets, and a filter holding few releases (this bank's three), are put
    # inside each alternative of the words, where a union can be skipped through: whatever
    # the question's shape, the matches are the same, and the parts hold every match of the
    # buckets sampled and nothing else, each match in one part.
    index = search_index.get_index()
    searcher = index.searcher()
    bank = Institution.objects.get(name="Old Pension Bank")

    def ids(query):
        return {searcher.doc(address)["id"][0]
                for _, address in searcher.search(query, limit=10_000).hits}

    in_bank = set(bank.releases.values_list("pk", flat=True))
    after_2007 = set(Release.objects.filter(published__gte=datetime.date(2007, 1, 1))
                     .values_list("pk", flat=True))
    everywhere = ids(index.query(search_index.Criteria(text=text)))
    for criteria in (search_index.Criteria(text=text),
                     search_index.Criteria(text=text, institutions=(bank.pk,),
                                           date_from=datetime.date(2007, 1, 1))):
        matches = ids(index.query(criteria))
        assert matches
        if criteria.institutions:
            assert matches == everywhere & in_bank & after_2007
        buckets = 300  # of 1,024
        parts = [ids(part) for part in index._parts(criteria, buckets)]
        assert sum(len(part) for part in parts) == len(set().union(*parts))
        assert set().union(*parts) == {
            pk for pk in matches if search_index.sample_bucket(pk) < buckets}


@pytest.mark.parametrize("cores", [1, 3])
def test_counts_are_the_same_however_many_cores_share_them(generated, monkeypatch, cores):
    # Each pass is split between the cores (a sample by its buckets, every match by its
    # facets) and the parts summed: as many cores or one, the same numbers.
    monkeypatch.setattr(search_index, "EXACT_UP_TO", 200)
    monkeypatch.setattr(search_index, "SAMPLED_MATCHES", 1250)
    index = search_index.get_index()
    bank = Institution.objects.get(name="Old Pension Bank")
    names = ["institution", "topic", "document", "country", "kind", "source", "year"]
    questions = [search_index.Criteria(text="pension"),  # sampled
                 search_index.Criteria(text='"pension savings"'),  # exact
                 search_index.Criteria(text="pension", institutions=(bank.pk,)),  # both
                 search_index.Criteria(year=2007)]  # no words: every match
    counted = [index.facets(question, names) for question in questions]
    monkeypatch.setattr(search_index, "CORES", cores)
    for question, before in zip(questions, counted):
        index.counted.clear()
        found = index.facets(question, names)
        assert (found.total, found.estimated, found.sampled) == (
            before.total, before.estimated, before.sampled), question
        assert {n: sorted(found.counts[n]) for n in names} == {
            n: sorted(before.counts[n]) for n in names}, question
        assert all(found.counts[n] == sorted(found.counts[n], key=lambda row: -row[1])
                   for n in names)
    assert counted[0].estimated and not counted[1].estimated
    assert counted[0].total > 1000 and sum(n for _, n in counted[0].counts["document"]) > 1000


def test_the_sample_buckets_spread_consecutive_ids_evenly():
    buckets = Counter(search_index.sample_bucket(pk) for pk in range(1, 102_401))
    assert set(buckets) == set(range(search_index.SAMPLE_BUCKETS))
    assert max(buckets.values()) <= 130 and min(buckets.values()) >= 70  # 100 each on average
    # Any run of ids, such as one import's, falls into the sample in its share.
    first_64 = sum(1 for pk in range(500_000, 510_240) if search_index.sample_bucket(pk) < 64)
    assert abs(first_64 - 640) <= 80


def test_a_rebuilt_index_holds_its_releases_in_the_order_of_their_sample_buckets():
    # A sample's part, a range of buckets, is then a run of neighbouring documents; ids in
    # their own order would put each bucket's releases all over the index.
    for n in range(300):
        make_release(f"Rates {n}", "Rates were held.")
    index = search_index.get_index()
    search_index.rebuild(index, batch=64)
    searcher = index.searcher()
    hits = searcher.search(index.query(search_index.Criteria()), limit=1000).hits
    assert len(hits) == 300
    order = sorted((address.segment_ord, address.doc,
                    search_index.sample_bucket(searcher.doc(address)["id"][0]))
                   for _, address in hits)
    buckets = [bucket for _, _, bucket in order]
    assert buckets == sorted(buckets)
    assert len(set(buckets)) > 100


def test_hidden_releases_are_never_found_counted_or_faceted(client, generated):
    before = client.get("/releases/", {"q": "pension"})
    count = int(re.search(r"<strong>([\d,]+)</strong> results", before.text)[1].replace(",", ""))
    Release.objects.filter(pk=generated[0].pk).update(hidden=True)  # a bulk update, no save()
    after = client.get("/releases/", {"q": "pension"})
    assert generated[0].title not in titles(after)
    assert f"<strong>{count - 1:,}</strong> results" in after.text
    only_old = client.get("/releases/", {"q": '"pension savings"'})
    assert facet(only_old, "institution") == {"Old Pension Bank": 2}
    assert facet(only_old, "year") == {"2008": 1, "2007": 1}
    assert generated[0].title not in client.get("/releases/", {"sort": "oldest"}).text


def test_a_write_is_found_by_the_next_search(client):
    bank = Institution.objects.create(name="Harbin Bank", kind="commercial_bank")
    other = Institution.objects.create(name="Bank of Harbin", kind="other")
    assert titles(client.get("/releases/", {"q": "sorghum"})) == []
    assert "<strong>0</strong> results" in client.get("/releases/").text
    release = make_release("Sorghum loans", "Loans for sorghum farmers.",
                           published=datetime.date(2020, 5, 1))
    release.institutions.add(other)
    response = client.get("/releases/", {"q": "sorghum"})
    assert titles(response) == ["Sorghum loans"]
    # Counts kept for a list without words are counted again once the index changes.
    assert "<strong>1</strong> result" in client.get("/releases/").text
    assert facet(response, "kind") == {"Other": 1}
    # A curator edits the title; an institution changes kind; a merge moves the link.
    Release.objects.filter(pk=release.pk).update(title="Millet loans")
    assert titles(client.get("/releases/", {"q": "millet"})) == ["Millet loans"]
    Institution.objects.filter(pk=other.pk).update(kind="regulator")
    assert facet(client.get("/releases/", {"q": "millet"}), "kind") == {"Regulator": 1}
    merge.merge_institutions(bank, [other])
    response = client.get("/releases/", {"q": "millet"})
    assert facet(response, "institution") == {"Harbin Bank": 1}
    Quote.objects.create(release=release, institution=bank, kind="indirect", position=1,
                         text="it will lend more")
    assert [i.name for i in client.get("/").context["institutions"]] == ["Harbin Bank"]
    # A person named in it, a topic given to it: each link table is followed.
    person = Person.objects.create(name="Zhou Liang")
    Appearance.objects.create(release=release, person=person, role="Governor")
    assert titles(client.get("/releases/", {"person": person.slug})) == ["Millet loans"]
    topic = Topic.objects.create(name="Rural credit", slug="rural-credit")
    release.topics.add(topic)
    assert titles(client.get("/releases/", {"topic": topic.slug})) == ["Millet loans"]
    release.delete()
    assert titles(client.get("/releases/", {"q": "millet"})) == []


def test_date_ordered_lists_reach_their_end(client, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    topic = Topic.objects.get(slug="green-finance")
    made = []
    for day in range(1, 9):
        release = make_release(f"Green day {day}", "Green loans.",
                               published=datetime.date(2021, 1, day % 4 + 1))
        release.topics.add(topic)
        made.append(release)
    make_release("Undated green note", "Green.").topics.add(topic)
    expected = [r.title for r in sorted(made, key=lambda r: (r.published, r.pk), reverse=True)]
    for url, params in [("/releases/", {"q": "green", "sort": "newest"}),
                        (topic.get_absolute_url(), {})]:
        seen = []
        while True:
            response = client.get(url, params)
            seen.extend(titles(response))
            older = re.search(r'href="\?([^"]*)">Older →', response.text)
            if not older:
                break
            params = dict(p.split("=") for p in older[1].replace("&amp;", "&").split("&"))
        assert seen == [*expected, "Undated green note"]
    # Oldest first, the undated come last too.
    response = client.get("/releases/", {"q": "green", "sort": "oldest"})
    assert titles(response) == expected[::-1][:3]


def test_a_facet_shows_its_largest_options_ties_in_name_order(client):
    # Fifteen banks, made in the reverse of their names' order: three in two releases, the
    # others in one. Twelve are shown: the three, then nine of the twelve tied, by name.
    names = [f"Bank {letter}" for letter in "ONMLKJIHGFEDCBA"]
    banks = [Institution.objects.create(name=name, kind="commercial_bank") for name in names]
    for n, bank in enumerate(banks):
        for copy in range(2 if bank.name in ("Bank N", "Bank H", "Bank B") else 1):
            make_release(f"Rates {n}.{copy}", "Rates.").institutions.add(bank)
    response = client.get("/releases/", {"q": "rates"})
    shown = [(o.label, o.count) for o in response.context["facets"]["institution"]]
    assert shown == [("Bank B", 2), ("Bank H", 2), ("Bank N", 2)] + [
        (f"Bank {letter}", 1) for letter in "ACDEFGIJK"]
    assert "more=institution" in response.context["more"]["institution"]
    response = client.get("/releases/", {"q": "rates", "more": "institution"})
    assert len(response.context["facets"]["institution"]) == 15
    # Twelve banks in two releases, three in one: the twelve, and still the link to all.
    for bank in banks:
        if bank.name[-1] in "ACDEFGIJK":
            make_release(f"Rates again {bank.name}", "Rates.").institutions.add(bank)
    response = client.get("/releases/", {"q": "rates"})
    shown = [(o.label, o.count) for o in response.context["facets"]["institution"]]
    assert shown == [(f"Bank {letter}", 2) for letter in "ABCDEFGHIJKN"]
    assert "more=institution" in response.context["more"]["institution"]


def test_a_sampled_facet_lists_ties_in_name_order_whichever_part_counted_them(client,
                                                                             monkeypatch):
    # A sample is counted in parts, a core each, and the parts summed. Two matches, both in
    # the pilot's buckets, foretell 32, past a limit of 1: the sample is the pilot's 64
    # buckets, half of them a part, and each match counts for 16.
    monkeypatch.setattr(search_index, "CORES", 2)
    monkeypatch.setattr(search_index, "EXACT_UP_TO", 1)
    monkeypatch.setattr(search_index, "SAMPLED_MATCHES", 1)
    half = search_index.PILOT_BUCKETS // 2

    def in_part(part):
        return next(pk for pk in range(1, 10_000)
                    if search_index.sample_bucket(pk) // half == part)

    # The later name counted in the first part, the earlier in the second: tied, by name.
    make_release("Rates held", "Rates.", source="Xinhua", id=in_part(0))
    make_release("Rates cut", "Rates.", source="Caixin", id=in_part(1))
    response = client.get("/releases/", {"q": "rates"})
    assert [(o.label, o.count, o.about) for o in response.context["facets"]["source"]] == [
        ("Caixin", 16, True), ("Xinhua", 16, True)]


def test_what_the_words_postings_keep_under_the_limit_is_counted_without_a_pilot(
        client, monkeypatch):
    # Three releases hold "rates", all in the pilot's buckets: a pilot would foretell 48, past
    # a limit of 2 by half again. The word's postings alone say there are at most 3, within
    # half again the limit: every match is counted, and the count is exact.
    monkeypatch.setattr(search_index, "EXACT_UP_TO", 2)
    monkeypatch.setattr(search_index, "SAMPLED_MATCHES", 1)
    in_pilot = [pk for pk in range(1, 10_000)
                if search_index.sample_bucket(pk) < search_index.PILOT_BUCKETS]
    for pk in in_pilot[:3]:
        make_release(f"Release {pk}", "Rates.", id=pk)
    response = client.get("/releases/", {"q": "rates"})
    assert not response.context["estimated"] and "<strong>3</strong> results" in response.text
    # A fourth is one more than the postings allow: the pilot foretells 64, and the count is
    # of its buckets, 16 times over.
    make_release(f"Release {in_pilot[3]}", "Rates.", id=in_pilot[3])
    response = client.get("/releases/", {"q": "rates"})
    assert response.context["estimated"] and "<strong>about 64</strong>" in response.text


def test_a_pilot_whose_first_buckets_hold_enough_matches_reads_no_further(client,
                                                                           monkeypatch):
    # Two matches in the pilot's first buckets are enough here: they foretell 256 matches,
    # and a sample of 64 / (64 + 256) of the buckets, 205, where each match counts for 5.
    # Read whole, the pilot would foretell 32 (the third match is past its 64 buckets), and
    # the sample of 683 buckets would count all three, each for 1.5: about 4.
    monkeypatch.setattr(search_index, "EXACT_UP_TO", 1)
    monkeypatch.setattr(search_index, "SAMPLED_MATCHES", 64)
    monkeypatch.setattr(search_index, "PILOT_ENOUGH", 2)

    def in_bucket(low, high):
        return [pk for pk in range(1, 20_000) if low <= search_index.sample_bucket(pk) < high]

    for pk in in_bucket(0, search_index.FIRST_PILOT_BUCKETS)[:2] + in_bucket(300, 400)[:1]:
        make_release(f"Release {pk}", "Rates.", id=pk)
    response = client.get("/releases/", {"q": "rates"})
    assert response.context["estimated"] and response.context["total"] == 10
    # Were two not enough, the whole pilot is read.
    monkeypatch.setattr(search_index, "PILOT_ENOUGH", 3)
    response = client.get("/releases/", {"q": "rates"})
    assert response.context["estimated"] and response.context["total"] == 4


def test_kind_of_document_and_country_are_facets_with_all_their_options(client):
    countries = ["Chile", "Peru", "Japan"]
    banks = [Institution.objects.create(name=f"Bank of {c}", kind="central_bank", country=c)
             for c in countries]
    for n in range(6):
        release = make_release(f"Rates {n}", "Rates.", kind="speech" if n % 3 == 0 else
                               "news_report", published=datetime.date(2020, 1, n + 1))
        release.institutions.add(banks[n % 3])
    response = client.get("/releases/", {"q": "rates"})
    assert facet(response, "document") == {"News report": 4, "Speech": 2}
    assert facet(response, "country") == {"Chile": 2, "Japan": 2, "Peru": 2}
    assert 'class="kind">Speech</span>' in response.text
    # A choice narrows the list; the database (feeds, exports) narrows the same way.
    response = client.get("/releases/", {"q": "rates", "country": "Peru", "document": "speech"})
    assert titles(response) == []
    response = client.get("/releases/", {"country": "Japan"})
    assert sorted(titles(response)) == ["Rates 2", "Rates 5"]
    assert facet(response, "country") == {"Chile": 2, "Japan": 2, "Peru": 2}  # its own ignored
    export = client.get("/releases/export.csv", {"country": "Japan"})
    assert b"Rates 2" in b"".join(export.streaming_content)
    # A country changed by a curator moves its releases in the facet.
    Institution.objects.filter(pk=banks[2].pk).update(country="Nippon")
    assert facet(client.get("/releases/"), "country") == {"Chile": 2, "Nippon": 2, "Peru": 2}
    # A bank whose country is not stated adds no country.
    make_release("Rates 6", "Rates.").institutions.add(
        Institution.objects.create(name="Bank of Nowhere", kind="central_bank"))
    assert facet(client.get("/releases/"), "country") == {"Chile": 2, "Nippon": 2, "Peru": 2}
    # Cut to the largest options, with a link to all of them.
    response = client.get("/releases/", {"q": "rates"})
    assert response.context["more"] == {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(views, "release_facets",
                      lambda filterset: filters.release_facets(filterset, size=2))
        response = client.get("/releases/", {"q": "rates"})
        assert len(facet(response, "country")) == 2
        link = response.context["more"]["country"]
        assert "more=country" in link and "All country options" in response.text
        response = client.get("/releases/" + link)
        assert len(facet(response, "country")) == 3 and "country" not in response.context["more"]


def test_every_page_says_which_results_it_shows(client, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 5)
    for n in range(14):
        make_release(f"Millet {n}", "Millet.", published=datetime.date(2020, 1, n + 1))
    first = client.get("/releases/")
    assert "1–5 of 14" in first.text
    second = client.get("/releases/" + re.search(r'href="(\?after=\d+)"', first.text)[1])
    assert "6–10 of 14" in second.text
    assert titles(second)[0] == "Millet 8"
    oldest = client.get("/releases/", {"sort": "oldest"})
    link = re.search(r'href="(\?[^"]*after=\d+[^"]*)"', oldest.text)[1].replace("&amp;", "&")
    assert "6–10 of 14" in client.get("/releases/" + link).text
    ranked = client.get("/releases/", {"q": "millet", "page": "2"})
    assert "6–10 of 14" in ranked.text
    # A narrower list counts only its own matches before its page.
    earlier = client.get("/releases/", {"date_to": "2020-01-12"})
    link = re.search(r'href="(\?[^"]*after=\d+[^"]*)"', earlier.text)[1].replace("&amp;", "&")
    assert "6–10 of 12" in client.get("/releases/" + link).text


def test_oldest_first_a_page_says_where_it_stands_from_1970_to_the_undated(client,
                                                                          monkeypatch):
    # Oldest first, the undated come after every dated release: a page among them counts
    # the dated ones before it, and a page after one dated 1 January 1970 is a dated page.
    monkeypatch.setattr(views, "PER_PAGE", 2)
    for day in (datetime.date(1970, 1, 1), datetime.date(1970, 1, 1),
                datetime.date(2000, 1, 1), datetime.date(2001, 1, 1), None, None, None):
        make_release("Millet note", "Millet.", published=day)

    def labels(params):
        seen, params = [], {"sort": "oldest", **params}
        while True:
            response = client.get("/releases/", params)
            page = response.context["page_obj"]
            seen.append(f"{page.start_index()}–{page.end_index()} of {page.total}")
            if page.next_key is None:
                return seen
            params["after"] = page.next_key

    expected = ["1–2 of 7", "3–4 of 7", "5–6 of 7", "7–7 of 7"]
    assert labels({}) == expected
    assert labels({"q": "millet"}) == expected


def test_results_by_relevance_page_through_every_match_once(client, monkeypatch):
    # Each page is looked for while the matches are counted: page after page, the last one
    # holding the few left over, every match comes once in the index's order of relevance.
    monkeypatch.setattr(views, "PER_PAGE", 4)
    for n in range(1, 19):  # relevance falls as the body grows
        make_release(f"Note {n}", "Sorghum. " + "Grain prices held. " * n)
    ranked = [r.title for r in Release.objects.order_by("pk")]
    seen, number = [], 1
    while True:
        response = client.get("/releases/", {"q": "sorghum", "page": number})
        seen += titles(response)
        if not response.context["page_obj"].has_next():
            break
        number += 1
    assert seen == ranked and number == 4  # 4, 4, 4 and the last 6
    for number in ("5", "0", "-1", "x"):
        assert client.get("/releases/", {"q": "sorghum", "page": number}).status_code == 404


def test_date_ordered_pages_hold_every_release_in_order_across_the_years(client, monkeypatch):
    # A page is looked for in windows of days growing from where it starts: releases on the
    # windows' edges, decades apart, on one day, in the future and undated all come once,
    # in order, page after page, in both orders, with and without search words.
    monkeypatch.setattr(views, "PER_PAGE", 3)
    today = datetime.date.today()
    days = [0, 1, -1, 2, 400, -31, -32, -33, -287, -288, -289, -2335, -2336, -2337, -20000]
    dates = [today + datetime.timedelta(days=d) for d in days]
    dates += [datetime.date(1970, 1, 1), datetime.date(1970, 2, 2), datetime.date(1999, 12, 31),
              datetime.date(2000, 1, 1), dates[0], dates[0], None, None]
    releases = [make_release(f"Release {n}", "Millet." if n % 3 else "Millet and rice.",
                             published=date) for n, date in enumerate(dates)]

    def listed(params):
        seen, params = [], dict(params)
        while True:
            page = client.get("/releases/", params).context["page_obj"]
            assert page.start_index() == len(seen) + 1  # where it stands
            seen += [r.pk for r in page]
            if page.next_key is None:
                return seen
            params["after"] = page.next_key

    def expected(chosen, oldest):
        dated = sorted((r for r in chosen if r.published), reverse=not oldest,
                       key=lambda r: (r.published, r.pk))
        undated = sorted((r for r in chosen if not r.published), reverse=not oldest,
                         key=lambda r: r.pk)
        return [r.pk for r in dated + undated]

    with_rice = [r for r in releases if "rice" in r.body]
    assert listed({}) == expected(releases, oldest=False)
    assert listed({"sort": "oldest"}) == expected(releases, oldest=True)
    assert listed({"q": "rice", "sort": "newest"}) == expected(with_rice, oldest=False)
    assert listed({"q": "rice", "sort": "oldest"}) == expected(with_rice, oldest=True)


def test_a_release_on_a_windows_first_day_is_listed_whatever_its_id(client):
    # Newest first, the first window ends on the day 31 days before the newest release's:
    # release 1 has the smallest key of that day, one past the window's edge.
    newest = datetime.date(2024, 3, 1)
    for pk, days_before in ((1, 31), (2, 0), (3, 100)):
        make_release(f"Millet {days_before} days before", "Millet.", pk=pk,
                     published=newest - datetime.timedelta(days=days_before))
    expected = ["Millet 0 days before", "Millet 31 days before", "Millet 100 days before"]
    for params in ({}, {"q": "millet", "sort": "newest"}):
        assert titles(client.get("/releases/", params)) == expected


def test_a_page_after_a_key_lists_the_ids_next_to_it_a_window_away_once(client):
    # After a release's key, the windows of days start from it: the releases whose ids are
    # one less or one more, dated the first window's length (32 days) away, sit by its edge.
    day = datetime.date(2024, 3, 1)
    for pk, days_after in ((10, 0), (11, -32), (9, -32), (12, -100),
                           (20, 0), (19, 32), (21, 32), (22, 100)):
        make_release(f"Millet {pk}", "Millet.", pk=pk,
                     published=day + datetime.timedelta(days=days_after))

    def listed(params, pk):
        params["after"] = search_index.sort_key(day, pk)
        return [r.pk for r in client.get("/releases/", params).context["page_obj"]]

    for params in ({}, {"q": "millet", "sort": "newest"}):
        assert listed(params, 10) == [11, 9, 12]
    for params in ({"sort": "oldest"}, {"q": "millet", "sort": "oldest"}):
        assert listed(params, 20) == [19, 21, 22]


def test_the_statements_list_pages_by_key_to_its_last_statement(client, monkeypatch):
    # Newest release first, each release's statements in their order, undated releases last:
    # every statement once, page after page by "Older →", each page saying where it stands,
    # with and without a speaker's institution; a search is still paged by number.
    monkeypatch.setattr(views, "PER_PAGE", 3)
    bank = Institution.objects.create(name="Keyed Bank", kind="commercial_bank")
    today = datetime.date.today()
    dates = [today, datetime.date(1990, 1, 2), None, today, datetime.date(2010, 7, 7), None,
             today + datetime.timedelta(days=400), today - datetime.timedelta(days=40)]
    quotes = []
    for n, date in enumerate(dates):
        release = make_release(f"Release {n}", "Rates.", published=date)
        for position in (3, 1, 2)[: n % 3 + 1]:  # not made in their order
            quotes.append(Quote.objects.create(
                release=release, institution=bank if position != 2 else None,
                person=None if position != 2 else Person.objects.get_or_create(name="Li")[0],
                kind="direct", text=f"Liquidity {n}.{position}", position=position))
    # Li speaks for the bank in one release (as its affiliation there), not in the others.
    Appearance.objects.create(release=quotes[5].release, person=quotes[5].person,
                              affiliation=bank)
    expected = sorted(quotes, key=lambda q: (q.release.published is not None,
                                             q.release.published or datetime.date.min,
                                             q.release_id, -q.position), reverse=True)

    def listed(params):
        seen, params = [], dict(params)
        while True:
            response = client.get("/quotes/", params)
            page = response.context["page_obj"]
            assert f"{len(seen) + 1}–{len(seen) + len(page)} of" in response.text
            seen += [q.pk for q in page]
            if page.next_key is None:
                return seen
            assert "page=" not in response.text and "Older →" in response.text
            params["after"] = page.next_key

    assert listed({}) == [q.pk for q in expected]
    by_bank = [q.pk for q in expected if q.institution == bank or q == quotes[5]]
    assert len(by_bank) == len(quotes) - 1  # Li's other statement is not the bank's
    assert listed({"institution": bank.slug}) == by_bank
    response = client.get("/quotes/", {"q": "liquidity"})
    assert response.context["page_obj"].paginator.count == len(quotes)
    assert "page=2" in response.text
    searched = [q.pk for number in range(1, 5)  # 3, 3, 3 and the last 6
                for q in client.get("/quotes/", {"q": "liquidity", "page": number})
                .context["page_obj"]]
    assert sorted(searched) == sorted(q.pk for q in quotes)


def test_statements_are_filtered_by_the_kind_of_institution_spoken_for(client):
    # Its own institution's kind, or that of its speaker's affiliation in that release.
    central = Institution.objects.create(name="Central Bank of Chile", kind="central_bank")
    lender = Institution.objects.create(name="Harbin Bank", kind="commercial_bank")
    release = make_release("Rates", "Rates.")
    li = Person.objects.create(name="Li")
    Appearance.objects.create(release=release, person=li, affiliation=central)
    Quote.objects.create(release=release, institution=lender, kind="direct", position=1,
                         text="We lend more.")
    Quote.objects.create(release=release, person=li, kind="direct", position=2,
                         text="Rates hold.")

    def statements(kind):
        return [q.text for q in client.get("/quotes/", {"kind": kind}).context["page_obj"]]

    assert statements("central_bank") == ["Rates hold."]
    assert statements("commercial_bank") == ["We lend more."]
    assert statements("regulator") == []
    # A kind edited moves them at once, though the release lists neither institution.
    central.kind = lender.kind = "regulator"
    central.save()
    lender.save()
    assert sorted(statements("regulator")) == ["Rates hold.", "We lend more."]
    assert statements("central_bank") == statements("commercial_bank") == []


def test_a_persons_page_holds_every_statement_and_counts_them_by_month(client, monkeypatch):
    # From the statements' index: newest release first, a release's statements in order,
    # undated last, page after page by key; the chart counts each month's statements.
    monkeypatch.setattr(views, "PER_PAGE", 2)
    li = Person.objects.create(name="Li Yunze")
    other = Person.objects.create(name="Pan Gongsheng")
    dates = [datetime.date(2024, 3, 5), datetime.date(2024, 3, 30), None,
             datetime.date(2023, 11, 1), datetime.date(2024, 5, 1)]
    mine = []
    for n, date in enumerate(dates):
        release = make_release(f"Release {n}", "Rates.", published=date)
        Appearance.objects.create(release=release, person=li, role=f"Role {n}")
        for position in range(1, n % 2 + 3):  # two or three statements a release
            speaker = other if position == 2 else li
            quote = Quote.objects.create(release=release, person=speaker, kind="direct",
                                         position=position, text=f"Said {n}.{position}")
            if speaker == li:
                mine.append(quote)
    Appearance.objects.create(release=Release.objects.get(title="Release 0"), person=other)
    hidden = make_release("Withheld", "Rates.", published=datetime.date(2024, 3, 9), hidden=True)
    Quote.objects.create(release=hidden, person=li, kind="direct", position=1, text="Hidden")
    expected = [q.text for q in sorted(mine, key=lambda q: (
        q.release.published is not None, q.release.published or datetime.date.min,
        q.release_id, -q.position), reverse=True)]
    seen, params = [], {}
    while True:
        response = client.get(li.get_absolute_url(), params)
        page = response.context["page_obj"]
        assert f"{len(seen) + 1}–{len(seen) + len(page)} of {len(mine)}" in response.text
        seen += [q.text for q in page]
        if page.next_key is None:
            break
        params = {"after": page.next_key}
    assert seen == expected
    # Li's: one and two in March's releases (the hidden one's not counted), two in November's.
    assert "<td>Mar 2024</td><td>3</td>" in response.text
    assert "<td>Nov 2023</td><td>2</td>" in response.text
    assert "<td>Apr 2024</td><td>0</td>" in response.text
    # Roles as stated, the latest first, undated last.
    assert [a.role for a in response.context["roles"]] == [f"Role {n}" for n in (4, 1, 0, 3, 2)]
    # Another speaker's chart counts his own statements: one in each of March's releases.
    response = client.get(other.get_absolute_url())
    assert "<td>Mar 2024</td><td>2</td>" in response.text


def test_a_persons_latest_roles_are_found_past_releases_stating_none():
    # The newest releases are read first, then ten times as many past them, until enough
    # state a role or none is left.
    person = Person.objects.create(name="Yi Gang")
    for n in range(6):
        release = make_release(f"Release {n}", "Rates.", published=datetime.date(2024, 1, n + 1))
        Appearance.objects.create(release=release, person=person,
                                  role=f"Role {n}" if n < 2 else "")
    assert [a.role for a in views.latest_roles(person, size=2)] == ["Role 1", "Role 0"]
    assert [a.role for a in views.latest_roles(person, size=3)] == ["Role 1", "Role 0"]
    assert [a.release.published.day for a in views.latest_roles(person, size=1)] == [2]


def test_a_name_searched_offers_its_page_and_every_release_linked_to_it(client):
    bank = Institution.objects.create(name="People's Bank of China", kind="central_bank")
    bank.aliases.create(name="PBOC")
    hidden = Institution.objects.create(name="PBOC Clearing", kind="other")
    make_release("Reserve ratio cut", "The central bank cut the ratio.").institutions.add(bank)
    make_release("Withheld", "PBOC Clearing.", hidden=True).institutions.add(hidden)
    response = client.get("/releases/", {"q": "pboc"})
    assert titles(response) == []  # no text says "PBOC"
    assert response.context["named"] == [bank]
    assert f'href="/releases/?institution={bank.slug}"' in response.text
    assert titles(client.get("/releases/", {"institution": bank.slug})) == ["Reserve ratio cut"]
    # A name known only from hidden releases is not offered.
    assert client.get("/releases/", {"q": "PBOC Clearing"}).context["named"] == []
    help_page = client.get("/search/help/")
    assert help_page.status_code == 200 and "exact phrase" in help_page.text
    assert 'href="/search/help/"' in response.text


def test_a_year_offers_its_months(client):
    for month in (1, 1, 4):
        make_release("Monthly note", "Rates.", published=datetime.date(2019, month, 2))
    response = client.get("/releases/", {"year": "2019"})
    assert facet(response, "month") == {"January": 2, "April": 1}
    response = client.get("/releases/", {"year": "2019", "month": "4"})
    assert "<strong>1</strong> result" in response.text


def test_the_rebuild_command_indexes_every_visible_release(client):
    make_release("Shown", "Quinoa.")
    make_release("Withheld", "Quinoa.", hidden=True)
    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert out.getvalue().startswith("Indexed 1 releases and their statements")
    assert titles(client.get("/releases/", {"q": "quinoa"})) == ["Shown"]


def test_the_rebuild_command_reports_its_progress_batch_by_batch(client):
    for n in range(3):
        make_release(f"Oat note {n}", "Oats.")
    out = StringIO()
    call_command("rebuild_search_index", "--batch", "2", verbosity=2, stdout=out)
    # The releases' index, in batches of at most two releases of one sample bucket, then
    # the statements', two by two.
    reports = [int(n) for n in re.findall(r"\r(\d+) releases, \d+/s", out.getvalue())]
    releases, statements = reports[:-2], reports[-2:]
    assert releases[-1] == 3 and all(0 < b - a <= 2 for a, b in zip([0, *releases], releases))
    assert statements == [2, 3]
    # A log shorter than the rows kept is not pruned, and nothing is said of it.
    assert "Pruned" not in out.getvalue()
    assert len(titles(client.get("/releases/", {"q": "oats"}))) == 3


def test_the_change_log_is_pruned_and_an_index_behind_it_is_rebuilt(client, tmp_path):
    for n in range(5):
        make_release(f"Barley credit {n}", "Barley.")
    assert len(titles(client.get("/releases/", {"q": "barley"}))) == 5
    # Another server's index, current now, then left behind while the log moves on.
    other = search_index.SearchIndex(tmp_path / "other-server")
    search_index.catch_up(other)
    release = Release.objects.get(title="Barley credit 0")
    Release.objects.filter(pk=release.pk).update(title="Rye credit")
    make_release("Rye credit 2", "Rye.")
    out = StringIO()
    call_command("rebuild_search_index", "--changes-only", "--keep-changes", "1", stdout=out)
    assert "Pruned" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {search_index.CHANGES}")
        assert cursor.fetchone()[0] == 1
    # This server had read every change before pruning; the other rebuilds, missing nothing.
    assert sorted(titles(client.get("/releases/", {"q": "rye"}))) == ["Rye credit",
                                                                      "Rye credit 2"]
    criteria = search_index.Criteria(text="rye")
    assert other.count(criteria) == 2
    # And both follow the log from there, applying the new change alone.
    make_release("Rye credit 3", "Rye.")
    assert search_index.catch_up(other) == 1
    assert other.count(criteria) == 3
    assert len(titles(client.get("/releases/", {"q": "rye"}))) == 3


def test_a_catch_up_replaces_every_changed_release_batch_after_batch(tmp_path):
    # A catch-up replaces 2,000 releases at a time: past the first few batches (a large
    # import while the server runs), every release changed is indexed all the same.
    changed = [make_release(f"Spelt note {n}", "Spelt.").pk for n in range(5)]
    index = search_index.SearchIndex(tmp_path / "batches")
    search_index.catch_up(index)  # built whole, and current: its searches catch up nothing
    with search_index._writing(index) as writer:
        writer.delete_all_documents()
        search_index._replace(index, writer, changed, batch=2)
    assert index.count(search_index.Criteria(text="spelt")) == 5


def test_the_institution_page_counts_every_release_by_month(client):
    bank = Institution.objects.create(name="Chart Bank", kind="commercial_bank")
    for month in (1, 1, 3):
        make_release("Chart note", "x", published=datetime.date(2022, month, 1)).institutions.add(bank)
    make_release("Hidden note", "x", published=datetime.date(2022, 2, 1),
                 hidden=True).institutions.add(bank)
    chart = client.get(bank.get_absolute_url()).context["chart"]
    assert [bar["label"] for bar in chart.bars] == ["Jan 2022: 2", "Feb 2022: 0", "Mar 2022: 1"]



# serialized_rollback: the flush after this test then does not make the content types again,
# which a later test restoring the database's first rows would otherwise find twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite has one writer at a time: its changes commit in id order")
def test_a_change_committed_after_a_later_one_is_not_missed(client):
    early, late = make_release("Early", "Walnuts."), make_release("Late", "Walnuts.")
    assert len(titles(client.get("/releases/", {"q": "walnuts"}))) == 2
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # another session
    try:
        with other.cursor() as cursor:
            other.set_autocommit(False)
            # Its change is logged first, with the lower id, but commits last.
            cursor.execute("UPDATE archive_release SET title = 'Early pecans' WHERE id = %s",
                           [early.pk])
            Release.objects.filter(pk=late.pk).update(title="Late pecans")
            assert titles(client.get("/releases/", {"q": "pecans"})) == ["Late pecans"]
            other.commit()
        assert sorted(titles(client.get("/releases/", {"q": "pecans"}))) == ["Early pecans",
                                                                             "Late pecans"]
    finally:
        other.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite has one writer at a time: its changes commit in id order")
def test_changes_of_several_transactions_still_running_are_found_once_they_commit(client):
    first, second = make_release("First", "Walnuts."), make_release("Second", "Walnuts.")
    assert len(titles(client.get("/releases/", {"q": "walnuts"}))) == 2
    others = [connections.create_connection(DEFAULT_DB_ALIAS) for _ in range(2)]
    try:
        for other, release in zip(others, (first, second)):
            other.set_autocommit(False)
            with other.cursor() as cursor:
                cursor.execute("UPDATE archive_release SET title = %s WHERE id = %s",
                               [f"{release.title} pecans", release.pk])
        make_release("Third pecans", "Walnuts.")  # committed while both are running
        assert titles(client.get("/releases/", {"q": "pecans"})) == ["Third pecans"]
        for other in others:
            other.commit()
        assert sorted(titles(client.get("/releases/", {"q": "pecans"}))) == [
            "First pecans", "Second pecans", "Third pecans"]
    finally:
        for other in others:
            other.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite has one writer at a time: its changes commit in id order")
def test_a_change_still_running_when_the_log_is_pruned_is_found_once_it_commits(client):
    early = make_release("Early", "Walnuts.")
    assert titles(client.get("/releases/", {"q": "walnuts"})) == ["Early"]
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # another session
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("UPDATE archive_release SET title = 'Early pecans' WHERE id = %s",
                           [early.pk])
        make_release("Late pecans", "Walnuts.")
        assert titles(client.get("/releases/", {"q": "pecans"})) == ["Late pecans"]
        other.commit()
        # Every row goes, the running transaction's too, before the index has read it.
        assert search_index.prune(0) > 0
        assert sorted(titles(client.get("/releases/", {"q": "pecans"}))) == ["Early pecans",
                                                                             "Late pecans"]
    finally:
        other.close()


@pytest.mark.parametrize("query, expected", QUERIES)
def test_the_index_finds_what_the_database_finds(client, query, expected):
    keys = {make_release(title, body).title: key for key, (title, body) in DOCUMENTS.items()}
    response = client.get("/releases/", {"q": query})
    assert {keys[title] for title in titles(response)} == expected


def test_a_search_goes_on_while_another_process_writes_the_index(client, monkeypatch):
    make_release("Barley loans", "Barley.")
    assert titles(client.get("/releases/", {"q": "barley"})) == ["Barley loans"]
    monkeypatch.setattr(search_index, "BUSY_WAIT_SECONDS", 0.1)
    writer = search_index.get_index().writer()  # as a rebuild holds it
    try:
        make_release("Barley notes", "Barley.")
        started = time.monotonic()
        assert titles(client.get("/releases/", {"q": "barley"})) == ["Barley loans"]
        # Not after waiting as long as a rebuild does, which a web worker would not outlive.
        assert time.monotonic() - started < search_index.LOCK_WAIT_SECONDS / 3
    finally:
        writer.rollback()
        del writer
    assert sorted(titles(client.get("/releases/", {"q": "barley"}))) == ["Barley loans",
                                                                          "Barley notes"]


def test_statements_are_counted_and_ranked_over_every_match(client, generated):
    Release.objects.filter(pk__in=Quote.objects.filter(text__contains="measures")
                           .values("release_id")[:5]).update(hidden=True)
    matches = Quote.objects.visible().search("measures").count()
    assert matches > 2000
    for page in ("1", "3"):  # counted in the pass that finds the page
        response = client.get("/quotes/", {"q": "measures", "page": page})
        assert f"<strong>{matches:,}</strong> statements" in response.text
    bank = Institution.objects.get(name="Bank of China")
    asked = {"q": "measures", "institution": bank.slug}
    spoke = QuoteFilter(asked, queryset=Quote.objects.visible()).qs.count()
    assert 0 < spoke < matches
    assert f"<strong>{spoke:,}</strong> statements" in client.get("/quotes/", asked).text
    # Its own statements and those of people speaking for it, counted by direct SQL.
    spoke = QuoteFilter({"institution": bank.slug}, queryset=Quote.objects.visible()).qs.count()
    response = client.get("/quotes/", {"institution": bank.slug, "page": "2"})
    assert f"<strong>{spoke:,}</strong> statements" in response.text
    assert all(not q.release.hidden for q in response.context["page_obj"])


def test_a_page_key_out_of_range_is_no_page(client):
    bank = Institution.objects.create(name="Keyed Bank", kind="commercial_bank")
    make_release("Keyed", "Keys.", published=datetime.date(2020, 1, 1)).institutions.add(bank)
    for url in ("/releases/", f"/institutions/{bank.slug}/"):
        # Past the index's 64 bits: refused, where the index would fail on it.
        assert client.get(url, {"after": "9" * 30}).status_code == 404, url
    assert client.get(f"/institutions/{bank.slug}/", {"after": "-5"}).status_code == 404


def test_speaker_search_finds_who_is_quoted_on_every_path(client, archive):
    """speaker: on the lists (the index) and in the exports (the database) alike."""
    pan, first, second, third = archive["pan"], archive["first"], archive["second"], archive["third"]
    # Named in a release without being quoted there: not its speaker.
    Appearance.objects.create(release=second, person=pan, role="governor")
    PersonAlias.objects.create(person=pan, name="Governor Pan")

    def releases(query):
        listed = titles(client.get("/releases/", {"q": query}))
        exported = [r["title"] for r in json.loads(b"".join(
            client.get("/releases/export.json", {"q": query}).streaming_content))]
        assert listed == exported
        return listed

    assert releases('speaker:"Pan Gongsheng"') == [third.title]
    assert releases("speaker:gongsheng") == [third.title]  # a word of the name
    assert releases('speaker:"governor pan"') == [third.title]  # an alias
    assert releases("speaker:gong") == []  # words are compared whole
    assert releases("speaker:nobody") == []
    assert releases("speaker:lou technology") == [first.title]
    assert releases("speaker:lou rate") == []
    # Without words nothing ranks: newest first.
    assert releases("-speaker:pan") == [first.title, second.title]
    # A speaker left out is no word left out: a release naming him, not quoting him, stays.
    named = make_release("Pan Gongsheng to visit Hong Kong", "A visit is planned.",
                         published=datetime.date(2025, 1, 2))
    assert releases("-speaker:pan") == [first.title, second.title, named.title]

    def statements(query):
        listed = [q.text for q in client.get("/quotes/", {"q": query}).context["page_obj"]]
        exported = [q["text"] for q in json.loads(b"".join(
            client.get("/quotes/export.json", {"q": query}).streaming_content))]
        assert listed == exported
        return listed

    assert statements("speaker:pan") == ["We will keep liquidity reasonably ample"]
    assert statements("speaker:pan liquidity") == ["We will keep liquidity reasonably ample"]
    assert statements("speaker:pan loans") == []
    assert len(statements("-speaker:pan")) == 2
    response = client.get("/quotes/", {"q": "title:policy"})
    assert ("Statements have no title: search the releases for title:…, or leave out "
            "“title:” to search the statements’ words.") in response.text
    assert list(response.context["page_obj"]) == []


def test_a_speaker_no_one_is_named_is_said_so(client, archive):
    response = client.get("/releases/", {"q": "speaker:Zhou loans"})
    assert "No one named “Zhou” is in the archive." in response.text
    assert "/people/?name=Zhou" in response.text
    # Nothing matches, so there is nothing to filter by either.
    assert "Filter by" not in response.text
    response = client.get("/quotes/", {"q": "speaker:Zhou"})
    assert "No one named “Zhou” is in the archive." in response.text
    response = client.get("/releases/", {"q": "speaker:Pan"})
    assert "No one named" not in response.text
    assert "Filter by" in response.text


def test_a_speaker_name_is_looked_up_once_a_page(client, archive):
    # A name no one has is looked for word by word, in people's names and in their aliases:
    # two queries, whether the page, its facets or its notice asks.
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/releases/", {"q": "speaker:Zhou loans"})
    assert "No one named “Zhou”" in response.text
    assert sum("%zhou%" in q["sql"].lower() for q in queries.captured_queries) == 2


def test_a_phrase_is_its_words_in_order_not_only_its_pairs(client):
    # Every pair of "bank of china" is here, but not the phrase.
    make_release("Governors meet", "The bank of England and the governor of China met.")
    make_release("Lending", "The Bank of China lends. Policy banks lend more.")
    assert titles(client.get("/releases/", {"q": '"bank of china"'})) == ["Lending"]
    assert titles(client.get("/releases/", {"q": '"china met"'})) == ["Governors meet"]
    assert titles(client.get("/releases/", {"q": '"met china"'})) == []
    assert titles(client.get("/releases/", {"q": '"policy banks"'})) == ["Lending"]
    assert titles(client.get("/releases/", {"q": '"policy bank"'})) == ["Lending"]  # stems
    assert titles(client.get("/releases/", {"q": 'bank -"china lends"'})) == ["Governors meet"]
    # Title and body are apart: a title's last word and the body's first are no phrase.
    assert titles(client.get("/releases/", {"q": '"lending the"'})) == []


def test_a_statements_phrase_is_its_words_in_order_not_only_its_pairs(client):
    release = make_release("Statements", "Said.")
    speaker = Institution.objects.create(name="Quoted Bank")
    for position, text in enumerate(["The bank of England and the governor of China met.",
                                      "The Bank of China lends. Policy banks lend more.",
                                      "Re-lending to farmers grew."]):
        Quote.objects.create(release=release, institution=speaker, text=text,
                             position=position)

    def statements(query):
        return [q.text.split()[1] for q in
                client.get("/quotes/", {"q": query}).context["page_obj"]]

    assert statements('"bank of china"') == ["Bank"]
    assert statements('"china met"') == ["bank"]
    assert statements('"met china"') == []
    assert statements('"policy banks"') == ["Bank"]
    assert statements('"policy bank"') == ["Bank"]  # stems
    assert statements("re-lending") == ["to"]  # a hyphenated word is a phrase
    assert statements('"lending re"') == []
    assert statements('bank -"china lends"') == ["bank"]
    assert client.get("/quotes/", {"q": '"bank of"'}).context["total"] == 2


def test_the_counting_threads_serve_a_forked_process_too():
    # A process forked after a search (an import's workers, a server's) has none of its
    # parent's threads: counting there must not wait forever for them.
    assert search_index.PASSES.submit(int, "1").result() == 1  # the threads are started
    child = os.fork()
    if child == 0:
        try:
            os._exit(0 if search_index.PASSES.submit(int, "7").result(timeout=10) == 7 else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_title_left_out_in_words_too_long_to_index_keeps_the_rest_of_the_search(client,
                                                                                  archive):
    # No release's title holds a word of 150 letters: leaving it out leaves every release,
    # and the speaker after it still narrows them.
    long_word = "x" * 150
    response = client.get("/releases/", {"q": f"-title:{long_word} speaker:pan"})
    assert titles(response) == [archive["third"].title]


def test_a_title_search_ranks_the_titles_the_words_weigh_most_in_first(client):
    short, long = "Inflation", "Inflation report on prices, wages and rents in the region"
    # Made in either order: equal scores would list them in the index's order.
    for made in ([long, short], [short, long]):
        Release.objects.all().delete()
        for title in made:
            make_release(title, "Prices.")
        assert titles(client.get("/releases/", {"q": "title:inflation"})) == [short, long]


def test_a_word_too_long_to_index_finds_no_release_and_no_statement(client, archive):
    long_word = "x" * 150
    response = client.get("/releases/", {"q": long_word})
    assert "<strong>0</strong> results" in response.text and titles(response) == []
    response = client.get("/quotes/", {"q": long_word})
    assert "<strong>0</strong> statements" in response.text
    assert list(response.context["page_obj"]) == []
    # nor takes anything away from another word it is an alternative to
    make_release("Yuan steady", "The yuan held.")
    response = client.get("/releases/", {"q": f"{long_word} OR yuan"})
    assert titles(response) == ["Yuan steady"]


def test_counts_kept_for_lists_without_words_make_room_for_new_ones(client, archive,
                                                                   monkeypatch):
    monkeypatch.setattr(search_index, "KEPT_COUNTS", 1)
    for params, count in [({}, 3), ({"year": "2025"}, 2), ({}, 3), ({"year": "2024"}, 1)]:
        response = client.get("/releases/", params)
        assert f"<strong>{count}</strong> result" in response.text, params


def test_the_first_release_written_after_the_index_is_built_is_found(client):
    # The index is built from an empty change log; the release's change is the log's first.
    assert titles(client.get("/releases/", {"q": "sorghum"})) == []
    make_release("Sorghum loans", "Sorghum.")
    assert titles(client.get("/releases/", {"q": "sorghum"})) == ["Sorghum loans"]


def test_catching_up_reports_how_many_releases_it_indexed(client, monkeypatch):
    make_release("Shown", "Quinoa.")

    def caught_up():
        out = StringIO()
        call_command("rebuild_search_index", "--changes-only", stdout=out)
        return re.search(r"Indexed (\d+) releases", out.getvalue())[1]

    assert caught_up() == "1"  # a new index, built whole
    assert caught_up() == "0"
    make_release("Shown too", "Quinoa.")
    assert caught_up() == "1"
    assert caught_up() == "0"  # the change, once applied, is not applied again
    # While another process writes the index, the change waits, and none is said indexed.
    monkeypatch.setattr(search_index, "BUSY_WAIT_SECONDS", 0.1)
    make_release("Shown later", "Quinoa.")
    writer = search_index.get_index().writer()  # as a rebuild holds it
    try:
        assert caught_up() == "0"
    finally:
        writer.rollback()
        del writer
    assert caught_up() == "1"


def test_a_page_reads_the_change_log_once_for_each_index_it_searches(client):
    person = Person.objects.create(name="Logged Speaker")
    release = make_release("Logged", "Millet loans.", published=datetime.date(2024, 5, 1))
    Appearance.objects.create(release=release, person=person, role="economist")
    Quote.objects.create(release=release, person=person, text="Millet matters.", position=0)
    for url in ("/quotes/", "/releases/"):
        client.get(url)  # each index built

    def change_log_reads(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return sum(search_index.CHANGES in q["sql"] for q in queries.captured_queries)

    # The person's page asks the statements' index three times and the releases' once.
    assert change_log_reads(person.get_absolute_url()) == 2
    assert change_log_reads("/releases/?q=millet") == 1
    # The next request still finds what was written since.
    make_release("Logged again", "Millet bonds.")
    assert len(titles(client.get("/releases/", {"q": "millet"}))) == 2


def test_a_date_ordered_page_is_a_whole_page_of_the_default_size(client):
    # More releases a page than a search returns unless told how many.
    for n in range(views.PER_PAGE):
        make_release(f"Millet {n}", "Millet.", published=datetime.date(2020, 1, n + 1))
    for sort in ("newest", "oldest"):
        # A list that fills its page exactly has no page after it.
        response = client.get("/releases/", {"sort": sort})
        assert len(titles(response)) == views.PER_PAGE, sort
        assert response.context["page_obj"].next_key is None and 'rel="next"' not in response.text
    for n in range(views.PER_PAGE, views.PER_PAGE + 5):
        make_release(f"Millet {n}", "Millet.", published=datetime.date(2020, 1, n + 1))
    for sort in ("newest", "oldest"):
        first = client.get("/releases/", {"sort": sort})
        assert len(titles(first)) == views.PER_PAGE, sort
        assert f"1–{views.PER_PAGE} of {views.PER_PAGE + 5}" in first.text
        after = first.context["page_obj"].next_key
        second = client.get("/releases/", {"sort": sort, "after": after})
        assert len(titles(second)) == 5, sort


def test_pages_by_relevance_are_whole_and_each_follows_the_one_before(client):
    made = {make_release(f"Millet {n}", "Millet. " * (n + 1)).title
            for n in range(views.PER_PAGE + 5)}
    first = titles(client.get("/releases/", {"q": "millet"}))
    second = titles(client.get("/releases/", {"q": "millet", "page": "2"}))
    assert len(first) == views.PER_PAGE and len(second) == 5
    assert set(first) | set(second) == made


@pytest.mark.parametrize("text", ["pension", "funds", "loans", "pension funds",
                                  '"pension funds"', "pension OR bonds", "loans -green",
                                  '"lending to small and micro enterprises"'])
def test_the_best_results_found_among_titles_are_the_best_of_every_match(generated, text):
    index = search_index.get_index()
    searcher = index.searcher()
    criteria = search_index.Criteria(text=text)
    every_match = searcher.search(index.query(criteria), limit=100, count=False).hits
    best = [searcher.doc(address)["id"][0] for _, address in every_match]
    for offset in (0, 20, 80):
        assert index.ranked(criteria, offset, 20).ids == best[offset:offset + 20]
    # and those among titles settled the page: not every match was scored
    assert index._best_in_titles(searcher, criteria, 0, 20) is not None


def test_a_match_holding_the_words_in_its_body_alone_still_ranks_first_when_it_scores_most(
        monkeypatch):
    # The word is in every title but one body, which holds it many times: there it weighs
    # more than in all the titles, where it tells the releases apart from nothing. (Titles
    # are looked at first whatever their share of the matches, which only saves time.)
    monkeypatch.setattr(search_index, "TITLED_SHARE", 1.0)
    for n in range(30):
        make_release(f"Quokka notice {n}", "Nothing about the animal.")
    stuffed = make_release("Another notice", "Quokka. " * 30)
    index = search_index.get_index()
    page = index.ranked(search_index.Criteria(text="quokka"), 0, 20)
    assert page.ids[0] == stuffed.pk and len(page.ids) == 20
    # What it scores in its body is close below the ceiling that decides whether titles
    # settle a page.
    searcher = index.searcher()
    body = tantivy.Query.term_query(index.schema, "body", "quokka")
    score = searcher.search(body, limit=1).hits[0][0]
    ceiling = index._ceiling(searcher, "body", 1.0, ["quokka"], searcher.num_docs)
    assert 0.8 * ceiling < score < ceiling
