"""Institutions and persons, canonical and with the posts the text states."""

from archive.ingest.entities import Gazetteer, find_institutions, find_persons


def institutions(text: str, gazetteer: Gazetteer | None = None) -> list[str]:
    found = find_institutions([text], gazetteer or Gazetteer())[0]
    return list(dict.fromkeys(m.name for m in found))


def persons(text: str) -> dict:
    gazetteer = Gazetteer()
    paragraphs = [text]
    found = find_persons(paragraphs, find_institutions(paragraphs, gazetteer), gazetteer, set())
    return {name: (p.role, p.affiliation) for name, p in found.items()}


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


def test_unknown_organisations_are_found_by_their_shape():
    text = ("The Hainan Provincial Financial Supervision Bureau, the Ministry of Ocean Affairs, "
            "the Qilu Academy of Green Finance, Lianhe Credit Rating Co Ltd, Fintechly.com "
            "and the Government of Kerala signed the pact.")
    assert institutions(text) == [
        "Hainan Provincial Financial Supervision Bureau", "Ministry of Ocean Affairs",
        "Qilu Academy of Green Finance", "Lianhe Credit Rating", "Fintechly.com",
        "Government of Kerala",
    ]


def test_lower_case_local_bodies_are_found_and_capitalised():
    assert institutions("said the Hangzhou municipal financial work office on Monday") == [
        "Hangzhou Municipal Financial Work Office"]


def test_events_groups_and_outlets_are_not_institutions():
    text = ("At the Central Economic Work Conference and the Lujiazui Forum, state-owned "
            "commercial banks told China Daily and the Global Times of a Centre of Excellence.")
    assert institutions(text) == []


def test_abbreviations_a_text_defines_count_everywhere():
    gazetteer = Gazetteer()
    found = find_institutions(
        ["The Qilu Rural Finance Institute (QRFI) opened.", "QRFI said it will lend."], gazetteer)
    assert [m.name for m in found[1]] == ["Qilu Rural Finance Institute"]


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
