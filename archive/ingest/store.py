"""The extracted record -> database: one transaction a document, idempotent, and curated
values always kept.

Names are unique (case-insensitive) in the database, so two imports running at once cannot
create the same institution or person twice: a create that loses the race falls back to the
row the other import wrote.
"""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from archive.ingest.pipeline import PARSER_VERSION, Extracted
from archive.models import (
    Appearance,
    Document,
    Institution,
    Person,
    Quote,
    Release,
    Topic,
)

RELEASE_FIELDS = ["title", "published", "source", "source_date", "body", "language"]


@dataclass
class Outcome:
    status: str  # "created", "updated" or "unchanged"
    release: Release | None = None


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def is_archived(digest: str) -> bool:
    return Document.objects.filter(sha256=digest).exists()


def store(raw: bytes, origin: str, extracted: Extracted) -> Outcome:
    """Archive a file's bytes and what was extracted from them.

    Identical bytes are already archived: nothing is written. Changed bytes from an origin
    already imported become a new Document, and its release is updated in place.
    """
    digest = sha256(raw)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                content=raw, sha256=digest, origin=origin, media_type=extracted.media_type,
                encoding=extracted.encoding, size=len(raw), parser_version=PARSER_VERSION,
            )
            release = (
                Release.objects.filter(document__origin=origin).order_by("-id").first()
            )
            status = "updated" if release else "created"
            apply(release or Release(), document, extracted)
    except IntegrityError:
        if is_archived(digest):  # the same bytes were archived by a concurrent import
            return Outcome("unchanged")
        raise
    return Outcome(status, Release.objects.get(document=document))


def apply(release: Release, document: Document, extracted: Extracted) -> Release:
    """Write an extraction onto a release, keeping every field a curator has changed."""
    curated = set(release.curated_fields or [])
    for name in RELEASE_FIELDS:
        if name not in curated:
            setattr(release, name, getattr(extracted, name) or (None if name in (
                "published", "source_date") else ""))
    if "title" not in curated:
        release.slug = ""  # derived again from the new title
    release.document = document
    release.save()

    institutions = {info.name: get_institution(info.name, info.kind, info.country)
                    for info in extracted.institutions}
    if "institutions" not in curated:
        release.institutions.set(institutions.values())
    if "topics" not in curated:
        release.topics.set(Topic.objects.filter(slug__in=extracted.topics))
    if "persons" not in curated:
        release.appearances.all().delete()
        for person in extracted.persons:
            affiliation = institutions.get(person.affiliation) if person.affiliation else None
            if person.affiliation and not affiliation:
                affiliation = get_institution(person.affiliation)
            Appearance.objects.create(
                release=release, person=get_person(person.name), role=person.role[:200],
                affiliation=affiliation,
            )
    # Statements a curator changed or verified stay exactly as they are.
    if "quotes" not in curated and not release.quotes.filter(verified=True).exists():
        release.quotes.all().delete()
        roles = {p.name: p.role for p in extracted.persons}
        Quote.objects.bulk_create(
            Quote(
                release=release,
                person=get_person(q.speaker) if q.speaker_type == "person" else None,
                institution=get_institution(q.speaker) if q.speaker_type == "institution" else None,
                kind=q.kind, text=q.text, position=position,
                role=roles.get(q.speaker, "")[:200],
            )
            for position, q in enumerate(extracted.quotes, start=1)
        )
    return release


def get_institution(name: str, kind: str = "other", country: str = "") -> Institution:
    existing = Institution.objects.named(name).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Institution.objects.create(name=name[:300], kind=kind, country=country)
    except IntegrityError:
        return Institution.objects.named(name).get()


def get_person(name: str) -> Person:
    existing = Person.objects.named(name).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Person.objects.create(name=name[:200])
    except IntegrityError:
        return Person.objects.named(name).get()
