"""Bytes -> text: every encoding decoded without mojibake; bad files refused with a reason."""

import codecs

import pytest

from archive.ingest.read import UnreadableDocument, decode, read
from tests.ingest_helpers import FIXTURES

TEXT = "中国人民银行 “quoted” café — 12-24-2025"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_unicode_encodings_round_trip(encoding):
    assert decode(TEXT.encode(encoding))[0] == TEXT


def test_utf16_without_a_mark_is_recognised():
    assert decode("Policy rate unchanged at 2 percent".encode("utf-16-le"))[0] == (
        "Policy rate unchanged at 2 percent"
    )


def test_gb18030_file_decodes():
    text, encoding = decode((FIXTURES / "gb18030.txt").read_bytes())
    assert encoding == "gb18030"
    assert "中国人民银行发布第三季度货币政策执行报告" in text


def test_big5_file_decodes():
    text, _ = decode((FIXTURES / "big5.txt").read_bytes())
    assert "香港金融管理局公布外匯基金數據" in text


def test_cp1252_smart_quotes_and_accents_decode():
    text, encoding = decode((FIXTURES / "cp1252.txt").read_bytes())
    assert encoding == "cp1252"
    assert "“Growth will slow,” said Jean-Marc Dupré" in text


def test_the_html_charset_is_honoured():
    page = '<html><head><meta charset="gbk"><title>t</title></head><body>人民币</body></html>'
    text, encoding = decode(page.encode("gbk"), is_html=True)
    assert encoding == "gb18030"
    assert "人民币" in text


def test_a_byte_order_mark_beats_a_declared_charset():
    page = '<html><meta charset="iso-8859-1"><body>人民币</body></html>'
    assert decode(codecs.BOM_UTF8 + page.encode("utf-8"), is_html=True)[0].endswith("</html>")


def test_a_utf8_page_declaring_latin1_is_read_as_utf8_with_a_warning(caplog):
    page = ('<html><head><meta charset="iso-8859-1"><title>Politique monétaire</title></head>'
            "<body><p>La politique monétaire reste inchangée.</p></body></html>")
    with caplog.at_level("WARNING", logger="archive.ingest.read"):
        text, encoding = decode(page.encode("utf-8"), is_html=True, name="bdf.html")
    assert (encoding, text) == ("utf-8", page)
    assert "bdf.html declares the charset iso-8859-1 but is valid UTF-8" in caplog.text


def test_a_true_latin1_page_keeps_its_declared_charset(caplog):
    page = '<html><meta charset="iso-8859-1"><body>Politique monétaire, 5 €</body></html>'
    text, encoding = decode(page.encode("cp1252"), is_html=True)
    assert (encoding, text) == ("cp1252", page)
    assert not caplog.records


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (bytes(range(256)) * 20, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "binary"),
])
def test_unreadable_files_are_refused_with_a_reason(raw, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        decode(raw)


def test_html_main_text_leaves_out_scripts_navigation_and_footer():
    result = read((FIXTURES / "article.html").read_bytes(), "article.html")
    assert result.media_type == "text/html"
    assert "reserve requirement ratio for financial institutions" in result.text
    for chrome in ("window.tracking", "font-family", "Share on WeChat", "Copyright 2025"):
        assert chrome not in result.text
    assert result.meta["date"] == "2025-09-15"
    assert result.meta["title"] == "Central bank cuts reserve requirement ratio by 0.5 point"


def test_html_text_is_stored_without_markup():
    result = read((FIXTURES / "article.html").read_bytes(), "article.html")
    assert "<script" not in result.text
    assert "alert(" not in result.text


def test_plain_text_keeps_angle_brackets_that_are_not_markup():
    assert read(b"Title line here\nGrowth < 5% and > 3%\n", "a.txt").text.endswith("> 3%\n")


def test_the_search_highlight_markers_are_dropped_from_imported_text():
    raw = "Rates held\n\nThe bank \ue000kept\ue001 rates steady.\n".encode()
    assert read(raw, "notice.txt").text == "Rates held\n\nThe bank kept rates steady.\n"


@pytest.mark.parametrize("head, body, headline", [
    # The h1 without its kicker, which the page title repeats
    ("<title>Banks agree on rules | Media Releases | Osland Bank</title>",
     "<h1><span>Joint Media Release</span><span>Banks agree on rules</span></h1>",
     "Banks agree on rules"),
    # No h1: og:title, its site suffix removed
    ("<meta property='og:title' content='Rates held at 3% | Media Releases'>", "",
     "Rates held at 3%"),
    # <title> only, the site's name and section glued on with hyphens
    ("<title>Osland Central Bank-Press Releases-Money Supply (June 2025)</title>"
     "<meta property='og:site_name' content='Osland Central Bank'>", "",
     "Money Supply (June 2025)"),
    # An h1 holding only the site's logo is no headline
    ("<title>Osland Central Bank-Press Releases-Credit Conditions</title>",
     "<h1><a href='/'><img alt='Osland Central Bank' src='logo.png'></a></h1>",
     "Credit Conditions"),
])
def test_the_headline_is_the_printed_one(head, body, headline):
    page = (f"<html><head>{head}</head><body>{body}<article><p>The central bank of Osland "
            "kept its policy rate at 3 percent on Thursday, citing steady prices and growth "
            "in lending across the economy.</p></article></body></html>")
    assert read(page.encode(), "page.html").meta["title"] == headline


def test_a_printed_release_date_and_the_canonical_address_are_kept():
    page = ("<html><head><link rel='canonical' href='https://bank.example/pr/1'></head><body>"
            "<p><strong>PRESS RELEASE</strong> Release Date: July 23, 2025</p><article><p>The "
            "central bank of Osland kept its policy rate at 3 percent on Thursday, citing "
            "steady prices.</p></article><footer>Updated / 2025-10-31</footer></body></html>")
    meta = read(page.encode(), "page.html").meta
    assert meta["printed_date"].startswith("Release Date: July 23, 2025")
    assert meta["url"] == "https://bank.example/pr/1"
