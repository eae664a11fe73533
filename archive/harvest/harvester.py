"""Harvest runs: each due source's articles fetched and imported through the same store as
files, one transaction a document, and what happened recorded in a HarvestRun."""

import logging
import uuid
from datetime import timedelta

from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from archive.harvest.discover import article_urls
from archive.harvest.fetch import HTML_TYPES, Fetched, Fetcher, FetchError
from archive.harvest.warc import WarcFile
from archive.ingest.pipeline import Context, Extracted, extract
from archive.ingest.read import UnreadableDocument
from archive.ingest.store import Archive, load_context
from archive.models import Document, HarvestRun, Institution, Release, Source

logger = logging.getLogger(__name__)

# How long a harvester holds a source without renewing its claim; renewed after each page.
LEASE = timedelta(minutes=10)


def claim(source: Source) -> str | None:
    """Take the harvester's lease on `source`; the token that holds it, or None when
    another harvester holds it.

    One conditional UPDATE, in its own transaction, is atomic on both databases: PostgreSQL
    makes a second UPDATE of the row wait for the first and re-checks its condition on the
    row the first wrote; SQLite lets one writer in at a time. A lease rather than a lock
    held by a session (pg_advisory_lock, SELECT ... FOR UPDATE) works the same on SQLite,
    and a harvester that dies frees its sources when the lease runs out."""
    token, now = uuid.uuid4().hex, timezone.now()
    claimed = (Source.objects.filter(pk=source.pk)
               .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
               .update(locked_until=now + LEASE, locked_by=token))
    return token if claimed else None


def renew(source: Source, token: str) -> None:
    Source.objects.filter(pk=source.pk, locked_by=token).update(
        locked_until=timezone.now() + LEASE)


def unlock(source: Source, token: str) -> None:
    Source.objects.filter(pk=source.pk, locked_by=token).update(locked_until=None, locked_by="")


def due_sources(now) -> list[Source]:
    return [source for source in Source.objects.filter(active=True) if source.is_due(now)]


def harvest(sources) -> list[HarvestRun]:
    """Harvest each source in turn; one that fails does not stop the others. A source
    another harvester is working on is left to it."""
    warc = WarcFile("harvest")
    fetcher = Fetcher(warc)
    context, archive = load_context(), Archive()
    runs = []
    try:
        for source in sources:
            token = claim(source)
            if token is None:
                logger.info("%s is being harvested elsewhere: skipped", source)
                continue
            try:
                runs.append(harvest_source(source, fetcher, archive, context, token))
            finally:
                unlock(source, token)
    finally:
        fetcher.close()
        warc.close()
    return runs


def harvest_source(source: Source, fetcher: Fetcher, archive: Archive, context: Context,
                   token: str) -> HarvestRun:
    run = HarvestRun.objects.create(source=source, started=timezone.now())
    try:
        urls = article_urls(source, fetcher)
    except FetchError as error:
        urls = []
        run.fail(source.url, f"entry point: {error}")
    except Exception as error:  # noqa: BLE001
        # A broken entry point (markup the parser chokes on) ends this source's run, not the
        # harvest of the others.
        urls = []
        run.fail(source.url, f"entry point: {type(error).__name__}: {error}")
    run.discovered = len(urls)
    for url in urls:
        try:
            outcome = capture(url, fetcher, archive, context, source.institution)
        except (FetchError, UnreadableDocument) as error:
            run.fail(url, str(error))
        except DatabaseError as error:
            run.fail(url, f"could not be stored: {error}")
        except Exception as error:  # noqa: BLE001
            # A page that trips the extractor is reported with its address; the rest goes on.
            run.fail(url, f"extraction failed: {type(error).__name__}: {error}")
        else:
            run.fetched += outcome != "not modified"
            run.not_modified += outcome == "not modified"
            run.new += outcome == "created"
            run.changed += outcome == "updated"
        run.save()  # the admin shows a run in progress, and what a crashed one had done
        renew(source, token)
    run.finished = timezone.now()
    run.save()
    return run


def capture(url: str, fetcher: Fetcher, archive: Archive, context: Context,
            issuer: Institution | None = None) -> str:
    """Fetch one page (conditionally, when a version of it is archived) and store it
    through the import pipeline; "created", "updated", "unchanged" or "not modified"."""
    latest = (Document.objects.filter(origin=url).order_by("-imported_at", "-pk")
              .only("etag", "last_modified").first())
    fetched = fetcher.get(url, etag=latest and latest.etag,
                          last_modified=latest and latest.last_modified)
    if fetched.status == 304:
        return "not modified"
    status, _ = store(url, fetched, archive, context, issuer)
    return status


def store(origin: str, fetched: Fetched, archive: Archive, context: Context,
          issuer: Institution | None = None) -> tuple[str, Release | None]:
    """A fetched page through the same pipeline and store as a file."""
    extracted = extract_page(fetched, context, issuer)
    return archive.store(fetched.body, origin, extracted, capture=fetched.document_fields())


def extract_page(fetched: Fetched, context: Context, issuer: Institution | None = None
                 ) -> Extracted:
    """What a fetched page holds, read as the type it was served as: the release keeps the
    page's address and the issuer its source names."""
    name = "page.html" if fetched.media_type in HTML_TYPES else "page.txt"
    extracted = extract(fetched.body, name, context)
    extracted.url = fetched.url[:2000]
    if issuer is not None:
        extracted.issuer = issuer.name
    return extracted
