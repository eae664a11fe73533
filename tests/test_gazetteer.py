"""The shipped gazetteer: every name leads to one institution, of a known kind."""

from archive.ingest import gazetteer
from archive.ingest.gazetteer import INSTITUTIONS

KINDS = {
    gazetteer.CENTRAL_BANK, gazetteer.COMMERCIAL_BANK, gazetteer.POLICY_BANK,
    gazetteer.REGULATOR, gazetteer.GOVERNMENT, gazetteer.INTERNATIONAL, gazetteer.RESEARCH,
    gazetteer.EXCHANGE, gazetteer.COMPANY, "other",
}


def canonical_of(name: str) -> str | None:
    for canonical, _, _, aliases in INSTITUTIONS:
        if name in (canonical, *aliases):
            return canonical
    return None


def test_entries_are_canonical_name_kind_country_and_aliases():
    for entry in INSTITUTIONS:
        canonical, kind, country, aliases = entry
        assert isinstance(canonical, str) and canonical.strip() == canonical != "", entry
        assert isinstance(country, str), entry
        assert isinstance(aliases, list), entry
        assert all(isinstance(a, str) and a.strip() == a != "" for a in aliases), entry


def test_no_name_belongs_to_two_institutions_whatever_its_case():
    owner: dict[str, str] = {}
    clashes = []
    for canonical, _, _, aliases in INSTITUTIONS:
        for name in dict.fromkeys([canonical, *aliases]):
            folded = name.casefold()
            if folded in owner and owner[folded] != canonical:
                clashes.append((name, owner[folded], canonical))
            owner.setdefault(folded, canonical)
    assert clashes == []


def test_no_entry_lists_a_name_twice():
    for canonical, _, _, aliases in INSTITUTIONS:
        names = [canonical, *aliases]
        assert len(names) == len(set(names)), canonical


def test_canonical_names_are_unique():
    names = [canonical.casefold() for canonical, *_ in INSTITUTIONS]
    assert len(names) == len(set(names))


def test_every_kind_is_one_of_the_modules_kinds():
    assert {kind for _, kind, _, _ in INSTITUTIONS} <= KINDS


def test_names_in_capitals_are_short_abbreviations():
    # A name wholly in capitals is matched with its case: it has to be an abbreviation.
    long_ones = [name for canonical, _, _, aliases in INSTITUTIONS
                 for name in (canonical, *aliases) if name.isupper() and len(name) > 8]
    assert long_ones == []


def test_known_names_lead_to_their_institutions():
    assert canonical_of("FOMC") == "Federal Reserve"
    assert canonical_of("Federal Open Market Committee") == "Federal Reserve"
    assert canonical_of("Board of Governors of the Federal Reserve System") == "Federal Reserve"
    assert canonical_of("Philadelphia Fed") == "Federal Reserve Bank of Philadelphia"
    assert canonical_of("FRBNY") == "Federal Reserve Bank of New York"
    assert canonical_of("St. Louis Fed") == "Federal Reserve Bank of St. Louis"
    assert canonical_of("IBRD") == "World Bank"
    assert canonical_of("International Bank for Reconstruction and Development") == "World Bank"
    assert canonical_of("Single Supervisory Mechanism") == "European Central Bank"
    assert canonical_of("Bank of Mexico") == "Banco de México"
    assert canonical_of("Central Bank of the Republic of China") == \
        "Central Bank of the Republic of China (Taiwan)"
    assert canonical_of("His Majesty's Treasury") == "HM Treasury"
    assert canonical_of("Kellogg School of Management") == "Northwestern University"
    assert canonical_of("Standard & Poor's") == "S&P Global Ratings"
    assert canonical_of("ANZ") == "Australia and New Zealand Banking Group"
    assert canonical_of("ANZ Bank New Zealand") == "ANZ Bank New Zealand"


def test_names_shipped_before_keep_their_institutions():
    assert canonical_of("Bundesbank") == "Deutsche Bundesbank"
    assert canonical_of("Treasury Department") == "US Department of the Treasury"
    assert canonical_of("PBOC") == "People's Bank of China"
    assert canonical_of("Ministry of Finance") == "Ministry of Finance"


def test_abbreviations_ambiguous_in_the_field_are_not_listed():
    # BOC: Bank of China or Bank of Canada; MPC: the rate committee of several central
    # banks; LSE: the exchange or the school; IFC: also "international financial centre";
    # CBI: also India's Central Bureau of Investigation; ICE: also US Immigration and Customs.
    for name in ("BOC", "BoC", "MPC", "LSE", "IFC", "CBI", "ICE", "Congress", "Treasury"):
        assert canonical_of(name) is None, name
