"""What a feed reader shows: each feed's title, link and description, its entries' dates,
summaries and categories, and how many entries it carries."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive import feeds
from archive.models import Release
from tests.conftest import make_release
from tests.test_views import ATOM

pytestmark = pytest.mark.django_db


def _atom(client, url, params=None):
    return ET.fromstring(client.get(url, params).content)


def _rss(client, url, params=None):
    return ET.fromstring(client.get(url, params).content).find("channel")


def test_a_feed_names_itself_and_links_to_its_list(client, archive):
    atom = _atom(client, "/releases/feed.atom")
    assert atom.findtext(f"{ATOM}title") == "Financial Policy Archive"
    assert atom.findtext(f"{ATOM}subtitle") == "New releases in the Financial Policy Archive."
    assert atom.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://testserver/releases/"
    filtered = _atom(client, "/releases/feed.atom", {"topic": "green-finance", "year": "2025"})
    assert filtered.findtext(f"{ATOM}title") == "Financial Policy Archive — filtered releases"
    assert filtered.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        "http://testserver/releases/?topic=green-finance&year=2025")
    rss = _rss(client, "/releases/feed.rss", {"source": "Xinhua"})
    assert rss.findtext("title") == "Financial Policy Archive — filtered releases"
    assert rss.findtext("link") == "http://testserver/releases/?source=Xinhua"
    assert rss.findtext("description") == "New releases in the Financial Policy Archive."


def test_an_institutions_and_a_persons_feed_name_them_and_link_to_their_page(client, archive):
    bank = archive["ccb"]
    atom = _atom(client, f"/institutions/{bank.slug}/feed.atom")
    assert atom.findtext(f"{ATOM}title") == "China Construction Bank — Financial Policy Archive"
    assert atom.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        f"http://testserver/institutions/{bank.slug}/")
    assert [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")] == [
        "Banks back technology firms", "Green loans rise at state lenders"]
    rss = _rss(client, f"/people/{archive['pan'].slug}/feed.rss")
    assert rss.findtext("title") == "Pan Gongsheng — Financial Policy Archive"
    assert rss.findtext("link") == f"http://testserver/people/{archive['pan'].slug}/"
    assert client.get("/people/nobody/feed.rss").status_code == 404


def test_an_entry_has_its_release_link_date_summary_and_institutions(client, archive):
    second = archive["second"]
    imported = datetime.datetime(2025, 6, 2, 9, 30, tzinfo=datetime.UTC)
    Release.objects.filter(pk=second.pk).update(created=imported, body="Rates. " * 200)
    entry = next(e for e in _atom(client, "/releases/feed.atom").iter(f"{ATOM}entry")
                 if e.findtext(f"{ATOM}title") == second.title)
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver{second.get_absolute_url()}"
    # Published on the release's own date; updated when the archive last changed it.
    published = second.published.isoformat()
    assert entry.findtext(f"{ATOM}published") == f"{published}T00:00:00+00:00"
    second.refresh_from_db()
    assert entry.findtext(f"{ATOM}updated") == second.updated.isoformat()
    # The summary is the body's opening, not all of it, cut at a word.
    assert entry.findtext(f"{ATOM}summary") == " ".join(["Rates."] * 90) + " …"
    assert sorted(c.get("term") for c in entry.iter(f"{ATOM}category")) == [
        "Bank of Communications", "China Construction Bank"]
    item = next(i for i in _rss(client, "/releases/feed.rss").iter("item")
                if i.findtext("title") == second.title)
    assert item.findtext("pubDate") == second.published.strftime("%a, %d %b %Y 00:00:00 +0000")
    assert sorted(c.text for c in item.iter("category")) == [
        "Bank of Communications", "China Construction Bank"]


@pytest.mark.parametrize("url", ["/releases/feed.atom", "/institutions/{slug}/feed.atom"])
def test_a_feed_carries_the_newest_releases_up_to_its_size(client, archive, url):
    bank = archive["ccb"]
    # Imported newest first, and one more on the newest day: a feed goes by the date of
    # publication, and of two on one day the later import comes first.
    days = [*range(feeds.SIZE, 0, -1), feeds.SIZE]
    for number, day in enumerate(days):
        make_release(f"Notice {number:02}", "Rates.",
                     published=datetime.date(2026, 1, day)).institutions.add(bank)
    entries = [e.findtext(f"{ATOM}title")
               for e in _atom(client, url.format(slug=bank.slug)).iter(f"{ATOM}entry")]
    assert entries == [f"Notice {number:02}" for number in [feeds.SIZE, *range(feeds.SIZE - 1)]]


@pytest.mark.parametrize("url", ["/releases/feed.rss", "/institutions/{slug}/feed.rss"])
def test_a_feed_runs_as_many_queries_for_ten_more_entries(client, archive, url):
    url = url.format(slug=archive["ccb"].slug)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    before = queries()
    for number in range(10):
        make_release(f"Notice {number}", "Rates.").institutions.add(archive["ccb"])
    assert queries() == before
