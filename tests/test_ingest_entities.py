"""Institutions and persons: recognised by the model with the gazetteer as its entity ruler,
canonical, and with the posts the text states."""

from archive.ingest import language
from archive.ingest.entities import Gazetteer, coordinated_names, recognise


def recognised(*paragraphs: str, gazetteer: Gazetteer | None = None):
    return recognise(language.annotate(list(paragraphs)), "", gazetteer or Gazetteer(), set())


def institutions(text: str, gazetteer: Gazetteer | None = None) -> list[str]:
    return recognised(text, gazetteer=gazetteer).institutions


def persons(text: str) -> dict:
    return {name: (p.role or None, p.affiliation)
            for name, p in recognised(text).persons.items()}


def test_gazetteer_names_and_abbreviations_become_canonical():
    text = "The PBOC and the CSRC met BoCom, ICBC and the Industrial Bank."
    assert institutions(text) == [
        "People's Bank of China", "China Securities Regulatory Commission",
        "Bank of Communications", "Industrial and Commercial Bank of China", "Industrial Bank",
    ]


def test_a_branch_counts_as_its_parent():
    assert institutions("Industrial Bank's Dalian branch lent more.") == ["Industrial Bank"]
    assert institutions("China Construction Bank Corp Jiangsu Branch extended a loan.") == [
        "China Construction Bank"]


def test_longer_names_win_over_names_inside_them():
    assert institutions("The Agricultural Bank of China and the Bank of China") == [
        "Agricultural Bank of China", "Bank of China"]


def test_events_groups_and_outlets_are_not_institutions():
    text = ("At the Central Economic Work Conference and the Lujiazui Forum, state-owned "
            "commercial banks told China Daily and the Global Times of a Centre of Excellence.")
    assert institutions(text) == []


def test_abbreviations_a_text_defines_count_everywhere():
    found = recognised("The Qilu Rural Finance Institute (QRFI) opened.", "QRFI said it will lend.")
    assert [m.name for m in found.mentions if m.paragraph == 1] == ["Qilu Rural Finance Institute"]


def test_curators_aliases_are_used():
    gazetteer = Gazetteer(extra_aliases={"the Pearl River lender": "Bank of Guangzhou"})
    assert institutions("Credit from the Pearl River lender grew.", gazetteer) == [
        "Bank of Guangzhou"]


def test_appositive_posts_give_role_and_affiliation():
    text = ("Yin Zhentao, deputy director of the National Academy of Economic Strategy at the "
            "Chinese Academy of Social Sciences, said demand was strong.")
    assert persons(text) == {
        "Yin Zhentao": ("deputy director", "National Academy of Economic Strategy")}


def test_titles_before_names_give_role_and_affiliation():
    assert persons("SSE Chairman Qiu Yong said listings would rise.") == {
        "Qiu Yong": ("chairman", "Shanghai Stock Exchange")}
    assert persons("Finance Secretary Maria Santos said so.") == {
        "Maria Santos": ("finance secretary", None)}


def test_names_with_initials_and_accents():
    found = persons("“Rates will hold,” added Mr. S.K. Menon, Chief Economist, Bank Negara "
                    "Malaysia. Jean-Marc Dupré, a researcher at the Banque de France, agreed.")
    assert found["S.K. Menon"] == ("chief economist", "Bank Negara Malaysia")
    assert found["Jean-Marc Dupré"] == ("researcher", "Banque de France")


def test_place_names_and_institutions_are_not_people():
    assert persons("Bank Indonesia said rates hold. Hong Kong said so. Beijing Stock "
                   "Exchange noted growth.") == {}


def test_phrase_matcher_finds_phrases_by_their_offsets_longest_first():
    from archive.ingest.phrases import PhraseMatcher, tokenize

    text = "Zürich’s Agricultural Bank of China\tunit and the BANK OF CHINA, Bank (of) China."
    tokens = tokenize(text)
    assert [text[a:b].replace("’", "'") for a, b in zip(tokens.starts, tokens.ends)] == \
        tokens.words == ["Zürich's", "Agricultural", "Bank", "of", "China", "unit", "and",
                         "the", "BANK", "OF", "CHINA", "Bank", "of", "China"]
    names = ["Bank of China", "Agricultural Bank of China", "Zürich"]
    found = [(text[a:b], name) for a, b, name in PhraseMatcher(names).finditer(text)]
    # The longest name wins; the possessive is not part of the name; words with punctuation
    # between them are not a phrase; case counts unless folded.
    assert found == [("Zürich", "Zürich"),
                     ("Agricultural Bank of China", "Agricultural Bank of China")]
    folded = [name for _, _, name in PhraseMatcher(names, fold_case=True).finditer(text)]
    assert folded == ["Zürich", "Agricultural Bank of China", "Bank of China"]


def test_unknown_organisations_take_the_name_the_text_gives():
    found = institutions("Officials of Halvard Ridge University and the Ministry of Ocean Affairs "
                         "met executives of Lianhe Credit Rating Co Ltd in Jakarta.")
    assert {"Halvard Ridge University", "Ministry of Ocean Affairs", "Lianhe Credit Rating"} <= set(found)


def test_internal_bodies_are_not_institutions():
    found = institutions("The Governing Council and the Executive Board met; the Monetary Policy "
                         "Committee and the communications department of the Bank of England "
                         "took part.")
    assert found == ["Bank of England"]


def test_coordinated_names_are_each_an_institution():
    assert coordinated_names("by the Federal Reserve Banks of Boston, New York, St. Louis and "
                             "San Francisco.") == [
        "Federal Reserve Bank of Boston", "Federal Reserve Bank of New York",
        "Federal Reserve Bank of St. Louis", "Federal Reserve Bank of San Francisco"]


def test_lower_case_posts_before_names():
    found = persons("Bundesbank vice president Helmut Kranz said growth was slowing. Economist "
                    "Dirk Holm said so too.")
    assert found["Helmut Kranz"] == ("vice president", "Deutsche Bundesbank")
    assert found["Dirk Holm"] == ("economist", None)


def test_post_nominals_and_honorifics_are_not_part_of_names():
    found = persons("The board thanked Ms. Carla Dunmore AO, its deputy chair, and welcomed "
                    "Dr. Peter Vance.")
    assert {"Carla Dunmore", "Peter Vance"} <= set(found)


def test_a_shortened_name_is_the_person_named_in_full():
    found = recognised("Federal Reserve chairman Mr Grayson spoke.",
                       "Alan Grayson, who chairs the Fed, was in London.")
    assert list(found.persons) == ["Alan Grayson"]
    assert found.persons["Alan Grayson"].role == "chairman"


def test_headings_and_table_labels_name_no_new_institutions():
    found = institutions("Sovereign Debt Capital Markets Overview")
    assert found == []


def test_public_bodies_named_in_lower_case_after_a_place():
    found = recognised("Li Ming, party chief of the Suzhou financial work commission, spoke.")
    assert "Suzhou Financial Work Commission" in found.institutions
    assert found.persons["Li Ming"].affiliation == "Suzhou Financial Work Commission"


def test_a_known_name_misspelt_by_a_letter_is_that_institution():
    assert institutions("Officials of the Bangko Sentral ng Pilipnas met on Monday.") == [
        "Bangko Sentral ng Pilipinas"]


def test_an_abbreviation_inside_a_hyphenated_word_is_not_a_mention():
    assert "Central Bank of Nigeria" not in institutions("Reported by ABS-CBN reporters.")


def test_an_abbreviation_defines_an_institution_only_when_its_long_form_could_be_one():
    found = recognised("They signed a Memorandum of Understanding (MoU) on Friday.",
                       "The MoU takes effect in May.")
    assert found.institutions == []


def test_a_one_word_company_drops_its_legal_form():
    assert "Brenwick" in institutions("Jane Roe, Senior Vice President, Brenwick Corporation, "
                                      "joined the board.")


def test_a_surname_in_use_makes_a_full_name_the_model_missed():
    found = recognised("The bank has appointed Ilse Vandermeeren as its new counsellor.",
                       "Ms Vandermeeren will start in September.")
    assert "Ilse Vandermeeren" in found.persons


def test_posts_in_brackets_in_clauses_and_after_as():
    found = persons("“We welcome it,” said Brad Kellan (Assistant Governor) Financial System, "
                    "Reserve Bank of Australia. Mia Torres, who has been appointed Deputy Director "
                    "General Market Operations, starts in May.")
    assert found["Brad Kellan"] == ("assistant governor", "Reserve Bank of Australia")
    assert found["Mia Torres"][0] == "deputy director general market operations"


def test_departments_stay_in_the_post_and_the_institution_closes_it():
    found = persons("“It went well,” said Sam Holt, Director, Syndicate & Debt Capital Markets, "
                    "Commonwealth Bank of Australia.")
    assert found["Sam Holt"] == ("director, syndicate & debt capital markets",
                                 "Commonwealth Bank of Australia")


def test_a_list_an_institution_introduces_gives_its_people_that_institution():
    found = persons("Voting for the FOMC monetary policy action were: Ben T. Marsh, Chairman; "
                    "Ella J. Pratt, Vice Chairman; Carl D. Moss; and Nina Q. Park.")
    assert found["Ben T. Marsh"] == ("chairman", "Federal Reserve")
    assert found["Carl D. Moss"] == (None, "Federal Reserve")


def test_full_width_brackets_part_words():
    assert "Central Bank of the Republic of China (Taiwan)" in institutions(
        "The Central Bank of the Republic of China（Taiwan） released the figures.")
