"""The extracted record -> database: one transaction a document, idempotent, and curated
values always kept.

Names are unique (case-insensitive) in the database, so two imports running at once cannot
create the same institution or person twice: a create that loses the race falls back to the
row the other import wrote.
"""

import functools
import hashlib

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from archive.ingest import topics
from archive.ingest.entities import InstitutionInfo
from archive.ingest.pipeline import PARSER_VERSION, Context, Extracted, extract
from archive.ingest.read import UnreadableDocument
from archive.models import (
    Appearance,
    Document,
    Institution,
    InstitutionAlias,
    Person,
    Quote,
    Release,
    Topic,
    base_slug,
)

RELEASE_FIELDS = ["title", "title_provisional", "kind", "url", "published", "source",
                  "source_date", "body", "language"]


def load_context() -> Context:
    """Curators' institutions, aliases and topic keywords, read once for a whole run."""
    institutions = {
        name: InstitutionInfo(name, kind, country)
        for name, kind, country in Institution.objects.values_list("name", "kind", "country")
    }
    aliases = dict(InstitutionAlias.objects.values_list("name", "institution__name"))
    topic_keywords = {t.slug: t.keyword_list() for t in Topic.objects.all()}
    return Context(aliases, institutions, topic_keywords)


def reextract(releases) -> tuple[int, list[str]]:
    """Extract releases again from their stored originals with today's pipeline, aliases and
    keywords; what curators changed is kept. Returns the count done and the failures."""
    context, archive = load_context(), Archive()
    done, failures = 0, []
    for release in releases.select_related("document"):
        document = release.document
        try:
            extracted = extract(bytes(document.content), document.reading_name, context)
        except UnreadableDocument as error:
            failures.append(f"{release}: {error}")
            continue
        with transaction.atomic():
            archive.apply(release, document, extracted)
        done += 1
    return done, failures


def retag(releases) -> int:
    """Tag releases again with the topics' current keywords, except where a curator chose
    the topics. Returns how many releases were looked at."""
    keywords = topics.compile_keywords({t.slug: t.keyword_list() for t in Topic.objects.all()})
    by_slug = {t.slug: t for t in Topic.objects.all()}
    count = 0
    for release in releases.only("pk", "title", "body", "curated_fields").iterator(chunk_size=500):
        count += 1
        if "topics" in (release.curated_fields or []):
            continue
        release.topics.set([by_slug[s] for s in topics.tag(release.title, release.body, keywords)])
    return count


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def damaged_originals():
    """Stored originals whose bytes no longer match the SHA-256 recorded at import, as
    (pk, origin, recorded, actual), read a few hundred at a time."""
    documents = Document.objects.values_list("pk", "origin", "sha256", "content")
    for pk, origin, recorded, content in documents.iterator(chunk_size=200):
        actual = sha256(bytes(content))
        if actual != recorded:
            yield pk, origin, recorded, actual


def is_archived(digest: str) -> bool:
    return Document.objects.filter(sha256=digest).exists()


class Archive:
    """Writes extracted documents. One instance serves a whole import run and remembers the
    primary keys of the institutions, people and topics it has looked up, so a name seen in
    every document costs one query per run, not one per document."""

    def __init__(self):
        self.topic_ids = dict(Topic.objects.values_list("slug", "pk"))
        self.forget()

    def forget(self) -> None:
        """Drop what the run has looked up: rows may have gone (merged by a curator)."""
        self.institution_ids: dict[str, int] = {}
        self.person_ids: dict[str, int] = {}
        # Curators' aliases are few: read once, they spare a second query for every name.
        self.aliases = {model: model.objects.ids_by_alias() for model in (Institution, Person)}

    def store(self, raw: bytes, origin: str, extracted: Extracted, capture: dict | None = None
              ) -> tuple[str, Release | None]:
        """Archive a file's bytes and what was extracted from them; return the status
        ("created", "updated" or "unchanged") and the release. `capture` holds the Document
        fields of a harvested page (fetch time, validators, WARC record).

        Identical bytes are already archived: nothing is written, unless no release is left
        of them or of their origin (a curator deleted it), when it is made again from them.
        Changed bytes from an origin already imported become a new Document, and its
        release is updated in place: the Document before stays, a version of the release.
        """
        digest = sha256(raw)
        archived = self.archived(digest, origin)
        if digest in archived:
            if any(archived.values()):
                return "unchanged", None
            with transaction.atomic():
                # Locked and asked again, so that two imports do not both make it.
                document = Document.objects.select_for_update().only("pk").get(sha256=digest)
                if Release.objects.filter(Q(document=document) | Q(document__origin=origin)
                                          ).exists():
                    return "unchanged", None
                return "created", self.apply(Release(), document, extracted)
        try:
            with transaction.atomic():
                document = Document(
                    content=raw, sha256=digest, origin=origin, media_type=extracted.media_type,
                    encoding=extracted.encoding, size=len(raw), parser_version=PARSER_VERSION,
                    imported_at=timezone.now(), **(capture or {}),
                )
                insert_new(document)  # written once and never changed
                release = None
                if archived:
                    release = (Release.objects.filter(document__origin=origin)
                               .order_by("-id").first())
                status = "updated" if release else "created"
                release = self.apply(release or Release(), document, extracted)
        except IntegrityError:
            self.forget()
            if is_archived(digest):  # the same bytes were archived by a concurrent import
                return "unchanged", None
            raise
        return status, release

    @staticmethod
    def archived(digest: str, origin: str) -> dict[str, bool]:
        """The SHA-256 of every archived document with these bytes or from this origin, and
        whether a release is made from it: one query answers are these bytes archived, was
        this origin imported before (its release is then updated) and is a release left of
        them. Written in SQL: Django took longer to compile the query than the database to
        answer it, at every document of an import."""
        table = connection.ops.quote_name(Document._meta.db_table)
        releases = connection.ops.quote_name(Release._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT sha256, EXISTS (SELECT 1 FROM {releases} "
                           f"WHERE {releases}.document_id = {table}.id) "
                           f"FROM {table} WHERE sha256 = %s OR origin = %s", [digest, origin])
            return {sha: bool(released) for sha, released in cursor.fetchall()}

    def apply(self, release: Release, document: Document, extracted: Extracted) -> Release:
        """Write an extraction onto a release, keeping every field a curator has changed."""
        new = release.pk is None
        curated = set(release.curated_fields or [])
        if "title" in curated:
            curated.add("title_provisional")  # the curator's title is nobody's provisional one
        for name in RELEASE_FIELDS:
            if name not in curated:
                value = getattr(extracted, name)
                limit = Release._meta.get_field(name).max_length
                if isinstance(value, str) and limit:
                    value = value[:limit]  # an overlong title is cut, not refused
                setattr(release, name, value)
        if "title" not in curated:
            release.slug = ""  # derived again from the new title
        release.document = document
        if new:
            release.set_default_slug()
            insert_new(release)
        else:
            release.save()

        # Every institution and person the document names, looked up (or created) together.
        named_institutions = {p.affiliation: {} for p in extracted.persons if p.affiliation}
        named_institutions |= {q.speaker: {} for q in extracted.quotes
                               if q.speaker_type == "institution"}
        named_institutions |= {i.name: {"kind": i.kind, "country": i.country}
                               for i in extracted.institutions}
        if extracted.issuer:
            named_institutions.setdefault(extracted.issuer, {})
        institution_ids = self.ids(Institution, self.institution_ids, named_institutions)
        if "issuer" not in curated:
            issuer_id = institution_ids.get(extracted.issuer)
            if issuer_id != release.issuer_id:
                Release.objects.filter(pk=release.pk).update(issuer_id=issuer_id)
                release.issuer_id = issuer_id
        person_ids = self.ids(Person, self.person_ids, dict.fromkeys(
            [p.name for p in extracted.persons]
            + [q.speaker for q in extracted.quotes if q.speaker_type == "person"], {}))

        # The rows that name the release are written together, after every removal.
        rows = []
        if "institutions" not in curated:
            rows.append(link(release, "institutions",
                             [institution_ids[i.name] for i in extracted.institutions], new))
        if "topics" not in curated:
            rows.append(link(release, "topics", [self.topic_ids[s] for s in extracted.topics
                                                 if s in self.topic_ids], new))
        if "persons" not in curated:
            if not new:
                release.appearances.all().delete()
            # Two names may be one person (an alias): the first appearance stands.
            appearances = {}
            for person in extracted.persons:
                appearances.setdefault(person_ids[person.name], {
                    "release": release.pk, "person": person_ids[person.name],
                    "role": person.role[:200],
                    "affiliation": institution_ids.get(person.affiliation)})
            rows.append((Appearance, list(appearances.values())))
        # Statements a curator changed or verified stay exactly as they are.
        if "quotes" not in curated and (new or not release.quotes.filter(verified=True).exists()):
            if not new:
                release.quotes.all().delete()
            roles = {p.name: p.role for p in extracted.persons}
            rows.append((Quote, [
                {"release": release.pk,
                 "person": person_ids[q.speaker] if q.speaker_type == "person" else None,
                 "institution": (institution_ids[q.speaker]
                                 if q.speaker_type == "institution" else None),
                 "kind": q.kind, "text": q.text, "position": position,
                 "role": roles.get(q.speaker, "")[:200], "verified": False}
                for position, q in enumerate(extracted.quotes, start=1)]))
        insert_together(rows)
        return release

    def ids(self, model, known: dict[str, int], wanted: dict[str, dict]) -> dict[str, int]:
        """The primary keys of the rows of `model` named `wanted` (name -> fields of a new
        row), creating those there are none of. `known` holds the keys this run has found,
        by case-folded name; the rest cost one query for all of them, and one insert for
        all the new ones. A row's name beats another row's alias."""
        limit = model._meta.get_field("name").max_length  # a longer name is stored cut short
        missing = {name[:limit]: fields for name, fields in wanted.items()
                   if name[:limit].casefold() not in known}
        if missing:
            by_name = model.objects.ids_by_name(missing)
            for name in missing:
                pk = by_name.get(name) or self.aliases[model].get(name.casefold())
                if pk:
                    known[name.casefold()] = pk
            new = {name: fields for name, fields in missing.items()
                   if name.casefold() not in known}
            if new:
                known.update(_create(model, new))
        return {name: known[name[:limit].casefold()] for name in wanted}


def link(release: Release, field: str, ids: list[int], new: bool) -> tuple:
    """Remove a release's many-to-many links of `field` (a new release has none) and return
    the link rows to insert for `ids`, as (model, rows)."""
    if not new:
        getattr(release, field).clear()
    through = getattr(Release, field).through
    other = getattr(Release, field).field.m2m_reverse_field_name()
    return through, [{"release": release.pk, other: pk} for pk in dict.fromkeys(ids)]


# Parameters any SQLite (999 before 3.32, 32,766 since) and PostgreSQL take in a statement:
# a smaller insert need not ask the connection for its limit.
SAFE_PARAMETERS = 999


def insert_rows(model, rows, returning: list[str] = (), skip_conflicts: bool = False
                ) -> list[tuple]:
    """Insert rows given as {field name: database value} with one multi-row INSERT (in
    batches of what the database accepts); with `returning` (columns), return those
    columns of the new rows, in no particular order. With `skip_conflicts`, a row that
    would break a unique constraint is left out instead of failing the statement.

    An import writes a few dozen rows a document: building a model instance and compiling
    an insert for each took longer than the database's own work, and an executemany still
    runs one statement a row on PostgreSQL. The database checks every constraint, and
    SQLite's search triggers fire."""
    inserted = []
    with connection.cursor() as cursor:
        for statement, parameters in _inserts(model, list(rows), tuple(returning),
                                              skip_conflicts):
            cursor.execute(statement, parameters)
            if returning:
                inserted += cursor.fetchall()
    return inserted


def insert_together(tables: list[tuple]) -> None:
    """Insert the rows of several tables, given as (model, rows). PostgreSQL gets every
    statement in one query, so the import waits for one answer across the network, not
    one a table: the four inserts that follow a release took 1.3 ms a document as four
    queries and take 1.0 ms as one. SQLite runs in this process (and its driver takes one
    statement at a time)."""
    statements = [insert for model, rows in tables
                  for insert in _inserts(model, rows, (), skip_conflicts=False)]
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(";".join(sql for sql, _ in statements),
                           [value for _, parameters in statements for value in parameters])
        else:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)


def _inserts(model, rows: list[dict], returning: tuple[str, ...], skip_conflicts: bool):
    """The INSERT statements and their parameters that write `rows` of `model`: one, or
    one for each batch of what the database accepts."""
    if not rows:
        return
    names = tuple(rows[0])
    size = len(rows)
    if size * len(names) > SAFE_PARAMETERS:
        size = connection.ops.bulk_batch_size([model._meta.get_field(n) for n in names], rows)
    for start in range(0, len(rows), size):
        batch = rows[start: start + size]
        yield (_insert_statement(model, names, len(batch), returning, skip_conflicts,
                                 connection.vendor),
               [value for row in batch for value in row.values()])


@functools.lru_cache(maxsize=256)
def _insert_statement(model, names: tuple[str, ...], count: int, returning: tuple[str, ...],
                      skip_conflicts: bool, vendor: str) -> str:
    """The INSERT of `count` rows of these fields, written once for each shape: an import
    repeats a few dozen shapes thousands of times. `vendor` keys the quoting."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    placeholders = f"({', '.join(['%s'] * len(names))})"
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += f" RETURNING {', '.join(map(quote, returning))}"
    return (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
            f"{', '.join([placeholders] * count)}{tail}")


def insert_new(instance) -> None:
    """Write a new model instance with one INSERT, as save() would write it, and take its
    primary key. An import writes a document and a release for every file: save()
    preparing the release's insert took 7% of the instructions of storing a file on
    SQLite. No signals are sent; the archive's models have no receivers."""
    [(instance.pk,)] = insert_rows(type(instance), [_database_values(instance)],
                                   returning=[instance._meta.pk.column])
    instance._state.adding = False
    instance._state.db = connection.alias


def _database_values(instance) -> dict:
    """A new instance's row as save() would write it: each field's pre_save (such as
    auto_now) and its database value; the key and generated columns are the database's."""
    return {field.name: field.get_db_prep_save(field.pre_save(instance, add=True), connection)
            for field in instance._meta.concrete_fields
            if not field.primary_key and not field.generated}


def _create(model, new: dict[str, dict]) -> dict[str, int]:
    """Create rows named as `new` says, and return their primary keys by case-folded name.
    One INSERT writes them all and skips a row that breaks a unique constraint (another
    import created the name meanwhile, or two names share a slug) without failing the
    document's transaction, so it needs no savepoint; each skipped name is looked up again,
    and created alone if it is still missing."""
    rows = [_database_values(model(name=name, slug=base_slug(name, model._meta.model_name),
                                   **fields))
            for name, fields in new.items()]
    inserted = insert_rows(model, rows, returning=[model._meta.pk.column, "name"],
                           skip_conflicts=True)
    ids = {name.casefold(): pk for pk, name in inserted}
    for name, fields in new.items():
        if name.casefold() not in ids:
            ids[name.casefold()] = _get_or_create(model, name, {"name": name, **fields}).pk
    return ids


def _get_or_create(model, name: str, fields: dict):
    """The row whose name or alias is `name`, created if there is none. Unique constraints,
    not this lookup, prevent duplicates: a create that loses a race reads the winner's row."""
    existing = model.objects.named(name).first()
    if existing:
        return existing
    for attempt in range(2):
        try:
            with transaction.atomic():
                return model.objects.create(**fields)
        except IntegrityError:
            existing = model.objects.named(name).first()
            if existing:
                return existing
            # Otherwise the slug was taken meanwhile: a second attempt derives another.
    raise IntegrityError(f"could not create {model.__name__} {name!r}")
