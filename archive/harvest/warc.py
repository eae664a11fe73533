"""Captures kept as WARC (ISO 28500), the format Heritrix, Browsertrix, pywb and the Internet
Archive read: each response record followed by its request, gzipped record by record so that
any record can be read alone from its offset."""

import base64
import hashlib
import io
import os
from datetime import datetime, timezone as tz
from pathlib import Path

from django.conf import settings
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# The body is stored as received but no longer chunked: a record saying "chunked" would be
# de-chunked again by every reader.
DROPPED_HEADERS = {"transfer-encoding"}


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest of a body, as warcio and the Wayback Machine write it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class WarcFile:
    """One WARC file under WARC_DIR, opened at the first record written to it."""

    def __init__(self, prefix: str):
        stamp = datetime.now(tz.utc).strftime("%Y%m%d%H%M%S%f")
        self.name = f"{prefix}-{stamp}-{os.getpid()}.warc.gz"
        self.file = None

    def open(self):
        folder = Path(settings.WARC_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        self.file = open(folder / self.name, "ab")
        self.writer = WARCWriter(self.file, gzip=True)
        self.writer.write_record(self.writer.create_warcinfo_record(self.name, {
            "software": "Financial Policy Archive harvester",
            "format": "WARC File Format 1.1",
            "operator": settings.HARVEST_CONTACT_URL,
        }))

    def write(self, url: str, request_headers, response, body: bytes) -> tuple[str, int, str]:
        """Write a response (an httpx Response whose body is `body`) and the request that
        asked for it; return the file's name, the response record's offset and its id."""
        if self.file is None:
            self.open()
        protocol = response.http_version if response.http_version.startswith("HTTP/") else "HTTP/1.1"
        http_headers = StatusAndHeaders(
            f"{response.status_code} {response.reason_phrase}",
            [(k, v) for k, v in response.headers.multi_items() if k.lower() not in DROPPED_HEADERS],
            protocol=protocol)
        record = self.writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                length=len(body), http_headers=http_headers)
        offset = self.file.tell()
        self.writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        target = response.request.url
        path = target.raw_path.decode("ascii")
        request = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"GET {path} {protocol}", list(request_headers.items()),
                                          is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id})
        self.writer.write_record(request)
        self.file.flush()
        return self.name, offset, record_id

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None


def read_record(name: str, offset: int):
    """The WARC record at `offset` in the file `name` of WARC_DIR, as (headers, payload):
    its WARC headers and the body it holds."""
    with open(Path(settings.WARC_DIR) / name, "rb") as file:
        file.seek(offset)
        record = next(iter(ArchiveIterator(file)))
        return record.rec_headers, record.content_stream().read()


def copy_record(name: str, offset: int, writer: WARCWriter) -> None:
    """Copy the record at `offset` in `name` to another WARC file, headers and digests as
    they are."""
    with open(Path(settings.WARC_DIR) / name, "rb") as file:
        file.seek(offset)
        writer.write_record(next(iter(ArchiveIterator(file))))


def damaged_captures():
    """Harvested documents whose WARC record is missing, or whose body or payload digest no
    longer matches the original archived from it, as (pk, origin, record id, problem)."""
    from archive.models import Document

    documents = (Document.objects.exclude(warc_file=None)
                 .values_list("pk", "origin", "sha256", "warc_file", "warc_offset",
                              "warc_record_id"))
    for pk, origin, sha256, name, offset, record_id in documents.iterator(chunk_size=200):
        try:
            headers, body = read_record(name, offset)
        except (OSError, StopIteration, ArchiveLoadFailed) as error:
            yield pk, origin, record_id, f"cannot be read: {error}"
            continue
        if headers.get_header("WARC-Record-ID") != record_id:
            yield pk, origin, record_id, f"another record is at offset {offset} of {name}"
        elif hashlib.sha256(body).hexdigest() != sha256:
            yield pk, origin, record_id, "its body is not the archived original"
        elif headers.get_header("WARC-Payload-Digest") != payload_digest(body):
            yield pk, origin, record_id, "its body does not match its payload digest"
