"""The only code that turns a list page's query string into a queryset, and its facets.

Many-to-many filters use `pk IN (subquery)` rather than joins, so a release matching two
chosen banks appears once without a DISTINCT over the whole result.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear
from django.utils.functional import cached_property

from archive import search
from archive.models import Appearance, Institution, Person, Quote, Release, Topic

ReleaseInstitution = Release.institutions.through
ReleaseTopic = Release.topics.through

# Lists rank, count, facet and page through RESULT_WINDOW results at most: an exact count,
# facet or ranking of everything a common word matches would read most of a large archive
# on every page view. Beyond it a page says "2,000+" and invites narrowing. The cost of a
# page grows with the window (measured at a million releases: a phrase with a popular bank
# took 300 ms to find 10,000 matches, 60 ms to find 2,000).
RESULT_WINDOW = 2_000

SORTS = [("relevance", "Relevance"), ("newest", "Newest first"), ("oldest", "Oldest first")]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class Year(ExtractYear):
    """The year of a date. SQLite reads it from the ISO text instead of calling back into
    Python for every row, which made the year facet its slowest."""

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(substr({sql}, 1, 4) AS INTEGER)", params


def among(ids: list[int]) -> RawSQL:
    """`ids` as a subquery with one parameter: a literal IN list of thousands of values costs
    the database more to plan than to run."""
    if connection.vendor == "postgresql":
        # Written as the array's text by hand: psycopg adapting a list of 2,000 numbers
        # examined each, for every facet of a page, and took a tenth of the list page.
        return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def latest(queryset, limit: int, order=("-pk",)):
    """The ids of the latest imported `limit` rows of `queryset`, as a subquery."""
    return queryset.order_by(*order).values("pk")[:limit]


class ListFilterSet(django_filters.FilterSet):
    """What list pages, feeds and exports share: results only for valid parameters, and the
    window of results that lists count, rank and facet."""

    newest_first: tuple[str, ...]
    fts_rowid: str  # on SQLite, the search index's own row id (the row's id)

    def window_order(self):
        """The order that picks the window: the latest imported first. The search indexes
        yield matches in that order and stop at the window (SQLite's FTS5 when asked for its
        own rowid), where ordering every match of a common word by date read them all; and
        the window is a sample of every year, not of the last few."""
        if self.searching() and connection.vendor == "sqlite":
            return (F(self.fts_rowid).desc(),)
        return ("-pk",)

    def results(self):
        """The results in the page's order, or none when a parameter is invalid (the page
        says which)."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.ordered()

    def matches(self):
        """Every match, newest first, for feeds and exports (which stream them all), or none
        when a parameter is invalid."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs.order_by(*self.newest_first)

    @cached_property
    def window(self) -> list[int]:
        """The ids of the latest RESULT_WINDOW + 1 results, found once: a page counts them
        ("2,000+" when there are more), ranks them, and its facets count them."""
        if self.is_bound and not self.is_valid():
            return []
        ids = self.qs.order_by(*self.window_order()).values_list("pk", flat=True)
        return list(ids[: RESULT_WINDOW + 1])

    @cached_property
    def in_window(self) -> RawSQL:
        """The window's ids (without the one past it) as a subquery for other queries."""
        return among(self.window[:RESULT_WINDOW])

    def ranked_window(self):
        """The window's rows, ranked for the search words."""
        rows = self.queryset.filter(pk__in=self.in_window).ranked(self.form.cleaned_data["q"])
        if connection.vendor == "sqlite" and self.window:
            # The window holds the latest matches, so FTS5 can start reading its index at
            # the window's first id instead of ranking every match and then discarding most.
            rows = rows.filter(**{f"{self.fts_rowid}__gte": min(self.window[:RESULT_WINDOW])})
        return rows

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def searching(self) -> bool:
        return bool(self.is_bound and self.form.cleaned_data.get("q"))

    @property
    def query(self) -> str:
        """The search words, when there are valid ones."""
        return self.form.cleaned_data.get("q", "") if self.is_bound and self.is_valid() else ""


class ReleaseFilter(ListFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search",
                                  validators=[search.validate_terms])
    institution = django_filters.ModelMultipleChoiceFilter(
        queryset=Institution.objects.all(), to_field_name="slug", method="filter_institution",
        label="Institution")
    person = django_filters.ModelChoiceFilter(
        queryset=Person.objects.all(), to_field_name="slug", method="filter_person",
        label="Person")
    topic = django_filters.ModelMultipleChoiceFilter(
        queryset=Topic.objects.all(), to_field_name="slug", method="filter_topic", label="Topic")
    source = django_filters.CharFilter(field_name="source", lookup_expr="exact", label="Source")
    kind = django_filters.ChoiceFilter(
        choices=Institution.Kind.choices, method="filter_kind", label="Kind of institution")
    date_from = django_filters.DateFilter(
        field_name="published", lookup_expr="gte", label="From", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(
        field_name="published", lookup_expr="lte", label="To", widget=DATE_WIDGET)
    year = django_filters.NumberFilter(field_name="published", lookup_expr="year", label="Year",
                                     min_value=1, max_value=9999)
    sort = django_filters.ChoiceFilter(choices=SORTS, method="filter_sort", empty_label=None,
                                       label="Sort")

    newest_first = ("-published", "-id")
    fts_rowid = "fts__release_id"

    class Meta:
        model = Release
        fields = []

    # An empty multiple choice arrives as an empty queryset, which django-filter does not
    # count as "no value".
    def filter_institution(self, queryset, name, value):
        if not value:
            return queryset
        links = ReleaseInstitution.objects.filter(institution__in=value)
        return queryset.filter(pk__in=links.values("release_id"))

    def filter_person(self, queryset, name, value):
        return queryset.filter(pk__in=Appearance.objects.filter(person=value).values("release_id"))

    def filter_topic(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=ReleaseTopic.objects.filter(topic__in=value).values("release_id"))

    def filter_kind(self, queryset, name, value):
        links = ReleaseInstitution.objects.filter(institution__kind=value)
        return queryset.filter(pk__in=links.values("release_id"))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied by `ordered()`, after every filter

    def ordered(self):
        """The filtered releases in the chosen order: by relevance when searching, among the
        window's matches (ranking every release a common word matches would read the whole
        archive)."""
        sort = self.form.cleaned_data.get("sort") if self.is_bound else ""
        if sort == "oldest":
            return self.qs.order_by("published", "id")
        if self.searching() and sort != "newest":
            return self.ranked_window().order_by("-rank", "-published", "-id")
        return self.qs.order_by(*self.newest_first)

    def without(self, name: str):
        """The releases matching every filter but `name`: a facet's counts ignore their own
        selection, so choosing one bank still shows the others' counts. The form's
        validated values are reused, so no choice is looked up twice."""
        queryset = self.queryset.all()
        for other, value in (self.form.cleaned_data if self.is_bound else {}).items():
            if other != name:
                queryset = self.filters[other].filter(queryset, value)
        return queryset.order_by()


class QuoteFilter(ListFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search statements",
                                  validators=[search.validate_terms])
    speaker = django_filters.ModelChoiceFilter(
        queryset=Person.objects.all(), to_field_name="slug", field_name="person", label="Speaker")
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(), to_field_name="slug", method="filter_institution",
        label="Speaker's institution")
    kind = django_filters.ChoiceFilter(
        choices=Institution.Kind.choices, method="filter_kind", label="Kind of institution")
    topic = django_filters.ModelChoiceFilter(
        queryset=Topic.objects.all(), to_field_name="slug", method="filter_topic", label="Topic")
    date_from = django_filters.DateFilter(
        field_name="release__published", lookup_expr="gte", label="From", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(
        field_name="release__published", lookup_expr="lte", label="To", widget=DATE_WIDGET)

    newest_first = ("-release__published", "-release_id", "position")
    fts_rowid = "fts__quote_id"

    class Meta:
        model = Quote
        fields = []

    def _spoke_for(self, condition: Q):
        """Statements by an institution matching `condition`, or by a person whose stated
        affiliation in that release matches it."""
        affiliated = Appearance.objects.filter(
            release=OuterRef("release"), person=OuterRef("person"),
            **{f"affiliation__{k}": v for k, v in condition.children},
        )
        institution = Q(**{f"institution__{k}": v for k, v in condition.children})
        return institution | Q(Exists(affiliated))

    def filter_institution(self, queryset, name, value):
        return queryset.filter(self._spoke_for(Q(pk=value.pk)))

    def filter_kind(self, queryset, name, value):
        return queryset.filter(self._spoke_for(Q(kind=value)))

    def filter_topic(self, queryset, name, value):
        links = ReleaseTopic.objects.filter(topic=value)
        return queryset.filter(release_id__in=links.values("release_id"))

    def ordered(self):
        if self.searching():
            return self.ranked_window().order_by("-rank", "-release__published", "position")
        return self.qs.order_by(*self.newest_first)


@dataclass
class Option:
    label: str
    count: int
    selected: bool
    href: str


def toggle(params, name: str, value: str) -> str:
    """The query string with `value` added to or removed from `name`, back on page one."""
    data = params.copy()
    data.pop("page", None)
    values = data.getlist(name)
    data.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return "?" + urlencode(sorted(data.lists()), doseq=True)


def release_facets(filterset: ReleaseFilter, size: int = 12) -> dict[str, list[Option]]:
    """Counts for each filter's options over the current result (its window of
    RESULT_WINDOW releases), one query per facet."""
    params = filterset.data
    chosen = {name: set(params.getlist(name)) for name in ("institution", "topic", "source",
                                                           "kind", "year")}

    def options(rows, name, label=lambda v: v):
        return [Option(str(label(value)), count, str(value) in chosen[name],
                       toggle(params, name, str(value))) for value, count in rows]

    def within(name):
        """The releases a facet counts: the page's window, unless the facet's own filter is
        set, when its counts ignore that choice (choosing one bank still shows the others)."""
        if params.get(name):
            return latest(filterset.without(name), RESULT_WINDOW, filterset.window_order())
        return filterset.in_window

    def linked(name, through, field):
        rows = (through.objects.filter(release_id__in=within(name))
                .values_list(f"{field}__slug", f"{field}__name")
                .annotate(n=Count("release_id")).order_by("-n", f"{field}__name")[:size])
        names = {slug: title for slug, title, _ in rows}
        return options([(slug, n) for slug, _, n in rows], name, names.get)

    kinds = dict(Institution.Kind.choices)
    kind_rows = (ReleaseInstitution.objects
                 .filter(release_id__in=within("kind"))
                 .values_list("institution__kind")
                 .annotate(n=Count("release_id", distinct=True)).order_by("-n"))
    source_rows = (Release.objects.filter(pk__in=within("source"))
                   .exclude(source="").values_list("source")
                   .annotate(n=Count("pk")).order_by("-n", "source")[:size])
    year_rows = (Release.objects.filter(pk__in=within("year"))
                 .filter(published__isnull=False)
                 .annotate(y=Year("published")).values_list("y")
                 .annotate(n=Count("pk")).order_by("-y"))
    return {
        "institution": linked("institution", ReleaseInstitution, "institution"),
        "topic": linked("topic", ReleaseTopic, "topic"),
        "kind": options(kind_rows, "kind", kinds.get),
        "source": options(source_rows, "source"),
        "year": options(year_rows, "year"),
    }


def chips(filterset) -> list[Option]:
    """Each active filter value, with the link that removes it."""
    params = filterset.data
    cleaned = filterset.form.cleaned_data if filterset.is_valid() else {}
    labels = {"kind": dict(Institution.Kind.choices)}
    for name in ("institution", "topic", "person", "speaker"):
        value = cleaned.get(name)  # chosen objects, already fetched by the form
        objects = value if hasattr(value, "__iter__") else [value] if value else []
        labels[name] = {o.slug: o.name for o in objects}
    result = []
    for name, field in filterset.filters.items():
        if name == "sort":
            continue
        for value in params.getlist(name):
            if value:
                label = labels.get(name, {}).get(value, value)
                result.append(Option(f"{field.label}: {label}", 0, True, toggle(params, name, value)))
    return result
