"""CSV and JSON of any filtered list, streamed row by row so that a large export never
sits in memory."""

import json
from contextlib import nullcontext
from itertools import batched, chain
from urllib.parse import quote

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from archive.filters import QuoteFilter, ReleaseFilter
from archive.models import Appearance, Quote, Release

CHUNK = 2000


INCOMPLETE = "EXPORT INCOMPLETE: the database stopped before the end; narrow the list"


def _stream(rows, header, fmt: str, name: str) -> StreamingHttpResponse:
    """`rows` as CSV or JSON; a list in a row (names) is a JSON array, and one cell of names
    joined by "; " in CSV."""
    if fmt == "csv":
        # A few hundred rows a chunk: one chunk a row made the response's per-chunk work
        # cost more than writing the rows. The byte-order mark first tells spreadsheets the
        # file is UTF-8: without it they read curly quotes and accents as Windows-1252.
        body = chain(["\ufeff"], ("".join(map(csv_record, lines))
                                  for lines in batched(_with_header(header, rows), 500)))
        content_type = "text/csv; charset=utf-8"
        last_words = csv_record([INCOMPLETE])
    else:
        body = _json_array(dict(zip(header, row)) for row in rows)
        content_type = "application/json"
        last_words = f"\n{json.dumps({'error': INCOMPLETE})}\n"  # and no closing bracket
    response = StreamingHttpResponse(_bounded(body, last_words), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(…)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_record(values) -> str:
    """One CSV record, as the csv module's default dialect writes it (RFC 4180: a field
    holding a comma, a double quote or a line break quoted, its quotes doubled; CRLF after
    the record). Written here because the csv module's writer copies a field a character
    at a time: with a release's body in every row, it took most of an export's time."""
    return ",".join(map(_csv_field, map(_cell, values))) + "\r\n"


def _csv_field(value) -> str:
    text = "" if value is None else str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _cell(value):
    """A CSV cell that a spreadsheet shows as text: a list of names joined, and a leading
    quote, as OWASP advises, before text it would read as a formula. JSON is left as it is."""
    if isinstance(value, list):
        value = "; ".join(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _bounded(body, last_words: str):
    """The export's chunks, its queries under the export's own statement timeout rather
    than the web's (on PostgreSQL). An export the database stops ends with `last_words`
    and then fails, so the connection is cut before the end of the response: the client
    sees an error, not a file that only looks whole."""
    timeout = settings.EXPORT_STATEMENT_TIMEOUT
    bounded = connection.vendor == "postgresql"
    if bounded:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(timeout)])
    try:
        # In a transaction PostgreSQL's cursor hands the rows over as they are read; outside
        # one Django declares it WITH HOLD, and the server first copies the whole result.
        with transaction.atomic() if bounded else nullcontext():
            yield from body
    except DatabaseError:
        yield last_words
        raise
    finally:
        if bounded:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("RESET statement_timeout")  # the connection's own again
            except DatabaseError:
                connection.close()  # never reused with the export's timeout


def _with_header(header, rows):
    yield header
    yield from rows


def _json_array(items):
    yield "["
    for index, item in enumerate(items):
        yield ("," if index else "") + "\n" + json.dumps(item, ensure_ascii=False, default=str)
    yield "\n]\n"


def releases(request, fmt: str):
    queryset = ReleaseFilter(request.GET or None, queryset=Release.objects.visible()).matches()
    base = request.build_absolute_uri("/")[:-1]
    header = ["id", "title", "published", "source", "institutions", "topics", "url", "sha256",
              "people", "body"]
    rows = queryset.values_list("pk", "title", "published", "source", "slug", "document__sha256",
                                "body")
    return _stream(_release_rows(rows, base), header, fmt, "releases")


def _release_rows(rows, base: str):
    """Rows in batches, each batch's institutions, topics and people fetched in three
    queries: plain tuples, as model instances would cost more than the database."""
    # reverse() for every row took a third of an export: the page URL is reversed once and
    # each row's id and slug put in, the slug quoted as reverse() quotes it.
    prefix = base + reverse("release-detail", args=[0, "-"]).removesuffix("0/-/")
    for batch in batched(rows.iterator(chunk_size=CHUNK), CHUNK):
        ids = [row[0] for row in batch]
        institutions = _names(Release.institutions.through, "institution__name", ids)
        topics = _names(Release.topics.through, "topic__slug", ids)
        people = _names(Appearance, "person__name", ids)
        for pk, title, published, source, slug, sha256, body in batch:
            yield [pk, title, published, source, institutions.get(pk, []), topics.get(pk, []),
                   f"{prefix}{pk}/{quote(slug, safe=RFC3986_SUBDELIMS + '/~:@')}/", sha256,
                   people.get(pk, []), body]


def _names(through, field: str, ids) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for release_id, name in (through.objects.filter(release_id__in=ids)
                             .order_by(field).values_list("release_id", field)):
        names.setdefault(release_id, []).append(name)
    return names


def quotes(request, fmt: str):
    queryset = QuoteFilter(request.GET or None, queryset=Quote.objects.visible()).matches()
    base = request.build_absolute_uri("/")[:-1]
    header = ["id", "speaker", "speaker_type", "role", "kind", "text", "release", "published",
              "url", "verified", "speaker_institution"]
    statements = queryset.for_listing().iterator(chunk_size=CHUNK)
    return _stream(_quote_rows(statements, base), header, fmt, "statements")


def _quote_rows(statements, base: str):
    """Rows in batches, with the institution each statement was spoken for: the speaker
    itself, or the affiliation its person's appearance in that release states (one query
    a batch)."""
    for batch in batched(statements, CHUNK):
        affiliations = dict(
            ((release, person), name) for release, person, name in Appearance.objects.filter(
                release_id__in={q.release_id for q in batch if q.person_id},
                affiliation__isnull=False).values_list("release_id", "person_id",
                                                       "affiliation__name"))
        for q in batch:
            institution = (q.institution.name if q.institution_id
                           else affiliations.get((q.release_id, q.person_id), ""))
            yield [q.pk, str(q.speaker), "person" if q.person_id else "institution", q.role,
                   q.kind, q.text, q.release.title, q.release.published,
                   base + q.get_absolute_url(), q.verified, institution]
