"""The full-text index answers the same queries on both databases."""

import pytest

from archive.models import Institution, Quote, Release
from archive.search import FieldTerm, parse_websearch
from tests.conftest import make_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def releases():
    return {
        "relending": make_release(
            "Re-lending for technological innovation",
            "The central bank expanded the re-lending facility for technology firms.",
        ),
        "green": make_release(
            "Green bonds reach a record", "Banks issued green bonds to fund renewable energy."
        ),
        "rates": make_release(
            "Policy rate unchanged",
            "The monetary policy committee kept the interest rate steady; banks welcomed it.",
        ),
    }


def titles(queryset):
    return sorted(r.title for r in queryset)


def test_a_word_in_the_body_is_found(releases):
    assert titles(Release.objects.search("renewable")) == ["Green bonds reach a record"]


def test_words_are_stemmed(releases):
    assert titles(Release.objects.search("bond")) == ["Green bonds reach a record"]


def test_all_words_must_match(releases):
    assert titles(Release.objects.search("banks green")) == ["Green bonds reach a record"]


def test_or_matches_either(releases):
    assert titles(Release.objects.search("renewable OR committee")) == [
        "Green bonds reach a record", "Policy rate unchanged",
    ]


def test_minus_excludes(releases):
    assert titles(Release.objects.search("bonds OR steady -green")) == ["Policy rate unchanged"]


def test_a_phrase_must_appear_in_order(releases):
    assert titles(Release.objects.search('"interest rate"')) == ["Policy rate unchanged"]
    assert titles(Release.objects.search('"rate interest"')) == []


def test_title_matches_rank_above_body_matches():
    body_only = make_release("Quarterly report", "Liquidity was ample through the quarter.")
    in_title = make_release("Liquidity operations", "The bank injected funds.")
    ranked = list(Release.objects.search("liquidity", ranked=True).order_by("-rank"))
    assert ranked == [in_title, body_only]


@pytest.mark.parametrize("query", ['"', "-", "()", "*", "AND OR NOT", "   ", '"unclosed phrase'])
def test_syntax_characters_are_never_an_error(releases, query):
    list(Release.objects.search(query))


def test_a_wordless_query_matches_nothing(releases):
    assert not Release.objects.search('" - *').exists()


def test_edits_and_deletes_reach_the_index(releases):
    release = releases["green"]
    release.title = "Sustainability-linked loans"
    release.body = "A new product."
    release.save()
    assert titles(Release.objects.search("sustainability")) == ["Sustainability-linked loans"]
    assert not Release.objects.search("renewable").exists()
    release.delete()
    assert not Release.objects.search("sustainability").exists()


def test_statements_are_searchable():
    release = make_release()
    bank = Institution.objects.create(name="Bank of Communications")
    Quote.objects.create(release=release, institution=bank, kind="indirect", position=1,
                         text="it will support technology finance in Shanghai")
    Quote.objects.create(release=release, institution=bank, kind="indirect", position=2,
                         text="deposits grew")
    assert [q.position for q in Quote.objects.search("technology Shanghai")] == [1]


def test_parse_websearch_reads_phrases_or_and_negation():
    parsed = parse_websearch('"green bond" OR climate -coal "unclosed')
    assert parsed.groups == [["green bond", "climate"], ["unclosed"]]
    assert parsed.excluded == ["coal"]


def test_parse_websearch_reads_field_terms_and_keeps_each_words_own_letters():
    parsed = parse_websearch("--coal Xinhua title:-bank bonds speaker:pan OR wind")
    # A minus before a field's value negates it; OR after a field term joins nothing.
    assert parsed.fields == [FieldTerm("title", "bank", negated=True),
                             FieldTerm("speaker", "pan", negated=False)]
    assert parsed.groups == [["Xinhua"], ["bonds"], ["wind"]]
    assert parsed.excluded == ["coal"]
