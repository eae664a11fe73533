"""Institution and person pages and the institutions list: grouping, labels, filters, charts."""

import datetime
import re

import pytest

from archive.charts import counts_over_time
from archive.models import Institution, Quote
from tests.conftest import make_release

pytestmark = pytest.mark.django_db


def test_a_persons_statements_are_grouped_by_release(client, archive):
    lou = archive["lou"]
    Quote.objects.create(release=archive["first"], person=lou, kind="direct", position=3,
                         text="Technology lending will keep growing next year")
    other = make_release("Lou on bonds", "Bonds.", published=datetime.date(2025, 3, 1))
    Quote.objects.create(release=other, person=lou, kind="indirect", position=1,
                         text="bond issuance will rise")
    page = client.get(lou.get_absolute_url()).text
    groups = re.findall(r'<li class="release-group">\s*<h3><a href="([^"]+)">', page)
    assert groups == [archive["first"].get_absolute_url(), other.get_absolute_url()]
    first = page.split('<li class="release-group">')[1]
    assert "2 statements" in first and "Technology lending will keep growing" in first
    assert "bond issuance will rise" not in first
    assert f'href="{archive["first"].get_absolute_url()}#statement-3">in the text</a>' in first


def test_the_institutions_list_labels_its_counts_and_filters_by_country_and_kind(client, archive):
    Institution.objects.filter(pk=archive["pboc"].pk).update(country="China")
    Institution.objects.filter(pk=archive["ccb"].pk).update(country="China")
    page = client.get("/institutions/").text
    # Its own statement and its researcher's, who spoke for it.
    assert re.search(r"China Construction Bank</a> <span class=\"meta\">China</span></span> "
                     r"<span class=\"count\">2 releases, 2 statements</span>", page)
    assert "1 release, 0 statements" in page  # Bank of Communications
    assert '<option value="China">China</option>' in page
    response = client.get("/institutions/", {"country": "China", "kind": "commercial_bank"})
    names = [i.name for group in response.context["groups"].values() for i in group]
    assert names == ["China Construction Bank"]
    response = client.get("/institutions/", {"kind": "central_bank"})
    assert [i.name for group in response.context["groups"].values() for i in group] == [
        "People's Bank of China"]
    assert client.get("/institutions/?kind=&country=China").url == "/institutions/?country=China"
    response = client.get("/institutions/", {"kind": "dragon"})
    assert response.status_code == 200 and not response.context["groups"]
    assert "Kind: Select a valid choice." in response.text


def test_a_chart_by_month_has_axes_labels_and_its_figures(client, archive):
    chart = counts_over_time({(2025, 1): 3, (2025, 3): 12}, "releases")
    assert chart.title == "Releases per month, Jan 2025 to Mar 2025"
    assert chart.summary == "15 releases in all; the most, 12, in Mar 2025."
    assert chart.rows == [("Jan 2025", 3), ("Feb 2025", 0), ("Mar 2025", 12)]
    assert [t["label"] for t in chart.ticks] == ["0", "5", "10", "15"]
    assert [label["text"] for label in chart.labels] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    tallest = max(chart.bars, key=lambda bar: bar["h"])
    assert tallest["label"] == "Mar 2025: 12"
    assert tallest["y"] + tallest["h"] == chart.bottom
    assert tallest["h"] == pytest.approx((chart.bottom - chart.top) * 12 / 15, abs=0.1)
    assert counts_over_time({}, "releases") is None


def test_a_long_span_is_charted_by_year():
    chart = counts_over_time({(2001, 5): 2, (2010, 1): 4, (2010, 12): 1}, "statements")
    assert chart.title == "Statements per year, 2001 to 2010"
    assert chart.rows[0] == ("2001", 2) and chart.rows[-1] == ("2010", 5) and len(chart.rows) == 10
    assert [t["label"] for t in chart.ticks] == ["0", "1", "2", "3", "4", "5"]


def test_institution_and_person_pages_draw_their_charts(client, archive):
    page = client.get(archive["ccb"].get_absolute_url()).text
    assert '<title id="chart-title">Releases per month, Jun 2025 to Dec 2025</title>' in page
    assert "2 releases in all; the most, 1, in Jun 2025." in page
    assert "<td>Jun 2025</td><td>1</td>" in page and "<td>Jul 2025</td><td>0</td>" in page
    assert page.count("<rect ") == 7 and 'class="axis"' in page
    page = client.get(archive["pan"].get_absolute_url()).text
    assert '<title id="chart-title">Statements per month, Mar 2024 to Mar 2024</title>' in page
    assert "<td>Mar 2024</td><td>1</td>" in page
