import itertools
import json as jsonlib
import os
import signal
import stat
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from archive.harvest.fetch import Fetcher, FetchError, is_web_address, normalise
from archive.harvest.harvester import extract_page
from archive.harvest.warc import WarcFile
from archive.ingest import language
from archive.ingest.pipeline import Context, Extracted, extract
from archive.ingest.read import UnreadableDocument
from archive.ingest.store import Archive, is_archived, load_context, sha256

MEGABYTE = 1024 * 1024
# What the pipeline reads: captured page text and saved HTML. Anything else in a folder (the
# JSON or notes kept beside documents, images) is skipped and counted, never imported.
DOCUMENT_SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml")
IN_FLIGHT_PER_WORKER = 8
LOST = "lost: the process extracting it died (killed, or out of memory)"


@dataclass
class Result:
    path: str
    raw: bytes = b""
    extracted: Extracted | None = None
    error: str = ""
    capture: dict | None = None  # a fetched page's Document fields (fetch time, WARC record)


_worker_context: Context | None = None


def _init_worker(context: Context) -> None:
    global _worker_context
    _worker_context = context
    # Loaded once per process, before any file's time budget starts.
    language.english()
    context.gazetteer.ruler


class OverBudget(Exception):
    pass


def _over_budget(signum, frame):
    raise OverBudget


def process(path: Path, max_bytes: int, context: Context | None = None,
            budget: float = 0) -> Result:
    """Read and extract one file; every failure becomes a reason, never an exception. An
    extraction still running after `budget` seconds is stopped and reported."""
    context = context or _worker_context
    # The timer's signal reaches the main thread only (a worker's, or the command's).
    timed = budget > 0 and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, _over_budget) if timed else None
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Result(str(path), error=f"the file is {size / MEGABYTE:.0f} MB; the limit "
                                           f"is {max_bytes / MEGABYTE:.0f} MB (--max-size)")
        raw = path.read_bytes()
        if timed:
            signal.setitimer(signal.ITIMER_REAL, budget)
        return Result(str(path), raw=raw, extracted=extract(raw, path.name, context))
    except (OSError, UnreadableDocument) as error:
        return Result(str(path), error=str(error))
    except OverBudget:
        return Result(str(path), error=f"extraction ran past its budget of {budget:g} s "
                                       "(--time-budget)")
    except Exception as error:  # noqa: BLE001
        # A document that trips the extractor must not stop a batch of thousands: it is
        # reported with its file, and the rest goes on.
        return Result(str(path), error=f"extraction failed: {type(error).__name__}: {error}")
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


class Command(BaseCommand):
    help = (
        "Import announcements (captured page text or saved HTML, any encoding) from files, "
        "directories and web addresses: each becomes a release with its institutions, "
        "people, statements and topics; the original bytes are kept (a page's also in "
        "WARC). Unchanged files are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+",
                            help="Files, directories (read recursively) or web addresses "
                                 "of pages (fetched politely, kept in WARC).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Parse and extract, but write nothing.")
        parser.add_argument("--json", action="store_true",
                            help="Print one JSON object per file (a JSON array).")
        parser.add_argument("--workers", type=int, default=1,
                            help="Extract in this many parallel processes (default 1).")
        parser.add_argument("--max-size", type=int, default=50,
                            help="Refuse files larger than this many megabytes (default 50).")
        parser.add_argument("--time-budget", type=float, default=300,
                            help="Report a file as failed when extracting it takes longer "
                                 "than this many seconds (default 300; 0: no limit).")

    def handle(self, *args, paths, dry_run, json, workers, max_size, time_budget, **options):
        skipped = []
        urls = [p for p in paths if is_web_address(p)]
        paths = [p for p in paths if not is_web_address(p)]
        files = [p for p in self.files(paths)
                 if p.suffix.lower() in DOCUMENT_SUFFIXES or skipped.append(p)]
        roots = [Path(name).resolve() for name in paths]
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        context = load_context()
        if files and workers == 1:
            # Loaded once, before any file's time budget starts (workers load their own).
            language.english()
            context.gazetteer.ruler
        counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        failures = []
        records = []
        progress = self.stdout.isatty() and not json and len(files) > 1
        total = len(urls) + len(files)
        archive = None if dry_run else Archive()
        if connection.vendor == "postgresql":
            # Each document is its own transaction; waiting for the disk at every commit
            # would double the import time. A crash can lose only the last commits, which
            # the next run (skipping what is archived) imports again.
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")
        elif connection.vendor == "sqlite":
            # A document rewrites some 80 pages (tables, indexes, search index). Copying the
            # log back into the database every 1,000 pages (the default) copied and synced
            # the same pages again every dozen documents; every 10,000, far less often.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint = 10000")
        results = itertools.chain(self.fetched(urls, context, dry_run),
                                  self.results(files, context, workers, max_size, time_budget,
                                               roots))
        for number, result in enumerate(results, 1):
            status = self.handle_result(result, archive)
            counts[status] += 1
            if status == "failed":
                failures.append(result)
            if json:
                records.append(self.as_json(result))
            if progress:
                self.stdout.write(f"\r{number}/{total} files", ending="")
        if progress:
            self.stdout.write("")
        if json:
            self.stdout.write(_dumps(records))
        summary = ", ".join(f"{n} {status}" for status, n in counts.items())
        if skipped:
            summary += (f"; {len(skipped)} other file{'s' if len(skipped) != 1 else ''} skipped"
                        f" (not {', '.join(DOCUMENT_SUFFIXES)})")
        (self.stderr if json else self.stdout).write(
            f"{'Dry run: ' if dry_run else ''}{summary}."
        )
        if failures:
            raise CommandError(
                "Some files failed:\n" + "\n".join(f"  {r.path}: {r.error}" for r in failures)
            )

    def fetched(self, urls, context, dry_run: bool):
        """Results of pages fetched as the harvester fetches them (in a dry run nothing is
        written, not even WARC), extracted in this process."""
        if not urls:
            return
        warc = None if dry_run else WarcFile("import")
        fetcher = Fetcher(warc)
        try:
            for url in urls:
                try:
                    page = fetcher.get(url)
                    extracted = extract_page(page, context)
                except (FetchError, UnreadableDocument) as error:
                    yield Result(url, error=str(error))
                    continue
                yield Result(normalise(url), raw=page.body, extracted=extracted,
                             capture=page.document_fields())
        finally:
            fetcher.close()
            if warc:
                warc.close()

    def files(self, paths):
        for name in paths:
            path = Path(name)
            if path.is_dir():
                # Everything but folders is listed, so that what cannot be imported (a link
                # whose target has gone, a FIFO) is reported, not skipped.
                yield from sorted(
                    p for p in path.rglob("*")
                    if not p.is_dir()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            elif path.is_file():
                yield path
            else:
                raise CommandError(f"{name} is neither a file nor a directory.")

    def results(self, files, context, workers, max_size, budget=0, roots=()):
        """Results in file order; files are read one at a time, so memory stays flat. With
        `roots`, a file whose real path lies outside them is refused."""
        max_bytes = max_size * MEGABYTE
        if workers == 1:
            for path in files:
                yield (refused(path, roots)
                       or process(path, max_bytes, context, budget))
            return
        # Storing is slower than extracting in several processes, so results would pile up
        # in memory (Executor.map submits every file at once): a few per worker are in
        # flight at any time, no more.
        pool = Pool(workers, context)
        in_flight = deque()
        try:
            for path in files:
                in_flight.append((path, refused(path, roots, future=True)
                                  or pool.submit(process, path, max_bytes, None, budget)))
                if len(in_flight) >= IN_FLIGHT_PER_WORKER * workers:
                    yield pool.result(*in_flight.popleft(), max_bytes, budget)
            while in_flight:
                yield pool.result(*in_flight.popleft(), max_bytes, budget)
        finally:
            pool.shutdown()

    def handle_result(self, result: Result, archive: Archive | None) -> str:
        """Store one result (not in a dry run) and say what became of it."""
        if result.error:
            return "failed"
        if archive is None:
            return "unchanged" if is_archived(sha256(result.raw)) else "created"
        try:
            return archive.store(result.raw, result.path, result.extracted, result.capture)[0]
        except DatabaseError as error:
            result.error = f"could not be stored: {error}"
            return "failed"

    def as_json(self, result: Result) -> dict:
        if result.error:
            return {"path": result.path, "error": result.error}
        return {"path": result.path, **result.extracted.as_json()}


def refused(path: Path, roots, future: bool = False):
    """The failed Result of a file that is not read at all, or None: a link to a file
    outside the folders and files named (its bytes would be archived and served), or
    what is no regular file (reading a FIFO waits forever). With `future`, the Result
    comes as a finished Future, to queue beside the workers' results."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        return None  # reading it says so
    if roots and not any(real.is_relative_to(root) for root in roots):
        reason = f"it links to {real}, outside the folders and files given: not read"
    else:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return None  # a link whose target has gone: reading it says so
        if stat.S_ISREG(mode):
            return None
        reason = "it is not a regular file (a FIFO, socket or device): not read"
    result = Result(str(path), error=reason)
    if not future:
        return result
    done = Future()
    done.set_result(result)
    return done


class Pool:
    """Worker processes that outlive the death of one: a worker killed (or out of memory)
    breaks the whole ProcessPoolExecutor, so a new one takes its place, each file whose
    result was lost is extracted once more, and a file lost twice is reported."""

    def __init__(self, workers: int, context: Context):
        self.workers, self.context = workers, context
        self.executor = self.start()

    def start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                   initargs=(self.context,))

    def submit(self, *args) -> Future:
        try:
            return self.executor.submit(*args)
        except BrokenProcessPool:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self.start()
            return self.executor.submit(*args)

    def result(self, path: Path, future: Future, max_bytes: int, budget: float) -> Result:
        try:
            return future.result()
        except BrokenProcessPool:
            pass
        try:
            return self.submit(process, path, max_bytes, None, budget).result()
        except BrokenProcessPool:
            return Result(str(path), error=LOST)

    def shutdown(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def _dumps(records) -> str:
    return jsonlib.dumps(records, ensure_ascii=False, indent=1)
