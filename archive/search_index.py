"""The releases' search index: a Tantivy index derived from the database, which stays the
record of truth.

Lists rank, count, facet and page through it: BM25 over every match, exact counts, and exact
terms aggregations for the facets; the same code on SQLite and PostgreSQL. Only visible
releases are indexed.

The database records which releases changed (triggers, migration 0015, fill
`archive_searchchange` whatever the writer: the importer, the admin, a merge, a bulk update);
`catch_up()` applies the changes committed since the index last did, and runs before every
search (once a request), so a release is found as soon as the transaction that wrote it
commits.
`manage.py rebuild_search_index` builds the whole index again from the records.
"""

import array
import datetime
import functools
import json
import math
import os
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import tantivy
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS as PRIMARY
from django.db import connections, transaction

from archive.search import parse_websearch, speaker_ids

# A sort key holds the publication day and the id, so that one fast field orders a list by
# date and breaks ties by id, and a page's last key is where the next page starts.
ID_BITS = 32
EPOCH = datetime.date(1970, 1, 1)
TITLE_BOOST = 10.0  # title matches weigh ten times body matches, as A and C do in PostgreSQL
BM25_K1_PLUS_1 = 2.2  # Tantivy's BM25: a term's score stays below idf × 2.2
# Every distinct value of a facet is counted before the largest are kept, so that counts are
# exact however the index is split into segments.
ALL_TERMS = 100_000
# Facets of few values that a release holds several of: each is also indexed as the set of
# its release's values, one value ('[3, 7]'), which a terms aggregation counts several times
# faster than the values one by one (a column of one value a document is read in a step);
# the sets' counts are then added up to each value's. Each distinct set counted costs about
# a microsecond and a half more: releases hold a few hundred sets of topics or of kinds of
# institution, but thousands of sets of countries and tens of thousands of institutions,
# which are counted one by one.
SET_FACETS = ("topic", "kind")
# The writer's memory before it writes a segment: a whole build fills a large one; a few
# changed releases need little, and a smaller arena is quicker to set up.
BUILD_HEAP, CHANGES_HEAP = 200_000_000, 20_000_000
# How long a rebuild waits for the writer, and a search before it goes on without catching up.
LOCK_WAIT_SECONDS, BUSY_WAIT_SECONDS = 30, 2
KEPT_COUNTS = 500  # facet counts without search words kept per process, until the index changes
# The index's format: a change to a schema bumps it, so that a new index is built in a folder
# of its own (Tantivy does not open an index under a schema other than its own).
FORMAT = 7
# Search results are counted exactly up to EXACT_UP_TO matches. Past it, the count and the
# facets come from a uniform sample (labelled "about"), so that a word found in most of a
# million releases costs little more than one found in 150,000 does. Each match is in the
# sample with a chance f = SAMPLED_MATCHES / (SAMPLED_MATCHES + matches): an option holding
# a share p of the matches is then estimated with a relative variance of (1 - f) / (f p
# matches), so an option of 1 % is kept within 5 % of its count at 2.1 standard errors
# (about 27 times in 28), whatever the number of matches, as a sample of 150,000 of a
# million was: 106,000 of 267,000 matches, 150,000 of a million, never more than 176,000.
# Every release falls in one of SAMPLE_BUCKETS buckets by a hash of its id; the first
# PILOT_BUCKETS of them (1/16 of the index) estimate how many match before the sample is sized.
# The pilot's first FIRST_PILOT_BUCKETS (1/128) are read alone, and suffice when they hold
# PILOT_ENOUGH matches: a count of 2,000 foretells the matches within 2 % (a standard error),
# past 256,000, and a foretelling 2 % too high makes the sample 2 % too small, its errors 1 %
# larger. A word in most of a million releases is foretold from 8,000 matches, not 60,000.
EXACT_UP_TO = 100_000
SAMPLED_MATCHES = 176_000
# A filter holding at most this share of the index leads the words' alternatives (`query`).
SELECTIVE = 0.25
# The best results are looked for among the titles holding the words first when those
# titles are at most this share of the matches (`_best_in_titles`): reading their postings
# and the body's beside them costs about four times the union of both a document.
TITLED_SHARE = 0.25
SAMPLE_BUCKETS, PILOT_BUCKETS = 1024, 64
FIRST_PILOT_BUCKETS, PILOT_ENOUGH = 8, 2_000
# A counting pass is split between the cores, and a search's best results are looked for
# beside it (Tantivy lets go of Python's lock while it searches). The threads read no database
# (this thread's connection is not theirs).
CORES = os.cpu_count() or 1


def _passes() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=CORES, thread_name_prefix="search")


PASSES = _passes()


def _after_fork():
    global PASSES
    PASSES = _passes()  # a forked process has none of its parent's threads


os.register_at_fork(after_in_child=_after_fork)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", tokenizer_name="archive")
    builder.add_text_field("body", tokenizer_name="archive")
    # Each text's pairs of neighbouring words ("green_bond"), so that a two-word phrase is
    # one term: found and counted from its postings alone, where a phrase query reads the
    # positions of both words in every release holding the two (at a million releases, 3.5 ms
    # for the 50,000 titles holding "green" and "bond", again in each part of a sample).
    for name in ("title", "body"):
        builder.add_text_field(f"{name}_pairs", tokenizer_name="whitespace",
                               index_option="freq")
    builder.add_integer_field("sort_key", indexed=True, fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_unsigned_field("year", indexed=True, fast=True)
    builder.add_unsigned_field("month", indexed=True, fast=True)  # 200604 for April 2006
    builder.add_unsigned_field("institution", indexed=True, fast=True)
    builder.add_unsigned_field("topic", indexed=True, fast=True)
    builder.add_unsigned_field("person", indexed=True, fast=True)
    builder.add_unsigned_field("quoted_institution", fast=True)
    builder.add_unsigned_field("quoted_person", indexed=True, fast=True)  # speaker:
    builder.add_text_field("kind", tokenizer_name="raw", fast=True)
    builder.add_text_field("source", tokenizer_name="raw", fast=True)
    builder.add_unsigned_field("sample", indexed=True, fast=True)
    builder.add_text_field("document", tokenizer_name="raw", fast=True)  # Release.kind
    builder.add_text_field("country", tokenizer_name="raw", fast=True)  # its institutions'
    # Each of these facets' values together, as one value (SET_FACETS).
    for name in SET_FACETS:
        builder.add_text_field(f"{name}_set", tokenizer_name="raw", index_option="basic",
                               fast=True)
    return builder.build()


SCHEMA = _schema()


def sample_bucket(pk: int) -> int:
    """The release's sample bucket: the top bits of a multiplicative hash of its id (Knuth's),
    so that consecutive ids, and so releases imported together, spread over every bucket."""
    return ((pk * 2654435761) & 0xFFFFFFFF) * SAMPLE_BUCKETS >> 32


def _statement_schema() -> tantivy.Schema:
    """A statement, with what its list filters by: its speaker, the institutions it speaks
    for (its own, or its speaker's affiliation stated in that release), their kinds, and its
    release's topics and date."""
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("release", indexed=True, fast=True)
    builder.add_text_field("text", tokenizer_name="archive")
    # Its pairs of words, as a release's (a phrase query read the positions of both words
    # in each statement holding the two: at a million releases, 100 ms for "the measures").
    builder.add_text_field("text_pairs", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("sort_key", indexed=True, fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_unsigned_field("person", indexed=True, fast=True)
    builder.add_unsigned_field("institution", indexed=True, fast=True)
    builder.add_unsigned_field("topic", indexed=True, fast=True)
    builder.add_text_field("kind", tokenizer_name="raw", fast=True)
    return builder.build()


STATEMENT_SCHEMA = _statement_schema()


def _analyzer() -> tantivy.TextAnalyzer:
    """Words as PostgreSQL's `english` configuration and FTS5 read them: split on anything
    not a letter or digit, lower-cased, English stems. Stop words are kept in the index so
    that a quoted phrase ("bank of china") matches as written; the query parser leaves them
    out of bare words."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(100))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


ANALYZER = _analyzer()


def word_pairs(words: list[str]) -> list[str]:
    """Each analysed word joined to the next. The simple tokenizer splits on every
    character that is not a letter or digit, so "_" joins two words unambiguously."""
    return list(map("_".join, zip(words, words[1:])))


def indexed_pairs(text: str) -> str:
    """A text's pairs of words as a pairs field is given them, one after another."""
    return " ".join(word_pairs(ANALYZER.analyze(text)))


def sort_key(published: datetime.date | None, pk: int) -> int:
    """Days since 1970 (plus one; 0 for an undated release) and the id, in one number."""
    day = (published - EPOCH).days + 1 if published else 0
    return (day << ID_BITS) | pk


# A date-ordered page is looked for in the matches of this many days from where it starts,
# then in eight times as many, and so on.
FIRST_WINDOW_DAYS = 32
# A span of keys up to this many days long (a first window) is read from its days' terms
# (_span): over more, their terms would read more documents than the other conditions match.
SPAN_DAYS = 2 * FIRST_WINDOW_DAYS


def key_id(key: int) -> int:
    return key & ((1 << ID_BITS) - 1)


@dataclass(frozen=True)
class Criteria:
    """What a list asks of the index: search words and filters, all optional."""

    text: str = ""
    institutions: tuple[int, ...] = ()
    topics: tuple[int, ...] = ()
    person: int | None = None
    source: str = ""
    kind: str = ""
    document: str = ""  # the kind of document: a press release, a speech, a news report…
    country: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    year: int | None = None
    month: int | None = None  # with `year`
    # The people each `speaker:` name in `text` means, looked up once when the criteria are
    # made: the page, each facet's pass and the notice of names no one has all ask.
    speakers: dict[str, list[int]] = field(default=None, compare=False, hash=False)

    def __post_init__(self):
        if self.speakers is None:
            names = dict.fromkeys(term.value for term in parse_websearch(self.text).fields
                                  if term.name == "speaker") if self.text else ()
            object.__setattr__(self, "speakers", {name: speaker_ids(name) for name in names})

    def without(self, name: str) -> "Criteria":
        """The same criteria less one facet's filter: a facet's counts ignore their own
        selection, so choosing one bank still shows the others' counts."""
        empty = {"institution": {"institutions": ()}, "topic": {"topics": ()},
                 "source": {"source": ""}, "kind": {"kind": ""},
                 "document": {"document": ""}, "country": {"country": ""},
                 "year": {"year": None, "month": None}, "month": {"month": None}}
        return replace(self, **empty.get(name, {}))


@dataclass
class Page:
    ids: list[int]
    total: int
    next_key: int | None = None  # date-ordered lists: where the next page starts
    preceding: int = 0  # and how many come before this page


@dataclass
class Facets:
    total: int
    counts: dict[str, list[tuple]] = field(default_factory=dict)
    estimated: bool = False  # the total counted from a sample: it is "about"
    sampled: set[str] = field(default_factory=set)  # the facets whose counts are "about"


class SearchIndex:
    """One process's handle on the index of releases at `path`."""

    schema = SCHEMA
    # The fields words are looked for in, and their weights.
    text_fields = (("title", TITLE_BOOST), ("body", 1.0))
    # The fields whose word pairs are indexed apart (word_pairs), and where.
    pair_fields = {"title": "title_pairs", "body": "body_pairs"}
    # The field that holds the release a document comes from.
    release_field = "id"
    # The field of the people quoted in it, which speaker: asks.
    speaker_field = "quoted_person"
    set_facets = SET_FACETS  # the facets also indexed as sets of values
    sampled = True  # its documents carry a sample bucket
    # Where the day starts in a sort key (sort_key): the bits below it order one day's matches.
    day_shift = ID_BITS

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, str(path), reuse=True)
        self.index.register_tokenizer("archive", ANALYZER)
        self.index.config_reader(reload_policy="Manual")
        self.lock = threading.Lock()
        self.version: Position | None = None
        self.counted: dict[tuple, tuple[Position | None, Facets | dict[int, int]]] = {}
        self.days: tuple[Position | None, tuple[int, int] | None] | None = None

    # Reading.

    def searcher(self) -> tantivy.Searcher:
        self.catch_up_once()
        self.index.reload()
        # Every change to the index moves its position in the change log.
        self.version = _read_position(self)
        return self.index.searcher()

    def catch_up_once(self) -> None:
        # Once a request: a page asks an index several times (a count, facets, a page of
        # results), and each catch-up reads the change log, a query.
        caught_up = getattr(_request, "caught_up", None)
        if caught_up is None or self.path not in caught_up:
            catch_up(self)
            if caught_up is not None:
                caught_up.add(self.path)

    def query(self, criteria: Criteria, within: tantivy.Query | None = None,
              titled: bool = False) -> tantivy.Query | None:
        """The criteria as one Tantivy query, or None when the words can match nothing;
        with `within`, only the documents it matches too; `titled`, only those holding the
        words in their title, scored as when not (see `_words`).

        Tantivy reads a union of alternatives of the words (each field of a word, each word
        of an OR: a phrase is "in the title or in the body") window by window, every one of
        its documents, whatever it is intersected with. So `within` (a few sample buckets),
        and a filter read from postings that holds few documents (a bank among hundreds, a
        topic, a year), is put inside each alternative, where it leads; a filter holding
        more than SELECTIVE of the index, and dates (a range checked against each
        document), stay beside the words, where they cost less than twice inside."""
        parsed = parse_websearch(criteria.text) if criteria.text else None
        if criteria.text and not parsed:
            return None
        words = parsed.groups if parsed else []
        wanted = self._wanted(criteria, parsed)
        inside = [] if within is None else [within]
        beside = []
        if words:
            searcher = self.index.searcher()
            most = SELECTIVE * max(searcher.num_docs, 1)
            for name, values in wanted:
                held = sum(searcher.doc_freq(name, value) for value in values)
                (inside if held <= most else beside).append(self._terms(name, values))
        else:
            beside = inside + [self._terms(name, values) for name, values in wanted]
            inside = []
        if criteria.date_from or criteria.date_to:
            low = (criteria.date_from - EPOCH).days if criteria.date_from else None
            high = (criteria.date_to - EPOCH).days if criteria.date_to else None
            beside.append(tantivy.Query.range_query(
                self.schema, "day", tantivy.FieldType.Integer, low, high))
        narrowing = None
        if inside:
            narrowing = inside[0] if len(inside) == 1 else tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, condition) for condition in inside])
        clauses = []
        for group in words:
            alternatives = [self._phrase(p, within=narrowing, titled=titled) for p in group]
            alternatives = [q for q in alternatives if q is not None]
            if not alternatives:
                return None
            clauses.append((tantivy.Occur.Must, self._any(alternatives)))
        for phrase in parsed.excluded if parsed else ():
            excluded = self._phrase(phrase)
            if excluded is not None:
                clauses.append((tantivy.Occur.MustNot, excluded))
        for term in parsed.fields if parsed else ():
            if term.name == "title":
                if "title" not in dict(self.text_fields):
                    return None
                condition = self._phrase(term.value, [("title", TITLE_BOOST)])
                if condition is None:  # only words too long to be indexed
                    if term.negated:
                        continue
                    return None
                clauses.append((tantivy.Occur.MustNot if term.negated else tantivy.Occur.Must,
                                condition))
            elif term.negated:
                clauses.append((tantivy.Occur.MustNot,
                                self._terms(self.speaker_field, criteria.speakers[term.value])))
        # Filters narrow without scoring, so the ranking is the words' alone.
        clauses.extend((tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0))
                       for f in beside)
        if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        if len(clauses) == 1:
            # The words alone, unwrapped: Tantivy scores a lone term's or union's matches in a
            # loop made for it, where a Boolean of one clause calls its clause for each match
            # (a common word's best results in two thirds of the time).
            return clauses[0][1]
        return tantivy.Query.boolean_query(clauses)

    def _wanted(self, criteria: Criteria, parsed) -> list[tuple[str, list]]:
        """The criteria's conditions read from postings, as (field, values): the speakers
        asked for and the filters."""
        wanted = []
        if parsed:
            wanted += [(self.speaker_field, criteria.speakers[term.value])
                       for term in parsed.fields if term.name != "title" and not term.negated]
        if criteria.institutions:
            wanted.append(("institution", criteria.institutions))
        if criteria.topics:
            wanted.append(("topic", criteria.topics))
        if criteria.person is not None:
            wanted.append(("person", [criteria.person]))
        if criteria.source:
            wanted.append(("source", [criteria.source]))
        for name in ("kind", "document", "country"):
            if value := getattr(criteria, name):
                wanted.append((name, [value]))
        if criteria.year is not None:
            if criteria.month:
                wanted.append(("month", [criteria.year * 100 + criteria.month]))
            else:
                wanted.append(("year", [criteria.year]))
        return wanted

    def _most(self, searcher, criteria: Criteria) -> int:
        """At most how many documents `criteria` can match, from its terms' numbers of
        documents alone (none is read): the fewest that any one of its conditions allows."""
        parsed = parse_websearch(criteria.text) if criteria.text else None
        most = self._words_most(searcher, parsed)
        for name, values in self._wanted(criteria, parsed):
            most = min(most, sum(searcher.doc_freq(name, value) for value in values))
        return most

    def _words_most(self, searcher, parsed) -> int:
        """At most how many documents the search words `parsed` can match."""
        most = searcher.num_docs
        for group in parsed.groups if parsed else ():
            most = min(most, sum(self._phrase_most(searcher, ANALYZER.analyze(phrase))
                                 for phrase in group))
        return most

    def _phrase_most(self, searcher, words: list[str], fields=None) -> int:
        """At most how many documents hold a phrase's analysed `words` (see `_phrase`) in
        the text fields, or in `fields`: in each field, the fewest documents that any of its
        scored terms, or of the pairs it needs, is in (none: stop words alone)."""
        if not words:
            return 0
        return sum(min(searcher.doc_freq(needed[0], term) for term in needed[1])
                   if needed else min(searcher.doc_freq(name, term) for term in terms)
                   for name, _, terms, needed in self._looked_for(words, fields))

    def _looked_for(self, words: list[str], fields=None) -> list[tuple]:
        """How a phrase's `words` are looked for in each text field (or each of `fields`):
        (the field whose terms are scored, its weight, those terms, and (field, pairs) that
        a match must also hold, or None). One word is a term; two, a term of word pairs;
        more, a phrase whose positions are read only in the documents holding every pair
        (holding them is nearly always holding the phrase)."""
        pairs = word_pairs(words)
        looked_for = []
        for name, weight in fields or self.text_fields:
            if len(words) == 1 or name not in self.pair_fields:
                looked_for.append((name, weight, words, None))
            elif len(pairs) == 1:
                looked_for.append((self.pair_fields[name], weight, pairs, None))
            else:
                looked_for.append((name, weight, words, (self.pair_fields[name], pairs)))
        return looked_for

    def _phrase(self, phrase: str, fields=None, within: tantivy.Query | None = None,
                titled: bool = False) -> tantivy.Query | None:
        """A word or phrase in any of the text fields (the title boosted), or of `fields`;
        in each field, only where `within` matches too (see `query`); `titled`, only in
        documents holding it in their title."""
        return self._words(ANALYZER.analyze(phrase), fields, within, titled)

    def _words(self, words: list[str], fields=None, within: tantivy.Query | None = None,
               titled: bool = False) -> tantivy.Query | None:
        """`_phrase` of a phrase's analysed `words`. `titled`, the title's query leads and
        the other fields' are read only at its documents, each adding its score where it
        matches, as in the union of the fields (the same sum, in the same order)."""
        if not words:
            return None
        fields = fields or self.text_fields
        per_field = []
        for (field, _), (name, weight, terms, needed) in zip(fields,
                                                             self._looked_for(words, fields)):
            if len(terms) == 1:
                query = tantivy.Query.term_query(self.schema, name, terms[0])
            else:
                query = tantivy.Query.phrase_query(self.schema, name, terms)
            if needed:
                query = _narrowed(query, self._all(*needed))
            if within is not None:
                query = _narrowed(query, within)
            if weight != 1.0:
                query = tantivy.Query.boost_query(query, weight)
            per_field.append((tantivy.Occur.Must if titled and field == "title"
                              else tantivy.Occur.Should, query))
        if titled:
            return tantivy.Query.boolean_query(per_field)
        return self._any([query for _, query in per_field])

    @staticmethod
    def _any(queries: list[tantivy.Query]) -> tantivy.Query:
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])

    def _all(self, name: str, words: list[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, name, word))
            for word in words])

    def _terms(self, name: str, values) -> tantivy.Query:
        return tantivy.Query.term_set_query(self.schema, name, list(values))

    def ranked(self, criteria: Criteria, offset: int, limit: int, searcher=None,
               counted: bool = False) -> Page:
        """Releases by relevance (BM25 over every match), `limit` from `offset`; with their
        number when `counted` (else 0); in `searcher` when given (one caught up by another
        thread: this one may not read the database)."""
        query = self.query(criteria)
        if query is None or limit < 1:
            return Page([], 0)
        searcher = searcher or self.searcher()
        if counted:
            # Counted as they are scored: every match is read once, where counting them
            # apart (an aggregation beside the search) read each twice, on both cores.
            result = searcher.search(query, limit=limit, offset=offset, count=True)
            return Page([searcher.doc(address)["id"][0] for _, address in result.hits],
                        result.count)
        # Not counted here (the facets count, on the other cores). Every match is scored:
        # Tantivy's Python binding collects through a MultiCollector, which does not let
        # block-max WAND skip the blocks that cannot reach the top results. So the matches
        # holding a search word in their title are ranked first, alone, where they settle
        # the page.
        hits = self._best_in_titles(searcher, criteria, offset, limit)
        if hits is None:
            hits = searcher.search(query, limit=limit, offset=offset, count=False).hits
        ids = [searcher.doc(address)["id"][0] for _, address in hits]
        return Page(ids, 0)

    def _best_in_titles(self, searcher, criteria: Criteria, offset: int, limit: int
                        ) -> list | None:
        """The hits ranked `offset` to `offset + limit` over every match, found among the
        matches that hold a search word in their title; None when they cannot be. A match
        holding none in its title scores in the other fields alone, less than BM25's
        ceiling for their terms (`_ceiling`): when the last hit found among the titles
        scores more than that, no other match could have taken its place. Titles weigh ten
        times bodies and hold few words, so for a common word this scores a tenth of its
        matches."""
        parsed = parse_websearch(criteria.text) if criteria.text else None
        if (not parsed or "title" not in dict(self.text_fields)
                # a title: term: every match holds it in its title already
                or any(term.name == "title" and not term.negated for term in parsed.fields)):
            return None
        phrases = [ANALYZER.analyze(phrase) for group in parsed.groups for phrase in group]
        phrases = [words for words in phrases if words]
        # The share is of the words' matches, which filters narrow as they narrow the titles.
        titles = sum(self._phrase_most(searcher, words, [("title", 1.0)]) for words in phrases)
        if not phrases or titles > self._words_most(searcher, parsed) * TITLED_SHARE:
            return None
        if len(parsed.groups) == 1 and len(phrases) == 1:
            # One word or phrase: its title's postings lead, the body's are read beside.
            query = self.query(criteria, titled=True)
        else:
            # Several: each field's postings read only where a title holds one of them.
            query = self.query(criteria, within=self._any(
                [self._words(words, [("title", 1.0)]) for words in phrases]))
        hits = searcher.search(query, limit=limit, offset=offset, count=False).hits
        if len(hits) < limit:  # fewer such matches than the page needs
            return None
        documents = self._bm25_documents(searcher, hits[0][1], phrases)
        if documents is None:
            return None
        others = [(name, weight) for name, weight in self.text_fields if name != "title"]
        ceiling = sum(self._ceiling(searcher, name, weight, terms, documents)
                      for words in phrases
                      for name, weight, terms, _ in self._looked_for(words, others))
        # Scores are 32-bit floats: a margin far above their rounding.
        return hits if hits[-1][0] > ceiling * (1 + 1e-4) else None

    def _bm25_documents(self, searcher, address, phrases: list[list[str]]) -> int | None:
        """The number of documents BM25 weighs terms against (the index's, deleted ones
        too until their segment is merged), as the explanation of a term's score in the
        title at `address`, which holds the first word of one of `phrases`, states it:
        Tantivy's Python binding tells it no other way."""
        for words in phrases:
            term = tantivy.Query.term_query(self.schema, "title", words[0])
            try:
                explained = json.loads(term.explain(searcher, address).to_json())
            except ValueError:  # not this phrase's title
                continue
            nodes = [explained]
            while nodes:
                node = nodes.pop()
                if node.get("description", "").startswith("N, total number of docs"):
                    return int(node["value"])
                nodes.extend(node.get("details", ()))
        return None

    @staticmethod
    def _ceiling(searcher, name: str, weight: float, terms: list[str], documents: int
                 ) -> float:
        """The score that `terms` scored in field `name` (one term, or a phrase of them)
        stays below in any document, however often it holds them: Tantivy's BM25 is
        idf × (k1 + 1) × tf / (tf + k1 × length norm), with k1 = 1.2 and a phrase's idf the
        sum of its terms'."""
        idf = sum(math.log(1 + (documents - n + 0.5) / (n + 0.5))
                  for n in (searcher.doc_freq(name, term) for term in terms))
        return weight * BM25_K1_PLUS_1 * idf

    def ranked_started(self, criteria: Criteria, offset: int, limit: int,
                       counted: bool = False) -> Future:
        """ranked(), looked for on another core while this thread goes on (a page counts its
        matches and facets meanwhile, unless `counted` here); the index is caught up here
        first."""
        return PASSES.submit(self.ranked, criteria, offset, limit, self.searcher(), counted)

    def by_date(self, criteria: Criteria, limit: int, after: int | None = None,
                oldest: bool = False) -> Page:
        """Releases newest (or oldest) first, undated ones last in both orders, `limit` after
        the key `after`: a page costs the same at the end of a list as at its start. Not
        counted (a list's count comes with its facets, or from `count`); a page after a key
        says how many come before it."""
        query = self.query(criteria)
        if query is None:
            return Page([], 0)
        searcher = self.searcher()
        dated = self._first_key(0)
        if not oldest:
            hits = self._keys(searcher, query, limit + 1, high=after)
        else:
            # Dated keys (from the first dated one up) in ascending order, then the undated
            # ones below them.
            undated_after = after is not None and after < dated
            hits = [] if undated_after else self._keys(
                searcher, query, limit + 1, low=dated - 1 if after is None else after,
                oldest=True)
            if len(hits) <= limit:
                hits += self._keys(searcher, query, limit + 1 - len(hits), high=dated,
                                   low=after if undated_after else None, oldest=True)
        more = len(hits) > limit
        hits = hits[:limit]
        preceding = (self._preceding(searcher, query, after, oldest, criteria)
                     if after is not None else 0)
        return Page(self._ids(searcher, hits), 0, hits[-1][0] if more else None, preceding)

    def _first_key(self, day: int) -> int:
        """The smallest sort key of a match dated `day` days after 1970-01-01 (undated
        matches' keys are below the first dated day's)."""
        return (day + 1) << self.day_shift

    @staticmethod
    def _ids(searcher, hits: list[tuple[int, int]]) -> list[int]:
        """The ids of the matches `hits` (sort key, address): a release's id ends its key."""
        return [key_id(key) for key, _ in hits]

    def _keys(self, searcher, query, limit: int, low: int | None = None,
              high: int | None = None, oldest: bool = False) -> list[tuple[int, int]]:
        """Up to `limit` matches strictly between the sort keys `low` and `high`, in the
        list's order, as (sort key, address). Dated keys are read a window of days at a time
        from the list's start (FIRST_WINDOW_DAYS, then eight times as many each time) until
        the page is full: a page reads the matches of a few weeks, where ordering every match
        by its key costs as many matches as there are."""
        days = self._dated_days(searcher)
        if days is None or oldest and (low is None or low < self._first_key(0) - 1):
            # Nothing dated, or the undated alone: all of one day, no windows.
            return self._keys_between(searcher, query, limit, low, high, oldest)
        first, last = self._first_key(days[0]), self._first_key(days[1] + 1)
        keys: list[tuple[int, int]] = []
        width = FIRST_WINDOW_DAYS << self.day_shift
        if not oldest:
            # Down from `high`, or from the newest release's day.
            upper, edge = high, min(high, last) if high is not None else last
            while len(keys) < limit:
                edge -= width
                if edge <= first or low is not None and edge <= low + 1:
                    return keys + self._keys_between(searcher, query, limit - len(keys),
                                                      low, upper)
                keys += self._keys_between(searcher, query, limit - len(keys), edge - 1, upper)
                upper, width = edge, width * 8
        else:
            # Up from `low`, or from the oldest release's day.
            lower, edge = low, max(low, first - 1)
            while len(keys) < limit:
                edge += width
                if edge >= last or high is not None and edge >= high - 1:
                    return keys + self._keys_between(searcher, query, limit - len(keys),
                                                      lower, high, oldest=True)
                keys += self._keys_between(searcher, query, limit - len(keys), lower, edge + 1,
                                           oldest=True)
                lower, width = edge, width * 8
        return keys

    def _dated_days(self, searcher) -> tuple[int, int] | None:
        """The first and the last day a release in the index is dated (days since 1970),
        kept until the index changes: where date-ordered pages start looking."""
        if self.days is None or self.days[0] != self.version:
            stats = searcher.aggregate(tantivy.Query.all_query(),
                                       {"day": {"stats": {"field": "day"}}})["day"]
            found = (int(stats["min"]), int(stats["max"])) if stats["count"] else None
            self.days = (self.version, found)
        return self.days[1]

    def _keys_between(self, searcher, query, limit: int, low: int | None = None,
                      high: int | None = None, oldest: bool = False) -> list[tuple[int, int]]:
        """Up to `limit` matches strictly between the sort keys `low` and `high`, as
        (sort key, address)."""
        if low is not None or high is not None:
            query = _narrowed(query, self._span(low, high, inclusive=False))
        order = tantivy.Order.Asc if oldest else tantivy.Order.Desc
        result = searcher.search(query, limit=limit, count=False,
                                 order_by_field="sort_key", order=order)
        return result.hits

    def _preceding(self, searcher, query, after: int, oldest: bool, criteria: Criteria) -> int:
        """How many matches come before the page that starts after the key `after` in a
        date-ordered list: where that page stands ("41–60 of …"). Without search words the
        days before the key's are read from the matches counted by day (kept until the index
        changes), and only the key's own day is counted."""
        dated = self._first_key(0)
        day = (after >> self.day_shift) - 1  # days since 1970, or -1: undated
        before = 0
        if not criteria.text and day >= 0:
            by_day = self._by_day(searcher, query, criteria)
            before = sum(n for d, n in by_day.items() if (d < day if oldest else d > day))
            spans = [(self._first_key(day), after) if oldest
                     else (after, self._first_key(day + 1) - 1)]
        elif not oldest:
            spans = [(after, None)]
        elif after >= dated:
            spans = [(dated, after)]
        else:  # among the undated, which follow every dated release
            spans = [(dated, None), (None, after)]
        return before + sum(_count(searcher, _narrowed(query, self._span(low, high)))
                            for low, high in spans)

    def _span(self, low: int | None, high: int | None, inclusive: bool = True) -> tantivy.Query:
        """The matches whose sort key lies between `low` and `high` (None: open), including
        them or not. A range over the key alone is checked against every document of the
        index, as it is a fast field: when the span is of dated keys and a few days, those
        days' terms lead, so that only their documents are read."""
        keys = tantivy.Query.range_query(self.schema, "sort_key", tantivy.FieldType.Integer,
                                         low, high, include_lower=inclusive or low is None,
                                         include_upper=inclusive or high is None)
        if low is None or high is None or low < self._first_key(0) - (0 if inclusive else 1):
            return keys  # open, or reaching the undated keys, which have no day
        first, last = (low >> self.day_shift) - 1, (high >> self.day_shift) - 1
        if last - first >= SPAN_DAYS:
            return keys
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, self._terms("day", range(max(first, 0), last + 1))),
            (tantivy.Occur.Must, keys)])

    def by_month(self, criteria: Criteria) -> dict[tuple[int, int], int]:
        """The matches of `criteria` (no search words) counted by (year, month)."""
        months: Counter = Counter()
        for day, n in self._by_day(self.searcher(), self.query(criteria), criteria).items():
            published = EPOCH + datetime.timedelta(days=day)
            months[published.year, published.month] += n
        return dict(months)

    def _by_day(self, searcher, query, criteria: Criteria) -> dict[int, int]:
        """The matches of `criteria` (no search words) counted by day, kept until the index
        changes."""
        return self._kept((criteria, "day"), lambda: {
            int(day): n for day, n in self._aggregate(searcher, query, ["day"])[1]["day"]})

    def facets(self, criteria: Criteria, names: list[str]) -> Facets:
        """The number of matches and, for each facet in `names`, every value with its
        number of matches, counted exactly over every match. Facets whose own filter is
        not set are counted in one pass; each that is set, in its own."""
        query = self.query(criteria)
        if query is None:
            return Facets(0, {name: [] for name in names})
        searcher = self.searcher()

        def counted() -> Facets:
            own = {name for name in names if criteria.without(name) != criteria}
            # Counts without words are kept (below), so only a search's are ever sampled.
            sampling = bool(criteria.text) and self.sampled
            # The matches are counted in the same pass as the facets that share the query;
            # a facet whose own filter is set, in a pass of its own, sampled by its own
            # matches (a phrase in one bank's releases may be in five times as many of all
            # banks').
            found = self._counted(searcher, criteria, [n for n in names if n not in own],
                                  sampling, query)
            for name in own:
                facet = self._counted(searcher, criteria.without(name), [name], sampling,
                                      count=False)
                found.counts.update(facet.counts)
                found.sampled |= facet.sampled
            return found

        # Counts without search words (the whole archive, an institution's or a topic's
        # releases, a year) are kept until the index changes: the pages most asked for, and
        # the same for everyone.
        return counted() if criteria.text else self._kept((criteria, tuple(names)), counted)

    def _kept(self, key: tuple, count):
        """What `count()` counts, kept under `key` until the index changes (the oldest of
        KEPT_COUNTS dropped first)."""
        if key in self.counted and self.counted[key][0] == self.version:
            return self.counted[key][1]
        found = count()
        if len(self.counted) >= KEPT_COUNTS:
            self.counted.pop(next(iter(self.counted)))  # the oldest
        self.counted[key] = (self.version, found)
        return found

    def _counted(self, searcher, criteria: Criteria, names: list[str], sampling: bool,
                 query: tantivy.Query | None = None, count: bool = True) -> Facets:
        """The matches of `criteria` (unless not `count`) and its facets `names`, counted in
        one pass split between the cores: exactly, or when `sampling` and there are more
        than EXACT_UP_TO, in a sample, then scaled. `query` is the criteria's, when already
        made."""
        query = self.query(criteria) if query is None else query
        buckets = self._sample_size(searcher, criteria) if sampling else SAMPLE_BUCKETS
        if buckets < SAMPLE_BUCKETS:
            # A sample: its buckets split between the cores, each part counted whole.
            parts = [(part, names, count) for part in self._parts(criteria, buckets)]
        else:
            # Every match: the facets split between the cores instead, each part reading the
            # matches again (a part of the buckets would read the postings of a part of the
            # whole index), the first counting them.
            parts = [(query, names[core::CORES], count and core == 0)
                     for core in range(max(1, min(CORES, len(names))))]
        counted = list(PASSES.map(lambda part: self._aggregate(searcher, *part), parts))
        total = sum(matches for matches, _ in counted)
        counts = {name: _summed(rows[name] for _, rows in counted if name in rows)
                  for name in names}
        if buckets == SAMPLE_BUCKETS:
            return Facets(total, counts)
        scale = SAMPLE_BUCKETS / buckets
        return Facets(about(total * scale),
                      {name: [(value, about(n * scale)) for value, n in rows]
                       for name, rows in counts.items()},
                      estimated=True, sampled=set(names))

    def _sample_size(self, searcher, criteria: Criteria) -> int:
        """How many sample buckets to count `criteria` in: all of them (an exact count) unless
        the pilot buckets foretell more than EXACT_UP_TO matches by half again, which no
        pilot's error turns into fewer than EXACT_UP_TO; else the share of them that keeps the
        estimates within their bounds (SAMPLED_MATCHES). The pilot stops at its first buckets
        when they hold enough matches (FIRST_PILOT_BUCKETS). No pilot is read when the terms'
        numbers of documents allow no more than that (every search of a small archive, a
        small bank's at any size)."""
        if self._most(searcher, criteria) <= EXACT_UP_TO * 1.5:
            return SAMPLE_BUCKETS
        pilot = read = 0
        for buckets in (FIRST_PILOT_BUCKETS, PILOT_BUCKETS):
            pilot += sum(PASSES.map(lambda part: _count(searcher, part),
                                    self._parts(criteria, buckets, first=read)))
            read = buckets
            if pilot >= PILOT_ENOUGH:
                break
        expected = pilot * SAMPLE_BUCKETS / read
        if expected <= EXACT_UP_TO * 1.5:
            return SAMPLE_BUCKETS
        share = SAMPLED_MATCHES / (SAMPLED_MATCHES + expected)
        return max(PILOT_BUCKETS, math.ceil(SAMPLE_BUCKETS * share))

    def _parts(self, criteria: Criteria, buckets: int, first: int = 0
               ) -> list[tantivy.Query]:
        """`criteria`'s query narrowed to the releases of the sample buckets from `first` up
        to `buckets` (not all), in as many parts as there are cores, no release in two: each
        part is counted on a core of its own, then the parts summed. Each part's buckets are
        a set of terms, not a range: the set's postings can lead the intersection, so that a
        pilot of 1/16 reads about 1/16 of the matches (a range over the fast field is only
        checked against each match of the words)."""
        edges = [first + (buckets - first) * core // CORES for core in range(CORES + 1)]
        return [self.query(criteria, within=self._terms("sample", range(low, high)))
                for low, high in zip(edges, edges[1:]) if high > low]

    def _aggregate(self, searcher, query, names, count=False
                   ) -> tuple[int, dict[str, list[tuple]]]:
        """The number of matches of `query` (when `count`) and each facet's values in `names`
        with their numbers of matches, the largest first."""
        def terms(fields: dict[str, str]) -> dict[str, dict]:
            """Each facet's terms aggregation over its field, by facet."""
            return {name: {"terms": {"field": field, "size": ALL_TERMS}}
                    for name, field in fields.items()}

        fields = {name: f"{name}_set" if name in self.set_facets else name for name in names}
        request = terms(fields)
        if count:
            request["matches"] = {"value_count": {"field": "id"}}
        result = searcher.aggregate(query, request)
        total = int(result["matches"]["value"]) if count else 0
        one_by_one = [name for name, field in fields.items()
                      if field != name and result[name]["sum_other_doc_count"]]
        if one_by_one:  # more distinct sets than ALL_TERMS: their values one by one
            result.update(searcher.aggregate(query, terms({name: name for name in one_by_one})))
        counts = {}
        for name, field in fields.items():
            buckets = result[name]["buckets"]
            if field == name or name in one_by_one:
                counts[name] = [(bucket["key"], bucket["doc_count"]) for bucket in buckets]
            else:
                values: Counter = Counter()
                for bucket in buckets:
                    for value in _set_values(bucket["key"]):
                        values[value] += bucket["doc_count"]
                counts[name] = sorted(values.items(), key=lambda row: -row[1])
        return total, counts

    def count(self, criteria: Criteria = Criteria()) -> int:
        query = self.query(criteria)
        if query is None:
            return 0
        searcher = self.searcher()
        if criteria == Criteria():
            # Everything: the index's number of live documents, where counting visited each
            # (20 ms for the home page's 2.5 million statements).
            return searcher.num_docs
        return _count(searcher, query)

    def documents(self, ids: list[int]):
        return release_documents(ids)

    # Writing.

    def writer(self, heap: int = CHANGES_HEAP, wait: float = LOCK_WAIT_SECONDS
               ) -> tantivy.IndexWriter:
        """The index's one writer, waiting up to `wait` seconds for another process to
        finish with it."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self.index.writer(heap, 1)
            except ValueError:
                if time.monotonic() > deadline:
                    raise IndexBusy(f"Another process is writing the index at {self.path}.")
                time.sleep(0.05)


def _count(searcher, query: tantivy.Query) -> int:
    """How many documents `query` matches. Counted by an aggregation, which reads the matches
    without scoring them: a search's count scores each, in about twice the time."""
    return int(searcher.aggregate(query, {"n": {"value_count": {"field": "id"}}})["n"]["value"])


@functools.lru_cache(maxsize=ALL_TERMS)
def _set_values(key: str) -> tuple:
    """The values of a set facet's value ('[3, 7]'), read once a process: a search's passes
    return the same few hundred sets, in each part of the sample."""
    return tuple(json.loads(key))


def _narrowed(query: tantivy.Query, condition: tantivy.Query) -> tantivy.Query:
    """`query`'s matches that also meet `condition`, scored by `query` alone."""
    return tantivy.Query.boolean_query([
        (tantivy.Occur.Must, query),
        (tantivy.Occur.Must, tantivy.Query.const_score_query(condition, 0.0))])


def _summed(parts) -> list[tuple]:
    """Each value's count summed over the parts' (value, count) rows, the largest first."""
    total: Counter = Counter()
    for rows in parts:
        total.update(dict(rows))
    return sorted(total.items(), key=lambda row: -row[1])


def about(estimate: float) -> int:
    """An estimate to three significant figures, so that it does not look exact."""
    places = len(str(round(estimate))) - 3
    return int(round(estimate, -places)) if places > 0 else round(estimate)


class IndexBusy(Exception):
    """The index's writer stayed taken by another process."""


class StatementIndex(SearchIndex):
    """The index of statements: words in their text, filters as for releases."""

    schema = STATEMENT_SCHEMA
    text_fields = (("text", 1.0),)
    release_field = "release"
    speaker_field = "person"
    pair_fields = {"text": "text_pairs"}
    set_facets = ()
    sampled = False
    day_shift = 48  # statement_sort_key

    def documents(self, ids: list[int]):
        return statement_documents(ids)

    @staticmethod
    def _ids(searcher, hits: list[tuple[int, int]]) -> list[int]:
        # A statement's key holds its release and position, not its id.
        return [searcher.doc(address)["id"][0] for _, address in hits]


# The indexes this thread's request has caught up (None outside a request: every search
# catches up).
_request = threading.local()


def _request_begins(**kwargs):
    _request.caught_up = set()


def _request_ends(**kwargs):
    _request.caught_up = None


request_started.connect(_request_begins, dispatch_uid="search_index_request_started")
request_finished.connect(_request_ends, dispatch_uid="search_index_request_finished")

_indexes: dict[Path, SearchIndex] = {}
_indexes_lock = threading.Lock()


def get_index(kind: type[SearchIndex] = SearchIndex) -> SearchIndex:
    """This process's handle on the index of releases (or of statements, with
    StatementIndex), each in its own folder of SEARCH_INDEX_DIR."""
    name = "statements" if kind is StatementIndex else "releases"
    path = Path(settings.SEARCH_INDEX_DIR) / f"{name}-v{FORMAT}"
    with _indexes_lock:
        if path not in _indexes:
            _indexes[path] = kind(path)
        return _indexes[path]


def get_statement_index() -> StatementIndex:
    return get_index(StatementIndex)


def archive_state() -> str:
    """Where both indexes stand in the change log once caught up with it (once a request):
    every change to a release committed since (an import, a curator's edit, a merge), and to
    a name pages show, moves it, so a page kept under it is never older than what it shows."""
    positions = []
    for index in (get_index(), get_statement_index()):
        # Caught up without opening a searcher: the page's own searches reload the index.
        index.catch_up_once()
        position = _read_position(index) or Position(-1)  # -1: an index not built yet
        positions.append("-".join(map(str, (position.last, *position.running))))
    return ".".join(positions)


def remove_old_formats() -> list[Path]:
    """Delete the folders of indexes in earlier formats, which no process of this version
    reads; the folders removed."""
    current = {get_index().path, get_statement_index().path}
    removed = []
    for folder in Path(settings.SEARCH_INDEX_DIR).iterdir():
        name, _, version = folder.name.partition("-v")
        if (folder.is_dir() and folder not in current and name in ("releases", "statements")
                and (not version or version.isdigit())):
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


# Keeping the index up to date.

CHANGES, PRUNED = "archive_searchchange", "archive_searchpruned"
# Logged for a write no release's documents hold, a name pages show (migration 0024): it
# moves the log's position, and so renews the pages kept under it, but re-indexes nothing.
NO_RELEASE = 0  # no release has this id
# The change log keeps its newest rows when pruned: enough for any server that is not far behind.
KEPT_CHANGES = 1_000_000


def _primary():
    """The primary database's connection: the change log is read where it is written."""
    return connections[PRIMARY]


@dataclass(frozen=True)
class Position:
    """How far the index has read the change log: every row up to `last` that was committed
    when it read them, and the transactions then still running, whose rows (of any id) it
    has yet to read. On SQLite nothing else is ever running: one writer at a time."""

    last: int = 0
    running: tuple[int, ...] = ()

    def where(self) -> tuple[str, list]:
        """The change log's rows past this position, as a WHERE clause and its parameters."""
        if not self.running:
            return "id > %s", [self.last]
        return "(id > %s OR xact = ANY(%s))", [self.last, list(self.running)]


def _position_file(index: SearchIndex) -> Path:
    return index.path / "archive-changes.json"


def _read_position(index: SearchIndex) -> Position | None:
    """Where the index stands in this database's change log; None for an index of another
    database, or a new one."""
    try:
        data = json.loads(_position_file(index).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if data.get("database") != _database_name() or "last" not in data:
        return None
    return Position(data["last"], tuple(data.get("running", ())))


def _write_position(index: SearchIndex, position: Position) -> None:
    temporary = _position_file(index).with_suffix(".tmp")
    temporary.write_text(json.dumps({"database": _database_name(), "last": position.last,
                                     "running": position.running}))
    os.replace(temporary, _position_file(index))


def _database_name() -> str:
    return str(_primary().settings_dict["NAME"])


def _changes(since: Position) -> tuple[Position, list[int]]:
    """The releases changed past `since`, and the position after them, read in one statement
    so that both come from one snapshot. On PostgreSQL rows commit out of id order: a row not
    yet visible belongs to a transaction then running, which the new position names; every
    transaction that starts later writes ids above the ones seen."""
    where, params = since.where()
    with _primary().cursor() as cursor:
        if _primary().vendor == "postgresql":
            cursor.execute(f"SELECT pg_current_snapshot()::text, max(id), "
                           f"array_agg(DISTINCT release_id) FROM {CHANGES} WHERE {where}", params)
            snapshot, last, ids = cursor.fetchone()
            # "xmin:xmax:running,running": this transaction is not among them.
            running = tuple(int(x) for x in snapshot.split(":")[2].split(",") if x)
        else:
            cursor.execute(f"SELECT max(id), group_concat(DISTINCT release_id) "
                           f"FROM {CHANGES} WHERE {where}", params)
            last, ids = cursor.fetchone()
            ids, running = [int(x) for x in ids.split(",")] if ids else [], ()
    position = Position(max(last or 0, since.last), running)
    return position, [pk for pk in ids or [] if pk != NO_RELEASE]


def _log_state(since: Position) -> tuple[bool, bool]:
    """Whether the log has been pruned of rows the index at `since` has not read (then it
    must be built again), and whether it holds changes past `since`: one query."""
    where, params = since.where()
    oldest_running = min(since.running, default=2**62)
    with _primary().cursor() as cursor:
        cursor.execute(f"SELECT (SELECT through > %s OR xact >= %s FROM {PRUNED}), "
                       f"EXISTS (SELECT 1 FROM {CHANGES} WHERE {where})",
                       [since.last, oldest_running, *params])
        pruned, changed = cursor.fetchone()
    return bool(pruned), bool(changed)


def prune(keep: int = KEPT_CHANGES) -> int:
    """Delete the change log's rows but the newest `keep`; the number deleted. An index that
    had not read them (another server's, far behind) is then built whole at its next search,
    which is cheaper than replaying that many changes."""
    with transaction.atomic(using=PRIMARY), _primary().cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) - %s FROM {CHANGES}", [keep])
        through = cursor.fetchone()[0]
        if through <= 0:
            return 0
        if _primary().vendor == "postgresql":
            # Rows commit out of id order: an index waiting for a transaction's rows by its
            # id (Position.running) must learn that they may be gone, so the newest
            # transaction deleted is recorded too. One statement, one snapshot.
            cursor.execute(f"WITH gone AS (DELETE FROM {CHANGES} WHERE id <= %s "
                           f"RETURNING xact) SELECT count(*), coalesce(max(xact), 0) FROM gone",
                           [through])
            deleted, xact = cursor.fetchone()
        else:
            cursor.execute(f"DELETE FROM {CHANGES} WHERE id <= %s", [through])
            deleted, xact = cursor.rowcount, 0
        cursor.execute(f"UPDATE {PRUNED} SET through = CASE WHEN through > %s THEN through "
                       f"ELSE %s END, xact = CASE WHEN xact > %s THEN xact ELSE %s END",
                       [through, through, xact, xact])
    return deleted


@contextmanager
def _writing(index: SearchIndex, heap: int = CHANGES_HEAP, wait: float = LOCK_WAIT_SECONDS):
    """The index's writer, committed when the block ends, rolled back if it fails."""
    writer = index.writer(heap, wait)
    try:
        yield writer
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise


def catch_up(index: SearchIndex | None = None) -> int:
    """Apply the changes committed since the index last did; the number of releases
    re-indexed. Cheap when there are none: one read of a small file and one indexed query."""
    index = index or get_index()
    position = _read_position(index)
    pruned, changed = _log_state(position) if position else (True, True)
    if pruned:
        # An index new to this database (or of another one), or one that fell behind rows
        # since pruned from the log, is built from it whole.
        return rebuild(index)
    if not changed:
        return 0
    with index.lock:
        try:
            with _writing(index, wait=BUSY_WAIT_SECONDS) as writer:
                # Read again under the writer's lock: another process may have caught up.
                position, changed = _changes(_read_position(index))
                _replace(index, writer, changed)
        except IndexBusy:
            # A rebuild holds the writer for minutes: search the index as it is meanwhile;
            # the changes are applied once it is done.
            return 0
        _write_position(index, position)
        return len(changed)


def _replace(index: SearchIndex, writer: tantivy.IndexWriter, ids: list[int],
             batch: int = 2000) -> None:
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        # By query: a term of a bare Python int is taken as signed, and matches no id.
        writer.delete_documents_by_query(
            tantivy.Query.term_set_query(index.schema, index.release_field, chunk))
        for document in index.documents(chunk):
            writer.add_document(document)


def rebuild(index: SearchIndex | None = None, batch: int = 5000, progress=None) -> int:
    """Index every visible release again from the records; the number indexed. Searches go
    on meanwhile, on the index as it was, until the new one is committed."""
    from archive.models import Release

    index = index or get_index()
    done = 0
    with index.lock:
        with _writing(index, BUILD_HEAP) as writer:
            # Where the log stands before the records are read: changes from here on are
            # applied again by the next catch-up, which is harmless.
            position, _ = _changes(Position(last=_last_change()))
            writer.delete_all_documents()
            for chunk in _build_order(index, batch):
                for document in index.documents(chunk):
                    writer.add_document(document)
                done += len(chunk)
                if progress:
                    progress(done)
        _write_position(index, position)
    return done


def _build_order(index: SearchIndex, batch: int):
    """The visible releases' ids in the order their documents are written, at most `batch`
    at a time. Sampled documents go in the order of their sample buckets, each batch of
    one bucket (the database returns a batch in its own order): a sample's part, a range
    of buckets, is then a run of neighbouring documents, whose postings are skipped through
    block by block, where a part spread over the whole index has every block read (at a
    million releases, pilots in half the time, samples in two thirds)."""
    from archive.models import Release

    ids = Release.objects.using(PRIMARY).visible().order_by("pk").values_list("pk", flat=True)
    if index.sampled:
        # Arrays of 8 bytes an id: Python's lists of ints take four times as much.
        buckets: dict[int, array.array] = {}
        for pk in ids.iterator(chunk_size=10_000):
            buckets.setdefault(sample_bucket(pk), array.array("q")).append(pk)
        for bucket in sorted(buckets):
            members = buckets[bucket]
            for start in range(0, len(members), batch):
                yield members[start:start + batch].tolist()
        return
    last = 0
    while chunk := list(ids.filter(pk__gt=last)[:batch]):
        yield chunk
        last = chunk[-1]


def _last_change() -> int:
    with _primary().cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {CHANGES}")
        return cursor.fetchone()[0]


def release_documents(ids: list[int]):
    """The index documents of the visible releases among `ids`, read in a few queries from
    the primary database, where the change log is (a replica may lag behind it)."""
    from archive.models import Appearance, Quote, Release

    through = {"institution": Release.institutions.through, "topic": Release.topics.through}
    rows = (Release.objects.using(PRIMARY).visible().filter(pk__in=ids)
            .values_list("pk", "title", "body", "published", "source", "kind"))
    links = {name: _grouped(model.objects.using(PRIMARY).filter(release_id__in=ids)
                            .values_list("release_id", f"{name}_id"))
             for name, model in through.items()}
    kinds = _grouped(through["institution"].objects.using(PRIMARY).filter(release_id__in=ids)
                     .values_list("release_id", "institution__kind"))
    countries = _grouped(through["institution"].objects.using(PRIMARY)
                         .filter(release_id__in=ids).exclude(institution__country="")
                         .values_list("release_id", "institution__country"))
    people = _grouped(Appearance.objects.using(PRIMARY).filter(release_id__in=ids)
                      .values_list("release_id", "person_id"))
    quotes = Quote.objects.using(PRIMARY).filter(release_id__in=ids)
    quoted_people = _grouped(quotes.exclude(person=None).values_list("release_id", "person_id"))
    quoted_institutions = _grouped(quotes.exclude(institution=None)
                                   .values_list("release_id", "institution_id"))
    sets = {"topic": links["topic"], "kind": kinds}  # the values of each of SET_FACETS
    for pk, title, body, published, source, document_kind in rows.iterator(chunk_size=500):
        document = tantivy.Document(title=title, body=body, sort_key=sort_key(published, pk),
                                    title_pairs=indexed_pairs(title),
                                    body_pairs=indexed_pairs(body))
        document.add_unsigned("id", pk)
        if published:
            document.add_integer("day", (published - EPOCH).days)
            document.add_unsigned("year", published.year)
            document.add_unsigned("month", published.year * 100 + published.month)
        if source:
            document.add_text("source", source)
        document.add_unsigned("sample", sample_bucket(pk))
        for name, values in (("institution", links["institution"]), ("topic", links["topic"]),
                             ("person", people), ("quoted_person", quoted_people),
                             ("quoted_institution", quoted_institutions)):
            for value in sorted(values.get(pk, ())):
                document.add_unsigned(name, value)
        for kind in sorted(kinds.get(pk, ())):
            document.add_text("kind", kind)
        for country in sorted(countries.get(pk, ())):
            document.add_text("country", country)
        document.add_text("document", document_kind)
        for name in SET_FACETS:
            if values := sets[name].get(pk):
                document.add_text(f"{name}_set", json.dumps(sorted(values)))
        yield document


def statement_sort_key(published: datetime.date | None, release: int, position: int) -> int:
    """Newest release first, then the release's statements in their order: days (plus one)
    above the release id above the position counted down."""
    day = (published - EPOCH).days + 1 if published else 0
    return (day << StatementIndex.day_shift) | (release << 16) | (0xFFFF - min(position, 0xFFFF))


def statement_documents(ids: list[int]):
    """The index documents of the statements of the visible releases among `ids`."""
    from archive.models import Appearance, Institution, Quote, Release

    quotes = (Quote.objects.using(PRIMARY).filter(release_id__in=ids, release__hidden=False)
              .values_list("pk", "release_id", "person_id", "institution_id", "text",
                           "position", "release__published"))
    affiliations = dict(((release, person), institution) for release, person, institution in
                        Appearance.objects.using(PRIMARY).filter(release_id__in=ids)
                        .exclude(affiliation=None)
                        .values_list("release_id", "person_id", "affiliation_id"))
    topics = _grouped(Release.topics.through.objects.using(PRIMARY).filter(release_id__in=ids)
                      .values_list("release_id", "topic_id"))
    kinds = dict(Institution.objects.using(PRIMARY).values_list("pk", "kind"))
    for pk, release, person, institution, text, position, published in quotes.iterator(
            chunk_size=500):
        document = tantivy.Document(text=text,
                                    text_pairs=indexed_pairs(text),
                                    sort_key=statement_sort_key(published, release, position))
        document.add_unsigned("id", pk)
        document.add_unsigned("release", release)
        if published:
            document.add_integer("day", (published - EPOCH).days)
        if person:
            document.add_unsigned("person", person)
        spoke_for = {i for i in (institution, affiliations.get((release, person))) if i}
        for value in sorted(spoke_for):
            document.add_unsigned("institution", value)
        for kind in sorted({kinds[i] for i in spoke_for if i in kinds}):
            document.add_text("kind", kind)
        for value in sorted(topics.get(release, ())):
            document.add_unsigned("topic", value)
        yield document


def _grouped(pairs) -> dict[int, set]:
    grouped: dict[int, set] = {}
    for key, value in pairs:
        grouped.setdefault(key, set()).add(value)
    return grouped
