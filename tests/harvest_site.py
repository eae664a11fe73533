"""An institution's web site played on 127.0.0.1 for the harvester's tests: pages served
from a table the test fills, each request remembered with the time it arrived."""

import hashlib
import re
import time
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
XML = "application/xml"


@dataclass
class Arrival:
    path: str
    at: float
    headers: dict = field(default_factory=dict)


def article(title: str, paragraphs: list[str], charset: str = "utf-8") -> bytes:
    """An article page as an institution's site prints it: navigation, headline, date, text,
    footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><meta property="og:site_name" content="Bank of Testland"><title>{title} | Bank of '
            f'Testland</title></head><body><nav><a href="/">Home</a> <a href="/news/">News'
            f'</a></nav><main><article><h1>{title}</h1><p>Published 3 March 2026</p>{body}'
            f'</article></main><footer>Copyright Bank of Testland</footer></body></html>'
            ).encode(charset)


def rss(links: list[str]) -> bytes:
    items = "".join(f"<item><title>Item</title><link>{link}</link></item>" for link in links)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
            f'{items}</channel></rss>').encode()


def atom(links: list[str]) -> bytes:
    entries = "".join(f'<entry><title>Item</title><link rel="alternate" href="{link}"/>'
                      f'<link rel="enclosure" href="{link}.mp3"/></entry>' for link in links)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>News</title>{entries}</feed>').encode()


def sitemap(links: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{link}</loc></url>" for link in links)
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'{urls}</urlset>').encode()


class Site:
    def __init__(self):
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.respond)
        self.server.start()
        self.arrivals: list[Arrival] = []
        self.handlers = {}

    def stop(self):
        self.server.clear()
        self.server.stop()

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def serve(self, path: str, body: bytes, content_type: str = HTML, etag: str | None = None,
              status: int = 200, headers: dict | None = None) -> None:
        """Serve `body` at `path`; with `etag`, a request that presents it gets a 304."""
        def respond(request):
            if etag and request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            return Response(body, status=status, content_type=content_type,
                            headers={**({"ETag": etag} if etag else {}), **(headers or {})})
        self.handlers[path] = respond

    def handle(self, path: str, respond) -> None:
        """Answer `path` with `respond(request)`, a werkzeug Response."""
        self.handlers[path] = respond

    def respond(self, request: Request) -> Response:
        self.arrivals.append(Arrival(request.path, time.monotonic(), dict(request.headers)))
        handler = self.handlers.get(request.path)
        return handler(request) if handler else Response("Not found", status=404)

    def requested(self, path: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.path == path]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
