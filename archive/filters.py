"""The only code that turns a list page's query string into a queryset, and its facets.

Many-to-many filters use `pk IN (subquery)` rather than joins, so a release matching two
chosen banks appears once without a DISTINCT over the whole result.
"""

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import ExtractYear

from archive import search
from archive.models import NEWEST_FIRST, Appearance, Institution, Person, Quote, Release, Topic
from archive.search_index import Criteria, Facets, get_index

ReleaseInstitution = Release.institutions.through
ReleaseTopic = Release.topics.through

# Short lists that have no search index (people) are counted up to RESULT_WINDOW; past it a
# page says "2,000+". Releases and statements are counted exactly by the search index.
RESULT_WINDOW = 2_000

SORTS = [("relevance", "Relevance"), ("newest", "Newest first"), ("oldest", "Oldest first")]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class Year(ExtractYear):
    """The year of a date. SQLite reads it from the ISO text instead of calling back into
    Python for every row, which made the year facet its slowest."""

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(substr({sql}, 1, 4) AS INTEGER)", params


class ListForm(forms.Form):
    """The fields of a list page, checked together: a date range must run forwards."""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                f"“From” ({start.day} {start:%B %Y}) is after “To” ({end.day} {end:%B %Y}): "
                "no date lies between them. Swap the two dates.", code="reversed_dates")
        return data


class FallbackChoiceField(django_filters.fields.ChoiceField):
    """A choice that, when unknown, counts as not given: a mistyped ?sort= keeps the list."""

    def clean(self, value):
        return value if self.valid_value(value) else ""


class FallbackChoiceFilter(django_filters.ChoiceFilter):
    field_class = FallbackChoiceField


class ListFilterSet(django_filters.FilterSet):
    """What list pages, feeds and exports share: results only for valid parameters. Pages
    ask the search index (criteria); feeds and exports the database (matches())."""

    # Where a date-ordered page starts: the last key of the page before (a search index's
    # sort key).
    after = django_filters.NumberFilter(method="filter_sort", label="After", min_value=0)

    newest_first: tuple[str, ...]

    def matches(self):
        """Every match, newest first, for feeds and exports (which stream them all), or none
        when a parameter is invalid."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs.order_by(*self.newest_first)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_sort(self, queryset, name, value):
        return queryset  # the order and where a page starts are the search index's

    def searching(self) -> bool:
        """Whether the search holds words to rank by: speaker: alone only narrows."""
        return bool(self.is_bound and search.parse_websearch(
            self.form.cleaned_data.get("q") or "").ranks())

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
    document = django_filters.ChoiceFilter(
        choices=Release.Kind.choices, field_name="kind", label="Kind of document")
    country = django_filters.CharFilter(method="filter_country", label="Country")
    date_from = django_filters.DateFilter(
        field_name="published", lookup_expr="gte", label="From", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(
        field_name="published", lookup_expr="lte", label="To", widget=DATE_WIDGET)
    year = django_filters.NumberFilter(field_name="published", lookup_expr="year", label="Year",
                                     min_value=1, max_value=9999)
    month = django_filters.NumberFilter(method="filter_month", label="Month", min_value=1,
                                      max_value=12)
    sort = FallbackChoiceFilter(choices=SORTS, method="filter_sort", empty_label=None,
                                label="Sort")

    newest_first = NEWEST_FIRST

    class Meta:
        model = Release
        fields = []
        form = ListForm

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

    def filter_country(self, queryset, name, value):
        links = ReleaseInstitution.objects.filter(institution__country=value)
        return queryset.filter(pk__in=links.values("release_id"))

    @cached_property
    def criteria(self) -> Criteria:
        """The valid parameters as a question for the search index (made once: it looks up
        the people a search names)."""
        data = self.form.cleaned_data if self.is_bound else {}
        year = data.get("year")
        return Criteria(
            text=data.get("q") or "",
            institutions=tuple(sorted(i.pk for i in data.get("institution") or ())),
            topics=tuple(sorted(t.pk for t in data.get("topic") or ())),
            person=data["person"].pk if data.get("person") else None,
            source=data.get("source") or "",
            kind=data.get("kind") or "",
            document=data.get("document") or "",
            country=data.get("country") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            year=int(year) if year is not None else None,
            month=int(data["month"]) if data.get("month") is not None and year is not None
            else None,
        )

    @property
    def order(self) -> str:
        """"relevance" when searching (unless asked otherwise), else "newest" or "oldest"."""
        sort = self.form.cleaned_data.get("sort") if self.is_bound else ""
        if sort in ("newest", "oldest"):
            return sort
        return "relevance" if self.searching() else "newest"

    def filter_month(self, queryset, name, value):
        # A month is a month of the chosen year; without one it is ignored.
        if self.form.cleaned_data.get("year") is None:
            return queryset
        return queryset.filter(published__month=value)


class QuoteFilter(ListFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search statements",
                                  validators=[search.validate_statement_terms])
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

    newest_first = (F("release__published").desc(nulls_last=True), "-release_id", "position")

    class Meta:
        model = Quote
        fields = []
        form = ListForm

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

    @cached_property
    def criteria(self) -> Criteria:
        """The valid parameters as a question for the statements' search index."""
        data = self.form.cleaned_data if self.is_bound else {}
        return Criteria(
            text=data.get("q") or "",
            institutions=(data["institution"].pk,) if data.get("institution") else (),
            topics=(data["topic"].pk,) if data.get("topic") else (),
            person=data["speaker"].pk if data.get("speaker") else None,
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _countries():
    return [(c, c) for c in Institution.objects.exclude(country="").order_by("country")
            .values_list("country", flat=True).distinct()]


class InstitutionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Institution.Kind.choices, label="Kind",
                                       empty_label="Any kind")
    country = django_filters.ChoiceFilter(choices=_countries, label="Country",
                                          empty_label="Any country")

    class Meta:
        model = Institution
        fields = []


@dataclass
class Option:
    label: str
    count: int
    selected: bool
    href: str
    about: bool = False  # the count comes from a sample


def toggle(params, name: str, value: str) -> str:
    """The query string with `value` added to or removed from `name`, back on page one."""
    data = params.copy()
    data.pop("page", None)
    data.pop("after", None)
    values = data.getlist(name)
    data.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return _query_string(data)


def _query_string(data) -> str:
    return "?" + urlencode(sorted(data.lists()), doseq=True)


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def release_facets(filterset: ReleaseFilter, size: int = 12
                   ) -> tuple[Facets, dict[str, list[Option]], dict[str, str]]:
    """The index's counts (the number of results, and whether it is estimated), each
    filter's options with their counts, over every match (from the search index; past
    EXACT_UP_TO matches of search words, estimated from a sample), and for each facet cut
    to its `size` largest options the link that shows them all (`more=<facet>`). A facet
    whose own filter is set counts as if it were not (choosing one bank still shows the
    others'). Months are offered once a year is chosen."""
    params = filterset.data
    criteria = filterset.criteria
    names = ["institution", "topic", "document", "country", "kind", "source", "year"]
    if criteria.year is not None:
        names.append("month")
    found = get_index().facets(criteria, names)
    chosen = {name: set(params.getlist(name)) for name in names}
    expanded = params.get("more", "")
    more = {}

    def options(rows, name, label=lambda v: v):
        return [Option(str(label(value)), count, str(value) in chosen[name],
                       toggle(params, name, str(value)), name in found.sampled)
                for value, count in rows]

    def cut(rows, name, available=None):
        """`rows` (of `available` options, when fewer were read) cut to `size` unless all of
        this facet's options are asked for."""
        if (len(rows) if available is None else available) > size and expanded != name:
            more[name] = replaced(params, more=name)
            return rows[:size]
        return rows

    def largest(name):
        return cut(sorted(found.counts[name], key=lambda row: (-row[1], str(row[0]))), name)

    def named(name, model):
        rows = found.counts[name]
        if len(rows) > size and expanded != name:
            # Only the options shown are looked up (a bank's search counts hundreds of
            # institutions): the largest, and those tied with the last of them.
            least = sorted((n for _, n in rows), reverse=True)[size - 1]
            rows = [row for row in rows if row[1] >= least]
        names = {pk: (slug, label) for pk, slug, label in model.objects.filter(
            pk__in=[pk for pk, _ in rows]).values_list("pk", "slug", "name")}
        rows = sorted(((names[pk], n) for pk, n in rows if pk in names),
                      key=lambda row: (-row[1], row[0][1]))
        labels = dict(slug_and_name for slug_and_name, _ in rows)
        shown = cut([(slug, n) for (slug, _), n in rows], name, len(found.counts[name]))
        return options(shown, name, labels.get)

    facets = {
        "institution": named("institution", Institution),
        "topic": named("topic", Topic),
        "document": options(largest("document"), "document", dict(Release.Kind.choices).get),
        "country": options(largest("country"), "country"),
        "kind": options(largest("kind"), "kind", dict(Institution.Kind.choices).get),
        "source": options(largest("source"), "source"),
        "year": options(sorted(found.counts["year"], reverse=True), "year"),
    }
    if "month" in found.counts:
        months = sorted((yyyymm % 100, n) for yyyymm, n in found.counts["month"])
        facets["month"] = options(months, "month", lambda m: MONTHS[m - 1])
    return found, facets, more


def replaced(params, **values) -> str:
    """The query string with each of `values` set in place of what it was."""
    data = params.copy()
    for name, value in values.items():
        data[name] = value
    return _query_string(data)


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
        if name in ("sort", "after"):
            continue
        for value in params.getlist(name):
            if value:
                label = labels.get(name, {}).get(value, value)
                result.append(Option(f"{field.label}: {label}", 0, True, toggle(params, name, value)))
    return result
