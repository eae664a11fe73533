"""What a downloaded export holds: every column of the releases' and the statements' CSV and
JSON, by name and value, and how the file is offered."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive import exports
from archive.models import Institution, Person, Quote
from tests.conftest import make_release

pytestmark = pytest.mark.django_db


def _download(client, url, params=None) -> tuple[str, object]:
    response = client.get(url, params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode(), response


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_csv_record_is_what_the_csv_module_writes_and_reads_back_whole():
    values = ["plain", "a, comma", 'say "yes"', "two\nlines", "cr\ronly", "crlf\r\nend", "",
              None, 7, 2.5, True, datetime.date(2025, 12, 24), " spaced ", "银行, “引号”", '"']
    expected = io.StringIO()
    csv.writer(expected).writerow(values)
    assert exports.csv_record(values) == expected.getvalue()
    assert next(csv.reader(io.StringIO(exports.csv_record(values), newline=""))) == [
        "" if v is None else str(v) for v in values]
    # Formulas are still defused, and lists joined.
    assert exports.csv_record(["=1+1", ["a", "b"]]) == "'=1+1,a; b\r\n"


def test_the_releases_export_has_every_column_of_a_release(client, archive):
    second = archive["second"]
    second.topics.add(archive["second"].topics.model.objects.get(slug="monetary-policy"))
    expected = {
        "id": second.pk, "title": "Green loans rise at state lenders", "published": "2025-06-01",
        "source": "China Daily",
        "institutions": ["Bank of Communications", "China Construction Bank"],
        "topics": ["green-finance", "monetary-policy", "technology-finance"],
        "url": f"http://testserver{second.get_absolute_url()}", "sha256": second.document.sha256,
        "people": [], "body": "Bank of Communications issued green bonds and technology loans.",
    }
    text, response = _download(client, "/releases/export.csv", {"source": "China Daily",
                                                                 "year": "2025", "month": "6"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="releases.csv"'
    # A byte-order mark first, so that spreadsheets read the file as UTF-8.
    assert text.splitlines()[0] == (
        "\ufeffid,title,published,source,institutions,topics,url,sha256,people,body")
    assert _csv_rows(text.removeprefix("\ufeff")) == [
        {k: "; ".join(v) if isinstance(v, list) else str(v) for k, v in expected.items()}]
    text, response = _download(client, "/releases/export.json", {"source": "China Daily",
                                                                  "year": "2025", "month": "6"})
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="releases.json"'
    assert json.loads(text) == [expected]


def test_the_statements_export_has_every_column_of_a_statement(client, archive):
    third, lou = archive["third"], archive["lou"]
    expected = [
        {"speaker": "China Construction Bank", "speaker_type": "institution", "role": "",
         "kind": "indirect", "text": "it will expand technology loans",
         "release": "Banks back technology firms", "published": "2025-12-24",
         "url": f"http://testserver{archive['first'].get_absolute_url()}#statement-1",
         "verified": False, "speaker_institution": "China Construction Bank"},
        {"speaker": lou.name, "speaker_type": "person", "role": "researcher", "kind": "indirect",
         "text": "re-lending helps <script>alert(1)</script>",
         "release": "Banks back technology firms", "published": "2025-12-24",
         "url": f"http://testserver{archive['first'].get_absolute_url()}#statement-2",
         "verified": False, "speaker_institution": "China Construction Bank"},
        {"speaker": "Pan Gongsheng", "speaker_type": "person", "role": "governor",
         "kind": "direct", "text": "We will keep liquidity reasonably ample",
         "release": third.title, "published": "2024-03-05",
         "url": f"http://testserver{third.get_absolute_url()}#statement-1", "verified": False,
         "speaker_institution": "People's Bank of China"},
    ]
    text, response = _download(client, "/quotes/export.json")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="statements.json"'
    assert [{k: v for k, v in d.items() if k != "id"} for d in json.loads(text)] == expected
    text, response = _download(client, "/quotes/export.csv")
    assert response["Content-Disposition"] == 'attachment; filename="statements.csv"'
    assert text.splitlines()[0] == ("\ufeffid,speaker,speaker_type,role,kind,text,release,"
                                    "published,url,verified,speaker_institution")
    assert [{k: v for k, v in row.items() if k != "id"}
            for row in _csv_rows(text.removeprefix("\ufeff"))] == [
        {k: str(v) for k, v in row.items()} for row in expected]


def test_a_json_export_keeps_text_in_its_own_script(client, archive):
    archive["second"].__class__.objects.filter(pk=archive["second"].pk).update(
        title="央行：保持流动性合理充裕")
    text, _ = _download(client, "/releases/export.json", {"institution": "bank-of-communications"})
    assert '"title": "央行：保持流动性合理充裕"' in text
    assert text.startswith("[\n{") and text.endswith("}\n]\n")
    text, _ = _download(client, "/releases/export.json", {"institution": "no-such-bank"})
    assert text == "[\n]\n"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        _download(client, url)
    return len(captured)


@pytest.mark.parametrize("url", ["/releases/export.csv", "/quotes/export.json"])
def test_an_export_runs_as_many_queries_for_ten_more_rows(client, archive, url):
    before = _queries(client, url)
    for number in range(10):
        release = make_release(f"Notice {number}", "Rates.")
        bank = Institution.objects.create(name=f"Bank {number}")
        release.institutions.add(bank)
        Quote.objects.create(release=release, institution=bank, kind="direct", position=1,
                             text=f"Rates hold {number}")
        Quote.objects.create(release=release, person=Person.objects.create(name=f"Li {number}"),
                             kind="direct", position=2, text=f"Rates rise {number}")
    assert _queries(client, url) == before


def test_an_exported_address_is_the_release_pages_whatever_its_slug_holds(client, archive):
    second = archive["second"]
    for slug in ["rate:cut@2025!", "央行-利率", "a&b=c"]:
        second.__class__.objects.filter(pk=second.pk).update(slug=slug)
        second.refresh_from_db()
        text, _ = _download(client, "/releases/export.csv",
                            {"institution": "bank-of-communications"})
        assert _csv_rows(text)[0]["url"] == f"http://testserver{second.get_absolute_url()}", slug
