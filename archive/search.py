"""Full-text search, one interface over two databases.

PostgreSQL: a stored generated tsvector column (weighted, `english` config) with a GIN index,
queried with a tsquery built from the same parse. SQLite: an FTS5 table per searchable model, kept in sync
by triggers (migration 0002), queried with every user token quoted so that no input is an FTS5
syntax error. Both accept web-search syntax: words, "exact phrases", OR, -word, and two
fields: title:word or title:"a phrase" (in the title only) and speaker:name (a person quoted).
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.core.exceptions import ValidationError
from django.db import connection
from django.db import models
from django.db.models import F, FloatField, Func, Lookup, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left

SEARCH_CONFIG = "english"
# PostgreSQL refuses a tsvector over 1 MB, and with it the row: a document that long would
# not be archived at all. Indexing each column's first 200,000 characters keeps the worst
# case (all words distinct) near half that limit; the whole text is still stored and shown.
INDEXED_CHARACTERS = 200_000
# The most words a search may hold (validate_terms).
MAX_TERMS = 50


class SearchDocument(Func):
    """The weighted tsvector of some text columns, e.g. SearchDocument(title="A", body="C"),
    over the first INDEXED_CHARACTERS of each.

    Used as the expression of a stored GeneratedField. PostgreSQL computes it; SQLite has no
    tsvector, so there the column stays NULL and the FTS5 table indexes the same columns.
    """

    output_field = SearchVectorField()

    def __init__(self, **weights):
        vectors = [
            SearchVector(Left(column, INDEXED_CHARACTERS), weight=weight, config=SEARCH_CONFIG)
            for column, weight in weights.items()
        ]
        combined = vectors[0]
        for vector in vectors[1:]:
            combined = combined + vector
        super().__init__(combined)

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


@dataclass(frozen=True)
class FieldTerm:
    """`title:…`, a word or phrase the title must hold, or `speaker:…`, a person who must be
    quoted; with a leading minus, one that must not."""

    name: str  # "title" or "speaker"
    value: str
    negated: bool = False


@dataclass
class ParsedQuery:
    """A web-search query: every group must match (any of its phrases); no excluded phrase may;
    every field term must hold."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    fields: list[FieldTerm] = field(default_factory=list)

    def __bool__(self):
        return bool(self.groups or self.excluded or self.fields)

    def ranks(self) -> bool:
        """Whether anything in it scores a match (words), rather than only narrowing."""
        return any(term.name == "title" and not term.negated for term in self.fields) or bool(
            self.groups)


# A token: an optional minus, an optional field name and colon, then a quoted phrase or a word.
TOKEN_RE = re.compile(r'(-?)(?:(title|speaker):(?=\S))?(?:"([^"]*)"?|(\S+))', re.IGNORECASE)
# PostgreSQL's `english` configuration ignores these words; SQLite must ignore them too, or
# "the bank" would find different releases on the two databases.
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can did do does doing don down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own s same she should so some such t than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with you your yours yourself yourselves
""".split())
WORD_RE = re.compile(r"\w+")


def parse_websearch(text: str) -> ParsedQuery:
    """Parse words, "quoted phrases", OR, -negation and field terms, keeping only word
    characters inside each phrase (so quotes, stars and parentheses lose any special meaning).
    OR joins two plain words or phrases; next to a field term it is ignored."""
    parsed = ParsedQuery()
    join_next = after_field = False
    for match in TOKEN_RE.finditer(text):
        negated, name, quoted, bare = match.groups()
        if bare is not None:
            if bare == "OR" and not name and not negated:
                join_next = bool(parsed.groups) and not after_field
                continue
            negated = negated or ("-" if bare.startswith("-") else "")
            quoted = bare.lstrip("-")
        if name and name.lower() == "speaker":
            # A name as written: its small words ("de", "van") count.
            if person := " ".join(quoted.split()):
                parsed.fields.append(FieldTerm("speaker", person, bool(negated)))
            join_next, after_field = False, True
            continue
        words = WORD_RE.findall(quoted)
        if bare is not None or all(w.lower() in STOP_WORDS for w in words):
            # A stop word alone is ignored, as PostgreSQL ignores it; a phrase keeps its
            # small words ("bank of china").
            words = [w for w in words if w.lower() not in STOP_WORDS]
        if not words:
            continue
        phrase = " ".join(words)
        if name:
            parsed.fields.append(FieldTerm("title", phrase, bool(negated)))
        elif negated:
            parsed.excluded.append(phrase)
        elif join_next:
            parsed.groups[-1].append(phrase)
        else:
            parsed.groups.append([phrase])
        join_next, after_field = False, bool(name)
    return parsed


# A name in speaker: that is no one's exact name or alias finds the people whose names hold
# all its words; so many at most, so that a one-letter name does not list half the archive.
MAX_SPEAKERS = 100


def speaker_ids(name: str) -> list[int]:
    """The people `speaker:name` means: the one so named or aliased, or else those whose name
    or an alias holds every word of it, in any case."""
    from archive.models import Person  # the models import this module

    return list(Person.objects.matching(name).order_by("pk")
                .values_list("pk", flat=True)[:MAX_SPEAKERS])


def _fts5_phrase(phrase: str) -> str:
    return '"' + phrase.replace('"', "") + '"'


def _fts5_match(parsed: ParsedQuery) -> str:
    """The groups and the title phrases that must match, as one FTS5 query."""
    terms = ["(" + " OR ".join(_fts5_phrase(p) for p in group) + ")" for group in parsed.groups]
    terms += [f"title : {_fts5_phrase(t.value)}" for t in parsed.fields
              if t.name == "title" and not t.negated]
    return " AND ".join(terms)


def _tsquery(parsed: ParsedQuery) -> SearchQuery:
    """The parsed query as a tsquery. Built from our own parse rather than
    websearch_to_tsquery so that both databases read `a OR b -c` the same way, and written
    flat as one to_tsquery text: Django's `&` and `|` nest one expression per term, whose
    compilation ran out of recursion past some 190 terms. The words hold only word
    characters (parse_websearch), none of to_tsquery's operators. A title phrase's words
    carry the weight A, which only the title's words have."""

    def phrase(text, weight=""):
        return " <-> ".join(word + weight for word in text.split())  # as phraseto_tsquery

    terms = ["(" + " | ".join(map(phrase, group)) + ")" for group in parsed.groups]
    terms += [f"!({phrase(excluded)})" for excluded in parsed.excluded]
    terms += [("!" if t.negated else "") + f"({phrase(t.value, ':A')})" for t in parsed.fields
              if t.name == "title"]
    return SearchQuery(" & ".join(terms), search_type="raw", config=SEARCH_CONFIG)


def _words(parsed: ParsedQuery) -> ParsedQuery:
    """What of a query the text index answers: all but the speakers."""
    return ParsedQuery(parsed.groups, parsed.excluded,
                       [t for t in parsed.fields if t.name != "speaker"])


def validate_terms(text: str) -> None:
    """Refuse a query of more than MAX_TERMS words: each costs every search (an exclusion
    is a subquery on SQLite), and no one needs so many."""
    parsed = parse_websearch(text)
    phrases = [*sum(parsed.groups, []), *parsed.excluded, *(t.value for t in parsed.fields)]
    count = sum(len(p.split()) for p in phrases)
    if count > MAX_TERMS:
        raise ValidationError(f"Search for at most {MAX_TERMS} words (this has {count}).")


def validate_statement_terms(text: str) -> None:
    """As validate_terms, for statements, which have no title to search."""
    validate_terms(text)
    if any(t.name == "title" for t in parse_websearch(text).fields):
        raise ValidationError("Statements have no title: search the releases for title:…, "
                              "or leave out “title:” to search the statements’ words.")


def search(queryset, text: str, fts_table: str, rank_weights: tuple = (), spoken_by=None,
           ranked: bool = False):
    """Filter `queryset` to rows matching `text`; with `ranked`, annotate `rank` (higher is
    better). `spoken_by(person_ids)` is the condition on a row that those people are quoted
    in it.

    An empty or wordless query matches nothing rather than everything, so a bad query never
    returns the whole archive as if it were an answer.
    """
    no_rank = {"rank": Value(0.0, output_field=FloatField())} if ranked else {}
    parsed = parse_websearch(text)
    if not parsed:
        return queryset.annotate(**no_rank).none()
    for term in parsed.fields:
        if term.name == "speaker":
            spoken = spoken_by(speaker_ids(term.value))
            queryset = queryset.exclude(spoken) if term.negated else queryset.filter(spoken)
    words = _words(parsed)
    if not words:
        return queryset.annotate(**no_rank)
    if connection.vendor == "postgresql":
        query = _tsquery(words)
        queryset = queryset.filter(search_vector=query)
        return queryset.annotate(rank=SearchRank(F("search_vector"), query)) if ranked else queryset
    excluded = [_fts5_phrase(p) for p in words.excluded]
    excluded += [f"title : {_fts5_phrase(t.value)}" for t in words.fields if t.negated]
    for match in excluded:
        queryset = queryset.exclude(id__in=_fts5_rowids(fts_table, match))
    if not words.ranks():
        return queryset.annotate(**no_rank)
    if not ranked:
        return among(queryset, _fts5_rowids(fts_table, _fts5_match(words)))
    # The FTS5 table is joined, not looked up row by row: FTS5 then computes bm25() for all
    # matches in one pass (a correlated subquery recomputed the term statistics for every
    # row). bm25() is lower for better matches; negated so that higher is better everywhere.
    index = "fts__index"
    return queryset.filter(**{f"{index}__match": _fts5_match(words)}).annotate(
        rank=Func(F(index), *rank_weights, function="-bm25", output_field=FloatField())
    )


def among(queryset, ids):
    """Rows of `queryset` whose id is among `ids` (a subquery). On SQLite the id is written
    `+id` so that SQLite cannot answer by looking every one of the ids up in the table (a
    common word's million matches, a bank's 400,000 releases), then sorting them: it walks
    the index that orders the list and stops at the page's end, testing each id against the
    set read once, or counts along its smallest index. PostgreSQL's planner chooses by its
    statistics."""
    if connection.vendor != "sqlite":
        return queryset.filter(pk__in=ids)
    unindexed_id = Func(F("pk"), template="+%(expressions)s", output_field=models.IntegerField())
    return queryset.alias(unindexed_id=unindexed_id).filter(unindexed_id__in=ids)


def _fts5_rowids(fts_table: str, match: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s", [match])


class Match(Lookup):
    """`fts_table MATCH query` on an FTS5 table's hidden column of the same name."""

    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class FullTextColumn(models.TextField):
    """An FTS5 table's hidden column, named like the table, that MATCH and bm25() take."""


FullTextColumn.register_lookup(Match)


# Highlight markers: private-use characters that imported text never carries; they are
# turned into <mark> only after the snippet has been escaped.
MARK_START, MARK_END = "\ue000", "\ue001"


def snippets(model, ids: list[int], text: str, column: str, fts_table: str,
             fts_column: int) -> dict[int, str]:
    """Highlighted extracts of `column` for the rows `ids` (one page of results), matched
    words between MARK_START and MARK_END. Only the shown page pays for them."""
    parsed = parse_websearch(text)
    if not ids or not parsed.groups:
        return {}
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchHeadline

        rows = model.objects.filter(pk__in=ids).annotate(
            snippet=SearchHeadline(
                column, _tsquery(ParsedQuery(parsed.groups)), config=SEARCH_CONFIG,
                start_sel=MARK_START, stop_sel=MARK_END, max_words=40, min_words=20,
                max_fragments=2, fragment_delimiter=" … ",
            )
        ).values_list("pk", "snippet")
        return dict(rows)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, snippet({fts_table}, {fts_column}, %s, %s, ' … ', 32) "
            f"FROM {fts_table} WHERE {fts_table} MATCH %s AND rowid IN ({placeholders})",
            [MARK_START, MARK_END, _fts5_match(ParsedQuery(parsed.groups)), *ids],
        )
        return dict(cursor.fetchall())
