import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from urllib.parse import quote as url_quote

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncYear
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from archive import exports, filters, search
from archive.citations import citation_formats
from archive.filters import (
    QuoteFilter,
    ReleaseFilter,
    ReleaseInstitution,
    ReleaseTopic,
    chips,
    release_facets,
)
from archive.models import Appearance, Institution, Person, Quote, Release, Topic

PER_PAGE = 20
logger = logging.getLogger(__name__)


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
    paginator = WindowPaginator(queryset, per_page, seen, orphans=3)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except EmptyPage:
        if paginator.capped:
            raise Http404(f"Only the first {filters.RESULT_WINDOW:,} results are paged through; "
                          "narrow the search to see the others.") from None
        raise Http404("There is no such page of results.") from None
    except PageNotAnInteger:
        raise Http404("There is no such page of results.") from None


def highlighted(snippet: str) -> str:
    """A search snippet escaped, then its matched words wrapped in <mark>."""
    text = escape(snippet)
    return mark_safe(text.replace(search.MARK_START, "<mark>").replace(search.MARK_END, "</mark>"))


@dataclass
class Size:
    label: str  # "3" or "about 1,000,000"
    number: int
    exact: bool


def archive_size(queryset) -> Size:
    """How many rows: exact up to RESULT_WINDOW, estimated above ("about 1,000,000"), as an
    exact count of a large table reads all of it."""
    exact = queryset.order_by()[: filters.RESULT_WINDOW + 1].count()
    if exact <= filters.RESULT_WINDOW:
        return Size(f"{exact:,}", exact, True)
    table = queryset.model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the planner's estimate, kept by ANALYZE
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        else:  # rows are never renumbered: the highest id is close to their number
            cursor.execute(f'SELECT max(rowid) FROM "{table}"')
        estimate = max(int(cursor.fetchone()[0] or 0), exact)
    rounded = round(estimate, 2 - len(str(estimate)))  # two significant figures
    return Size(f"about {rounded:,}", rounded, False)


@require_safe  # HEAD too, as GET without the body
def home(request):
    releases = Release.objects.visible()
    # The most quoted and the topics are counted among the latest RESULT_WINDOW releases,
    # "lately", so that the home page costs the same however large the archive grows.
    recent = filters.latest(releases, filters.RESULT_WINDOW)
    quotes = Quote.objects.filter(release_id__in=recent).order_by()

    def most_quoted(model, field):
        counts = dict(quotes.exclude(**{field: None}).values_list(field).annotate(n=Count("*"))
                      .order_by("-n")[:8])
        rows = sorted(model.objects.filter(pk__in=counts),
                      key=lambda row: (-counts[row.pk], row.name))
        for row in rows:
            row.n = counts[row.pk]
        return rows

    topic_counts = dict(ReleaseTopic.objects.filter(release_id__in=recent).order_by()
                        .values_list("topic").annotate(n=Count("*")))
    topics = sorted(Topic.objects.all(), key=lambda t: (-topic_counts.get(t.pk, 0), t.name))
    for topic in topics:
        topic.n = topic_counts.get(topic.pk, 0)
    size = archive_size(releases)
    dated = releases.filter(published__isnull=False).values_list("published", flat=True)
    context = {
        "latest": releases.for_listing().order_by("-published", "-id")[:8],
        "size": size,
        # The first and last dates from the index's two ends: MIN() and MAX() over visible
        # releases read every row on SQLite.
        "span": {"first": dated.order_by("published").first(),
                 "last": dated.order_by("-published").first()},
        "quote_count": archive_size(Quote.objects.visible()),
        "institutions": most_quoted(Institution, "institution"),
        "people": most_quoted(Person, "person"),
        "topics": topics,
        "lately": "" if size.exact else f"{filters.RESULT_WINDOW:,}",
    }
    return render(request, "archive/home.html", context)


@require_safe
def release_list(request):
    filterset = ReleaseFilter(request.GET or None, queryset=Release.objects.visible())
    valid = not filterset.is_bound or filterset.is_valid()
    page = paginate(request, filterset.results().for_listing(), seen=len(filterset.window))
    query = filterset.query
    extracts = search.snippets(Release, [r.pk for r in page], query, "body",
                               "archive_release_fts", 1) if query else {}
    for release in page:
        release.snippet = highlighted(extracts.get(release.pk) or _opening(release.body))
    context = {
        "filter": filterset,
        "page_obj": page,
        "facets": release_facets(filterset) if valid else {},
        "chips": chips(filterset) if filterset.is_bound else [],
        "query": query,
        "searched": bool(query),
        # Facet choices ride along when the search form is submitted again.
        "kept": [(key, value) for key in ("institution", "topic", "kind", "source", "year",
                                          "person") for value in request.GET.getlist(key)],
    }
    return render(request, "archive/release_list.html", context)


def _opening(body: str, words: int = 40) -> str:
    parts = body.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@require_safe
def release_detail(request, pk: int, slug: str):
    release = get_object_or_404(
        Release.objects.visible().select_related("document", "issuer").prefetch_related(
            "institutions", "topics"
        ),
        pk=pk,
    )
    if slug != release.slug:
        return redirect(release, permanent=True)
    quotes = list(release.quotes.select_related("person", "institution"))
    appearances = list(release.appearances.select_related("person", "affiliation"))
    context = {
        "release": release,
        "paragraphs": linked_paragraphs(release, appearances),
        "quotes": quotes,
        "appearances": appearances,
        "related": related_releases(release),
        "citations": citation_formats(release, request.build_absolute_uri(release.get_absolute_url())),
    }
    return render(request, "archive/release_detail.html", context)


def related_releases(release: Release, size: int = 5):
    """The latest imported other releases naming this release's least common institution,
    or else sharing its topic, newest first: the rarest link says the most, and reading
    the link table's index backwards stops after a few rows however large the archive
    (ordering all of an institution's releases by date first read thousands of them)."""
    institutions = list(release.institutions.all())
    if institutions:
        # Counted up to a thousand each: a big bank's hundreds of thousands of links need
        # not be counted to know it is not the rarest.
        rarest = min(institutions, key=lambda i: ReleaseInstitution.objects.filter(
            institution=i)[:1000].count())
        links = ReleaseInstitution.objects.filter(institution=rarest)
    else:
        links = Release.topics.through.objects.filter(topic__in=release.topics.all())
    latest = (links.exclude(release=release).filter(release__hidden=False)
              .order_by("-release_id").values_list("release_id", flat=True).distinct()[:size])
    return Release.objects.filter(pk__in=list(latest)).order_by("-published", "-id")


def linked_paragraphs(release: Release, appearances) -> list[str]:
    """The body's paragraphs, escaped, with the names of its institutions and people
    linked to their pages."""
    targets = {i.name: i.get_absolute_url() for i in release.institutions.all()}
    targets.update({a.person.name: a.person.get_absolute_url() for a in appearances})
    if not targets:
        return [escape(p) for p in release.body.split("\n\n") if p.strip()]
    names = re.compile("|".join(re.escape(n) for n in sorted(targets, key=len, reverse=True)))
    paragraphs = []
    for paragraph in release.body.split("\n\n"):
        if not paragraph.strip():
            continue
        pieces, last = [], 0
        for match in names.finditer(paragraph):
            pieces.append(escape(paragraph[last: match.start()]))
            pieces.append(format_html('<a href="{}">{}</a>', targets[match.group()], match.group()))
            last = match.end()
        pieces.append(escape(paragraph[last:]))
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
    institutions = (Institution.objects.with_counts().filter(release_count__gt=0)
                    .order_by("kind", "-release_count", "name"))
    kinds = dict(Institution.Kind.choices)
    groups: dict[str, list] = {}
    for institution in institutions:
        groups.setdefault(kinds[institution.kind], []).append(institution)
    return render(request, "archive/institution_list.html", {"groups": groups})


@require_safe
def institution_detail(request, slug: str):
    institution = get_object_or_404(Institution.objects.public().select_related("parent"),
                                    slug=slug)
    releases = institution.releases.visible()
    context = {
        "institution": institution,
        "branches": institution.branches.all(),
        "page_obj": paginate(request, releases.for_listing().order_by("-published", "-id")),
        # Its latest imported statements, newest first: read backwards from an index of
        # its statements by release, where ordering all of a central bank's statements by
        # date took a sort of a hundred thousand.
        "quotes": sorted(Quote.objects.visible().filter(institution=institution)
                         .select_related("release").order_by("-release_id", "position")[:20],
                         key=lambda q: (q.release.published or date.min, q.release_id),
                         reverse=True),
        "speakers": speakers_for(institution),
        "chart": monthly_chart(releases),
    }
    return render(request, "archive/institution_detail.html", context)


def speakers_for(institution, size: int = 20) -> list[Person]:
    """The people who spoke for an institution, most appearances first, hidden releases
    left out: all appearances less those in hidden releases, read from an index on
    (affiliation, person), as joining each to its release read a whole large archive."""
    appearances = Appearance.objects.filter(affiliation=institution).order_by()
    counts = Counter(dict(appearances.values_list("person").annotate(n=Count("*"))))
    counts.subtract(dict(appearances.filter(release__hidden=True).values_list("person")
                         .annotate(n=Count("*"))))
    # Only people who can reach the top places are read: those counting at least as many
    # appearances as the last place (ties there are broken by name).
    positive = sorted((n for n in counts.values() if n > 0), reverse=True)
    least = positive[size - 1] if len(positive) >= size else 1
    people = Person.objects.in_bulk([pk for pk, n in counts.items() if n >= least])
    ranked = sorted(people.values(), key=lambda p: (-counts[p.pk], p.name))[:size]
    for person in ranked:
        person.n = counts[person.pk]
    return ranked


def monthly_chart(releases, width: int = 640, height: int = 120) -> dict:
    """Releases per month as bars for a server-drawn SVG chart."""
    rows = list(releases.filter(published__isnull=False).annotate(month=TruncMonth("published"))
                .values_list("month").annotate(n=Count("pk")).order_by("month"))
    if not rows:
        return {}
    first, last = rows[0][0], rows[-1][0]
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    counts = {(m.year, m.month): n for m, n in rows}
    peak = max(counts.values())
    bar = width / months
    bars = []
    for index in range(months):
        year, month = divmod(first.month - 1 + index, 12)
        key = (first.year + year, month + 1)
        n = counts.get(key, 0)
        h = round(height * n / peak, 1)
        bars.append({"x": round(index * bar, 1), "y": round(height - h, 1), "w": max(round(bar - 1, 1), 1),
                     "h": h, "label": f"{key[0]}-{key[1]:02d}: {n}"})
    return {"bars": bars, "width": width, "height": height, "peak": peak,
            "first": f"{first:%b %Y}", "last": f"{last:%b %Y}"}


@require_safe
def person_list(request):
    people = Person.objects.with_counts().filter(release_count__gt=0).order_by(
        "-quote_count", "name")
    return render(request, "archive/person_list.html", {"page_obj": paginate(request, people, 50)})


@require_safe
def person_detail(request, slug: str):
    person = get_object_or_404(Person.objects.public(), slug=slug)
    quotes = (Quote.objects.visible().filter(person=person).select_related("release")
              .order_by("-release__published", "release_id", "position"))
    context = {
        "person": person,
        "page_obj": paginate(request, quotes),
        "affiliations": Institution.objects.filter(
            appearances__person=person, appearances__release__hidden=False)
        .annotate(n=Count("appearances")).order_by("-n", "name"),
        "roles": Appearance.objects.filter(person=person, release__hidden=False)
        .exclude(role="").select_related("release", "affiliation")
        .order_by("-release__published")[:30],
    }
    return render(request, "archive/person_detail.html", context)


@require_safe
def quote_list(request):
    filterset = QuoteFilter(request.GET or None, queryset=Quote.objects.visible())
    page = paginate(request, filterset.results().select_related("release", "person", "institution"),
                    seen=len(filterset.window))
    query = filterset.query
    extracts = search.snippets(Quote, [q.pk for q in page], query, "text",
                               "archive_quote_fts", 0) if query else {}
    for quote in page:
        quote.snippet = highlighted(extracts.get(quote.pk) or quote.text)
    context = {"filter": filterset, "page_obj": page, "query": query,
               "chips": chips(filterset) if filterset.is_bound else []}
    return render(request, "archive/quote_list.html", context)


@require_safe
def topic_detail(request, slug: str):
    topic = get_object_or_404(Topic, slug=slug)
    releases = topic.releases.visible()
    yearly = (releases.filter(published__isnull=False).annotate(year=TruncYear("published"))
              .values_list("year").annotate(n=Count("pk")).order_by("year"))
    context = {
        "topic": topic,
        "page_obj": paginate(request, releases.for_listing().order_by("-published", "-id")),
        "years": [(year.year, n) for year, n in yearly],
        "quotes": Quote.objects.visible().filter(release__topics=topic)
        .select_related("release", "person", "institution")
        .order_by("-release__published", "position")[:20],
    }
    return render(request, "archive/topic_detail.html", context)


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /releases/export",
             "Disallow: /quotes/export", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


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
