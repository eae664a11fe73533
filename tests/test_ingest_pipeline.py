"""Whole documents through the pipeline, and the topic tagger."""

import datetime

import pytest

from archive.ingest.phrases import tokenize
from archive.ingest.pipeline import extract
from archive.ingest.read import UnreadableDocument
from archive.ingest.topics import compile_keywords, tag
from tests.ingest_helpers import context, extract_fixture


def test_the_seed_document():
    extracted = extract_fixture("seed")
    record = extracted.as_json()
    assert record["title"] == "Capital Support for Innovation in Further Focus"
    assert record["published"] == "2025-12-24"
    assert record["source"] == "China Daily"
    assert extracted.source_date == datetime.date(2025, 12, 19)
    assert record["institutions"] == [
        "National Academy of Economic Strategy", "Chinese Academy of Social Sciences",
        "China Construction Bank", "Bank of Communications", "Industrial Bank",
        "Postal Savings Bank of China",
    ]
    assert record["persons"] == [
        {"name": "Yin Zhentao", "role": "deputy director",
         "affiliation": "National Academy of Economic Strategy"},
        {"name": "Lou Feipeng", "role": "researcher", "affiliation": "Postal Savings Bank of China"},
    ]
    assert "technology-finance" in record["topics"]
    assert extracted.encoding == "utf-8" and extracted.language == "en"


def test_a_document_is_tokenized_afresh_not_from_the_last_documents_tokens():
    paragraph = "China Construction Bank said it will expand lending to technology firms."
    tokens = tokenize(paragraph)
    assert tokenize(paragraph) is tokens  # kept for the document's next reader
    extract_fixture("seed")
    assert tokenize(paragraph) is not tokens


def test_a_news_report_with_curly_quotes_and_a_byline():
    record = extract_fixture("news_report.txt").as_json()
    assert record["institutions"] == [
        "National Financial Regulatory Administration", "Agricultural Bank of China",
        "Bank of China Research Institute", "People's Bank of China",
    ]
    assert [p["name"] for p in record["persons"]] == ["Zhao Minghui", "Sun Yufei"]
    assert ("Zhao Minghui", "direct") in [(q["speaker"], q["kind"]) for q in record["quotes"]]
    assert "green-finance" in record["topics"]


def test_a_press_release():
    record = extract_fixture("press_release.txt").as_json()
    assert record["institutions"] == ["Bank of Thailand"]
    assert record["persons"] == [
        {"name": "Anan Kittisak", "role": "assistant governor", "affiliation": "Bank of Thailand"}]
    assert [q["text"][:20] for q in record["quotes"]] == [
        "Credit conditions re", "the baht had been vo"]


def test_an_html_page():
    extracted = extract_fixture("article.html")
    assert extracted.title == "Central bank cuts reserve requirement ratio by 0.5 point"
    assert extracted.published == datetime.date(2025, 9, 15)
    assert extracted.media_type == "text/html"
    assert [q.speaker for q in extracted.quotes] == ["People's Bank of China", "Feng Tao", "Feng Tao"]
    assert "monetary-policy" in extracted.topics


def test_a_chinese_page():
    extracted = extract_fixture("gb18030.txt")
    assert extracted.language == "zh"
    assert extracted.institutions[0].name == "People's Bank of China"


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03" * 100, "binary"),
    (b"---\n***\n", "no text"),
])
def test_a_bad_document_is_refused_with_a_reason(raw, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        extract(raw, "bad.txt", context())


def test_topics_follow_the_keywords():
    keywords = compile_keywords({"green-finance": ["green bond", "ESG"],
                                 "real-estate": ["mortgage"]})
    assert tag("Green bond sales rise", "Issuers sold green bonds and ESG funds.", keywords) == [
        "green-finance"]
    # A keyword with capitals matches case: "esg" in lower case is not ESG.
    assert tag("Notes", "esg mortgage mortgage", keywords) == ["real-estate"]
    assert tag("Notes", "Nothing relevant here.", keywords) == []


def test_a_keyword_in_the_title_counts_three_times():
    keywords = compile_keywords({"green-finance": ["green bond"], "real-estate": ["mortgage"]})
    # Once in the body is below the least score (2); once in the title is above it.
    assert tag("Notes", "A green bond was sold.", keywords) == []
    assert tag("Green bond sold", "Nothing else.", keywords) == ["green-finance"]
    # A topic is kept at a fifth of the best one's score: one title mention (3) is kept beside
    # 15 body mentions of another topic, and left out beside 16.
    assert tag("Green bond sold", "mortgage " * 15, keywords) == ["real-estate", "green-finance"]
    assert tag("Green bond sold", "mortgage " * 16, keywords) == ["real-estate"]


@pytest.mark.parametrize("title, paragraphs, outlet, bylines, issuer, expected", [
    ("Remarks by the Governor at the Osland Forum", ["Thank you."], "", [], "Bank of England", "speech"),
    ("Interview with the Governor", ["Q: How are rates?"], "Reuters", [], None, "interview"),
    ("Monetary policy statement", ["The committee decided."], "", [], None, "statement"),
    ("Banks lend more to tech firms", ["Lending rose."], "China Daily", ["Wang Lei"], None, "news_report"),
    ("ECB keeps rates unchanged", ["The Governing Council decided."], "", [], "European Central Bank",
     "press_release"),
])
def test_the_kind_of_a_document(title, paragraphs, outlet, bylines, issuer, expected):
    from archive.ingest.kind import document_kind

    assert document_kind(title, paragraphs, outlet=outlet, bylines=bylines, issued_by=issuer) == expected


def test_the_issuer_is_the_sites_institution_or_the_source_it_names():
    from archive.ingest.entities import Gazetteer
    from archive.ingest.kind import issuer

    assert issuer("European Central Bank", "", Gazetteer()) == "European Central Bank"
    assert issuer("", "Bank of Communications", Gazetteer()) == "Bank of Communications"
    assert issuer("NBC News", "", Gazetteer()) is None
