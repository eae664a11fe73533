"""The public archive: every page on both databases, bad input, escaping and query counts."""

import csv
import datetime
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive import search_index, views
from archive.models import (Appearance, Institution, Person, PersonAlias, Quote, Release,
                            Topic)
from archive.sitemaps import ReleaseSitemap
from tests.conftest import make_release, sitemap_text

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def titles(response):
    return [r.title for r in response.context["page_obj"]]


def test_home_shows_size_latest_and_most_quoted(client, archive):
    response = client.get("/")
    assert response.status_code == 200
    assert "3 releases and 3 statements, from 5 Mar 2024 to 24 Dec 2025." in response.text
    # Quoted as speaker: the bank speaks itself; the central bank only through its governor.
    assert [i.name for i in response.context["institutions"]] == ["China Construction Bank"]
    assert "Withdrawn notice" not in response.text


def test_home_counts_every_release_and_statement(client, archive):
    response = client.get("/")
    # Counted by the search indexes, exactly however many.
    assert "3 releases and 3 statements" in response.text
    # Counted over every visible release, not the latest imported: both people are quoted.
    assert [(p.name, p.n) for p in response.context["people"]] == [("Lou Feipeng", 1),
                                                                  ("Pan Gongsheng", 1)]
    topics = {t.slug: t.n for t in response.context["topics"]}
    assert topics["technology-finance"] == 2 and topics["monetary-policy"] == 1
    # A statement edited is indexed again (its old document deleted), and one of a release
    # hidden leaves the index: the count is of the live documents.
    Quote.objects.filter(text="it will expand technology loans").update(text="it will lend")
    assert "3 releases and 3 statements" in client.get("/").text
    Release.objects.filter(pk=archive["third"].pk).update(hidden=True)
    assert "2 releases and 2 statements" in client.get("/").text


def test_release_list_is_newest_first_without_hidden(client, archive):
    response = client.get("/releases/")
    assert titles(response) == ["Banks back technology firms", "Green loans rise at state lenders",
                                "Central bank keeps policy rate"]
    assert "<strong>3</strong> results" in response.text


def test_search_ranks_and_highlights_escaped(client, archive):
    response = client.get("/releases/", {"q": "re-lending"})
    assert titles(response) == ["Banks back technology firms"]
    snippet = str(response.context["page_obj"][0].snippet)
    assert "<mark>" in snippet
    # The body holds "<script>alert(1)</script>": shown escaped (SQLite) or left out as
    # markup by PostgreSQL's headline, never as a tag.
    assert "<script>" not in response.text.split("<main")[1]
    assert "<script>" not in snippet


def test_every_result_of_a_search_shows_its_matched_words(client, archive):
    page = client.get("/releases/", {"q": "loans"}).context["page_obj"]
    assert [(r.title, str(r.snippet).count("<mark>")) for r in page] == [
        ("Green loans rise at state lenders", 1), ("Central bank keeps policy rate", 1),
        ("Banks back technology firms", 1)]
    assert "kept the <mark>loan</mark> prime rate" in str(page[1].snippet)  # as stemmed
    page = client.get("/quotes/", {"q": "technology OR liquidity"}).context["page_obj"]
    assert [str(q.snippet).removeprefix("it ").removeprefix("We ") for q in page] == [
        "will expand <mark>technology</mark> loans",
        "will keep <mark>liquidity</mark> reasonably ample"]
    # A search of no words (an exclusion, a title) has none to show: each opening is shown.
    for query in ("-green", "title:bank"):
        page = client.get("/releases/", {"q": query}).context["page_obj"]
        assert [str(r.snippet) for r in page] == [
            str(views.highlighted(r.body)) for r in page] != []


def test_a_long_releases_extract_is_cut_around_its_matches(client):
    def words(stem):
        return " ".join(f"{stem}{n}" for n in range(60))

    make_release("Rates", " rates ".join(words(stem) for stem in ("alpha", "beta", "gamma", "delta")))
    snippet = str(client.get("/releases/", {"q": "rates"}).context["page_obj"][0].snippet)
    passages = [p.split() for p in snippet.split(" … ") if p.strip()]
    assert all(p.count("<mark>rates</mark>") == 1 for p in passages)
    if connection.vendor == "postgresql":  # two passages of 40 words, the first matches
        assert [len(p) for p in passages] == [40, 40]
        assert passages[0][18:20] == ["alpha59", "<mark>rates</mark>"]
        assert " beta19 … beta41 " in snippet
    else:  # one passage of 32 words, the first match, cut at both ends
        assert [len(p) for p in passages] == [32]
        assert snippet.startswith(" … alpha45 ") and snippet.endswith(" beta15 … ")


def test_filters_combine_and_facets_ignore_their_own_selection(client, archive):
    response = client.get("/releases/", {"institution": archive["bocom"].slug})
    assert titles(response) == ["Green loans rise at state lenders"]
    institution_counts = {o.label: (o.count, o.selected) for o in response.context["facets"]["institution"]}
    # Choosing one bank still shows the others' counts over the unfiltered result.
    assert institution_counts == {"China Construction Bank": (2, False),
                                  "Bank of Communications": (1, True),
                                  "People's Bank of China": (1, False)}
    topic_counts = {o.label: o.count for o in response.context["facets"]["topic"]}
    assert topic_counts == {"Green finance": 1, "Technology finance": 1}


def test_several_institutions_match_any_of_them(client, archive):
    response = client.get(f"/releases/?institution={archive['bocom'].slug}"
                          f"&institution={archive['pboc'].slug}")
    assert titles(response) == ["Green loans rise at state lenders", "Central bank keeps policy rate"]


@pytest.mark.parametrize("params, expected", [
    ({"topic": "monetary-policy"}, ["Central bank keeps policy rate"]),
    ({"kind": "central_bank"}, ["Central bank keeps policy rate"]),
    ({"source": "Xinhua"}, ["Central bank keeps policy rate"]),
    ({"year": "2025"}, ["Banks back technology firms", "Green loans rise at state lenders"]),
    ({"date_from": "2025-01-01", "date_to": "2025-06-30"}, ["Green loans rise at state lenders"]),
    ({"person": "lou-feipeng"}, ["Banks back technology firms"]),
    ({"sort": "oldest"}, ["Central bank keeps policy rate", "Green loans rise at state lenders",
                          "Banks back technology firms"]),
    ({"q": "technology -green"}, ["Banks back technology firms"]),
    ({"q": '"loan prime rate" OR bonds', "sort": "newest"}, ["Green loans rise at state lenders",
                                          "Central bank keeps policy rate"]),
])
def test_each_filter(client, archive, params, expected):
    assert titles(client.get("/releases/", params)) == expected


def test_active_filters_are_removable_chips(client, archive):
    response = client.get("/releases/", {"q": "loans", "topic": "green-finance"})
    chips = {c.label: c.href for c in response.context["chips"]}
    assert chips == {"Search: loans": "?topic=green-finance", "Topic: Green finance": "?q=loans"}


@pytest.mark.parametrize("params", [
    {"q": '"'}, {"q": "-"}, {"q": "OR"}, {"q": "*"}, {"date_from": "not-a-date"},
    {"year": "MMXXV"}, {"year": "0"}, {"year": "99999"}, {"institution": "no-such-bank"},
    {"person": "nobody"}, {"topic": "astrology"},
])
def test_bad_parameters_give_an_empty_result_not_an_error(client, archive, params):
    response = client.get("/releases/", params)
    assert response.status_code == 200
    assert titles(response) == []


def test_release_lists_count_rank_and_facet_every_match(client, archive):
    response = client.get("/releases/")
    assert "<strong>3</strong> results" in response.text
    institutions = {o.label: o.count for o in response.context["facets"]["institution"]}
    expected = {"China Construction Bank": 2, "Bank of Communications": 1,
                "People's Bank of China": 1}
    assert institutions == expected
    # "loans" matches all three, ranked together: the title match first.
    response = client.get("/releases/", {"q": "loans"})
    assert "<strong>3</strong> results" in response.text
    assert titles(response)[0] == "Green loans rise at state lenders"
    assert sorted(titles(response)) == ["Banks back technology firms",
                                        "Central bank keeps policy rate",
                                        "Green loans rise at state lenders"]
    assert "<strong>3</strong> statements" in client.get("/quotes/").text


def test_a_page_past_the_end_is_not_found(client, archive, monkeypatch):
    assert client.get("/releases/", {"q": "loans", "page": "9999"}).status_code == 404
    assert client.get("/releases/", {"q": "loans", "page": "x"}).status_code == 404
    response = client.get("/releases/", {"q": "loans", "page": "9999"})
    assert "There is no such page of results." in response.text
    # Relevance pages stop at RANKED_PAGES; the date orders reach every result.
    for number in range(5):
        make_release(f"More loans {number}", "Loans.")
    monkeypatch.setattr(views, "PER_PAGE", 4)  # 8 results: two pages
    monkeypatch.setattr(views, "RANKED_PAGES", 1)
    assert client.get("/releases/", {"q": "loans", "page": "1"}).status_code == 200
    response = client.get("/releases/", {"q": "loans", "page": "2"})
    assert response.status_code == 404
    assert "sort by date to reach every one" in response.text


def _list_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/releases/", params).status_code == 200
    return len(queries)


def test_the_list_runs_a_fixed_number_of_queries(client, archive):
    params = {"q": "loans", "institution": archive["ccb"].slug, "topic": "technology-finance"}
    # 1 institution slugs, 2 topic slugs (form validation); 3 anything new in the change log
    # (once a request); 4-5 the facets' institutions and topics by id; 6 the page's
    # releases, 7 their institutions and 8 topics (prefetch); 9 snippets; 10-11 institutions
    # and people named as searched. Counting, ranking and faceting are the search index's,
    # not queries. Chip labels come from the validated form: no query.
    _list_queries(client, params)  # the first search builds the test's index
    with_four = _list_queries(client, params)
    for number in range(30):
        make_release(f"More technology loans {number}", "Technology loans again.",
                     published=datetime.date(2023, 1, 1)).institutions.add(archive["ccb"])
    _list_queries(client, params)  # indexes the new releases
    assert _list_queries(client, params) == with_four == 11


def test_release_page_links_names_and_shows_provenance(client, archive):
    release = archive["first"]
    response = client.get(release.get_absolute_url())
    assert response.status_code == 200
    body = response.text
    assert f'<a href="{archive["ccb"].get_absolute_url()}">China Construction Bank</a>' in body
    assert f'<a href="{archive["lou"].get_absolute_url()}">Lou Feipeng</a>' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert release.document.sha256 in body
    assert "@misc{" in body and "&quot;container-title&quot;: &quot;China Daily&quot;" in body
    assert [r.title for r in response.context["related"]] == ["Green loans rise at state lenders"]


def test_the_original_is_an_attachment(client, archive):
    release = archive["first"]
    response = client.get(f"/releases/{release.pk}/original")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Type"] == "application/octet-stream"
    assert response.content == bytes(release.document.content)


def test_hidden_releases_are_nowhere(client, archive):
    hidden = archive["hidden"]
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(f"/releases/{hidden.pk}/original").status_code == 404
    assert "hidden technology statement" not in client.get("/quotes/", {"q": "technology"}).text


def test_institution_page_with_chart_statements_and_speakers(client, archive):
    # Speaking for the bank only in the hidden release does not make Pan one of its speakers.
    Appearance.objects.create(release=archive["hidden"], person=archive["pan"],
                              affiliation=archive["ccb"])
    # Nor does being named as one of its people where he says nothing: speakers are counted
    # by their statements.
    Appearance.objects.create(release=archive["second"], person=archive["pan"],
                              affiliation=archive["ccb"])
    response = client.get(archive["ccb"].get_absolute_url())
    assert response.status_code == 200
    assert [r.title for r in response.context["page_obj"]] == [
        "Banks back technology firms", "Green loans rise at state lenders"]
    assert [q.text for q in response.context["quotes"]] == ["it will expand technology loans"]
    assert [(p.name, p.n) for p in response.context["speakers"]] == [("Lou Feipeng", 1)]
    chart = response.context["chart"]
    assert (chart.rows[0][0], chart.rows[-1][0], len(chart.bars)) == ("Jun 2025", "Dec 2025", 7)
    assert "<svg" in response.text and "<title>Dec 2025: 1</title>" in response.text


def test_institutions_are_listed_by_kind(client, archive):
    groups = client.get("/institutions/").context["groups"]
    assert {k: [i.name for i in v] for k, v in groups.items()} == {
        "Central bank": ["People's Bank of China"],
        "Commercial bank": ["China Construction Bank", "Bank of Communications"],
    }
    # The hidden release and its statement are not counted; its own statement and the one
    # its researcher made for it are, as the statements list filtered by it shows them.
    ccb = groups["Commercial bank"][0]
    assert (ccb.release_count, ccb.quote_count) == (2, 2)
    assert client.get("/quotes/", {"institution": ccb.slug}).context["total"] == 2
    lou, pan = sorted(client.get("/people/").context["page_obj"], key=lambda p: p.name)
    assert (lou.release_count, lou.quote_count, pan.quote_count) == (1, 1, 1)


def test_person_page_has_statements_with_roles_and_institutions(client, archive):
    response = client.get(archive["pan"].get_absolute_url())
    assert [q.text for q in response.context["page_obj"]] == ["We will keep liquidity reasonably ample"]
    assert "As governor" in response.text
    # The institutions spoken for, each with its statements, which its count links to.
    [pboc] = response.context["spoke_for"]
    assert (pboc.name, pboc.n) == ("People's Bank of China", 1)
    statements = client.get("/quotes/", {"speaker": archive["pan"].slug, "institution": pboc.slug})
    assert statements.context["total"] == 1
    assert f'institution={pboc.slug}" title="These statements">1</a>' in response.text
    assert [p.name for p in client.get("/people/").context["page_obj"]] == [
        "Lou Feipeng", "Pan Gongsheng"]


@pytest.mark.parametrize("params, expected", [
    ({"q": "liquidity"}, ["We will keep liquidity reasonably ample"]),
    ({"speaker": "lou-feipeng"}, ["re-lending helps <script>alert(1)</script>"]),
    ({"kind": "central_bank"}, ["We will keep liquidity reasonably ample"]),
    ({"topic": "technology-finance"}, ["it will expand technology loans",
                                       "re-lending helps <script>alert(1)</script>"]),
    ({"date_to": "2024-12-31"}, ["We will keep liquidity reasonably ample"]),
])
def test_statement_search_and_filters(client, archive, params, expected):
    response = client.get("/quotes/", params)
    assert [q.text for q in response.context["page_obj"]] == expected


def test_a_speakers_institution_covers_people_who_spoke_for_it(client, archive):
    response = client.get("/quotes/", {"institution": archive["ccb"].slug})
    assert [q.text for q in response.context["page_obj"]] == [
        "it will expand technology loans", "re-lending helps <script>alert(1)</script>"]


def test_topic_page(client, archive):
    response = client.get("/topics/technology-finance/")
    assert response.context["years"] == [(2025, 2)]
    assert [q.text for q in response.context["quotes"]] == [
        "it will expand technology loans", "re-lending helps <script>alert(1)</script>"]
    assert "hidden technology statement" not in response.text


def test_a_topic_page_quotes_its_newest_releases(client):
    topic = Topic.objects.get(slug="green-finance")
    bank = Institution.objects.create(name="Quoting Bank", kind="commercial_bank")
    for day in range(1, 26):
        release = make_release(f"Green note {day}", "Green.",
                               published=datetime.date(2021, 3, day))
        release.topics.add(topic)
        Quote.objects.create(release=release, institution=bank, kind="indirect", position=1,
                             text=f"green loans grew on day {day}")
    quotes = client.get(topic.get_absolute_url()).context["quotes"]
    assert [q.text for q in quotes] == [f"green loans grew on day {day}"
                                        for day in range(25, 5, -1)]


def test_feeds_carry_the_lists_query(client, archive):
    root = ET.fromstring(client.get("/releases/feed.atom", {"topic": "green-finance"}).content)
    assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == [
        "Green loans rise at state lenders"]
    rss = ET.fromstring(client.get(f"/institutions/{archive['pboc'].slug}/feed.rss").content)
    assert [i.findtext("title") for i in rss.iter("item")] == ["Central bank keeps policy rate"]
    person = ET.fromstring(client.get(f"/people/{archive['lou'].slug}/feed.atom").content)
    assert len(list(person.iter(f"{ATOM}entry"))) == 1


def test_exports_stream_the_filtered_list(client, archive):
    response = client.get("/releases/export.csv", {"year": "2025"})
    assert response.streaming and response["Content-Disposition"] == 'attachment; filename="releases.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "title", "published"]
    assert [r[1] for r in rows[1:]] == ["Banks back technology firms", "Green loans rise at state lenders"]
    assert rows[2][4] == "Bank of Communications; China Construction Bank"
    assert rows[1][6] == "http://testserver" + archive["first"].get_absolute_url()
    chinese = make_release("央行：保持流动性合理充裕", published=datetime.date(2025, 7, 1))
    rows = list(csv.reader(io.StringIO(b"".join(
        client.get("/releases/export.csv", {"year": "2025"}).streaming_content).decode("utf-8-sig"))))
    assert rows[2][6] == "http://testserver" + chinese.get_absolute_url()
    data = json.loads(b"".join(client.get("/quotes/export.json", {"q": "liquidity"}).streaming_content))
    assert [(d["speaker"], d["kind"]) for d in data] == [("Pan Gongsheng", "direct")]
    assert client.get("/releases/export.xml").status_code == 404


def test_sitemap_robots_and_friendly_404(client, archive):
    sitemap = sitemap_text(client)
    assert archive["first"].get_absolute_url() in sitemap
    assert archive["hidden"].get_absolute_url() not in sitemap
    assert "Sitemap: http://testserver/sitemap.xml" in client.get("/robots.txt").text
    missing = client.get("/institutions/no-such-bank/")
    assert missing.status_code == 404 and "Search the releases" in missing.text


def test_every_page_has_a_title_description_and_canonical_link(client, archive):
    for url in ["/", "/releases/", archive["first"].get_absolute_url(), "/institutions/",
                archive["ccb"].get_absolute_url(), "/people/", archive["lou"].get_absolute_url(),
                "/quotes/", "/topics/green-finance/"]:
        text = client.get(url).text
        assert "<title>" in text and '<meta name="description" content="' in text, url
        assert '<link rel="canonical" href="http://testserver' in text, url


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/admin/archive/release/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("model", ["document", "institution", "person", "topic", "release", "quote"])
def test_every_admin_changelist_opens(client, archive, model):
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    assert client.get(f"/admin/archive/{model}/").status_code == 200
    assert client.get(f"/admin/archive/{model}/?q=china").status_code == 200


def test_admin_change_forms_and_autocomplete(client, archive):
    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    release = archive["first"]
    for url in [f"/admin/archive/release/{release.pk}/change/",
                f"/admin/archive/institution/{archive['ccb'].pk}/change/",
                f"/admin/archive/quote/{release.quotes.first().pk}/change/",
                f"/admin/archive/document/{release.document.pk}/change/"]:
        assert client.get(url).status_code == 200, url
    response = client.get("/admin/autocomplete/", {
        "term": "constr", "app_label": "archive", "model_name": "release",
        "field_name": "institutions"})
    assert [r["text"] for r in response.json()["results"]] == ["China Construction Bank"]


def test_health_check_answers_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_pages_carry_a_content_security_policy_without_inline_scripts(client, archive):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    assert client.get("/").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_a_query_stopped_by_the_timeout_gets_a_friendly_page(rf):
    from django.db import OperationalError

    from archive.middleware import QueryTimeoutMiddleware

    from django.db import transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:  # SET LOCAL ends with it
            cursor.execute("SET LOCAL statement_timeout = 20")
            cursor.execute("SELECT pg_sleep(1)")
    except OperationalError as canceled:
        error = canceled
    response = QueryTimeoutMiddleware(lambda r: None).process_exception(rf.get("/releases/"), error)
    assert response.status_code == 503
    assert b"This request took too long" in response.content


@pytest.fixture
def page_cache(settings):
    """The page cache production runs with (archive/settings.py), in memory."""
    settings.MIDDLEWARE = ["archive.middleware.UpdateCurrentPageCache", *settings.MIDDLEWARE,
                           "archive.middleware.FetchCurrentPageCache"]
    settings.CACHE_MIDDLEWARE_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_a_cached_page_is_never_older_than_the_archive(client, archive, page_cache):
    search = {"q": "loans"}
    assert "Loans to farmers" not in client.get("/releases/", search).text
    release = make_release("Loans to farmers", "Loans to farmers rise.",
                           published=datetime.date(2026, 3, 1))
    # Found as soon as it is written, though the search's page was cached before.
    assert "Loans to farmers" in client.get("/releases/", search).text
    assert "Loans to farmers" in client.get(release.get_absolute_url()).text
    release.title = "Loans to herders"
    release.save()
    assert "Loans to herders" in client.get(release.get_absolute_url()).text
    assert "Loans to herders" in client.get("/releases/", search).text
    # A browser is told to ask again rather than keep its own copy, from the cache or not.
    for _ in range(2):
        response = client.get("/releases/", search)
        assert response["Cache-Control"] == "max-age=0" and "Expires" not in response


def test_a_cached_page_shows_names_as_curated(client, archive, page_cache):
    # Names are not indexed, but kept pages show them: a curator's edit renews those pages.
    person = archive["pan"]
    pages = [person.get_absolute_url(), "/people/", archive["third"].get_absolute_url()]

    def shown(name):
        return all(name in client.get(page).text for page in pages)

    assert shown("Pan Gongsheng")
    assert not any("(PBOC)" in client.get(page).text for page in pages)  # kept as they were
    person.name = "Pan Gongsheng (PBOC)"
    person.save()
    assert search_index.catch_up() == 0  # re-indexing nothing
    assert shown("Pan Gongsheng (PBOC)")
    # An institution renamed alone, its kind and country (which are indexed) unchanged.
    assert "(PBOC)" not in client.get("/institutions/").text
    Institution.objects.filter(pk=archive["pboc"].pk).update(name="People's Bank (PBOC)")
    assert "People&#x27;s Bank (PBOC)" in client.get("/institutions/").text
    # An alias added: a search by the speaker's other name finds his statements at once.
    search = {"q": "speaker:Yi"}
    assert "reasonably ample" not in client.get("/quotes/", search).text
    PersonAlias.objects.create(person=person, name="Yi")
    assert "reasonably ample" in client.get("/quotes/", search).text


def test_production_caches_public_pages_for_anonymous_visitors(client, archive, page_cache):
    assert client.get("/releases/", {"q": "loans"}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        cached = client.get("/releases/", {"q": "loans"})
    # Served from the cache: the only queries ask whether a release changed since, once for
    # each index; none of the page's own.
    assert "Green loans rise" in cached.text
    assert [q["sql"].count("archive_searchchange") for q in queries] == [1, 1]
    assert cached["Content-Security-Policy"]  # the headers are kept with the page
    # Nor is the health check, nor a curator's admin pages.
    client.get("/healthz")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/healthz").status_code == 200
    assert len(queries) == 1
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("curator", "c@example.org", "pw"))
    client.get("/admin/archive/release/")
    with CaptureQueriesContext(connection) as queries:
        admin_page = client.get("/admin/archive/release/")
    assert len(queries) > 0
    assert "no-store" in admin_page["Cache-Control"] and "private" in admin_page["Cache-Control"]


def test_feeds_escape_markup_spelled_out_in_imported_text(client, archive):
    make_release("Markup in a body", "Rates &lt;b&gt;held&lt;/b&gt; <img src=x onerror=alert(1)>",
                 published=datetime.date(2026, 1, 2))
    atom = ET.fromstring(client.get("/releases/feed.atom").content)
    summary = next(atom.iter(f"{ATOM}entry")).find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    # What a reader renders as HTML is text: the markup shows, it does not run.
    assert summary.text == "Rates &amp;lt;b&amp;gt;held&amp;lt;/b&amp;gt; &lt;img src=x onerror=alert(1)&gt;"
    rss = ET.fromstring(client.get("/releases/feed.rss").content)
    assert "&lt;img" in next(rss.iter("item")).findtext("description")


def test_feeds_keep_no_request_on_the_shared_feed(rf, archive):
    from archive.feeds import ReleaseFeed

    feed = ReleaseFeed(atom=True)
    before = dict(vars(feed))
    response = feed(rf.get("/releases/feed.atom", {"topic": "green-finance"}))
    assert b"topic=green-finance" in response.content
    assert vars(feed) == before
    assert b"topic=green-finance" not in feed(rf.get("/releases/feed.atom")).content


def test_csv_cells_that_a_spreadsheet_would_run_are_inert(client, archive):
    formulas = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)",
                "\tcmd", "\rcmd"]
    for position, text in enumerate(formulas, start=5):
        Quote.objects.create(release=archive["third"], person=archive["pan"], kind="direct",
                             position=position, text=text)
    rows = list(csv.reader(io.StringIO(b"".join(client.get(
        "/quotes/export.csv", {"speaker": archive["pan"].slug}).streaming_content).decode("utf-8-sig"))))
    texts = [row[5] for row in rows[1:]]
    assert texts[1:] == ["'" + text for text in formulas]
    assert texts[0] == "We will keep liquidity reasonably ample"
    data = json.loads(b"".join(client.get(
        "/quotes/export.json", {"speaker": archive["pan"].slug}).streaming_content))
    assert [d["text"] for d in data][1:] == formulas  # JSON is data, kept exact


def test_a_search_of_too_many_words_is_a_form_error_never_a_server_error(client, archive):
    many = " ".join(f"word{n}" for n in range(300))
    excluded = " ".join(f"-word{n}" for n in range(600))
    for query in (many, excluded, "technology " + excluded):
        response = client.get("/releases/", {"q": query})
        assert response.status_code == 200 and titles(response) == []
        assert "at most 50 words" in response.text
        assert client.get("/quotes/", {"q": query}).status_code == 200
        assert client.get("/releases/feed.atom", {"q": query}).status_code == 200
        export = client.get("/releases/export.csv", {"q": query})
        assert len(b"".join(export.streaming_content).splitlines()) == 1  # the header
    within = " OR ".join(["technology"] + [f"word{n}" for n in range(49)])
    assert titles(client.get("/releases/", {"q": within})) == [
        "Banks back technology firms", "Green loans rise at state lenders"]


def test_the_search_index_takes_hundreds_of_terms_flat(archive):
    from archive.models import Release

    # The admin searches without the form's bound: the query is built flat, however long.
    terms = " OR ".join(["technology", *(f"word{n}" for n in range(400))])
    assert len(Release.objects.visible().search(terms + " -bonds")) == 1
    assert len(Release.objects.search(" ".join(f"-word{n}" for n in range(300)))) == 4


def test_head_is_answered_like_get_without_a_body(client, archive):
    for url in ["/", "/releases/", archive["first"].get_absolute_url(), "/institutions/",
                archive["ccb"].get_absolute_url(), "/quotes/", "/robots.txt"]:
        response = client.head(url)
        assert response.status_code == 200 and response.content == b"", url
    assert client.post("/releases/").status_code == 405


@pytest.mark.parametrize("url", ["/institutions/%00/", "/institutions/%00/feed.atom",
                                 "/people/%00/feed.rss", "/people/a%00b/",
                                 "/releases/1/%00/", "/topics/%00/"])
def test_a_nul_in_the_path_is_not_found(client, archive, url):
    assert client.get(url).status_code == 404


def test_a_non_ascii_file_name_downloads_with_both_names(client, archive):
    from tests.conftest import make_document

    document = make_document(b"original", origin="/imports/央行公告 «taux».txt")
    release = make_release("Notice", document=document)
    disposition = client.get(f"/releases/{release.pk}/original")["Content-Disposition"]
    assert disposition == ("attachment; filename=\"______taux_.txt\"; filename*=UTF-8''"
                           "%E5%A4%AE%E8%A1%8C%E5%85%AC%E5%91%8A%20%C2%ABtaux%C2%BB.txt")
    assert disposition.isascii()


def test_an_unavailable_database_is_reported_without_its_address():
    import subprocess
    import sys

    from archive.settings import BASE_DIR

    script = ("import django; django.setup(); from django.test import Client; "
              "r = Client().get('/healthz'); print(r.status_code, r.content.decode())")
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "archive.settings",
           "DJANGO_DEBUG": "True", "ALLOWED_HOSTS": "testserver",
           "DATABASE_URL": "postgres://secretuser@127.0.0.1:1/secret_archive_name"}
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == (
        '503 {"status": "error", "database": "database unavailable"}'), result.stderr
    assert "port 1 failed" in result.stderr  # logged for the operators


def test_names_only_in_hidden_releases_are_not_public(client, archive):
    secret_bank = Institution.objects.create(name="Secret Holdings Bank", kind="company")
    secret_person = Person.objects.create(name="Hidden Whistleblower")
    archive["hidden"].institutions.add(secret_bank)
    Appearance.objects.create(release=archive["hidden"], person=secret_person, role="source")
    sitemap = sitemap_text(client)
    assert archive["ccb"].get_absolute_url() in sitemap
    for row in (secret_bank, secret_person):
        assert row.get_absolute_url() not in sitemap
        assert client.get(row.get_absolute_url()).status_code == 404
        assert client.get(row.get_absolute_url() + "feed.atom").status_code == 404
    assert client.get(archive["lou"].get_absolute_url()).status_code == 200


def bibtex_fields_balance(bibtex: str) -> bool:
    """Whether every field's braces balance as BibTeX counts them (a backslash escapes
    nothing there)."""
    depth = 0
    for character in bibtex:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


def test_citations_survive_braces_and_direction_overrides_in_a_title(client, archive):
    release = make_release("Rates {held} at 3% } \\ too \u2069\u202eevil",
                           published=datetime.date(2025, 1, 2), source="A & B {News}")
    citations = client.get(release.get_absolute_url()).context["citations"]
    assert bibtex_fields_balance(citations["bibtex"])
    assert (r"title = {Rates \textbraceleft{}held\textbraceright{} at 3\% "
            r"\textbraceright{} \textbackslash{} too ") in citations["bibtex"]
    # The title is isolated in the line, and its own closing isolate cannot end it early.
    assert citations["plain"].startswith("“\u2068Rates {held} at 3% } \\ too \u202eevil\u2069.” "
                                         "\u2068A & B {News}\u2069, 2 January 2025.")


def _export_of(rows, fmt="csv") -> tuple[str, Exception | None]:
    """What a client receives of an export of `rows`, and the error that cut it."""
    from archive.exports import _stream

    received = []
    try:
        for chunk in _stream(rows, ["id", "title"], fmt, "test").streaming_content:
            received.append(chunk.decode("utf-8-sig"))
    except Exception as error:  # noqa: BLE001  the error that cuts the connection
        return "".join(received), error
    return "".join(received), None


def _rows_then(sql):
    yield [1, "first"]
    with connection.cursor() as cursor:
        cursor.execute(sql)
    yield [2, "second"]


# Not in a transaction: a web request streams its export in autocommit, where a failed
# query leaves the connection usable.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_the_database_stops_says_so_and_fails(client):
    for page in ("/releases/", "/quotes/"):  # where the export links are
        assert "ends with a line saying EXPORT INCOMPLETE" in client.get(page).text
    text, error = _export_of(_rows_then("SELECT * FROM no_such_table"))
    assert isinstance(error, Exception)
    assert text.splitlines()[-1] == ("EXPORT INCOMPLETE: the database stopped before the "
                                     "end; narrow the list")
    text, error = _export_of(_rows_then("SELECT * FROM no_such_table"), "json")
    assert error and not text.rstrip().endswith("]")
    # The rows sent, then an object a client's code can read: {"error": …}.
    assert text.startswith('[\n{"id": 1, "title": "first"}')
    assert json.loads(text.splitlines()[-1]) == {
        "error": "EXPORT INCOMPLETE: the database stopped before the end; narrow the list"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_exports_run_under_their_own_statement_timeout(settings):
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 50")  # as the web's would be
    settings.EXPORT_STATEMENT_TIMEOUT = 5000
    text, error = _export_of(_rows_then("SELECT pg_sleep(0.3)"))
    assert error is None and text.splitlines()[-1] == "2,second"
    settings.EXPORT_STATEMENT_TIMEOUT = 50
    text, error = _export_of(_rows_then("SELECT pg_sleep(0.3)"))
    assert error and text.splitlines()[-1].startswith("EXPORT INCOMPLETE")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # the connection's own, set when it opened


def test_a_release_page_names_its_kind_and_issuer_and_a_provisional_title(client, archive):
    release = archive["first"]
    release.kind, release.issuer = "statement", archive["ccb"]
    release.save()
    body = client.get(release.get_absolute_url()).text
    assert f'Statement of <a href="{archive["ccb"].get_absolute_url()}">China Construction Bank</a>' in body
    assert "printed no headline" not in body
    Release.objects.filter(pk=release.pk).update(title_provisional=True)
    assert "printed no headline" in client.get(release.get_absolute_url()).text


def test_a_citation_names_the_outlet_or_the_issuer_never_a_named_institution(client, archive):
    release = archive["first"]
    Release.objects.filter(pk=release.pk).update(source="", published=None)
    citations = client.get(release.get_absolute_url()).context["citations"]
    assert "China Construction Bank" not in citations["plain"]
    assert "organization" not in citations["bibtex"] and "publisher" not in citations["csl"]
    assert " n.d. Financial Policy Archive." in citations["plain"]
    Release.objects.filter(pk=release.pk).update(issuer=archive["ccb"])
    citations = client.get(release.get_absolute_url()).context["citations"]
    assert "\u2068China Construction Bank\u2069, n.d. " in citations["plain"]
    assert "organization = {China Construction Bank}" in citations["bibtex"]


def test_a_release_address_without_its_slug_redirects(client, archive):
    release = archive["first"]
    response = client.get(f"/releases/{release.pk}/")
    assert (response.status_code, response.url) == (301, release.get_absolute_url())


def test_the_topics_index_counts_visible_releases_and_offers_no_empty_topic(client, archive):
    response = client.get("/topics/")
    assert response.status_code == 200
    counts = {t.slug: t.n for t in response.context["topics"]}
    # The hidden release is not counted; the shipped taxonomy's other topics have no release.
    assert counts == {"technology-finance": 2, "green-finance": 1, "monetary-policy": 1}
    assert list(counts) == ["technology-finance", "green-finance", "monetary-policy"]
    assert '<a href="/topics/">Topics</a>' in client.get("/").text


def test_a_persons_post_in_the_list_is_the_one_stated_in_their_latest_release(client):
    person = Person.objects.create(name="Zhu Hexin")
    older, newer = make_release("Earlier post"), make_release("Later post")
    # The older release's statements extracted again after the newer one's.
    Appearance.objects.create(release=newer, person=person, role="governor")
    Appearance.objects.create(release=older, person=person, role="deputy governor")
    rows = {p.name: p.latest_role for p in client.get("/people/").context["page_obj"]}
    assert rows == {"Zhu Hexin": "governor"}


def test_people_are_listed_with_their_post_and_found_by_name_or_initial(client, archive):
    response = client.get("/people/")
    rows = {p.name: (p.latest_role, p.latest_affiliation) for p in response.context["page_obj"]}
    assert rows["Lou Feipeng"] == ("researcher", "China Construction Bank")
    assert "researcher, China Construction Bank" in response.text
    assert [p.name for p in client.get("/people/?name=feipeng").context["page_obj"]] == [
        "Lou Feipeng"]
    assert [p.name for p in client.get("/people/?letter=p").context["page_obj"]] == [
        "Pan Gongsheng"]
    assert "No people match" in client.get("/people/?name=%3Cscript%3E").text


def _entries(client, url) -> list[str]:
    """The titles of a feed's entries, Atom or RSS."""
    root = ET.fromstring(client.get(url).content)
    return ([e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
            + [i.findtext("title") for i in root.iter("item")])


def _export(client, url, params=None) -> str:
    return b"".join(client.get(url, params or {}).streaming_content).decode("utf-8-sig")


def test_a_hidden_release_is_in_no_feed_export_sitemap_relation_count_or_search(client, archive):
    hidden = archive["hidden"]
    # Lou appears in the hidden release too, and the bank speaks in it.
    Appearance.objects.create(release=hidden, person=archive["lou"], role="researcher")
    # Hidden by a curator after the search indexes took it in.
    Release.objects.filter(pk=hidden.pk).update(hidden=False)
    assert "4 releases and 4 statements" in client.get("/").text
    Release.objects.filter(pk=hidden.pk).update(hidden=True)
    title = hidden.title
    for url in ["/releases/feed.atom", "/releases/feed.rss?topic=technology-finance",
                f"/institutions/{archive['ccb'].slug}/feed.rss",
                f"/institutions/{archive['ccb'].slug}/feed.atom",
                f"/people/{archive['lou'].slug}/feed.atom"]:
        entries = _entries(client, url)
        assert entries and title not in entries, url
    for url in ["/releases/export.csv", "/releases/export.json"]:
        text = _export(client, url)
        assert "Banks back technology firms" in text and title not in text, url
    for url in ["/quotes/export.csv", "/quotes/export.json"]:
        text = _export(client, url)
        assert "it will expand technology loans" in text, url
        assert "hidden technology statement" not in text, url
    assert hidden.get_absolute_url() not in sitemap_text(client)
    for release in ("first", "second"):
        related = client.get(archive[release].get_absolute_url()).context["related"]
        assert hidden.pk not in [r.pk for r in related], release
    home = client.get("/")
    assert "3 releases and 3 statements" in home.text
    # The bank's statement in the hidden release is not counted among the most quoted.
    assert [(i.name, i.n) for i in home.context["institutions"]] == [("China Construction Bank", 1)]
    assert {t.slug: t.n for t in home.context["topics"]}["technology-finance"] == 2
    response = client.get("/releases/", {"q": "withdrawn"})
    assert titles(response) == [] and "<strong>0</strong> results" in response.text
    response = client.get("/releases/", {"q": "technology"})
    assert title not in titles(response) and "<strong>2</strong> results" in response.text
    response = client.get("/quotes/", {"q": "hidden"})
    assert list(response.context["page_obj"]) == []
    assert "<strong>0</strong> statements" in response.text


def facet(response, name):
    return {o.label: o.count for o in response.context["facets"][name]}


def test_the_kind_facet_counts_a_release_once_however_many_banks_of_that_kind(client, archive):
    # "Green loans rise" names two commercial banks: one release, counted once.
    everything = {"Commercial bank": 2, "Central bank": 1}
    assert facet(client.get("/releases/"), "kind") == everything
    assert facet(client.get("/releases/", {"q": "loans"}), "kind") == everything
    response = client.get("/releases/", {"kind": "commercial_bank"})
    assert titles(response) == ["Banks back technology firms", "Green loans rise at state lenders"]
    assert facet(response, "kind") == everything  # its own selection aside
    response = client.get("/releases/", {"topic": "technology-finance"})
    assert facet(response, "kind") == {"Commercial bank": 2}


def test_the_statements_export_says_which_statements_are_verified(client, archive):
    Quote.objects.filter(text__startswith="We will keep").update(verified=True)
    rows = list(csv.reader(io.StringIO(_export(client, "/quotes/export.csv"))))
    text, verified = rows[0].index("text"), rows[0].index("verified")
    assert {row[text]: row[verified] for row in rows[1:]} == {
        "it will expand technology loans": "False",
        "re-lending helps <script>alert(1)</script>": "False",
        "We will keep liquidity reasonably ample": "True"}
    data = json.loads(_export(client, "/quotes/export.json"))
    assert {d["text"]: d["verified"] for d in data} == {
        "it will expand technology loans": False,
        "re-lending helps <script>alert(1)</script>": False,
        "We will keep liquidity reasonably ample": True}


def _make_rows(count: int, start: int):
    """`count` releases with a statement each, in two queries' worth of rows."""
    from tests.conftest import make_document

    document = make_document()
    bank = Institution.objects.get_or_create(name="Export Bank", kind="commercial_bank")[0]
    releases = Release.objects.bulk_create(
        Release(title=f"Export release number {n} about liquidity and rates", slug=f"export-{n}",
                body="Body.", document=document, published=datetime.date(2020, 1, 1))
        for n in range(start, start + count))
    Quote.objects.bulk_create(
        Quote(release=release, institution=bank, kind="indirect", position=1,
              text=f"statement number {release.pk} on liquidity and the policy rate")
        for release in releases)


def _export_peak(client, url) -> tuple[int, int]:
    """The most memory Python held while a client read the export, and its size."""
    import tracemalloc

    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in client.get(url).streaming_content)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("url", ["/releases/export.csv", "/releases/export.json",
                                 "/quotes/export.csv", "/quotes/export.json"])
def test_an_export_holds_a_chunk_of_rows_in_memory_not_the_whole_list(client, monkeypatch, url):
    from archive import exports

    monkeypatch.setattr(exports, "CHUNK", 100)
    rows = 600
    _make_rows(rows, 0)
    _export_peak(client, url)  # the first request loads what every request then shares
    small, small_size = _export_peak(client, url)
    _make_rows(9 * rows, rows)
    large, large_size = _export_peak(client, url)
    assert large_size > 9 * small_size
    # Ten times the rows, and the memory grows by a fraction of what the export grows: the
    # rows pass through a chunk at a time, none is kept. (Held in a list, every row's
    # objects would outweigh its text.)
    assert large - small < (large_size - small_size) / 2, (small, large, large_size)


# Not in a transaction: the other session's lock is taken and released while the request
# waits, and the request's own queries run in autocommit as they do when served.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_whose_query_the_timeout_stops_says_so_through_a_real_request(client):
    from django.db import DEFAULT_DB_ALIAS, connections

    release = make_release("Rates held", "Rates.")
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # another session
    try:
        with other.cursor() as cursor:
            other.set_autocommit(False)
            # The page's query waits for the lock until the statement timeout stops it.
            cursor.execute("LOCK TABLE archive_release IN ACCESS EXCLUSIVE MODE")
            with connection.cursor() as ours:
                ours.execute("SET statement_timeout = 200")
            try:
                response = client.get(release.get_absolute_url())
            finally:
                with connection.cursor() as ours:
                    ours.execute("RESET statement_timeout")
                other.rollback()
    finally:
        other.close()
    assert response.status_code == 503
    assert "This request took too long" in response.text
    assert client.get(release.get_absolute_url()).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_home_pages_date_span_reads_the_index_without_sorting(client, archive):
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    spans = [q["sql"] for q in queries.captured_queries
             if 'SELECT "archive_release"."published" AS "published"' in q["sql"]]
    assert len(spans) == 2
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # as on a large table
        for sql in spans:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan and "Sort" not in plan, plan


def test_the_sitemap_lists_every_visible_release_page_after_page(client, archive, monkeypatch):
    # A sitemap index: each section in pages of its limit, every page listed.
    monkeypatch.setattr(ReleaseSitemap, "limit", 1)
    index = ET.fromstring(client.get("/sitemap.xml").content)
    pages = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    listed = set()
    for page in pages:
        response = client.get(page.replace("http://testserver", ""))
        assert response.status_code == 200, page
        listed |= {loc.text for loc in ET.fromstring(response.content).iter(f"{SITEMAP}loc")}
    visible = Release.objects.visible()
    assert len([p for p in pages if "sitemap-releases.xml" in p]) == visible.count() > 1
    assert {f"http://testserver{r.get_absolute_url()}" for r in Release.objects.all()} & listed \
        == {f"http://testserver{r.get_absolute_url()}" for r in visible}
    assert f"http://testserver{archive['lou'].get_absolute_url()}" in listed
    # Each release page is dated by the latest change to a visible release.
    latest = max(r.updated for r in visible)
    assert index.find(f"{SITEMAP}sitemap/{SITEMAP}lastmod").text == latest.isoformat()
