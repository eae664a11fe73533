import hashlib
import itertools

import pytest

from archive.models import Document, Release

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
