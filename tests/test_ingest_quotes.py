"""Direct and reported statements, each attributed to the person or institution who made it."""

from archive.ingest.entities import Gazetteer, find_institutions, find_persons
from archive.ingest.quotes import extract_quotes, split_sentences
from tests.ingest_helpers import extract_fixture


def statements(*paragraphs: str) -> list[tuple[str, str, str]]:
    gazetteer = Gazetteer()
    paragraphs = list(paragraphs)
    mentions = find_institutions(paragraphs, gazetteer)
    persons = find_persons(paragraphs, mentions, gazetteer, set())
    return [(q.speaker, q.kind, q.text)
            for q in extract_quotes(paragraphs, mentions, persons, gazetteer)]


def test_x_said_that():
    assert statements("Bank of Communications said that it will open a fintech lab.") == [
        ("Bank of Communications", "indirect", "it will open a fintech lab.")]


def test_trailing_said_x_with_a_post():
    assert statements(
        "Loan demand will recover next year, said Gao Ming, a researcher at the "
        "Chinese Academy of Social Sciences.") == [
        ("Gao Ming", "indirect", "Loan demand will recover next year")]


def test_according_to_and_surname_only_mentions():
    assert statements(
        "Gao Ming, a researcher at Renmin University of China, said rates will fall.",
        "Deposits will keep growing, according to Gao.",
        "Gao noted that small banks face pressure.",
    ) == [
        ("Gao Ming", "indirect", "rates will fall."),
        ("Gao Ming", "indirect", "Deposits will keep growing"),
        ("Gao Ming", "indirect", "small banks face pressure."),
    ]


def test_pronouns_resolve_to_the_last_speaker():
    found = statements(
        "Zhao Lan, chief economist at China Merchants Bank, said exports were strong.",
        "She added that consumption would pick up in the spring.",
        "China Merchants Bank said it will cut fees. It said the cut takes effect in May.")
    assert [(s, t) for s, _, t in found] == [
        ("Zhao Lan", "exports were strong."),
        ("Zhao Lan", "consumption would pick up in the spring."),
        ("China Merchants Bank", "it will cut fees."),
        ("China Merchants Bank", "the cut takes effect in May."),
    ]


def test_direct_quotes_with_curly_and_straight_marks():
    found = statements(
        "“We will keep liquidity ample,” said Li Wen, deputy governor of the People's Bank "
        "of China.",
        '"The yuan will stay stable," Li said at a briefing.')
    assert found == [
        ("Li Wen", "direct", "We will keep liquidity ample,"),
        ("Li Wen", "direct", "The yuan will stay stable,"),
    ]


def test_a_passage_split_by_its_attribution_is_one_statement():
    found = statements("“Risks are under control,” Li Wen, a director at the CBIRC, said. "
                       "“We will act early.”")
    assert found == [("Li Wen", "direct", "Risks are under control, … We will act early.")]


def test_a_quotation_across_paragraphs_is_one_statement():
    found = statements(
        "Chen Hao, president of Bank of Ningbo, spoke at the forum.",
        "“Small firms need patient capital. Banks must change how they judge risk.",
        "“We have started with 500 firms,” Chen said.")
    assert found == [("Chen Hao", "direct",
                      "Small firms need patient capital. Banks must change how they judge "
                      "risk. We have started with 500 firms,")]


def test_unnamed_speakers_are_not_quoted():
    assert statements(
        "Rates will fall, analysts said.",
        "An official of the People's Bank of China said the review continues.",
        "A source close to the CSRC said the rules are ready.",
        "The rules are strict, industry officials told reporters.") == []


def test_scare_quotes_are_not_statements():
    assert statements('The bank launched a "Torch Loan" product for tech firms.') == []


def test_descriptions_resolve_to_the_named_entity():
    found = statements(
        "Qiu Yong, chairman of the Shanghai Stock Exchange, spoke on Thursday.",
        "More listings are coming, the chairman of the Shanghai Stock Exchange told the forum.",
        "China planned to merge two lenders, China's top banking regulator said. The "
        "National Financial Regulatory Administration gave no timetable.")
    assert [s for s, _, _ in found] == ["Qiu Yong", "National Financial Regulatory Administration"]


def test_a_representative_speaks_for_the_institution():
    assert statements("A representative of China CITIC Bank said loans to tech firms grew.") == [
        ("China CITIC Bank", "indirect", "loans to tech firms grew.")]


def test_sentences_do_not_end_at_abbreviations():
    assert [s for _, s in split_sentences("Mr. Li met U.S. officials on Dec. 3. Talks went well.")] == [
        "Mr. Li met U.S. officials on Dec. 3.", "Talks went well."]


def test_the_seed_yields_its_statements():
    extracted = extract_fixture("seed")
    found = [(q.speaker, q.kind, q.text[:40]) for q in extracted.quotes]
    assert found == [
        ("Yin Zhentao", "indirect", "It is expected that in the next stage, p"),
        ("Yin Zhentao", "indirect", "banks may shift their support focus from"),
        ("China Construction Bank", "indirect", "it will fully implement the innovation-d"),
        ("Bank of Communications", "indirect", "it will seize opportunities arising from"),
        ("Lou Feipeng", "indirect", "banks need to use tools such as intellec"),
        ("Lou Feipeng", "direct", "In the future, technology financial serv"),
        ("Lou Feipeng", "indirect", "this should include deeper integration o"),
    ]
