"""Mentions resolved: the entity a grammatical subject refers to, whether it names it ("Mervyn
King"), shortens it ("Mr. King", "King"), describes it ("the governor", "the central bank") or
stands for it ("he", "it").

Antecedents are looked for before the mention and outside quotation marks only: someone named
inside a quote is not the one speaking. Subjects are preferred to other mentions, as a reader
takes the last person who acted, not the last one named in passing, as "he".
"""

from bisect import bisect_left
from dataclasses import dataclass

from archive.ingest.entities import ROLE_HEADS, Entities, Gazetteer

PERSON_PRONOUNS = {"he", "she"}
INSTITUTION_PRONOUNS = {"it"}
# Nouns that describe an institution; "central bank" is matched as a compound.
DESCRIPTIONS = {
    "bank", "lender", "regulator", "ministry", "commission", "exchange", "bourse", "company",
    "firm", "group", "agency", "fund", "authority", "institution", "organisation",
    "organization", "government", "administration", "department", "bureau", "office",
    "association", "federation", "council", "committee", "board", "chamber", "insurer",
    "university", "institute", "academy", "treasury",
}
KIND_OF_DESCRIPTION = {"central bank": "central_bank", "regulator": "regulator",
                       "exchange": "exchange", "bourse": "exchange"}
SUBJECTS = {"nsubj", "nsubjpass"}
# Unnamed people who speak for their institution, as "an official of X" does not.
SPOKESPEOPLE = {"representative", "spokesperson", "spokesman", "spokeswoman"}


@dataclass(frozen=True)
class Referent:
    name: str
    kind: str  # "person" or "institution"


@dataclass(frozen=True)
class _Seen:
    paragraph: int
    token: int
    referent: Referent
    subject: bool


class Resolver:
    def __init__(self, docs, entities: Entities, quoted: list[set[int]], gazetteer: Gazetteer,
                 default_central_bank: str | None = None):
        self.docs, self.entities, self.quoted = docs, entities, quoted
        self.gazetteer = gazetteer
        self.default_central_bank = default_central_bank
        self.at: dict[tuple[int, int], Referent] = {}
        # A name's first or last word alone ("Perry", "Schlesinger") stands for it when no
        # other person of the document shares that word.
        self.surnames: dict[str, str | None] = {}
        for name in entities.persons:
            words = name.casefold().split()
            for word in {words[0], words[-1]}:
                if len(word) > 2:
                    self.surnames[word] = None if self.surnames.get(word, name) != name else name
        for mention in entities.mentions:
            for i in range(mention.start, mention.end):
                self.at[mention.paragraph, i] = Referent(mention.name, mention.kind)
        # Surnames alone ("Schlesinger said") are mentions too.
        for p, doc in enumerate(docs):
            for token in doc:
                if (p, token.i) not in self.at and token.pos_ == "PROPN" and \
                        self.surnames.get(token.lower_):
                    self.at[p, token.i] = Referent(self.surnames[token.lower_], "person")
        self._index()
        # "The treasury secretary acknowledged …": a post as a subject is a mention of its
        # holder, and the antecedent of a "he" after it.
        for p, doc in enumerate(docs):
            for token in doc:
                if token.dep_ in SUBJECTS and token.lower_ in ROLE_HEADS and \
                        (p, token.i) not in self.at and token.i not in quoted[p] and \
                        any(c.dep_ in ("det", "poss") for c in token.children):
                    holder = self._by_role(p, token)
                    if holder:
                        self.at[p, token.i] = holder
        self._index()

    def _index(self) -> None:
        self.seen = sorted(
            (_Seen(p, i, referent, self._is_subject(p, self.docs[p][i]))
             for (p, i), referent in self.at.items() if i not in self.quoted[p]),
            key=lambda s: (s.paragraph, s.token),
        )
        self.positions = [(s.paragraph, s.token) for s in self.seen]

    def _is_subject(self, paragraph: int, token) -> bool:
        """The subject itself, or a word of the same name ("Alan" in "Alan Greenspan said"),
        not a word of a longer subject ("Trump" in "the Trump administration said")."""
        return token.dep_ in SUBJECTS or token.head.dep_ in SUBJECTS and token.dep_ in (
            "compound", "flat") and self.at.get((paragraph, token.head.i)) == \
            self.at.get((paragraph, token.i))

    def resolve(self, paragraph: int, token) -> Referent | None:
        """What the noun phrase headed by `token` refers to, or None (unnamed speakers such as
        "analysts" refer to nobody the archive can name)."""
        found = self.at.get((paragraph, token.i))
        # "Jorge Familiar, Vice President and Treasurer, World Bank": when the subject names a
        # person and an institution, the person speaks.
        if found is None or found.kind == "institution" or token.lower_ in ROLE_HEADS:
            for child in token.subtree:
                named = self.at.get((paragraph, child.i))
                if named and named.kind == "person" and child.dep_ in ("appos", "compound", "nsubj", "flat") \
                        and child.i not in self.quoted[paragraph]:
                    return named
        if found:
            return found
        lower = token.lower_
        if lower in PERSON_PRONOUNS:
            return self._last(paragraph, token.i, "person")
        if lower in INSTITUTION_PRONOUNS:
            return self._last(paragraph, token.i, "institution")
        if token.pos_ not in ("NOUN", "PROPN"):
            return None
        determined = any(c.dep_ in ("det", "poss") for c in token.children)
        # "The governor, Mervyn King, said": the name in apposition.
        for child in token.children:
            if child.dep_ == "appos":
                named = self.at.get((paragraph, child.i))
                if named:
                    return named
        if lower in SPOKESPEOPLE:
            # "a representative of China CITIC Bank said": the institution speaks.
            for prep in (c for c in token.children if c.dep_ == "prep"
                         and c.lower_ in ("of", "for", "from", "at")):
                for child in prep.subtree:
                    named = self.at.get((paragraph, child.i))
                    if named and named.kind == "institution":
                        return named
        if lower in ROLE_HEADS and determined:
            return self._by_role(paragraph, token)
        compound = " ".join(c.lower_ for c in token.children if c.dep_ in ("compound", "amod"))
        description = f"{compound} {lower}".strip()
        if determined and (lower in DESCRIPTIONS or description.endswith("central bank")):
            return self._described(paragraph, token.i, description, lower)
        return None

    def _before(self, paragraph: int, token: int, reach: int = 10):
        """Mentions outside quotes before a position, nearest first, within `reach`
        paragraphs: the walk back is bounded, so a long document costs linear time."""
        for index in range(bisect_left(self.positions, (paragraph, token)) - 1, -1, -1):
            seen = self.seen[index]
            if seen.paragraph < paragraph - reach:
                return
            yield seen

    def _last(self, paragraph: int, token: int, kind: str) -> Referent | None:
        fallback = None
        for seen in self._before(paragraph, token):
            if seen.referent.kind == kind:
                if seen.subject:
                    return seen.referent
                fallback = fallback or seen.referent
        return fallback

    def _by_role(self, paragraph: int, token) -> Referent | None:
        """"the governor": the person last named whose stated role has that word."""
        word = token.lower_
        # "the Federal Reserve head": the holder of a post at that institution.
        institutions = {self.at[paragraph, c.i].name for c in token.children
                        if c.dep_ == "compound" and (paragraph, c.i) in self.at}
        if institutions:
            holders = [p for p in self.entities.persons.values() if p.affiliation in institutions]
            if len(holders) == 1:
                return Referent(holders[0].name, "person")
        for seen in self._before(paragraph, token.i, reach=50):
            if seen.referent.kind == "person" and \
                    word in (self.entities.persons[seen.referent.name].role or "").split():
                return seen.referent
        holders = [p for p in self.entities.persons.values() if word in (p.role or "").split()]
        return Referent(holders[0].name, "person") if len(holders) == 1 else None

    def _described(self, paragraph: int, token: int, description: str, head: str):
        """"the central bank", "the bank", "the ministry": the institution last named that
        fits the description."""
        kind = KIND_OF_DESCRIPTION.get("central bank" if description.endswith("central bank")
                                       else head)
        for seen in self._before(paragraph, token, reach=50):
            name = seen.referent.name
            if seen.referent.kind != "institution":
                continue
            if kind and self.gazetteer.kind_of(name) == kind or \
                    not kind and head in name.casefold().split():
                return seen.referent
        if kind == "central_bank" and self.default_central_bank:
            return Referent(self.default_central_bank, "institution")
        return None
