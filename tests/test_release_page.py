"""A release's page: related releases and its statements marked in its text."""

import datetime

import pytest

from archive.models import Appearance, Institution, Person, Topic
from tests.conftest import make_release

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
