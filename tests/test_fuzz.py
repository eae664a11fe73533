"""Every public page, feed and export, given arbitrary query parameters: never a server error.

The test client re-raises any exception a view lets escape, so an example fails on what
would have been a 500; streamed exports are read to the end so their errors surface too.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.filters import QuoteFilter, ReleaseFilter
from archive.models import Institution, Person, Release, Topic
from tests.ingest_helpers import FIXTURES

pytestmark = pytest.mark.django_db

RELEASE_PARAMETERS = [*ReleaseFilter.base_filters, "page"]
QUOTE_PARAMETERS = [*QuoteFilter.base_filters, "page"]
# Values that reach the parsers' edges: web-search syntax, NUL (PostgreSQL refuses it in
# text), numbers past every integer type, dates that do not exist, and markup.
EDGES = st.sampled_from([
    "", " ", "\x00", "0", "-1", "9" * 40, "1e309", "NaN", "2025-02-30", "0000-01-01",
    "9999-12-31", '"', '"unclosed phrase', "-", "--", "OR", "a OR -b", "*", "()", "%", "_",
    "bank's", "人民银行", "<script>alert(1)</script>", "' OR 1=1 --", "\\", "\u202e",
    "relevance", "newest", "central_bank", "direct", "green-finance", "people-s-bank-of-china",
])
VALUES = st.one_of(EDGES, st.text(st.characters(exclude_categories=["Cs"]), max_size=60))


def parameters(names):
    return st.lists(st.tuples(st.sampled_from(names), VALUES), max_size=6)


@pytest.fixture
def archive():
    call_command("import_releases", str(FIXTURES), stdout=StringIO(), stderr=StringIO())
    return {"release": Release.objects.first(), "institution": Institution.objects.first(),
            "person": Person.objects.first(), "topic": Topic.objects.first()}


def fetch(client, path, params) -> None:
    query = {}
    for name, value in params:
        query.setdefault(name, []).append(value)
    response = client.get(path, query)
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code in (200, 301, 302, 400, 404), (path, params)


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(path=st.sampled_from(["/releases/", "/releases/feed.rss", "/releases/feed.atom",
                             "/releases/export.csv", "/releases/export.json"]),
       params=parameters(RELEASE_PARAMETERS))
def test_release_lists_feeds_and_exports(client, archive, path, params):
    fetch(client, path, params)


@FUZZ
@given(path=st.sampled_from(["/quotes/", "/quotes/export.csv", "/quotes/export.json"]),
       params=parameters(QUOTE_PARAMETERS))
def test_statement_search_and_exports(client, archive, path, params):
    fetch(client, path, params)


@FUZZ
@given(page=st.sampled_from(["home", "institutions", "people", "release", "institution",
                             "person", "institution feed", "person feed", "topic", "sitemap"]),
       params=parameters(["page", "q", "kind", "sort", "format"]))
def test_every_other_page(client, archive, page, params):
    paths = {
        "home": "/", "institutions": "/institutions/", "people": "/people/",
        "release": archive["release"].get_absolute_url(),
        "institution": archive["institution"].get_absolute_url(),
        "person": archive["person"].get_absolute_url(),
        "institution feed": f"{archive['institution'].get_absolute_url()}feed.atom",
        "person feed": f"{archive['person'].get_absolute_url()}feed.rss",
        "topic": f"/topics/{archive['topic'].slug}/", "sitemap": "/sitemap.xml",
    }
    fetch(client, paths[page], params)
