import datetime
import hashlib
import itertools
import re

import pytest

from archive.models import Appearance, Document, Institution, Person, Quote, Release, Topic

_counter = itertools.count(1)


def make_document(content: bytes | None = None, **fields) -> Document:
    content = content if content is not None else f"document {next(_counter)}".encode()
    fields.setdefault("origin", f"fixture-{next(_counter)}.txt")
    fields.setdefault("media_type", "text/plain")
    fields.setdefault("encoding", "utf-8")
    fields.setdefault("parser_version", "test")
    return Document.objects.create(
        content=content, sha256=hashlib.sha256(content).hexdigest(), size=len(content), **fields
    )


def make_release(title: str = "A release", body: str = "Body text.", **fields) -> Release:
    fields.setdefault("document", make_document())
    return Release.objects.create(title=title, body=body, **fields)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Hashing cost is irrelevant to what these tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _search_index(settings, tmp_path):
    # Each test searches an index of its own, built from its own records.
    from archive import search_index

    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    yield
    search_index._indexes.clear()


@pytest.fixture
def archive():
    """Three banks, two people, four releases over two years."""
    ccb = Institution.objects.create(name="China Construction Bank", kind="commercial_bank")
    bocom = Institution.objects.create(name="Bank of Communications", kind="commercial_bank")
    pboc = Institution.objects.create(name="People's Bank of China", kind="central_bank")
    lou = Person.objects.create(name="Lou Feipeng")
    pan = Person.objects.create(name="Pan Gongsheng")
    tech = Topic.objects.get(slug="technology-finance")
    green = Topic.objects.get(slug="green-finance")
    monetary = Topic.objects.get(slug="monetary-policy")

    def release(title, body, published, institutions, topics, source="China Daily"):
        item = make_release(title, body, published=published, source=source)
        item.institutions.set(institutions)
        item.topics.set(topics)
        return item

    first = release("Banks back technology firms",
                    "China Construction Bank said it will expand technology loans. "
                    "Lou Feipeng, a researcher, said re-lending helps <script>alert(1)</script>.",
                    datetime.date(2025, 12, 24), [ccb], [tech])
    second = release("Green loans rise at state lenders",
                     "Bank of Communications issued green bonds and technology loans.",
                     datetime.date(2025, 6, 1), [bocom, ccb], [green, tech])
    third = release("Central bank keeps policy rate",
                    "The People's Bank of China kept the loan prime rate unchanged.",
                    datetime.date(2024, 3, 5), [pboc], [monetary], source="Xinhua")
    hidden = release("Withdrawn notice about technology", "Technology loans.",
                     datetime.date(2025, 1, 1), [ccb], [tech])
    hidden.hidden = True
    hidden.save()
    Appearance.objects.create(release=first, person=lou, role="researcher", affiliation=ccb)
    Appearance.objects.create(release=third, person=pan, role="governor", affiliation=pboc)
    Quote.objects.create(release=first, institution=ccb, kind="indirect", position=1,
                         text="it will expand technology loans")
    Quote.objects.create(release=first, person=lou, kind="indirect", position=2,
                         text="re-lending helps <script>alert(1)</script>", role="researcher")
    Quote.objects.create(release=third, person=pan, kind="direct", position=1,
                         text="We will keep liquidity reasonably ample", role="governor")
    Quote.objects.create(release=hidden, institution=ccb, kind="indirect", position=1,
                         text="hidden technology statement")
    return {"first": first, "second": second, "third": third, "hidden": hidden, "ccb": ccb,
            "bocom": bocom, "pboc": pboc, "lou": lou, "pan": pan}


def sitemap_text(client) -> str:
    """Every sitemap the index at /sitemap.xml lists, read one after another."""
    index = client.get("/sitemap.xml").text
    return "".join(client.get(url.replace("http://testserver", "")).text
                   for url in re.findall(r"<loc>([^<]+)</loc>", index))
