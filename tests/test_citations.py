"""Citations read field by field: every part of the line, BibTeX and CSL-JSON that a
reference manager takes."""

import datetime
import json

import pytest

from archive.citations import citation_formats
from archive.models import Institution
from tests.conftest import make_release

pytestmark = pytest.mark.django_db
URL = "https://archive.example/releases/7/rates-held/"


def test_a_news_report_is_cited_as_an_article_of_its_outlet():
    release = make_release("Rates held", published=datetime.date(2025, 3, 4), source="Xinhua",
                           language="en")
    formats = citation_formats(release, URL)
    assert formats["plain"] == (f"“\u2068Rates held\u2069.” \u2068Xinhua\u2069, 4 March 2025. "
                                f"Financial Policy Archive. {URL}")
    assert formats["bibtex"] == (
        f"@misc{{xinhua2025r{release.pk},\n  title = {{Rates held}},\n"
        "  howpublished = {Financial Policy Archive},\n  organization = {Xinhua},\n"
        f"  year = 2025,\n  month = 3,\n  url = {{{URL}}}\n}}")
    assert json.loads(formats["csl"]) == {
        "id": f"release-{release.pk}", "type": "article-newspaper", "title": "Rates held",
        "container-title": "Xinhua", "publisher": "Xinhua",
        "issued": {"date-parts": [[2025, 3, 4]]}, "URL": URL, "language": "en"}


def test_an_institutions_undated_release_is_cited_as_its_report():
    bank = Institution.objects.create(name="Bank of Osland", slug="bank-of-osland")
    release = make_release("Rates held", issuer=bank, language="en")
    formats = citation_formats(release, URL)
    assert formats["plain"] == (f"“\u2068Rates held\u2069.” \u2068Bank of Osland\u2069, n.d. "
                                f"Financial Policy Archive. {URL}")
    assert formats["bibtex"] == (
        f"@misc{{bankr{release.pk},\n"
        "  title = {Rates held},\n  howpublished = {Financial Policy Archive},\n"
        "  organization = {Bank of Osland},\n"
        f"  url = {{{URL}}}\n}}")
    assert json.loads(formats["csl"]) == {
        "id": f"release-{release.pk}", "type": "report", "title": "Rates held",
        "publisher": "Bank of Osland", "URL": URL, "language": "en"}


def test_a_release_with_no_outlet_or_issuer_names_no_publisher():
    release = make_release("Rates held", language="en")
    formats = citation_formats(release, URL)
    assert formats["plain"] == f"“\u2068Rates held\u2069.” n.d. Financial Policy Archive. {URL}"
    assert formats["bibtex"].startswith(f"@misc{{releaser{release.pk},")
    assert "organization" not in formats["bibtex"]


def test_a_citation_key_is_letters_and_csl_keeps_non_ascii_text_as_written():
    release = make_release("Zürich hält die Zinsen", published=datetime.date(2024, 1, 2),
                           source="People's Daily", language="de")
    formats = citation_formats(release, URL)
    assert formats["bibtex"].startswith(f"@misc{{peoples2024r{release.pk},")
    assert '"title": "Zürich hält die Zinsen"' in formats["csl"]
