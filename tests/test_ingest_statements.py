"""Statements attributed from the parse: direct quotes and reported speech, each to the
person or institution who made it, through pronouns, descriptions and shortened names."""

from archive.ingest.entities import Gazetteer
from archive.ingest.pipeline import analyse
from archive.ingest.statements import quote_spans
from tests.ingest_helpers import extract_fixture


def statements(*paragraphs: str) -> list[tuple[str, str, str]]:
    _, found = analyse(list(paragraphs), "A headline", Gazetteer())
    return [(s.speaker, s.kind, s.text) for s in found]


def test_x_said_that():
    assert statements("Bank of Communications said that it will open a fintech lab.") == [
        ("Bank of Communications", "indirect", "it will open a fintech lab")]


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
        ("Gao Ming", "indirect", "rates will fall"),
        ("Gao Ming", "indirect", "Deposits will keep growing"),
        ("Gao Ming", "indirect", "small banks face pressure"),
    ]


def test_pronouns_resolve_to_the_last_speaker():
    found = statements(
        "Zhao Lan, chief economist at China Merchants Bank, said exports were strong.",
        "She added that consumption would pick up in the spring.",
        "China Merchants Bank said it will cut fees. It said the cut takes effect in May.")
    assert [(s, t) for s, _, t in found] == [
        ("Zhao Lan", "exports were strong"),
        ("Zhao Lan", "consumption would pick up in the spring"),
        ("China Merchants Bank", "it will cut fees"),
        ("China Merchants Bank", "the cut takes effect in May"),
    ]


def test_a_pronoun_never_means_someone_named_only_inside_a_quote():
    found = statements(
        "Maria Lopez, governor of the central bank, spoke on Monday.",
        "“I agree with what Peter Grant wrote last year,” Lopez said.",
        "She said that inflation would ease by the summer.")
    assert [s for s, _, _ in found] == ["Maria Lopez", "Maria Lopez"]


def test_direct_quotes_with_curly_straight_and_single_marks():
    found = statements(
        "“We will keep liquidity ample,” said Li Wen, deputy governor of the People's Bank "
        "of China.",
        '"The yuan will stay stable at these levels," Li said at a briefing.',
        "‘Our banks are well capitalised today,’ Li told reporters.")
    assert found == [
        ("Li Wen", "direct", "We will keep liquidity ample"),
        ("Li Wen", "direct", "The yuan will stay stable at these levels"),
        ("Li Wen", "direct", "Our banks are well capitalised today"),
    ]


def test_apostrophes_are_not_quotation_marks():
    assert quote_spans("The bank’s view is that the ’90s are over, and it won’t change.") == []


def test_a_passage_split_by_its_attribution_is_one_statement():
    [(speaker, kind, text)] = statements(
        "“Risks are under control at the big lenders,” Li Wen, a director at the CBIRC, "
        "said. “We will act early.”")
    assert (speaker, kind) == ("Li Wen", "direct")
    assert text.startswith("Risks are under control") and text.endswith("We will act early.")


def test_a_second_passage_with_its_own_attribution_is_a_second_statement():
    found = statements("“Rates will stay where they are for now,” Anna Berg said. "
                       "“The next move could be either way,” she added.")
    assert [t for _, _, t in found] == ["Rates will stay where they are for now",
                                        "The next move could be either way"]


def test_a_quote_continued_in_the_next_paragraph_keeps_its_speaker():
    found = statements(
        "“Small firms need patient capital,” said Chen Hao, president of Bank of Ningbo.",
        "“Banks must change how they judge risk. We have started with 500 firms.")
    assert [(s, k) for s, k, _ in found] == [("Chen Hao", "direct"), ("Chen Hao", "direct")]


def test_participles_and_telling_report_speech():
    found = statements(
        "Helmut Kranz, vice president of the Bundesbank, said growth was slowing, adding that "
        "prices were stable.",
        "Kranz told Reuters that he saw no reason to cut rates.")
    assert [(s, t) for s, _, t in found] == [
        ("Helmut Kranz", "growth was slowing"),
        ("Helmut Kranz", "prices were stable"),
        ("Helmut Kranz", "he saw no reason to cut rates"),
    ]


def test_according_to_an_institution():
    assert statements("Lending rose 8 percent in May, according to the Bank of Korea.") == [
        ("Bank of Korea", "indirect", "Lending rose 8 percent in May")]


def test_quoted_words_inside_a_reported_clause_belong_to_it():
    assert statements(
        "Tom Reyes, an economist at Halvard Partners, said the bank faced an "
        "“interesting” challenge this winter.") == [
        ("Tom Reyes", "indirect", "the bank faced an “interesting” challenge this winter")]


def test_unnamed_speakers_are_not_quoted():
    assert statements(
        "Rates will fall, analysts said.",
        "A source close to the regulator said the rules are ready.",
        "The rules are strict, industry officials told reporters.") == []


def test_scare_quotes_and_list_items_are_not_statements():
    assert statements(
        'The bank launched a "Torch Loan" product for tech firms.',
        "Search committee members include: Jane Doe, Chief Executive of Rowan Mills; "
        "Omar Haddad, President of Westfield College.") == []


def test_descriptions_resolve_to_the_named_entity():
    found = statements(
        "Mervyn Hale, governor of the Bank of England, spoke in London.",
        "Inflation will fall next year, the governor said.",
        "The Bank of England said later that the decision was unanimous. The central bank "
        "said it would publish the minutes on Thursday.")
    assert [s for s, _, _ in found] == ["Mervyn Hale", "Bank of England", "Bank of England"]


def test_a_person_speaking_for_an_institution_is_the_speaker():
    assert statements(
        "“We have welcomed the chance to work with partners across the region,” said RBA "
        "Assistant Governor Brad Kellan.")[0][0] == "Brad Kellan"


def test_the_seed_yields_its_statements():
    extracted = extract_fixture("seed")
    found = {(q.speaker, q.kind, q.text[:40]) for q in extracted.quotes}
    assert {
        ("Yin Zhentao", "indirect", "banks may shift their support focus from"),
        ("China Construction Bank", "indirect", "it will fully implement the innovation-d"),
        ("Bank of Communications", "indirect", "it will seize opportunities arising from"),
        ("Lou Feipeng", "indirect", "banks need to use tools such as intellec"),
        ("Lou Feipeng", "direct", "In the future, technology financial serv"),
    } <= found


def test_a_framing_paragraph_gives_the_quotes_after_it_their_speaker():
    found = statements(
        "Following are excerpts from Governor Hiro Tanaka’s comments at his news conference:",
        "ON PRICES",
        "“We expect inflation to slow below 2% later this year, and we will keep policy easy.”",
        "ON THE ECONOMY",
        "“Uncertainty about the economy is very high at the moment.”")
    assert [(s, k) for s, k, _ in found] == [("Hiro Tanaka", "direct"), ("Hiro Tanaka", "direct")]


def test_nouns_of_saying_attribute_the_quote_after_them():
    found = statements(
        "Ann Wu, the finance minister, said growth was steady, answering comments from "
        "central bank governor Marcus Feldman that “we are starting to see pockets of weakness.”")
    assert ("Marcus Feldman", "direct", "we are starting to see pockets of weakness.") in found


def test_a_post_as_subject_is_the_antecedent_of_he():
    found = statements(
        "Treasury Secretary Paul Stone spoke on Sunday. Budget director Mark Hale spoke on Friday.",
        "Also on Sunday, the treasury secretary published an opinion piece.",
        "“It is time to act on the deficit,” he wrote.")
    assert found[-1][0] == "Paul Stone"


def test_a_word_of_a_longer_subject_is_not_an_antecedent():
    found = statements(
        "Paul Stone blasted the lawmakers on Sunday.",
        "“This was a display of negligence,” he said, not answering whether the Hale "
        "administration is to blame.",
        "He added, “There is one commander in chief.”")
    assert {s for s, _, _ in found} == {"Paul Stone"}


def test_quotation_marks_as_pages_mistype_them():
    text = "“”We expect inflation to slow."
    assert [text[a:b].strip() for a, b in quote_spans(text)] == ["We expect inflation to slow."]
    text = "“Such steps go a long way.\" added Ravi Menon."
    assert [text[a:b] for a, b in quote_spans(text)] == ["Such steps go a long way."]


def test_a_representative_speaks_for_the_institution_an_official_does_not():
    assert statements("A representative of China CITIC Bank said loans to tech firms grew.",
                      "An official of the Bank of Korea said the review continues.") == [
        ("China CITIC Bank", "indirect", "loans to tech firms grew")]


def test_a_statement_keeps_no_punctuation_that_joined_it_to_the_sentence():
    assert statements(
        "“Rates could be cut in November or December,” said Jerome Powell, chair of the "
        "Federal Reserve.",
        "“Growth will come from tax deals and the ‘One Big, Beautiful Bill,’” Powell said.",
        "“Growth will slow in the first half;” Powell said.",
    ) == [
        ("Jerome Powell", "direct", "Rates could be cut in November or December"),
        ("Jerome Powell", "direct", "Growth will come from tax deals and the ‘One Big, "
                                    "Beautiful Bill’"),
        ("Jerome Powell", "direct", "Growth will slow in the first half"),
    ]
