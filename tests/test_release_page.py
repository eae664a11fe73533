"""A release's page: related releases and its statements marked in its text."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.models import Appearance, Institution, Person, Quote, Release, Topic
from tests.conftest import make_document, make_release

pytestmark = pytest.mark.django_db


def related_titles(client, release):
    return [r.title for r in client.get(release.get_absolute_url()).context["related"]]


def test_related_releases_share_the_most_institutions_people_and_topics(client):
    fed = Institution.objects.create(name="Federal Reserve", kind="central_bank")
    ecb = Institution.objects.create(name="European Central Bank", kind="central_bank")
    rare = Institution.objects.create(name="Bank of Iceland", kind="central_bank")
    powell = Person.objects.create(name="Jerome Powell")
    rates = Topic.objects.get(slug="monetary-policy")

    def release(title, day, institutions=(), topics=(), people=()):
        item = make_release(title, published=datetime.date(2025, 1, day))
        item.institutions.set(institutions)
        item.topics.set(topics)
        for person in people:
            Appearance.objects.create(release=item, person=person)
        return item

    source = release("Fed and ECB hold rates", 1, [fed, ecb, rare], [rates], [powell])
    release("Powell on rates at the Fed", 2, [fed], [rates], [powell])  # three shared
    release("Fed and ECB swap lines", 3, [fed, ecb])  # two shared
    release("Iceland's bank speaks", 4, [rare])  # one shared: the rarest, but only one
    release("Rates around the world", 5, topics=[rates])  # one shared, newer
    release("Nothing in common", 6)
    hidden = release("Withdrawn: Fed, ECB and Powell on rates", 7, [fed, ecb, rare], [rates],
                     [powell])
    hidden.hidden = True
    hidden.save()
    assert related_titles(client, source) == [
        "Powell on rates at the Fed", "Fed and ECB swap lines", "Rates around the world",
        "Iceland's bank speaks"]
    # Before, only the rarest institution counted: a release sharing a person or a topic
    # but not that bank found nothing.
    lone = release("Powell alone", 8, people=[powell])
    assert related_titles(client, lone) == ["Powell on rates at the Fed", "Fed and ECB hold rates"]


def test_each_statement_is_marked_in_the_text_and_linked_to_its_place(client, archive):
    release = archive["first"]
    response = client.get(release.get_absolute_url())
    page = response.text
    assert ('<mark class="statement" id="said-1">it will expand technology loans</mark>'
            in page)
    # Marked text stays escaped, and names inside a statement are still linked.
    assert ('<mark class="statement" id="said-2">re-lending helps '
            '&lt;script&gt;alert(1)&lt;/script&gt;</mark>') in page
    assert "<script>alert" not in page
    assert f'<a href="{archive["lou"].get_absolute_url()}">Lou Feipeng</a>' in page
    assert page.count('href="#said-1">In the text</a>') == 1
    assert page.count('href="#said-2">In the text</a>') == 1
    # A statement the text does not hold word for word is listed, not linked.
    release.quotes.create(institution=archive["ccb"], kind="indirect", position=3,
                          text="words that appear nowhere in the body")
    page = client.get(release.get_absolute_url()).text
    assert "words that appear nowhere in the body" in page and "#said-3" not in page


def test_a_statement_quoting_a_name_keeps_the_name_linked(client, archive):
    release = make_release("Bank names its chair", "The board said China Construction Bank "
                           "will name a chair. Nothing else.", published=datetime.date(2025, 1, 1))
    release.institutions.set([archive["ccb"]])
    release.quotes.create(institution=archive["ccb"], kind="indirect", position=1,
                          text="China Construction Bank will name a chair")
    page = client.get(release.get_absolute_url()).text
    assert (f'<mark class="statement" id="said-1"><a href="{archive["ccb"].get_absolute_url()}">'
            'China Construction Bank</a> will name a chair</mark>') in page


def test_related_releases_are_five_and_dated_ones_come_before_undated(client):
    fed = Institution.objects.create(name="Federal Reserve", kind="central_bank")
    powell = Person.objects.create(name="Jerome Powell")
    source = make_release("Fed minutes", published=datetime.date(2025, 1, 1))
    source.institutions.set([fed])
    Appearance.objects.create(release=source, person=powell)
    undated = make_release("Undated Fed note")
    undated.institutions.set([fed])
    Appearance.objects.create(release=make_release(
        "Powell speaks", published=datetime.date(2020, 1, 1)), person=powell)
    for day in range(1, 7):
        make_release(f"Fed day {day}", published=datetime.date(2024, 1, day)).institutions.set(
            [fed])
    # One link shared each: five of them, newest first, the undated after every dated one.
    assert related_titles(client, source) == [f"Fed day {day}" for day in range(6, 1, -1)]
    for release in Release.objects.filter(title__startswith="Fed day"):
        release.delete()
    assert related_titles(client, source) == ["Powell speaks", "Undated Fed note"]


def page_reads(client, release) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(release.get_absolute_url())
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_versions_are_listed_only_when_the_original_was_archived_again(client):
    release = make_release("Rates held", document=make_document(b"Rates held at 2 per cent.",
                                                                origin="rates.txt"))
    make_document(b"Another file.", origin="rates-2.txt")  # another origin: not a version
    reads = page_reads(client, release)
    # The document's own read says whether there are others; no list of versions is asked.
    assert len([sql for sql in reads if re.search(r"FROM \W?archive_document\b", sql)]) == 1
    assert "<h2>Versions</h2>" not in client.get(release.get_absolute_url()).text

    make_document(b"Rates held at 2.5 per cent.", origin="rates.txt")  # fetched again, changed
    page = client.get(release.get_absolute_url()).text
    assert "<h2>Versions</h2>" in page
    assert '<span class="diff-added">+Rates held at 2.5 per cent.' in page


def test_the_page_reads_the_same_queries_however_many_statements_and_people_it_shows(client):
    """Speakers, affiliations and the issuer come with the rows that name them, and no row
    is loaded again for a column left out: the page most often opened."""
    bank = Institution.objects.create(name="Bank of Testland", kind="central_bank")
    ministry = Institution.objects.create(name="Ministry of Sums", kind="government")
    agency = Institution.objects.create(name="Agency of Audits", kind="regulator")
    small = make_release("Rates held", body="Rates held.", published=datetime.date(2025, 2, 3))
    small.institutions.set([bank])  # a link to look for related releases by, as the other
    large = make_release("Rates cut", body="Ada said rates fall. Bo said so too.", issuer=bank,
                         published=datetime.date(2025, 2, 4))
    large.institutions.set([ministry, bank, agency])
    large.topics.set(Topic.objects.filter(slug__in=["monetary-policy", "banking"]))
    for position, name in enumerate(["Cy Minister", "Ada Governor", "Bo Deputy"], start=1):
        person = Person.objects.create(name=name)
        Appearance.objects.create(release=large, person=person, role="Speaker",
                                  affiliation=ministry if name == "Cy Minister" else bank)
        Quote.objects.create(release=large, person=person, text=f"Quote {position}.",
                             position=position, kind="direct", role="Speaker")
    for position, speaker in [(5, ministry), (4, agency)]:
        Quote.objects.create(release=large, institution=speaker, text=f"Quote {position}.",
                             position=position, kind="indirect")

    assert len(page_reads(client, large)) == len(page_reads(client, small))
    reads = page_reads(client, large)
    assert not any("search_vector" in sql for sql in reads)
    for table in ("archive_quote", "archive_appearance"):
        [read] = [sql for sql in reads if re.search(rf"FROM {table}\b", sql)]
        assert "archive_release" not in read  # its orderings' join, for nothing here

    response = client.get(large.get_absolute_url())
    context = response.context
    assert [i.name for i in context["institutions"]] == [
        "Agency of Audits", "Bank of Testland", "Ministry of Sums"]
    assert [t.name for t in context["topics"]] == sorted(t.name for t in large.topics.all())
    assert [q.position for q in context["quotes"]] == [1, 2, 3, 4, 5]
    assert [str(q.speaker) for q in context["quotes"]][3:] == ["Agency of Audits",
                                                              "Ministry of Sums"]
    assert [a.person.name for a in context["appearances"]] == [
        "Ada Governor", "Bo Deputy", "Cy Minister"]
    page = response.content.decode()
    cy = Person.objects.get(name="Cy Minister")
    assert (f'<a href="{cy.get_absolute_url()}">Cy Minister</a>, Speaker, '
            f'<a href="{ministry.get_absolute_url()}">Ministry of Sums</a>') in page
    assert f'of <a href="{bank.get_absolute_url()}">Bank of Testland</a>' in page  # its issuer


def test_a_hidden_missing_or_impossible_release_is_not_found(client):
    release = make_release("Withdrawn", hidden=True)
    assert client.get(release.get_absolute_url()).status_code == 404
    assert client.get(f"/releases/{release.pk + 1}/anything/").status_code == 404
    assert client.get(f"/releases/{2 ** 63}/anything/").status_code == 404  # past the column
