"""End to end in a real browser: Debian's Chromium driven by Playwright against the live
archive. Screenshots of each page are saved under $TEST_ARTIFACTS (default test-artifacts/)."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from tests.ingest_helpers import FIXTURES, SEED

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))

pytestmark = [
    # serialized_rollback: the topics and the Editor group, made by migrations, come back
    # after each test flushes the database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # CI installs Chromium; elsewhere the browser tests are skipped when it is missing.
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser(live_server, monkeypatch, tmp_path):
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread; the database work of
    # the test itself is synchronous and finished before the browser starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    folder = tmp_path / "docs"
    folder.mkdir()
    for path in [SEED, *FIXTURES.iterdir()]:
        shutil.copy(path, folder / path.name)
    call_command("import_releases", str(folder), stdout=open(os.devnull, "w"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        context = chromium.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page, live_server.url
        chromium.close()
        # While Playwright's event loop runs, Django keeps this thread's connections apart
        # from those it has outside the loop; the test's queries opened one there, which
        # nothing else would close before the test database is dropped.
        connections.close_all()


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, base, username, password="a-long-passphrase"):
    page.goto(base + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("text=Site administration")


def result_count(page) -> int:
    return int(page.locator("p.count strong").inner_text())


def test_a_researchers_path_through_the_archive(browser):
    page, base = browser
    page.goto(base + "/")
    shot(page, "01-home")
    page.get_by_label("Search releases").fill("bank")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/releases/?q=bank")
    everything = result_count(page)
    assert everything >= 4
    shot(page, "02-search")

    page.locator(".facets").get_by_role("link", name="Agricultural Bank of China").click()
    page.wait_for_url("**institution=agricultural-bank-of-china**")
    assert result_count(page) == 1 < everything
    assert page.get_by_role("link", name="Remove Institution: Agricultural Bank of China").is_visible()
    shot(page, "03-filtered")

    page.get_by_role("link", name="Lenders pledge more support for green transition").click()
    page.wait_for_selector("h1:has-text('Lenders pledge more support')")
    assert page.locator("#statement-2").is_visible()
    shot(page, "04-release")

    page.locator(".body").get_by_role("link", name="Zhao Minghui").first.click()
    page.wait_for_selector("h1:has-text('Zhao Minghui')")
    assert "We will make green finance a core part" in page.content()
    shot(page, "05-person")


def test_searching_statements_and_downloading_csv(browser):
    page, base = browser
    page.goto(base + "/quotes/")
    page.get_by_label("Search statements").fill("liquidity")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/quotes/?q=liquidity**")
    assert page.locator("ol.quotes mark").first.inner_text().lower() == "liquidity"
    shot(page, "06-statements")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    path = download.value.path()
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,speaker,speaker_type")
    assert any("Feng Tao" in line for line in lines[1:])


def test_the_archive_is_usable_at_360_pixels(browser):
    page, base = browser
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(base + "/releases/?q=bank")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    shot(page, "07-narrow")


def test_an_editor_merges_institutions_and_verifies_a_statement(browser):
    from django.contrib.auth.models import Group, User

    from archive.models import Institution, Quote

    page, base = browser
    editor = User.objects.create_user("editor", "e@example.org", "a-long-passphrase",
                                      is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    Institution.objects.create(name="PBOC Beijing office", kind="central_bank")
    quote = Quote.objects.get(text__startswith="The cut will lower financing costs")

    log_in(page, base, "editor")

    page.goto(base + "/admin/archive/institution/?kind__exact=central_bank")
    for name in ("People's Bank of China", "PBOC Beijing office"):
        page.get_by_role("row", name=name).get_by_role("checkbox").check()
    page.select_option("select[name=action]", "merge_selected")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("text=Merge into the one kept")
    shot(page, "08-merge-confirm")
    assert page.get_by_label("People's Bank of China").is_checked()  # most linked: proposed
    page.get_by_role("button", name="Merge into the one kept").click()
    page.wait_for_selector("text=Merged PBOC Beijing office into People's Bank of China")
    assert not Institution.objects.filter(name="PBOC Beijing office").exists()

    page.goto(base + "/admin/archive/quote/?q=financing+costs")
    page.get_by_role("row", name="The cut will lower").get_by_role("checkbox").check()
    page.select_option("select[name=action]", "verify")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("text=Verified 1 statement.")

    page.goto(base + quote.release.get_absolute_url())
    statement = page.locator(f"#statement-{quote.position}")
    assert statement.locator(".verified").inner_text().lower() == "verified"
    shot(page, "09-verified-on-public-page")


HOSTILE = (
    '<script>window.pwned = 1; alert("script")</script>'
    '<img src="x" onerror="window.pwned = 2; alert(\'img\')">'
    '<svg onload="window.pwned = 3"></svg><iframe src="javascript:alert(\'frame\')"></iframe>'
    '<a href="javascript:window.pwned = 4">link</a>'
)


def test_imported_hostile_markup_never_runs(browser, tmp_path):
    from archive.models import Release

    page, base = browser
    (tmp_path / "hostile.txt").write_text(
        f"Regulator warns about {HOSTILE}\n2025-03-01\n\n"
        f"The China Securities Regulatory Commission said {HOSTILE} was a test.\n"
        f'"Markup is not content {HOSTILE} at all," said Wu Lan, a researcher at '
        "Fudan University.\n")
    (tmp_path / "hostile.html").write_text(
        "<html><head><meta http-equiv='refresh' content='0;url=javascript:alert(1)'>"
        f"<title>Hostile page</title></head><body><article><h1>Hostile page</h1>"
        f"<p>The Bank of Korea said rates will hold. {HOSTILE}</p>"
        f"<p>Lee Min, deputy governor of the Bank of Korea, said inflation eased.</p>"
        "</article></body></html>")
    call_command("import_releases", str(tmp_path), stdout=open(os.devnull, "w"))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    urls = [r.get_absolute_url() for r in Release.objects.filter(
        title__in=["Hostile page"]) | Release.objects.filter(title__startswith="Regulator warns")]
    assert len(urls) == 2
    for url in [*urls, "/releases/?q=test", "/quotes/?q=markup", "/releases/feed.atom"]:
        page.goto(base + url)
        page.wait_for_timeout(300)
        assert page.evaluate("window.pwned") is None, url
        assert page.locator("iframe, main script, main svg[onload], main img[onerror]").count() == 0
    assert dialogs == []
    page.goto(base + urls[0])
    shot(page, "10-hostile-release")


def test_a_direction_override_or_a_very_long_word_stays_within_its_title(browser):
    from tests.conftest import make_release

    page, base = browser
    override = make_release("Rates \u202eheld steady", "The central bank held rates steady.")
    long_word = make_release("Notice " + "x" * 230, "A body of " + "y" * 230 + " words.")
    page.goto(base + override.get_absolute_url())
    # In the citation line, the words after the title stay after it, left to right.
    left = page.evaluate("""(words) => {
        const text = document.querySelector('p.citation').firstChild;
        return words.map(word => {
            const range = document.createRange(), at = text.data.indexOf(word);
            range.setStart(text, at);
            range.setEnd(text, at + word.length);
            return range.getBoundingClientRect().left;
        });
    }""", ["held", "Financial Policy Archive"])
    assert left[0] < left[1]
    shot(page, "11-direction-override")
    for url in [long_word.get_absolute_url(), "/releases/", "/releases/?q=notice"]:
        page.goto(base + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
    shot(page, "12-long-word")


def _markup(n: int) -> str:
    """Text that spells out markup which, were it run, would set window.pwned to `n`."""
    return f'<img src="x" onerror="window.pwned = {n}">'


def test_text_that_spells_out_markup_is_shown_as_text_and_never_runs(browser, tmp_path):
    from django.contrib.auth.models import User

    from archive.models import Appearance, Institution, Person, Quote, Release
    from tests.conftest import make_release

    page, base = browser
    # Entity-encoded in a text file and in an HTML page, beside a lone "<": the entities are
    # decoded after the tags are removed (in HTML, once more by trafilatura before), so
    # what is stored is the markup itself, as literal text.
    (tmp_path / "encoded.html").write_text(
        "<html><head><title>Encoded markup notice</title></head><body><article>"
        "<h1>Encoded markup notice</h1>"
        "<p>The Bank of Korea said rates &lt; 3% will hold "
        "&amp;amp;lt;script&amp;amp;gt;window.pwned = 1&amp;amp;lt;/script&amp;amp;gt; and "
        f"{_markup(2).replace('<', '&amp;amp;lt;').replace('>', '&amp;amp;gt;')} for now.</p>"
        "<p>Lee Min, deputy governor of the Bank of Korea, said inflation eased.</p>"
        "</article></body></html>")
    (tmp_path / "brackets.txt").write_text(
        "Brackets in a plain notice\n2025-03-02\n\n"
        "The China Securities Regulatory Commission said rates < 3% and "
        f"{_markup(3).replace('<', '&lt;').replace('>', '&gt;')} will hold.\n")
    call_command("import_releases", str(tmp_path), stdout=open(os.devnull, "w"))
    imported = list(Release.objects.filter(body__contains='onerror="window.pwned'))
    assert len(imported) == 2  # stored as markup, literally
    assert any("<script>window.pwned = 1</script>" in r.body for r in imported)
    # Names, a role and a statement as a curator types them in the admin.
    bank = Institution.objects.create(name=f"{_markup(4)} Bank", kind="commercial_bank")
    person = Person.objects.create(name="<script>window.pwned = 5</script> Wu")
    release = make_release("Curated notice", f"{bank.name} said so. {person.name} agreed.")
    release.institutions.add(bank)
    Appearance.objects.create(release=release, person=person, role=_markup(6), affiliation=bank)
    Quote.objects.create(release=release, person=person, kind="direct", position=1,
                         text=f"Rates hold {_markup(7)}")
    unnamed = make_release("Unnamed notice", f"Rates hold {_markup(8)}.")  # no name to link
    User.objects.create_superuser("curator", "c@example.org", "a-long-passphrase")

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    urls = [*(r.get_absolute_url() for r in [*imported, release, unnamed]),
            bank.get_absolute_url(), person.get_absolute_url(), "/", "/releases/?q=hold",
            "/quotes/?q=rates", "/institutions/", "/people/"]
    seen = ""
    for url in urls:
        page.goto(base + url)
        page.wait_for_timeout(200)
        assert page.evaluate("window.pwned") is None, url
        # Nothing of the text became an element; it is all in the page as words. (The
        # Content-Security-Policy would stop an inline handler from running even then: the
        # elements are what shows the escaping failed.)
        assert page.locator("img[onerror], main script, script:not([src])").count() == 0, url
        seen += page.inner_text("body")
    for text in [_markup(2), _markup(3), _markup(4), _markup(6), _markup(7), _markup(8),
                 "<script>window.pwned = 1</script>", "<script>window.pwned = 5</script>"]:
        assert text in seen, text
    shot(page, "13-markup-as-text")

    log_in(page, base, "curator")
    for url in ["/admin/archive/institution/", f"/admin/archive/institution/{bank.pk}/change/",
                "/admin/archive/person/", "/admin/archive/quote/",
                f"/admin/archive/release/{release.pk}/change/"]:
        page.goto(base + url)
        page.wait_for_timeout(200)
        assert page.evaluate("window.pwned") is None, url
        # The admin's own scripts are files (src); none is made of the text.
        assert page.locator("img[onerror], #content script:not([src])").count() == 0, url
    assert dialogs == []


def test_a_curator_adds_a_source_harvests_it_and_finds_its_releases(browser, settings, tmp_path):
    from django.contrib.auth.models import Group, User

    from archive.models import Institution
    from tests.harvest_site import RSS, Site, article, rss

    page, base = browser
    settings.WARC_DIR = tmp_path / "warc"
    settings.HARVEST_DELAY = 0
    site = Site()
    site.serve("/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")
    site.serve("/press/feed.xml", rss([site.url("/press/facility.html")]), RSS)
    site.serve("/press/facility.html", article(
        "Bank of Testland opens a standing repo facility for regional lenders", [
            "The Bank of Testland will open a standing repo facility for regional lenders "
            "on Monday, lending against government bonds at the policy rate.",
            "Governor Ana Lima said the facility would calm funding markets that had "
            "tightened over the past month.",
        ]))
    Institution.objects.create(name="Bank of Testland", kind="central_bank")
    curator = User.objects.create_user("sources", "s@example.org", "a-long-passphrase",
                                       is_staff=True)
    curator.groups.add(Group.objects.get(name="Editor"))

    log_in(page, base, "sources")
    page.goto(base + "/admin/archive/source/add/")
    page.get_by_label("Name").fill("Testland press releases")
    page.locator(".field-institution .select2-selection").click()
    page.locator(".select2-search__field").fill("Testland")
    page.locator(".select2-results__option", has_text="Bank of Testland").click()
    page.get_by_label("Entry point").fill(site.url("/press/feed.xml"))
    shot(page, "14-source-added")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector("text=was added successfully")

    page.get_by_role("row", name="Testland press releases").get_by_role("checkbox").check()
    page.select_option("select[name=action]", "harvest_now")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("text=Harvested Testland press releases: 1 discovered, 1 new")
    shot(page, "15-source-harvested")
    page.get_by_role("link", name="Testland press releases").click()
    assert page.locator(".field-recent_runs td").nth(2).inner_text() == "1"  # discovered

    page.goto(base + "/releases/?q=repo+facility")
    page.get_by_role("link", name="Bank of Testland opens a standing repo facility").click()
    assert page.get_by_role("link", name=site.url("/press/facility.html")).is_visible()
    assert "WARC record" in page.locator("dl.provenance").inner_text()
    shot(page, "16-harvested-release")
    site.stop()


# The pages a researcher moves through, each looked at on a phone and on a desktop.
PAGES = {
    "home": "/",
    "releases": "/releases/?q=bank",
    "statements": "/quotes/",
    "institutions": "/institutions/",
    "people": "/people/",
    "topics": "/topics/",
    "not-found": "/no-such-page/",
}
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def axe_violations(page) -> list[str]:
    """What axe-core (shipped inside the axe-playwright-python package) finds on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]]


def subject_pages(page, base) -> dict[str, str]:
    """A release, an institution and a person of the imported pages, found by following
    links as a reader would."""
    page.goto(base + "/releases/?q=bank")
    release = page.locator("li.result h3 a").first.get_attribute("href")
    page.goto(base + "/institutions/")
    institution = page.locator("ul.ranked a").first.get_attribute("href")
    page.goto(base + "/people/")
    person = page.locator("table a").first.get_attribute("href")
    return {"release": release, "institution": institution, "person": person}


def test_every_page_on_a_phone_and_a_desktop_has_no_accessibility_violations(browser):
    page, base = browser
    pages = {**PAGES, **subject_pages(page, base)}
    for device, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            page.goto(base + url)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], url
            assert axe_violations(page) == [], (device, url)
            shot(page, f"20-{name}-{device}")


def test_a_phone_reaches_the_filters_from_the_top_and_a_long_term_wraps(browser):
    page, base = browser
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(base + "/releases/?q=bank")
    link = page.get_by_role("link", name="Filters", exact=True)
    assert link.is_visible() and link.bounding_box()["y"] < 844  # on the first screen
    link.click()
    page.wait_for_url("**#filters")
    assert page.locator("#filters").bounding_box()["y"] < 100  # scrolled to the facets
    page.goto(base + "/releases/?q=" + "x" * 200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "21-long-term-phone")
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(base + "/releases/?q=bank")
    assert not page.get_by_role("link", name="Filters", exact=True).is_visible()
    assert page.locator("#filters").is_visible()


def test_a_statement_leads_to_its_place_in_the_text_and_charts_are_drawn(browser):
    page, base = browser
    pages = subject_pages(page, base)
    page.goto(base + "/releases/?q=green+transition")
    page.locator("li.result h3 a").first.click()
    page.locator("ol.quotes").get_by_role("link", name="In the text").first.click()
    page.wait_for_url("**#said-*")
    marked = page.locator("mark.statement:target")
    assert marked.is_visible() and marked.inner_text()
    shot(page, "22-statement-in-text")
    page.goto(base + pages["institution"])
    chart = page.locator("figure.chart svg")
    assert chart.get_attribute("role") == "img" and chart.locator("rect").count() >= 1
    assert chart.bounding_box()["height"] > 100  # drawn to scale, not squashed
    assert page.locator("figure.chart table tbody tr").count() == chart.locator("rect").count()
    shot(page, "23-institution-chart")
    # Empty fields a submitted form would send stay out of the address.
    page.goto(base + "/releases/")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/releases/?sort=relevance") or page.url.endswith(
        "/releases/")
