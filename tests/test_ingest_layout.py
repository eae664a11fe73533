"""Captured page text -> title, dates, source and the story's paragraphs."""

import datetime

import pytest

from archive.ingest.dates import find_dates, first_date
from archive.ingest.layout import parse
from tests.ingest_helpers import FIXTURES, SEED


@pytest.mark.parametrize("text, expected", [
    ("12-24-2025", datetime.date(2025, 12, 24)),
    ("2025-12-24", datetime.date(2025, 12, 24)),
    ("2025/12/24", datetime.date(2025, 12, 24)),
    ("2025年12月24日", datetime.date(2025, 12, 24)),
    ("Dec. 19th, 2025", datetime.date(2025, 12, 19)),
    ("19 December 2025", datetime.date(2025, 12, 19)),
    ("February 18, 2022", datetime.date(2022, 2, 18)),
    ("Jul 05 2017", datetime.date(2017, 7, 5)),
    ("Posted May. 28, 2021 07:30", datetime.date(2021, 5, 28)),
    ("24/12/2025", datetime.date(2025, 12, 24)),
    ("SEPT. 5, 2025", datetime.date(2025, 9, 5)),
    ("5 ſeptember 2025", datetime.date(2025, 9, 5)),  # a long s, as old typefaces print
])
def test_dates_in_the_forms_pages_print_them(text, expected):
    assert first_date(text) == expected


@pytest.mark.parametrize("text", ["2025-02-30", "13-13-2025", "February 30, 2024",
                                  "the 2018-20 plan", "November 19-20", "fiscal 2023"])
def test_impossible_or_partial_dates_are_rejected(text):
    assert find_dates(text) == []


def test_the_seed_page_loses_its_chrome():
    parsed = parse(SEED.read_text(encoding="utf-8"))
    assert parsed.title == "Capital Support for Innovation in Further Focus"
    assert parsed.published == datetime.date(2025, 12, 24)
    assert (parsed.source, parsed.source_date) == ("China Daily", datetime.date(2025, 12, 19))
    body = "\n".join(parsed.paragraphs)
    for chrome in ("Sitemap", "Current Location", ".webp.jpg", "TOP", "Website Identification",
                   "Are you sure", "A report from"):
        assert chrome not in body
    assert parsed.paragraphs[0].startswith("Adhering to an innovation-driven approach")
    assert parsed.paragraphs[-1].startswith("He added that this should include")


def test_a_press_release_loses_its_media_contact_footer():
    parsed = parse((FIXTURES / "press_release.txt").read_text(encoding="utf-8"))
    assert parsed.title == "Bank of Thailand holds policy rate at 2.00 percent"
    assert parsed.published == datetime.date(2025, 12, 19)
    body = "\n".join(parsed.paragraphs)
    assert "Analysts said a cut" in body
    assert "Media contact" not in body and "press@example.org" not in body


def test_a_news_report_loses_byline_caption_and_buttons():
    parsed = parse((FIXTURES / "news_report.txt").read_text(encoding="utf-8"))
    assert parsed.title == "Lenders pledge more support for green transition"
    assert parsed.published == datetime.date(2025, 11, 3)
    assert parsed.bylines == ["Wang Lijun"]
    body = "\n".join(parsed.paragraphs)
    for chrome in ("Wang Lijun", "[Photo/Xinhua]", "PDF View", "Share", "Business ›"):
        assert chrome not in body


@pytest.mark.parametrize("lines, source", [
    (["Source: Xinhua"], "Xinhua"),
    (["( China Daily )"], "China Daily"),
    (["(Shenzhen Daily/Agencies)"], "Shenzhen Daily"),
    (["chinadaily.com.cn | Updated: 2021-04-22"], "China Daily"),
    (["来源：新华社"], "Xinhua"),
])
def test_the_original_publisher_is_recognised(lines, source):
    text = "\n".join(["Banks step up lending to private firms", *lines,
                      "Banks will lend more to private firms this year, the regulator said."])
    assert parse(text).source == source


def test_a_wire_dateline_names_the_source():
    text = ("Yuan steady as central bank sets firmer midpoint\n"
            "SHANGHAI, May 6 (Reuters) - China's yuan held steady on Tuesday.\n")
    parsed = parse(text)
    assert parsed.source == "Reuters"
    assert parsed.published is None  # a dateline without a year is no date


def test_an_outlet_prefix_in_the_headline_names_the_source():
    parsed = parse("Global Times: Banks expand sci-tech loans\nBanks expanded loans to tech firms.")
    assert parsed.title == "Global Times: Banks expand sci-tech loans"
    assert parsed.source == "Global Times"


def test_a_chinese_page_keeps_its_chinese_title():
    text = (FIXTURES / "gb18030.txt").read_bytes().decode("gb18030")
    parsed = parse(text)
    assert parsed.title == "中国人民银行发布第三季度货币政策执行报告"
    assert parsed.published == datetime.date(2025, 11, 12)
    assert parsed.source == "Xinhua"


def test_repeated_lines_are_kept_once():
    text = "Banks step up lending\nBy Li Ming\nBy Li Ming\nLending grew fast.\nLending grew fast.\n"
    assert parse(text).paragraphs == ["Lending grew fast."]


WIRE = """15-APR-1991 09:12:44.10

CENTRAL BANK HOLDS DISCOUNT RATE

    By Anne Carter, Reuters
    FRANKFURT, April 15 - Central bank vice president Otto
Weinrich said the bank saw no need to change its discount
rate at this stage of the cycle.
    He told reporters that money supply growth had slowed in
March and that the currency was stable against the dollar.
"""


def test_hard_wrapped_newswire_is_joined_into_paragraphs_with_its_date():
    parsed = parse(WIRE)
    assert parsed.title == "CENTRAL BANK HOLDS DISCOUNT RATE"
    assert parsed.published == datetime.date(1991, 4, 15)
    assert parsed.paragraphs == [
        "FRANKFURT, April 15 - Central bank vice president Otto Weinrich said the bank saw no "
        "need to change its discount rate at this stage of the cycle.",
        "He told reporters that money supply growth had slowed in March and that the currency "
        "was stable against the dollar.",
    ]


def test_lines_of_ordinary_length_are_not_joined():
    text = ("Osland central bank keeps its policy rate unchanged\n\nThe bank held its rate.\n"
            "It will meet again in June.\n")
    assert parse(text).paragraphs == ["The bank held its rate.", "It will meet again in June."]


def test_a_page_without_a_headline_has_no_title_and_keeps_its_text():
    text = ("Governor Maria Olsen on Tuesday said it would be premature to cut rates now, as "
            "inflation is still above the target of the bank.Published on March 4, 2026\n")
    parsed = parse(text)
    assert parsed.title == ""
    assert parsed.published == datetime.date(2026, 3, 4)
    assert parsed.paragraphs[0].endswith("above the target of the bank.")


def test_run_together_sentences_are_parted():
    parsed = parse("A headline for the page\n\nThe committee met (MPC).All members voted to hold "
                   "the rate.“We are cautious,” she said.\n")
    assert parsed.paragraphs == ["The committee met (MPC). All members voted to hold the rate. "
                                 "“We are cautious,” she said."]


def test_the_release_date_wins_over_an_updated_line():
    text = ("Monthly money figures\nUpdated: 2025-10-31\nRelease Date: July 23, 2025\n\n"
            "Money supply grew 4 percent in June from a year earlier.\n")
    assert parse(text).published == datetime.date(2025, 7, 23)


def test_wire_credits_and_photo_credits_are_bylines_not_text():
    text = ("Osland central bank keeps its policy rate unchanged\n\nCapital Bank of Osland [Photo by Lena Ostrova/example.org]\n\n"
            "“Rates stay where they are,” the governor said. (Reporting by Tom Reed; Editing by "
            "Ann Lee)\n")
    parsed = parse(text)
    assert {"Lena Ostrova", "Tom Reed", "Ann Lee"} <= set(parsed.bylines)
    assert parsed.paragraphs == ["“Rates stay where they are,” the governor said."]
    assert parsed.captions == ["Capital Bank of Osland"]


def test_a_tables_rows_are_kept_as_text():
    text = ("Bond priced\n\nThe bank priced a bond.\n| Listing: | Osland Stock Exchange |\n"
            "| Coupon: | 4.25% |\n")
    assert "| Listing: | Osland Stock Exchange |" in parse(text).paragraphs


def test_a_page_without_line_breaks_is_parted_at_sentence_ends():
    sentence = "The bank kept its policy rate unchanged at its meeting on Thursday. "
    parsed = parse("Osland central bank keeps its policy rate unchanged\n\n" + sentence * 2000)
    assert len(parsed.paragraphs) > 1
    assert all(len(p) <= 20_000 for p in parsed.paragraphs)
    assert all(p.endswith("Thursday.") for p in parsed.paragraphs)
    assert sum(p.count("Thursday.") for p in parsed.paragraphs) == 2000
