import difflib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import PurePath
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F, OuterRef, Subquery
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from archive import exports, filters, search
from archive.charts import counts_over_time
from archive.citations import citation_formats
from archive.filters import (
    InstitutionFilter,
    QuoteFilter,
    ReleaseFilter,
    ReleaseInstitution,
    ReleaseTopic,
    chips,
    release_facets,
)
from archive.ingest.pipeline import page_text
from archive.models import (
    NEWEST_FIRST,
    Appearance,
    Document,
    Institution,
    InstitutionAlias,
    Person,
    PersonAlias,
    Quote,
    Release,
    Topic,
)
from archive.search_index import Criteria, Facets, Page, get_index, get_statement_index

PER_PAGE = 20
ORPHANS = 3  # a last page takes up to this many results more rather than leave them alone
# Statements and appearances by their release's date, newest first, undated last.
LATEST_RELEASE_FIRST = F("release__published").desc(nulls_last=True)
logger = logging.getLogger(__name__)
# Relevance-ranked results page through their first 10,000 (each page asks the index for the
# best offset + 20); beyond, the date orders reach every result.
RANKED_PAGES = 500


class WindowPaginator(Paginator):
    """Pages through the first RESULT_WINDOW rows: counting stops there ("2,000+"). A list
    that already knows how many rows it has seen, up to RESULT_WINDOW + 1, passes `seen`."""

    def __init__(self, object_list, per_page, seen: int | None = None, **options):
        super().__init__(object_list, per_page, **options)
        if seen is not None:
            self.seen = seen

    @cached_property
    def seen(self) -> int:
        # Unordered, the count stops at the limit instead of sorting every row first.
        return self.object_list.order_by()[: filters.RESULT_WINDOW + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.seen, filters.RESULT_WINDOW)

    @property
    def capped(self) -> bool:
        return self.seen > filters.RESULT_WINDOW

    @property
    def counted(self) -> str:
        return f"{self.count:,}"

    @property
    def label(self) -> str:
        """The count as shown: "2,000+" when there are more."""
        return self.counted + ("+" if self.capped else "")


def paginate(request, queryset, per_page: int = PER_PAGE, seen: int | None = None):
    """The requested page; a page that does not exist is a 404, not an error page."""
    paginator = WindowPaginator(queryset, per_page, seen, orphans=ORPHANS)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except EmptyPage:
        if paginator.capped:
            raise Http404(f"Only the first {filters.RESULT_WINDOW:,} results are paged through; "
                          "narrow the search to see the others.") from None
        raise Http404("There is no such page of results.") from None
    except PageNotAnInteger:
        raise Http404("There is no such page of results.") from None


def releases_in_order(ids: list[int]) -> list[Release]:
    """The visible releases `ids`, in that order, ready for a list."""
    rows = Release.objects.visible().for_listing().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


class Indexed:
    """Results as a search index finds them, a sequence Paginator can slice: its length is
    the index's exact count, each slice one search (`find(offset, limit)` giving ids) whose
    rows `load` reads in that order."""

    def __init__(self, total: int, find, load):
        self.total, self.find, self.load = total, find, load

    def __len__(self):
        return self.total

    def __getitem__(self, window: slice):
        if not self.total:  # nothing matches, or the question was invalid
            return []
        return self.load(self.find(window.start, window.stop - window.start).ids)


def ranked_ahead(request, criteria: Criteria, index, counted: bool = False
                 ) -> tuple[Callable[[int, int], Page], Callable[[], int]]:
    """`find(offset, limit)` for a list by relevance from `index`, the page `request` asks
    for already being looked for on another core while this one counts the matches and
    their facets; and `total()`, their number, counted with that page when `counted` (a
    list without facets)."""
    try:
        start = (int(request.GET.get("page") or 1) - 1) * PER_PAGE
    except ValueError:
        start = -1
    started = (index.ranked_started(criteria, start, PER_PAGE + ORPHANS, counted)
               if 0 <= start < RANKED_PAGES * PER_PAGE else None)

    def find(offset: int, limit: int) -> Page:
        if started and offset == start and limit <= PER_PAGE + ORPHANS:
            return replace(started.result(), ids=started.result().ids[:limit])
        return index.ranked(criteria, offset, limit)

    def total() -> int:
        return started.result().total if counted and started else index.count(criteria)
    return find, total


def indexed_page(request, results: Indexed):
    """The requested page of `results`; a page that does not exist is a 404."""
    paginator = Paginator(results, PER_PAGE, orphans=ORPHANS)
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        raise Http404("There is no such page of results.") from None
    try:
        paginator.validate_number(number)
    except (EmptyPage, PageNotAnInteger):
        raise Http404("There is no such page of results.") from None
    if number > RANKED_PAGES:
        raise Http404(f"Results by relevance are paged through their first "
                      f"{RANKED_PAGES * PER_PAGE:,}; sort by date to reach every one.")
    return paginator.page(number)


@dataclass
class DatePage:
    """A page of a date-ordered list, reached by the key of the page before ("older →"):
    every page costs the same, the last as the first."""

    object_list: list
    total: int
    next_key: int | None
    first: bool
    oldest: bool = False
    preceding: int = 0  # matches on the pages before this one

    def __iter__(self):
        return iter(self.object_list)

    # As Django's Page names them: "21–40 of …".
    def start_index(self) -> int:
        return self.preceding + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.preceding + len(self.object_list)

    def __len__(self):
        return len(self.object_list)


def date_page(request, criteria: Criteria, total: int, oldest: bool = False,
              after: int | None = None, index=None, load=releases_in_order) -> DatePage:
    """The page of releases (or what `index` holds, read by `load`) matching `criteria`,
    `total` of them, newest (or oldest) first after the key in the `after` parameter."""
    if after is None and request.GET.get("after"):
        try:
            after = int(request.GET["after"])
        except ValueError:
            raise Http404("There is no such page of results.") from None
    if after is not None and not 0 <= after < 2**63:  # no key of the index's 64 bits
        raise Http404("There is no such page of results.")
    page = (index or get_index()).by_date(criteria, PER_PAGE, after=after, oldest=oldest)
    return DatePage(load(page.ids), total, page.next_key, after is None, oldest, page.preceding)


def highlighted(snippet: str) -> str:
    """A search snippet escaped, then its matched words wrapped in <mark>."""
    text = escape(snippet)
    return mark_safe(text.replace(search.MARK_START, "<mark>").replace(search.MARK_END, "</mark>"))


@require_safe
def search_help(request):
    return render(request, "archive/search_help.html")


@require_safe  # HEAD too, as GET without the body
def home(request):
    releases = Release.objects.visible()
    # Counted exactly over every visible release by the search index, in one pass.
    counts = get_index().facets(Criteria(), ["topic", "quoted_institution", "quoted_person"])

    def most_quoted(model, name):
        rows = dict(sorted(counts.counts[name], key=lambda row: -row[1])[:8])
        ranked = sorted(model.objects.filter(pk__in=rows),
                        key=lambda row: (-rows[row.pk], row.name))
        for row in ranked:
            row.n = rows[row.pk]
        return ranked

    topic_counts = dict(counts.counts["topic"])
    topics = sorted(Topic.objects.all(), key=lambda t: (-topic_counts.get(t.pk, 0), t.name))
    for topic in topics:
        topic.n = topic_counts.get(topic.pk, 0)
    dated = releases.filter(published__isnull=False).values_list("published", flat=True)
    quotes = get_statement_index().count()
    context = {
        "latest": releases.for_listing().order_by(*NEWEST_FIRST)[:8],
        "size": counts.total,
        "size_label": f"{counts.total:,}",
        # The first and last dates from the index's two ends: MIN() and MAX() over visible
        # releases read every row on SQLite.
        # In the NULLS LAST order of the index (migration 0020) read either way: the
        # database's default NULLS FIRST for a descending order would sort every row.
        "span": {"first": dated.order_by(F("published").asc(nulls_first=True)).first(),
                 "last": dated.order_by(F("published").desc(nulls_last=True)).first()},
        "quote_count": quotes,
        "quote_count_label": f"{quotes:,}",
        "institutions": most_quoted(Institution, "quoted_institution"),
        "people": most_quoted(Person, "quoted_person"),
        "topics": topics,
    }
    return render(request, "archive/home.html", context)


def without_empty_fields(request):
    """A redirect to the same list without the empty fields a submitted form sends
    (?q=&date_from=), so that a saved or shared address holds only what was chosen; None
    when there are none."""
    fields = [(name, value) for name, values in request.GET.lists() for value in values]
    kept = [(name, value) for name, value in fields if value.strip()]
    if len(kept) == len(fields):
        return None
    return redirect(request.path + (f"?{urlencode(kept)}" if kept else ""))


@require_safe
def release_list(request):
    if cleaned := without_empty_fields(request):
        return cleaned
    filterset = ReleaseFilter(request.GET or None, queryset=Release.objects.visible())
    valid = not filterset.is_bound or filterset.is_valid()
    criteria = filterset.criteria if valid else None
    ranked = valid and filterset.order == "relevance"
    find = ranked_ahead(request, criteria, get_index())[0] if ranked else None
    found, facets, more = release_facets(filterset) if valid else (Facets(0), {}, {})
    total = found.total
    if not valid:
        page = DatePage([], 0, None, True)
    elif ranked:
        page = indexed_page(request, Indexed(total, find, releases_in_order))
    else:
        after = filterset.form.cleaned_data.get("after") if filterset.is_bound else None
        page = date_page(request, criteria, oldest=filterset.order == "oldest", total=total,
                         after=int(after) if after is not None else None)
    query = filterset.query
    extracts = search.snippets(Release, [r.pk for r in page], query, "body",
                               "archive_release_fts", 1) if query else {}
    for release in page:
        release.snippet = highlighted(extracts.get(release.pk) or _opening(release.body))
    context = {
        "filter": filterset,
        "page_obj": page,
        "named": named_in(query),
        "unknown_speakers": unknown_speakers(criteria),
        "ranked": ranked,
        "total": total,
        "total_label": f"about {total:,}" if found.estimated else f"{total:,}",
        "estimated": found.estimated,
        "facets": facets,
        # With no filter to offer (nothing matches), no empty "Filter by" either.
        "any_facets": any(facets.values()),
        "more": more,
        "chips": chips(filterset) if filterset.is_bound else [],
        "query": query,
        "searched": bool(query),
        # Facet choices ride along when the search form is submitted again.
        "kept": [(key, value) for key in ("institution", "topic", "document", "country", "kind",
                                          "source", "year", "month", "person")
                 for value in request.GET.getlist(key)],
    }
    return render(request, "archive/release_list.html", context)


def named_in(query: str) -> list:
    """The public institutions and people whose name or alias the search words are ("PBOC",
    "people's bank of china"), so that the page can offer them and the releases linked to
    them, which may not spell the name as it was searched."""
    words = " ".join(query.replace('"', " ").split())
    if not words or len(words) > 200:
        return []
    return [*Institution.objects.public().named(words)[:3], *Person.objects.public().named(words)[:3]]


def unknown_speakers(criteria: Criteria | None) -> list[str]:
    """The names after speaker: that are no one's in the archive: the page says so, rather
    than only finding nothing."""
    return [name for name, ids in (criteria.speakers if criteria else {}).items() if not ids]


def _opening(body: str, words: int = 40) -> str:
    parts = body.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@require_safe
def release_detail(request, pk: int, slug: str):
    release = visible_release(pk)
    if slug != release.slug:
        return redirect(release, permanent=True)
    institutions, topics, quotes, appearances = release_links(release)
    for quote in quotes:
        quote.placed = False
    context = {
        "release": release,
        "institutions": institutions,
        "topics": topics,
        "paragraphs": linked_paragraphs(release, institutions, appearances, quotes),
        "quotes": quotes,
        "appearances": appearances,
        "related": related_releases(release, institutions, topics, appearances),
        "versions": release_versions(release),
        "citations": citation_formats(release, request.build_absolute_uri(release.get_absolute_url())),
    }
    return render(request, "archive/release_detail.html", context)


# A release page's reads, written by hand: Django took longer to build each of these
# queries (0.3–0.8 ms, its joins, orderings and deferred columns resolved every time) than
# the database takes to answer it, and together they were half the page's time. Each reads
# only what the page shows (the rest of a row is deferred, loaded if ever asked for) and
# orders within the release (the models' orderings begin with the release's date, a join
# for nothing).
RELEASE_LINKS = {
    "institutions": (Institution, (), """
        SELECT i.id, i.name, i.slug FROM archive_institution i
        JOIN archive_release_institutions link ON link.institution_id = i.id
        WHERE link.release_id = %s ORDER BY i.name"""),
    "topics": (Topic, (), """
        SELECT t.id, t.name, t.slug FROM archive_topic t
        JOIN archive_release_topics link ON link.topic_id = t.id
        WHERE link.release_id = %s ORDER BY t.name"""),
    "quotes": (Quote, ("person", "institution"), """
        SELECT q.id, q.release_id, q.person_id, q.institution_id, q.kind, q.text, q.position,
               q.role, q.verified, p.name AS person__name, p.slug AS person__slug,
               i.name AS institution__name, i.slug AS institution__slug
        FROM archive_quote q
        LEFT JOIN archive_person p ON p.id = q.person_id
        LEFT JOIN archive_institution i ON i.id = q.institution_id
        WHERE q.release_id = %s ORDER BY q.position"""),
    "appearances": (Appearance, ("person", "affiliation"), """
        SELECT a.id, a.release_id, a.person_id, a.affiliation_id, a.role,
               p.name AS person__name, p.slug AS person__slug,
               i.name AS affiliation__name, i.slug AS affiliation__slug
        FROM archive_appearance a
        JOIN archive_person p ON p.id = a.person_id
        LEFT JOIN archive_institution i ON i.id = a.affiliation_id
        WHERE a.release_id = %s ORDER BY p.name, p.id"""),
}


def visible_release(pk: int) -> Release:
    """The release unless it is hidden (else 404), with its document and its issuer; the
    original's bytes are downloaded from their own address, never read here."""
    low, high = connection.ops.integer_field_range(Release._meta.pk.get_internal_type())
    # An id past the column's range matches nothing (SQLite refuses to bind it).
    release = _first(Release, f"SELECT {_columns(Release, 'search_vector', 'r.')},"
                              " i.name AS issuer__name, i.slug AS issuer__slug"
                              " FROM archive_release r"
                              " LEFT JOIN archive_institution i ON i.id = r.issuer_id"
                              " WHERE r.id = %s AND r.hidden = %s", [pk, False]
                     ) if low <= pk <= high else None
    if release is None:
        raise Http404("No release matches the given query.")
    _attach(release, "issuer")
    # Its own query: columns read through a join would not be converted to their fields'
    # types (dates, on SQLite). Whether the same file or address was archived more than once
    # is read with it, so that a page with one version (most) asks for no list of versions.
    release.document = _first(Document, f"SELECT {_columns(Document, 'content', 'd.')},"
                                        " EXISTS (SELECT 1 FROM archive_document other"
                                        " WHERE other.origin = d.origin AND other.id <> d.id)"
                                        " AS has_versions"
                                        " FROM archive_document d WHERE d.id = %s",
                              [release.document_id])
    return release


def _columns(model, without: str, table: str = "") -> str:
    return ", ".join(table + connection.ops.quote_name(f.column)
                     for f in model._meta.concrete_fields if f.name != without)


def _first(model, sql: str, params: list):
    return next(iter(model.objects.raw(sql, params)), None)


def release_links(release: Release) -> tuple[list, list, list, list]:
    """The release's institutions, topics, statements (with their speakers) and people (with
    their affiliations), each list in its page's order."""
    found = []
    for model, joined, sql in RELEASE_LINKS.values():
        rows = list(model.objects.raw(sql, [release.pk]))
        for row in rows:
            if isinstance(row, (Quote, Appearance)):  # rows of this release
                row.release = release
            for field in joined:
                _attach(row, field)
        found.append(rows)
    return tuple(found)


def _attach(row, field: str) -> None:
    """Sets `row`'s `field` to the object its joined columns describe (`field`__name and
    __slug), or None, as `select_related` would."""
    pk = getattr(row, f"{field}_id")
    related = row._meta.get_field(field).related_model
    setattr(row, field, None if pk is None else related.from_db(
        row._state.db, ["id", "name", "slug"],
        [pk, getattr(row, f"{field}__name"), getattr(row, f"{field}__slug")]))


VERSIONS_SHOWN = 10
DIFF_LINES = {"+": "added", "-": "removed", "@": "place", " ": "same"}


def release_versions(release: Release) -> list[dict]:
    """The versions of a release archived from one page or file (the latest few), newest
    first, each with what its text changed from the version before, line by line; the
    template escapes the lines like any imported text. Empty when there is one version."""
    if not release.document.has_versions:  # read by visible_release
        return []
    documents = list(release.document.versions())[-VERSIONS_SHOWN - 1:]
    # The bytes of the versions shown only, read together.
    contents = dict(Document.objects.filter(pk__in=[d.pk for d in documents])
                    .values_list("pk", "content"))
    texts = [page_text(bytes(contents[d.pk]), d.reading_name) for d in documents]
    versions = []
    for number, (document, text) in enumerate(zip(documents, texts)):
        before = texts[number - 1].splitlines() if number else None
        lines = [] if before is None else list(difflib.unified_diff(
            before, text.splitlines(), lineterm="", n=1))[2:]
        versions.append({"document": document, "first": number == 0,
                         "changes": [(DIFF_LINES.get(line[:1], "same"), line) for line in lines]})
    return versions[::-1]


def related_releases(release: Release, institutions, topics, appearances, size: int = 5,
                     window: int = 50):
    """Other releases sharing the most institutions, people and topics with this one, the
    newest first among equals. The candidates are each shared link's latest `window`
    releases, read backwards from the link tables' indexes, so that a big bank's hundred
    thousand releases are never all read; all links are read in one statement."""
    links = [(ReleaseInstitution, "institution", [i.pk for i in institutions]),
             (ReleaseTopic, "topic", [t.pk for t in topics]),
             (Appearance, "person", sorted({a.person_id for a in appearances}))]
    quote = connection.ops.quote_name
    parts, params = [], []
    for model, field, values in links:
        table = quote(model._meta.db_table)
        column, other = (quote(model._meta.get_field(name).column) for name in (field, "release"))
        for value in values:
            parts.append(f"SELECT {other} AS shared_id FROM (SELECT {other} "
                         f"FROM {table} WHERE {column} = %s AND {other} <> %s "
                         f"ORDER BY {other} DESC LIMIT %s) AS link{len(parts)}")
            params += [value, release.pk, window]
    if not parts:
        return []
    # Ranked and read in the same statement: by the number of links shared (a release is
    # linked to an institution, a topic or a person once), then newest first.
    releases = quote(Release._meta.db_table)
    title, slug, published = (quote(name) for name in ("title", "slug", "published"))
    return list(Release.objects.raw(
        f"SELECT r.id, r.{title}, r.{slug}, r.{published}"
        f" FROM ({' UNION ALL '.join(parts)}) AS shared"
        f" JOIN {releases} r ON r.id = shared.shared_id"
        f" WHERE r.{quote('hidden')} = %s GROUP BY r.id"
        f" ORDER BY COUNT(*) DESC, r.{published} DESC NULLS LAST, r.id DESC LIMIT %s",
        [*params, False, size]))


def linked_paragraphs(release: Release, institutions, appearances, quotes) -> list[str]:
    """The body's paragraphs, escaped, with the names of its institutions and people linked
    to their pages, and each statement found in them marked (<mark id="said-N">); a
    statement found is flagged `placed`, so that the list can link to its place."""
    targets = {i.name: i.get_absolute_url() for i in institutions}
    targets.update({a.person.name: a.person.get_absolute_url() for a in appearances})
    names = re.compile("|".join(re.escape(n) for n in sorted(targets, key=len, reverse=True))
                       ) if targets else None

    def linked(text: str) -> str:
        if names is None:
            return escape(text)
        pieces, last = [], 0
        for match in names.finditer(text):
            pieces.append(escape(text[last: match.start()]))
            pieces.append(format_html('<a href="{}">{}</a>', targets[match.group()], match.group()))
            last = match.end()
        pieces.append(escape(text[last:]))
        return mark_safe("".join(pieces))

    paragraphs = []
    for paragraph in release.body.split("\n\n"):
        if not paragraph.strip():
            continue
        spans = []  # (start, end, quote), not overlapping
        for quote in quotes:
            start = paragraph.find(quote.text) if quote.text and not quote.placed else -1
            end = start + len(quote.text)
            if start >= 0 and all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, quote))
                quote.placed = True
        pieces, last = [], 0
        for start, end, quote in sorted(spans, key=lambda span: span[0]):
            pieces.append(linked(paragraph[last:start]))
            pieces.append(format_html('<mark class="statement" id="said-{}">{}</mark>',
                                      quote.position, linked(paragraph[start:end])))
            last = end
        pieces.append(linked(paragraph[last:]))
        paragraphs.append(mark_safe("".join(pieces)))
    return paragraphs


@require_safe
def release_original(request, pk: int):
    """The original bytes, always as a download: imported HTML is never rendered here."""
    release = get_object_or_404(Release.objects.visible().select_related("document"), pk=pk)
    document = release.document
    name = PurePath(document.origin).name or f"release-{pk}"
    response = HttpResponse(bytes(document.content), content_type="application/octet-stream")
    response["Content-Disposition"] = attachment(name)
    response["Content-Security-Policy"] = "sandbox"
    return response


def attachment(name: str) -> str:
    """A Content-Disposition for a download named `name` (RFC 6266): the name in UTF-8
    as filename*, after an ASCII filename for clients that know no other."""
    fallback = re.sub(r"[^A-Za-z0-9.\-]", "_", name)[:150] or "original"
    return (f"attachment; filename=\"{fallback}\"; "
            f"filename*=UTF-8''{url_quote(name[:150], safe='')}")


@require_safe
def institution_list(request):
    if cleaned := without_empty_fields(request):
        return cleaned
    filterset = InstitutionFilter(request.GET or None, queryset=Institution.objects.all())
    valid = not filterset.is_bound or filterset.is_valid()
    releases, quotes = indexed_counts("institution")
    institutions = [i for i in (filterset.qs.order_by("kind", "name") if valid else ())
                    if releases.get(i.pk)]
    kinds = dict(Institution.Kind.choices)
    groups: dict[str, list] = {}
    for institution in sorted(institutions, key=lambda i: (i.kind, -releases[i.pk], i.name)):
        institution.release_count = releases[institution.pk]
        institution.quote_count = quotes.get(institution.pk, 0)
        groups.setdefault(kinds[institution.kind], []).append(institution)
    return render(request, "archive/institution_list.html",
                  {"groups": groups, "filter": filterset})


def _merged_into(alias_model, slug: str):
    """The page of the institution or person a merged duplicate's address names, moved for
    good; otherwise not found."""
    alias = alias_model.objects.filter(slug=slug).first()
    if alias is None:
        raise Http404
    return redirect(alias.institution if alias_model is InstitutionAlias else alias.person,
                    permanent=True)


@require_safe
def institution_detail(request, slug: str):
    institution = Institution.objects.public().select_related("parent").filter(slug=slug).first()
    if institution is None:
        return _merged_into(InstitutionAlias, slug)
    criteria = Criteria(institutions=(institution.pk,))
    months = get_index().facets(criteria, ["month"])
    context = {
        "institution": institution,
        "branches": institution.branches.all(),
        "page_obj": date_page(request, criteria, total=months.total),
        # Its latest imported statements, newest first: read backwards from an index of
        # its statements by release, where ordering all of a central bank's statements by
        # date took a sort of a hundred thousand.
        "quotes": sorted(Quote.objects.visible().filter(institution=institution)
                         .for_listing().order_by("-release_id", "position")[:20],
                         key=lambda q: (q.release.published or date.min, q.release_id),
                         reverse=True),
        "speakers": speakers_for(institution),
        "chart": counts_over_time(
            {divmod(yyyymm, 100): n for yyyymm, n in months.counts["month"]}, "releases"),
    }
    return render(request, "archive/institution_detail.html", context)


def speakers_for(institution, size: int = 20) -> list[Person]:
    """The people who spoke for an institution, most statements first (ties by name): those
    they made as its people in visible releases, counted by the statements' index in one
    pass, where counting their appearances in the database read all of a large bank's."""
    counts = dict(get_statement_index().facets(
        Criteria(institutions=(institution.pk,)), ["person"]).counts["person"])
    return most_counted(Person.objects.all(), counts, size)


def most_counted(queryset, counts: dict[int, int], size: int | None = None) -> list:
    """The rows of `queryset` counted in `counts` (id → number), the most first, ties by
    name, each with its number as `n`. With `size`, the first `size` alone, of which only
    the rows that can reach them are read: those counting at least as many as the last
    place (ties there are broken by name)."""
    if size is not None and len(counts) > size:
        least = sorted(counts.values(), reverse=True)[size - 1]
        counts = {pk: n for pk, n in counts.items() if n >= least}
    ranked = sorted(queryset.in_bulk(counts).values(),
                    key=lambda row: (-counts[row.pk], row.name))[:size]
    for row in ranked:
        row.n = counts[row.pk]
    return ranked


def indexed_counts(name: str) -> tuple[dict[int, int], dict[int, int]]:
    """Each institution's or person's (`name`) visible releases and statements, counted by the
    search indexes over the whole archive and kept until they change; a statement counts for
    the institution its speaker spoke for, as the statements list filters."""
    return (dict(get_index().facets(Criteria(), [name]).counts[name]),
            dict(get_statement_index().facets(Criteria(), [name]).counts[name]))


@require_safe
def person_list(request):
    if cleaned := without_empty_fields(request):
        return cleaned
    people = Person.objects.only("pk", "name", "slug").order_by("name")
    name = request.GET.get("name", "").strip()[:100]
    letter = request.GET.get("letter", "").strip()[:1].upper()
    if name:
        people = people.filter(name__icontains=name)
    if letter.isalpha():
        people = people.filter(name__istartswith=letter)
    releases, quotes = indexed_counts("person")
    people = sorted((p for p in people if releases.get(p.pk)),
                    key=lambda p: (-quotes.get(p.pk, 0), p.name))
    for person in people:
        person.release_count, person.quote_count = releases[person.pk], quotes.get(person.pk, 0)
    page = paginate(request, people, 50, seen=len(people))
    # Each person's post as stated in their latest release, for the page's rows only: read
    # backwards from the index of a person's appearances by release, it stops at the first
    # (sorting by the appearances' own ids read every appearance of the most quoted).
    latest = Appearance.objects.filter(person=OuterRef("pk"), release__hidden=False).exclude(
        role="").order_by("-release_id")
    posts = {p.pk: p for p in Person.objects.filter(pk__in=[p.pk for p in page]).annotate(
        latest_role=Subquery(latest.values("role")[:1]),
        latest_affiliation=Subquery(latest.values("affiliation__name")[:1]))}
    for person in page:
        person.latest_role = posts[person.pk].latest_role
        person.latest_affiliation = posts[person.pk].latest_affiliation
    context = {"page_obj": page, "name": name, "letter": letter,
               "letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    return render(request, "archive/person_list.html", context)


@require_safe
def person_detail(request, slug: str):
    person = Person.objects.public().filter(slug=slug).first()
    if person is None:
        return _merged_into(PersonAlias, slug)
    # Its statements from the statements' index: newest first, paged by key to the last, and
    # counted by month from its counts by day, kept until the index changes.
    criteria, index = Criteria(person=person.pk), get_statement_index()
    institutions = index.facets(criteria, ["institution"])
    context = {
        "person": person,
        "chart": counts_over_time(index.by_month(criteria), "statements"),
        "page_obj": date_page(request, criteria, total=institutions.total, index=index,
                              load=statements_in_order),
        # The institutions its statements were made for (their own, or the affiliation
        # stated beside them), as the statements list filtered by both finds them.
        "spoke_for": most_counted(Institution.objects.only("pk", "name", "slug"),
                                  dict(institutions.counts["institution"])),
        "roles": latest_roles(person),
    }
    return render(request, "archive/person_detail.html", context)


def latest_roles(person: Person, size: int = 30) -> list[Appearance]:
    """The roles a person was given in their latest `size` releases that state one, newest
    first. The releases come from the index by date, newest first, in windows ten times
    larger each time too few of them state a role: sorting all of a person's appearances by
    their releases' dates read thousands of rows for the most quoted."""
    criteria, index, after, found = Criteria(person=person.pk), get_index(), None, []
    window = size
    while len(found) < size:
        page = index.by_date(criteria, window, after=after)
        appearances = (Appearance.objects.filter(person=person, release_id__in=page.ids)
                       .exclude(role="").select_related("release", "affiliation")
                       .only("role", "release__published", "affiliation__name").in_bulk())
        by_release = {a.release_id: a for a in appearances.values()}
        found += [by_release[pk] for pk in page.ids if pk in by_release]
        if page.next_key is None:
            break
        after, window = page.next_key, window * 10
    return found[:size]


def statements_in_order(ids: list[int]) -> list[Quote]:
    rows = Quote.objects.for_listing().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


@require_safe
def quote_list(request):
    if cleaned := without_empty_fields(request):
        return cleaned
    filterset = QuoteFilter(request.GET or None, queryset=Quote.objects.visible())
    index = get_statement_index()
    criteria = filterset.criteria if not filterset.is_bound or filterset.is_valid() else None
    # By relevance when searching, paged by number; else newest first, paged by key to the
    # last statement. Counted exactly over every match.
    ranked = criteria is not None and filterset.searching()
    find = None
    if ranked:  # counted in the pass that finds the page asked for
        find, total_of = ranked_ahead(request, criteria, index, counted=True)
        total = total_of()
    else:
        total = index.count(criteria) if criteria else 0
    if criteria is None:
        page = DatePage([], 0, None, True)
    elif ranked:
        page = indexed_page(request, Indexed(total, find, statements_in_order))
    else:
        after = filterset.form.cleaned_data.get("after") if filterset.is_bound else None
        page = date_page(request, criteria, total=total, index=index, load=statements_in_order,
                         after=int(after) if after is not None else None)
    query = filterset.query
    extracts = search.snippets(Quote, [q.pk for q in page], query, "text",
                               "archive_quote_fts", 0) if query else {}
    for quote in page:
        quote.snippet = highlighted(extracts.get(quote.pk) or quote.text)
    context = {"filter": filterset, "page_obj": page, "query": query, "total": total,
               "ranked": ranked, "total_label": f"{total:,}",
               "unknown_speakers": unknown_speakers(criteria),
               "chips": chips(filterset) if filterset.is_bound else []}
    return render(request, "archive/quote_list.html", context)


@require_safe
def topic_list(request):
    """Every topic that has a visible release, with how many, counted by the search index."""
    counts = dict(get_index().facets(Criteria(), ["topic"]).counts["topic"])
    topics = sorted((t for t in Topic.objects.all() if counts.get(t.pk)),
                    key=lambda t: (-counts[t.pk], t.name))
    for topic in topics:
        topic.n = counts[topic.pk]
    return render(request, "archive/topic_list.html", {"topics": topics})


@require_safe
def topic_detail(request, slug: str):
    topic = get_object_or_404(Topic, slug=slug)
    criteria = Criteria(topics=(topic.pk,))
    yearly = get_index().facets(criteria, ["year"])
    context = {
        "topic": topic,
        "page_obj": date_page(request, criteria, total=yearly.total),
        "years": sorted(yearly.counts["year"]),
        # The statements of its newest releases, found by the index: ordering every
        # statement of a topic's releases by date read a large share of the archive.
        "quotes": Quote.objects.filter(release_id__in=get_index().by_date(
            criteria, 20).ids).for_listing()
        .order_by(LATEST_RELEASE_FIRST, "-release_id", "position")[:20],
    }
    return render(request, "archive/topic_detail.html", context)


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /releases/export",
             "Disallow: /quotes/export", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page names: the site's icon, for good."""
    return redirect(static("archive/favicon.svg"), permanent=True)


@require_safe
def export_releases(request, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404("Exports are CSV or JSON.")
    return exports.releases(request, fmt)


@require_safe
def export_quotes(request, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404("Exports are CSV or JSON.")
    return exports.quotes(request, fmt)


def page_not_found(request, exception):
    """The 404 page, saying why when a view gave a reason: an address that matches no page
    (Resolver404) or a bare Http404 says only that there is no such page."""
    reason = exception.args[0] if type(exception) is Http404 and exception.args else ""
    if not isinstance(reason, str) or GENERIC_404.fullmatch(reason):
        reason = ""
    return render(request, "404.html", {"reason": reason}, status=404)


# get_object_or_404's reason names a model class ("No Release matches the given query."),
# which tells a reader nothing.
GENERIC_404 = re.compile(r"No \w+ matches the given query\.")


@never_cache  # a cached answer would hide a database that has gone away
def healthz(request):
    """For load balancers and orchestrators: 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The error names the database's host, port and name: logged, not shown.
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
