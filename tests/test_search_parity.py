"""The same query finds the same releases on SQLite and on PostgreSQL.

Each expectation is written out, and the suite runs on both databases, so a difference
between the two backends fails one of the runs."""

import pytest
from django.db import connection

from archive.models import Release
from tests.conftest import make_release

pytestmark = pytest.mark.django_db

DOCUMENTS = {
    "rrr": ("Central bank cuts the reserve requirement ratio",
            "The People's Bank of China cut the reserve requirement ratio by 0.5 percentage point "
            "to support lending to small businesses."),
    "green": ("Green bonds reach a record",
              "Banks issued green bonds worth 300 billion yuan to fund wind and solar projects."),
    "relend": ("Re-lending quota for technological innovation expanded",
               "The central bank expanded its re-lending facility for technology firms."),
    "fx": ("Yuan holds steady against the dollar",
           "The exchange rate was stable as exporters converted dollar earnings."),
    "boc": ("Bank of China opens fintech lab",
            "The Bank of China said its new lab will study payments and artificial intelligence."),
    "zh": ("中国人民银行发布货币政策报告",
           "中国人民银行表示 将继续实施适度宽松的货币政策"),
}

QUERIES = [
    ("bonds", {"green"}),
    ("bond", {"green"}),                              # stemming
    ("lending", {"rrr", "relend"}),                   # "re-lending" holds the word "lending"
    ("re-lending", {"relend"}),
    ("technology", {"relend"}),
    ("technological", {"relend"}),
    ('"reserve requirement ratio"', {"rrr"}),
    ('"ratio requirement"', set()),
    ("central bank", {"rrr", "relend"}),
    ("dollar OR wind", {"fx", "green"}),
    ("OR wind", {"green"}),                           # an OR with nothing before it
    ("wind OR", {"green"}),
    ("dollar OR wind bonds", {"green"}),              # OR joins its two neighbours only
    ("dollar or wind", set()),                        # "or" in small letters is a stop word
    ("-the bonds", {"green"}),                        # a stop word excluded is ignored
    ('"bank of china" -"central bank"', {"boc"}),
    ("bank -green", {"rrr", "relend", "boc"}),
    ("-bank", {"fx", "zh"}),
    ('"Bank of China"', {"boc", "rrr"}),
    ('"holds steady"', {"fx"}),                       # a two-word phrase in a title alone
    ('"steady holds"', set()),
    ("the", set()),                                   # a stop word alone finds nothing
    ("the yuan", {"green", "fx"}),
    ("the-yuan", {"green", "fx"}),                    # a stop word inside a word too
    ('"the"', set()),                                 # and a phrase of stop words alone
    ("intelligence payments", {"boc"}),
    ('"', set()),
    ("OR", set()),
    ("-", set()),
    # Field search: title: looks in the title alone.
    ("title:bank", {"rrr", "boc"}),
    ('title:"bank of china"', {"boc"}),
    ('title:"fintech lab"', {"boc"}),
    ('title:"lab fintech"', set()),
    ("TITLE:yuan", {"fx"}),                           # "yuan" is in another body too
    ("title:lending", {"relend"}),
    ("bank -title:bank", {"green", "relend"}),
    ("-title:bank", {"green", "relend", "fx", "zh"}),
    ("title:-bank", {"green", "relend", "fx", "zh"}),  # the minus may follow the colon
    ("title:dollar OR wind", set()),                  # OR next to a field term is ignored
    ("wind title:bonds OR dollar", set()),            # after words too
    ("title:the", set()),
    ("title: steady", set()),                         # "title:" then a space is a word
]


@pytest.fixture
def releases():
    return {key: make_release(title, body).pk for key, (title, body) in DOCUMENTS.items()}


@pytest.mark.parametrize("query, expected", QUERIES)
def test_the_same_releases_on_both_databases(releases, query, expected):
    keys = {pk: key for key, pk in releases.items()}
    assert {keys[r.pk] for r in Release.objects.search(query)} == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's configurations")
def test_a_search_reads_english_whatever_the_servers_default_configuration(releases, client):
    with connection.cursor() as cursor:  # as a server set up for another language may be
        cursor.execute("SET LOCAL default_text_search_config = 'simple'")
    keys = {pk: key for key, pk in releases.items()}
    assert {keys[r.pk] for r in Release.objects.search("lending")} == {"rrr", "relend"}
    page = client.get("/releases/", {"q": "lending"}).context["page_obj"]
    assert all("<mark>lending</mark>" in str(r.snippet) for r in page) and len(page) == 2
