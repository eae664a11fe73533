"""Harvesting against a site the tests serve on 127.0.0.1: discovery from feeds, sitemaps
and listing pages, polite fetching, WARC, versions and the run log."""

import gzip
import hashlib
import json
import threading
import time
from io import StringIO

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Response

from archive.harvest.harvester import claim, harvest, unlock
from archive.harvest.warc import payload_digest
from archive.ingest.store import reextract
from archive.models import Document, HarvestRun, Institution, Release, Source
from tests.harvest_site import ATOM, RSS, XML, Site, article, atom, etag_of, rss, sitemap

pytestmark = pytest.mark.django_db

RATES = article("Bank of Testland holds its policy rate at 2.5 per cent", [
    "The Monetary Policy Committee of the Bank of Testland decided on Tuesday to hold the "
    "policy rate at 2.5 per cent, citing easing inflation and steady growth.",
    "Governor Ana Lima said the committee would watch wage growth closely over the coming "
    "months before deciding whether further easing is warranted.",
    "The next decision will be announced on 14 April 2026 together with new forecasts.",
])
LIQUIDITY = article("Bank of Testland offers a new liquidity facility to small lenders", [
    "The Bank of Testland will open a lending facility for small and regional banks from "
    "next month, allowing them to borrow against a wider range of collateral.",
    "Deputy Governor Tomas Berg said the facility was meant to keep credit flowing to small "
    "firms in the regions while funding markets remain tight.",
])
CHINESE = article("中国人民银行宣布下调存款准备金率", [
    "中国人民银行今天宣布，下调金融机构存款准备金率0.5个百分点，以保持流动性合理充裕。",
    "此次下调预计将释放长期资金约一万亿元，支持实体经济发展。",
], charset="gb18030")


@pytest.fixture
def site(settings, tmp_path):
    settings.WARC_DIR = tmp_path / "warc"
    settings.HARVEST_DELAY = 0
    settings.HARVEST_TIMEOUT = 5
    settings.HARVEST_RETRIES = 1
    settings.HARVEST_BACKOFF = 0
    settings.HARVEST_MAX_BYTES = 100_000
    site = Site()
    site.serve("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    site.serve("/news/rates.html", RATES)
    site.serve("/news/liquidity.html", LIQUIDITY)
    site.serve("/private/draft.html", article("A draft", ["Never to be fetched. " * 20]))
    site.serve("/files/report.pdf", b"%PDF-1.4 a report", "application/pdf")
    yield site
    site.stop()


@pytest.fixture
def bank():
    # Not the name the pages give their site: the source names who issues them.
    return Institution.objects.create(name="Monetary Authority of Testland", kind="central_bank")


def source(bank, site, path, kind=Source.Kind.FEED, **fields) -> Source:
    return Source.objects.create(name=f"Testland {path}", slug=path.strip("/").replace("/", "-")
                                 .replace(".", "-") or "home", institution=bank, kind=kind,
                                 url=site.url(path), **fields)


def test_a_feed_brings_each_article_once_with_its_address_issuer_and_fetch_time(site, bank):
    site.serve("/feed.rss", rss([site.url("/news/rates.html"), site.url("/news/rates.html#top"),
                                 "/news/liquidity.html", site.url("/private/draft.html"),
                                 site.url("/files/report.pdf")]), RSS)
    [run] = harvest([source(bank, site, "/feed.rss")])

    releases = Release.objects.order_by("title")
    assert [r.title for r in releases] == [
        "Bank of Testland holds its policy rate at 2.5 per cent",
        "Bank of Testland offers a new liquidity facility to small lenders"]
    rates = releases[0]
    assert rates.url == site.url("/news/rates.html")
    assert rates.issuer == bank
    assert rates.document.origin == site.url("/news/rates.html")
    assert rates.document.fetched_at is not None and rates.document.media_type == "text/html"
    assert bytes(rates.document.content) == RATES
    assert not site.requested("/private/draft.html")  # robots.txt disallows the folder
    assert len(site.requested("/news/rates.html")) == 1  # one page, however it is spelt
    run.refresh_from_db()
    assert (run.discovered, run.fetched, run.not_modified, run.new, run.changed, run.failed) == (
        4, 2, 0, 2, 0, 2)
    reasons = {f["url"]: f["reason"] for f in run.failures}
    assert reasons[site.url("/private/draft.html")] == "robots.txt disallows it"
    assert "application/pdf" in reasons[site.url("/files/report.pdf")]
    assert run.finished >= run.started


def test_a_second_run_stores_nothing_new_and_a_304_costs_no_body(site, bank):
    tag = etag_of(RATES)
    site.serve("/news/rates.html", RATES, etag=tag)
    stamp = "Tue, 03 Mar 2026 09:00:00 GMT"
    site.serve("/news/liquidity.html", LIQUIDITY, headers={"Last-Modified": stamp})
    site.serve("/feed.rss", rss([site.url("/news/rates.html"), site.url("/news/liquidity.html")]), RSS)
    feed = source(bank, site, "/feed.rss")
    harvest([feed])
    documents = Document.objects.count()

    [run] = harvest([feed])
    assert Release.objects.count() == 2 and Document.objects.count() == documents
    assert site.requested("/news/rates.html")[-1].headers.get("If-None-Match") == tag
    assert site.requested("/news/liquidity.html")[-1].headers.get("If-Modified-Since") == stamp
    assert not run.failures, run.failures
    # The page without an ETag is fetched whole again and found identical: nothing stored.
    assert (run.discovered, run.fetched, run.not_modified, run.new, run.changed, run.failed) == (
        2, 1, 1, 0, 0, 0)


def test_an_atom_feed_a_sitemap_and_a_listing_page_each_lead_to_their_articles(site, bank):
    site.serve("/feed.atom", atom([site.url("/news/rates.html")]), ATOM)
    site.serve("/sitemap.xml", (f'<?xml version="1.0"?><sitemapindex><sitemap><loc>'
                                f'{site.url("/sitemap-news.xml")}</loc></sitemap></sitemapindex>'
                                ).encode(), XML)
    site.serve("/sitemap-news.xml", sitemap([site.url("/news/liquidity.html"),
                                             site.url("/about.html")]), XML)
    site.serve("/china/", b'<html><body><ul class="news"><li><a href="cn.html">Reserve ratio</a>'
                          b'</li></ul><a href="/news/rates.html">Elsewhere</a></body></html>')
    site.serve("/china/cn.html", CHINESE, "text/html; charset=gb18030")
    sources = [source(bank, site, "/feed.atom"),
               source(bank, site, "/sitemap.xml", Source.Kind.SITEMAP, url_pattern=r"/news/"),
               source(bank, site, "/china/", Source.Kind.LISTING, link_selector="ul.news li")]
    runs = harvest(sources)

    assert [run.new for run in runs] == [1, 1, 1]
    assert not site.requested("/about.html")  # outside the sitemap source's pattern
    assert not any(a.path.endswith(".mp3") for a in site.arrivals)  # an enclosure, not the entry
    chinese = Release.objects.get(url=site.url("/china/cn.html"))
    assert chinese.title == "中国人民银行宣布下调存款准备金率"
    assert "存款准备金率0.5个百分点" in chinese.body
    assert chinese.document.encoding == "gb18030"
    assert Release.objects.filter(url=site.url("/news/rates.html")).count() == 1


def test_a_page_changed_between_runs_becomes_a_version_and_curated_fields_survive(
        site, bank, client):
    site.serve("/feed.rss", rss([site.url("/news/rates.html")]), RSS)
    feed = source(bank, site, "/feed.rss")
    harvest([feed])
    release = Release.objects.get()
    release.topics.clear()
    Release.objects.filter(pk=release.pk).update(source="Curated outlet",
                                                 curated_fields=["source"])
    changed = RATES.replace(b"steady growth", b"<b>slower</b> growth &amp; rates &lt; 3 per cent")
    site.serve("/news/rates.html", changed)

    [run] = harvest([feed])
    assert (run.fetched, run.new, run.changed) == (1, 0, 1)
    release = Release.objects.get()  # the same release, never a second
    assert bytes(release.document.content) == changed
    assert release.source == "Curated outlet"
    assert [d.sha256 for d in release.document.versions()] == [
        hashlib.sha256(RATES).hexdigest(), hashlib.sha256(changed).hexdigest()]

    page = client.get(release.get_absolute_url()).content.decode()
    assert "<h2>Versions</h2>" in page
    assert '<span class="diff-removed">-' in page and "citing easing inflation and steady growth" in page
    assert '<span class="diff-added">+' in page
    # The page's text is shown as text: its markup characters escaped.
    assert "<span class=\"diff-added\">+The Monetary Policy Committee of the Bank of Testland" in page
    assert "slower growth &amp; rates &lt; 3 per cent" in page


def test_failures_are_retried_or_reported_and_never_stop_the_run(site, bank, settings):
    settings.HARVEST_TIMEOUT = 1
    answers = iter([Response("busy", status=500), Response(LIQUIDITY, content_type="text/html")])
    site.handle("/news/flaky.html", lambda request: next(answers))
    site.handle("/news/slow.html", lambda request: time.sleep(2.5) or Response(RATES))
    site.serve("/news/huge.html", b"<html><body>" + b"<p>word</p>" * 20_000 + b"</body></html>")
    # No Content-Length to refuse it by: the body is cut off once past the limit.
    site.handle("/news/endless.html", lambda request: Response(
        (b"<p>word</p>" * 1000 for _ in range(100)), content_type="text/html"))
    site.handle("/loop/a", lambda request: Response(status=302, headers={"Location": "/loop/b"}))
    site.handle("/loop/b", lambda request: Response(status=302, headers={"Location": "/loop/a"}))
    site.handle("/moved", lambda request: Response(status=301, headers={"Location": "/news/rates.html"}))
    site.serve("/feed.rss", rss([site.url(p) for p in ["/news/flaky.html", "/news/slow.html",
                                                        "/news/huge.html", "/news/endless.html",
                                                        "/loop/a", "/moved",
                                                        "/gone.html"]]), RSS)
    [run] = harvest([source(bank, site, "/feed.rss")])

    assert len(site.requested("/news/flaky.html")) == 2  # a 500, then the page
    assert len(site.requested("/news/slow.html")) == 2  # a timeout, and one retry
    assert set(Release.objects.values_list("url", flat=True)) == {
        site.url("/news/flaky.html"), site.url("/news/rates.html")}
    # A redirected page is archived under the address it was found at, and keeps its own.
    assert Release.objects.get(url=site.url("/news/rates.html")).document.origin == site.url("/moved")
    reasons = {f["url"].rsplit("/", 1)[1]: f["reason"] for f in run.failures}
    assert reasons == {
        "slow.html": "no answer within 1 s (2 attempts)",
        "huge.html": "larger than the limit of 100000 bytes",
        "endless.html": "larger than the limit of 100000 bytes",
        "a": f"redirect loop: {site.url('/loop/a')} -> {site.url('/loop/b')} -> {site.url('/loop/a')}",
        "gone.html": "HTTP 404 NOT FOUND",
    }
    assert (run.discovered, run.fetched, run.new, run.failed) == (7, 2, 2, 5)


def test_requests_to_one_host_keep_the_delay_between_them(site, bank, settings):
    settings.HARVEST_DELAY = 0.3
    site.serve("/feed.rss", rss([site.url("/news/rates.html"), site.url("/news/liquidity.html")]), RSS)
    harvest([source(bank, site, "/feed.rss")])

    times = [a.at for a in site.arrivals]
    assert [a.path for a in site.arrivals] == ["/robots.txt", "/feed.rss", "/news/rates.html",
                                               "/news/liquidity.html"]
    assert min(later - earlier for earlier, later in zip(times, times[1:])) >= 0.3
    assert site.arrivals[0].headers["User-Agent"].startswith(
        f"FinancialPolicyArchive/1.0 (+{settings.HARVEST_CONTACT_URL})")


def test_a_robots_crawl_delay_longer_than_the_setting_wins(site, bank):
    site.serve("/robots.txt", b"User-agent: *\nCrawl-delay: 0.4\n", "text/plain")
    site.serve("/feed.rss", rss([site.url("/news/rates.html")]), RSS)
    harvest([source(bank, site, "/feed.rss")])
    times = [a.at for a in site.arrivals]
    assert min(later - earlier for earlier, later in zip(times, times[1:])) >= 0.4


def test_every_capture_is_in_warc_with_matching_digests_and_fixity_checks_it(site, bank, settings):
    site.serve("/feed.rss", rss([site.url("/news/rates.html"), site.url("/news/liquidity.html")]), RSS)
    harvest([source(bank, site, "/feed.rss")])

    responses = {}
    for path in settings.WARC_DIR.iterdir():
        with open(path, "rb") as file:
            for record in ArchiveIterator(file):
                if record.rec_type == "response":
                    body = record.content_stream().read()
                    assert record.rec_headers.get_header("WARC-Payload-Digest") == payload_digest(body)
                    responses[record.rec_headers.get_header("WARC-Record-ID")] = (
                        record.rec_headers.get_header("WARC-Target-URI"), body)
    assert {uri for uri, _ in responses.values()} == {
        site.url(p) for p in ["/robots.txt", "/feed.rss", "/news/rates.html", "/news/liquidity.html"]}
    for document in Document.objects.all():
        uri, body = responses[document.warc_record_id]
        assert uri == document.origin and hashlib.sha256(body).hexdigest() == document.sha256

    out = StringIO()
    call_command("verify_fixity", stdout=out)
    assert "all 2 WARC records" in out.getvalue()
    # A record damaged on disk is found: the body no longer matches the original.
    document = Document.objects.get(origin=site.url("/news/rates.html"))
    warc = settings.WARC_DIR / document.warc_file
    members = warc.read_bytes()
    record = gzip.decompress(members[document.warc_offset:]).replace(b"policy rate", b"policy rant", 1)
    warc.write_bytes(members[:document.warc_offset] + gzip.compress(record))
    with pytest.raises(CommandError, match="its body is not the archived original"):
        call_command("verify_fixity", stdout=StringIO())


def test_export_warc_writes_every_capture_for_replay(site, bank, tmp_path):
    site.serve("/feed.rss", rss([site.url("/news/rates.html"), site.url("/news/liquidity.html")]), RSS)
    harvest([source(bank, site, "/feed.rss")])
    target = tmp_path / "captures.warc.gz"
    call_command("export_warc", str(target), stdout=StringIO())

    with open(target, "rb") as file:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                    r.content_stream().read()) for r in ArchiveIterator(file)]
    assert sorted(records) == sorted([("response", site.url("/news/rates.html"), RATES),
                                      ("response", site.url("/news/liquidity.html"), LIQUIDITY)])


def test_a_source_another_harvester_holds_is_left_to_it(site, bank):
    site.serve("/feed.rss", rss([site.url("/news/rates.html")]), RSS)
    feed = source(bank, site, "/feed.rss")
    token = claim(feed)
    assert token and claim(feed) is None
    assert harvest([feed]) == [] and not HarvestRun.objects.exists()
    unlock(feed, token)
    assert len(harvest([feed])) == 1
    assert Source.objects.get().locked_by == ""  # released after its run
    # A lease left by a harvester that died runs out.
    Source.objects.filter(pk=feed.pk).update(locked_by="gone", locked_until=timezone.now()
                                             - timedelta(seconds=1))
    assert claim(feed)


def test_a_failing_source_does_not_stop_the_others(site, bank):
    site.serve("/feed.rss", rss([site.url("/news/rates.html")]), RSS)
    site.serve("/broken.rss", b"<html>an error page</html>", "text/html")
    runs = harvest([source(bank, site, "/missing.rss"), source(bank, site, "/broken.rss"),
                    source(bank, site, "/feed.rss")])
    assert [(run.discovered, run.new, run.failed) for run in runs] == [(0, 0, 1), (0, 0, 1), (1, 1, 0)]
    assert runs[0].failures[0]["reason"] == "entry point: HTTP 404 NOT FOUND"
    assert "text/html" in runs[1].failures[0]["reason"]


def test_the_command_harvests_due_sources_and_names_unknown_ones(site, bank):
    site.serve("/feed.rss", rss([site.url("/news/rates.html")]), RSS)
    due = source(bank, site, "/feed.rss")
    source(bank, site, "/other.rss", active=False)
    out = StringIO()
    call_command("harvest", stdout=out)
    assert out.getvalue().startswith("feed-rss: 1 discovered, 1 fetched, 0 not modified, 1 new")
    assert list(HarvestRun.objects.values_list("source", flat=True)) == [due.pk]
    call_command("harvest", stdout=StringIO())  # not due again before its interval
    assert HarvestRun.objects.count() == 1
    out = StringIO()
    call_command("harvest", "--source", "other-rss", stdout=out)  # named: inactive or not
    assert out.getvalue().splitlines()[1] == f"  {site.url('/other.rss')}: entry point: HTTP 404 NOT FOUND"
    with pytest.raises(CommandError, match="No source with the slug nowhere"):
        call_command("harvest", "--source", "nowhere")


def test_import_releases_takes_the_address_of_one_page(site, settings):
    out = StringIO()
    call_command("import_releases", site.url("/news/liquidity.html"), stdout=out)
    assert "1 created" in out.getvalue()
    release = Release.objects.get()
    assert release.url == site.url("/news/liquidity.html")
    assert release.document.warc_file and (settings.WARC_DIR / release.document.warc_file).exists()
    assert [a.path for a in site.arrivals] == ["/robots.txt", "/news/liquidity.html"]
    with pytest.raises(CommandError, match="robots.txt disallows it"):
        call_command("import_releases", site.url("/private/draft.html"), stdout=StringIO())


def test_a_source_is_checked_before_it_is_saved(bank):
    listing = Source(name="Listing", slug="listing", institution=bank,
                     kind=Source.Kind.LISTING, url="https://bank.example/news/", url_pattern="(")
    with pytest.raises(Exception) as error:
        listing.full_clean()
    assert set(error.value.message_dict) == {"link_selector", "url_pattern"}


def test_editors_see_a_sources_last_runs_and_each_failure(site, bank, client):
    from django.contrib.auth.models import Group, User

    site.serve("/feed.rss", rss([site.url("/news/rates.html"), site.url("/private/draft.html")]), RSS)
    feed = source(bank, site, "/feed.rss")
    [run] = harvest([feed])
    editor = User.objects.create_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    client.force_login(editor)

    page = client.get(f"/admin/archive/source/{feed.pk}/change/").content.decode()
    assert f'<a href="/admin/archive/harvestrun/{run.pk}/change/">' in page
    assert "<td>2</td><td>1</td><td>0</td><td>1</td><td>0</td><td>1</td>" in page
    page = client.get(f"/admin/archive/harvestrun/{run.pk}/change/").content.decode()
    assert "robots.txt disallows it" in page


def test_a_dry_run_of_an_address_prints_the_record_and_writes_nothing(site, settings):
    out = StringIO()
    call_command("import_releases", "--dry-run", "--json", site.url("/news/rates.html"),
                 stdout=out, stderr=StringIO())
    [record] = json.loads(out.getvalue())
    assert record["title"] == "Bank of Testland holds its policy rate at 2.5 per cent"
    assert record["path"] == site.url("/news/rates.html")
    assert not Document.objects.exists() and not settings.WARC_DIR.exists()


def test_a_harvested_release_is_extracted_again_from_its_page(site, bank):
    # An address without a suffix, served as HTML that does not open with <!DOCTYPE html>.
    site.serve("/news/plain", b"<!-- page cache 42 -->\n" + RATES)
    site.serve("/feed.rss", rss([site.url("/news/plain")]), RSS)
    harvest([source(bank, site, "/feed.rss")])
    release = Release.objects.get()
    Release.objects.filter(pk=release.pk).update(title="Wrong")
    assert reextract(Release.objects.all()) == (1, [])
    assert Release.objects.get().title == "Bank of Testland holds its policy rate at 2.5 per cent"


# serialized_rollback: the flush after this test then does not make the content types again,
# which a later test restoring the database's first rows would otherwise find twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_harvesters_claiming_a_source_at_once_one_gets_it(bank):
    from django.db import connection

    feed = Source.objects.create(name="Feed", slug="feed", institution=bank,
                                 url="http://127.0.0.1:9/feed.rss")
    start, tokens = threading.Barrier(2), []

    def harvester():
        start.wait()
        try:
            tokens.append(claim(feed))
        finally:
            connection.close()

    threads = [threading.Thread(target=harvester) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tokens, key=bool) == [None, Source.objects.get().locked_by]
