"""Polite, robust fetching: robots.txt obeyed, a pause between two requests to one host,
conditional GET, retries with backoff, redirects followed to a limit, a size limit, content
types checked, and every response kept in WARC."""

import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import courlan
import httpx
from django.conf import settings
from django.utils import timezone
from protego import Protego

from archive.harvest.warc import WarcFile

# The name robots.txt rules address, and the User-Agent beside the contact address.
ROBOT_NAME = "FinancialPolicyArchive"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml")
HTML_TYPES = ("text/html", "application/xhtml+xml")
CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A page could not be fetched; the message says why."""


@dataclass
class Fetched:
    url: str  # where the page was found, after any redirect
    status: int  # 200, or 304 when the archived version is current
    body: bytes = b""
    media_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    warc: tuple[str, int, str] | None = None  # file, offset, record id

    def document_fields(self) -> dict:
        """What a Document made from this capture records of it."""
        name, offset, record_id = self.warc or (None, None, None)
        return {"fetched_at": self.fetched_at, "etag": self.etag,
                "last_modified": self.last_modified, "warc_file": name,
                "warc_offset": offset, "warc_record_id": record_id}


def normalise(url: str) -> str:
    """One spelling of an address, so that one page is fetched once: host lower-cased,
    default port, fragment and tracking parameters dropped, query parameters sorted."""
    return courlan.normalize_url(urldefrag(url.strip()).url)


def is_web_address(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https") and bool(urlsplit(text).netloc)


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


class Fetcher:
    """Fetches one request at a time (so never more than one connection to a host), waiting
    HARVEST_DELAY seconds after the last request to the same host, or longer when the host's
    robots.txt asks. With `warc`, every response read is written to it."""

    def __init__(self, warc: WarcFile | None):
        self.warc = warc
        self.client = httpx.Client(
            headers={"User-Agent": f"{ROBOT_NAME}/1.0 (+{settings.HARVEST_CONTACT_URL})",
                     # Bodies as sent, not compressed: the WARC record, the archived
                     # original and its SHA-256 are then the same bytes.
                     "Accept-Encoding": "identity"},
            timeout=settings.HARVEST_TIMEOUT, follow_redirects=False, trust_env=False)
        self.robots: dict[str, Protego | None] = {}
        self.last_request: dict[str, float] = {}

    def close(self):
        self.client.close()

    def get(self, url: str, accept=PAGE_TYPES, etag: str | None = None,
            last_modified: str | None = None) -> Fetched:
        """Fetch `url`, following redirects; conditional on the validators of the version
        archived. Raises FetchError with the reason when there is no page to archive."""
        conditional = {name: value for name, value in (("If-None-Match", etag),
                                                        ("If-Modified-Since", last_modified))
                       if value}
        seen = []
        url = normalise(url)
        for _ in range(settings.HARVEST_MAX_REDIRECTS + 1):
            if url in seen:
                raise FetchError(f"redirect loop: {' -> '.join([*seen, url])}")
            seen.append(url)
            if not self.allowed(url):
                raise FetchError("robots.txt disallows it")
            response, body, warc = self.request(url, conditional, accept)
            if response.status_code in REDIRECTS and response.headers.get("location"):
                url = normalise(urljoin(url, response.headers["location"]))
                continue
            if response.status_code == 304:
                return Fetched(url, 304)
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}")
            return Fetched(url, 200, body, media_type(response), response.headers.get("etag"),
                           response.headers.get("last-modified"), timezone.now(), warc)
        raise FetchError(f"more than {settings.HARVEST_MAX_REDIRECTS} redirects")

    def request(self, url: str, headers: dict, accept) -> tuple[httpx.Response, bytes, tuple]:
        """One GET, retried with backoff after a timeout, a lost connection or a 5xx."""
        attempts = settings.HARVEST_RETRIES + 1
        for attempt in range(attempts):
            if attempt:
                time.sleep(settings.HARVEST_BACKOFF * 2 ** (attempt - 1))
            self.wait_for(url)
            try:
                with self.client.stream("GET", url, headers=headers) as response:
                    body = self.read(response, accept)
                    request_headers = response.request.headers
            except httpx.TimeoutException:
                problem = f"no answer within {settings.HARVEST_TIMEOUT:g} s"
                continue
            except httpx.TransportError as error:
                problem = f"connection failed: {error}"
                continue
            finally:
                self.last_request[urlsplit(url).netloc] = time.monotonic()
            warc = self.warc.write(url, request_headers, response, body) if self.warc else None
            if response.status_code >= 500:
                problem = f"HTTP {response.status_code} {response.reason_phrase}"
                continue
            return response, body, warc
        raise FetchError(f"{problem} ({attempts} attempts)")

    def read(self, response: httpx.Response, accept) -> bytes:
        """The body of a page of an accepted type (any, without `accept`) within the size
        limit; a body of another type is refused unread, one over the limit as soon as it
        passes it (whatever its Content-Length says)."""
        limit = settings.HARVEST_MAX_BYTES
        if response.status_code == 200 and accept and media_type(response) not in accept:
            raise FetchError(f"not a page of the kind wanted ({media_type(response) or 'no type'})")
        chunks, size = [], 0
        for chunk in response.iter_raw(CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchError(f"larger than the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def wait_for(self, url: str) -> None:
        host = urlsplit(url).netloc
        rules = self.robots.get(origin(url))
        delay = max(settings.HARVEST_DELAY, (rules and rules.crawl_delay(ROBOT_NAME)) or 0)
        last = self.last_request.get(host)
        if last is not None:
            time.sleep(max(0.0, last + delay - time.monotonic()))

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets this archive fetch `url`. No robots.txt (4xx)
        allows everything; one that cannot be read (5xx, no answer) allows nothing, as RFC
        9309 asks."""
        site = origin(url)
        if site not in self.robots:
            self.robots[site] = None
            try:
                response, body, _ = self.request(site + "/robots.txt", {}, accept=None)
            except FetchError:
                self.robots[site] = Protego.parse("User-agent: *\nDisallow: /")
            else:
                if response.status_code == 200:
                    self.robots[site] = Protego.parse(body.decode("utf-8", "replace"))
        rules = self.robots[site]
        return rules is None or rules.can_fetch(url, ROBOT_NAME)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
