"""What every page shares: the 404 page, HEAD, the icon, the navigation, dates and headings."""

import re
import xml.etree.ElementTree as ET

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from archive.models import Release
from tests.conftest import make_release, sitemap_text

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_without_naming_an_exception(client, archive):
    for url in ["/no-such-page/", "/releases/999999/x/", "/institutions/no-such-bank/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "There is no such page in the archive." in response.text
        assert "404" not in response.text.split("<main", 1)[1]
        assert not re.search(r"Resolver404|Http404", response.text)
    # A reason a view gives is still shown.
    response = client.get("/people/", {"page": "9"})
    assert "There is no such page of results." in response.text


@pytest.mark.parametrize("url", [
    "/", "/releases/", "/robots.txt", "/sitemap.xml", "/releases/export.csv",
    "/releases/export.json", "/quotes/export.csv", "/quotes/export.json", "/releases/feed.atom",
    "/topics/", "/favicon.ico",
])
def test_head_answers_as_get_without_a_body(client, archive, url):
    head, get = client.head(url), client.get(url)
    assert head.status_code == get.status_code and head.status_code in (200, 301)
    assert head["Content-Type"] == get["Content-Type"]
    assert not (b"".join(head.streaming_content) if head.streaming else head.content)


def test_the_site_has_an_icon(client, archive):
    page = client.get("/").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    assert icon == static("archive/favicon.svg")
    svg = Path(finders.find("archive/favicon.svg")).read_bytes()
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg" and len(svg) < 1000
    assert client.get("/favicon.ico").url == icon


def test_the_navigation_marks_where_the_reader_is(client, archive):
    def current(url):
        return re.findall(r'<a href="([^"]+)" aria-current="(\w+)">', client.get(url).text)

    assert current("/releases/") == [("/releases/", "page")]
    assert current("/people/") == [("/people/", "page")]
    assert current(archive["first"].get_absolute_url()) == [("/releases/", "true")]
    assert current("/") == []


def test_an_undated_release_has_no_machine_date(client, archive):
    undated = make_release("Undated notice on technology loans")
    undated.topics.set(archive["first"].topics.all())
    for url in [undated.get_absolute_url(), "/releases/", "/topics/technology-finance/"]:
        page = client.get(url).text
        assert 'datetime=""' not in page
        assert "Undated" in page
    assert '<time datetime="2025-12-24">' in client.get("/releases/").text


def test_headings_descend_one_level_at_a_time(client, archive):
    urls = ["/", "/releases/", "/releases/?q=technology", "/quotes/", "/institutions/",
            "/people/", "/topics/", archive["first"].get_absolute_url(),
            archive["ccb"].get_absolute_url(), archive["lou"].get_absolute_url(),
            "/topics/technology-finance/"]
    for url in urls:
        levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", client.get(url).text)]
        assert levels[0] == 1, url
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (url, levels)


def test_the_sitemap_leaves_out_who_appears_only_in_hidden_releases(client, archive):
    hidden = archive["hidden"]
    secret = hidden.institutions.create(name="Withdrawn Notice Bank", kind="commercial_bank")
    sitemap = sitemap_text(client)
    assert archive["ccb"].get_absolute_url() in sitemap
    assert secret.get_absolute_url() not in sitemap
    assert client.get(secret.get_absolute_url()).status_code == 404
    Release.objects.filter(pk=hidden.pk).update(hidden=False)
    assert secret.get_absolute_url() in sitemap_text(client)
