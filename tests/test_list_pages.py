"""The release and statement lists: their order, their addresses and what they say about
parameters they cannot use."""

import csv
import datetime
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import make_release

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def titles(response):
    return [r.title for r in response.context["page_obj"]]


@pytest.fixture
def undated(archive):
    """Two undated releases beside the archive's three dated ones."""
    return [make_release(f"Undated notice {n} on bank rules", "A notice.") for n in (1, 2)]


def test_undated_releases_come_last_in_both_orders(client, archive, undated):
    dated_newest = ["Banks back technology firms", "Green loans rise at state lenders",
                    "Central bank keeps policy rate"]
    last = ["Undated notice 2 on bank rules", "Undated notice 1 on bank rules"]
    assert titles(client.get("/releases/")) == dated_newest + last
    assert titles(client.get("/releases/", {"sort": "oldest"})) == dated_newest[::-1] + sorted(last)
    assert titles(client.get("/releases/", {"q": "bank", "sort": "oldest"}))[-2:] == sorted(last)


def test_oldest_first_pages_through_dated_then_undated(client, archive, undated, monkeypatch):
    from archive import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    seen, params = [], {"sort": "oldest"}
    while True:
        response = client.get("/releases/", params)
        seen += titles(response)
        if response.context["page_obj"].next_key is None:
            break
        params["after"] = response.context["page_obj"].next_key
    assert seen == ["Central bank keeps policy rate", "Green loans rise at state lenders",
                    "Banks back technology firms", "Undated notice 1 on bank rules",
                    "Undated notice 2 on bank rules"]


def test_feeds_exports_and_the_home_page_put_undated_releases_last(client, archive, undated):
    home = [r.title for r in client.get("/").context["latest"]]
    assert home[-2:] == ["Undated notice 2 on bank rules", "Undated notice 1 on bank rules"]
    feed = ET.fromstring(client.get("/releases/feed.atom").content)
    assert [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")][-1].startswith("Undated")
    rows = json.loads(b"".join(client.get("/releases/export.json").streaming_content))
    assert [r["published"] for r in rows] == ["2025-12-24", "2025-06-01", "2024-03-05", None, None]


def test_an_unknown_sort_falls_back_to_the_default(client, archive):
    assert titles(client.get("/releases/", {"sort": "zzz"})) == titles(client.get("/releases/"))
    assert titles(client.get("/releases/", {"sort": "zzz"}))  # not hidden
    response = client.get("/releases/", {"sort": "zzz", "q": "technology"})
    assert response.context["ranked"] and titles(response)


def test_a_reversed_date_range_is_explained(client, archive):
    for url in ("/releases/", "/quotes/"):
        response = client.get(url, {"date_from": "2025-12-31", "date_to": "2025-01-01"})
        assert response.status_code == 200
        assert "“From” (31 December 2025) is after “To” (1 January 2025)" in response.text
        assert "Swap the two dates." in response.text


def test_errors_name_the_field_as_the_form_labels_it(client, archive):
    text = client.get("/releases/", {"date_from": "soon", "year": "MMXXV"}).text
    message = text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "<li>From: Enter a valid date.</li>" in message
    assert "<li>Year: Enter a number.</li>" in message
    assert "date_from" not in message and "year:" not in message
    text = client.get("/quotes/", {"speaker": "nobody"}).text
    assert "<li>Speaker: Select a valid choice." in text


def test_empty_fields_are_dropped_from_the_address(client, archive):
    response = client.get("/releases/?q=&date_from=&date_to=&sort=newest&topic=")
    assert response.status_code == 302 and response.url == "/releases/?sort=newest"
    response = client.get("/quotes/?q=liquidity&kind=&date_from=")
    assert response.url == "/quotes/?q=liquidity"
    assert client.get("/releases/?q=").url == "/releases/"
    assert client.get("/people/?name=").url == "/people/"
    assert client.get("/releases/?q=technology").status_code == 200


def test_phones_get_a_filters_link_before_the_results(client, archive):
    page = client.get("/releases/").text
    link = page.index('<p class="to-filters"><a href="#filters">Filters</a></p>')
    assert link < page.index('class="results"')
    assert re.search(r'<aside class="facets" id="filters"', page)
    # Shown on narrow screens only: tests/test_e2e.py looks at both.


def test_the_statements_export_says_what_each_speaker_spoke_for(client, archive):
    rows = list(csv.DictReader(io.StringIO(b"".join(
        client.get("/quotes/export.csv").streaming_content).decode("utf-8-sig"))))
    spoke_for = {row["speaker"]: row["speaker_institution"] for row in rows}
    assert spoke_for == {"Pan Gongsheng": "People's Bank of China",
                         "Lou Feipeng": "China Construction Bank",
                         "China Construction Bank": "China Construction Bank"}


def test_exports_open_in_spreadsheets_and_keep_lists_as_lists(client, archive):
    raw = b"".join(client.get("/releases/export.csv").streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfid,title,")  # UTF-8's byte-order mark
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    first = next(r for r in rows if r["title"] == "Banks back technology firms")
    assert first["people"] == "Lou Feipeng"
    assert first["body"].startswith("China Construction Bank said it will expand")
    second = next(r for r in rows if r["title"].startswith("Green loans"))
    assert second["institutions"] == "Bank of Communications; China Construction Bank"
    data = json.loads(b"".join(client.get("/releases/export.json").streaming_content))
    second = next(r for r in data if r["title"].startswith("Green loans"))
    assert second["institutions"] == ["Bank of Communications", "China Construction Bank"]
    assert second["topics"] == ["green-finance", "technology-finance"]
    assert second["people"] == [] and second["body"].startswith("Bank of Communications")
    assert not b"".join(client.get("/releases/export.json").streaming_content).startswith(
        b"\xef\xbb\xbf")


def test_a_summary_ends_at_a_word_and_an_entry_has_its_dates(client, archive):
    words = " ".join(f"word{n}" for n in range(200))
    long = make_release("A long release on rates", words, published=datetime.date(2025, 2, 3))
    feed = ET.fromstring(client.get("/releases/feed.atom").content)
    entries = {e.findtext(f"{ATOM}title"): e for e in feed.iter(f"{ATOM}entry")}
    entry = entries["A long release on rates"]
    assert entry.findtext(f"{ATOM}summary").endswith(" word89 …")
    assert entry.findtext(f"{ATOM}published") == "2025-02-03T00:00:00+00:00"
    long.refresh_from_db()
    assert entry.findtext(f"{ATOM}updated") == long.updated.isoformat()
    assert all(e.find(f"{ATOM}updated") is not None for e in entries.values())
    undated = make_release("An undated release on rates")
    entry = {e.findtext(f"{ATOM}title"): e for e in ET.fromstring(
        client.get("/releases/feed.atom").content).iter(f"{ATOM}entry")}[undated.title]
    assert entry.find(f"{ATOM}published") is None and entry.find(f"{ATOM}updated") is not None
    rss = ET.fromstring(client.get("/releases/feed.rss").content)
    items = {i.findtext("title"): i for i in rss.iter("item")}
    assert items["A long release on rates"].findtext("pubDate").startswith("Mon, 03 Feb 2025")
