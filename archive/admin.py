"""The curators' admin: fix and enrich what the importer extracted, quickly and safely."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import ngettext

from archive import merge, search
from archive.harvest.harvester import harvest
from archive.ingest.store import RELEASE_FIELDS, reextract, retag
from archive.models import (
    Appearance,
    Document,
    HarvestRun,
    Institution,
    InstitutionAlias,
    Person,
    PersonAlias,
    Quote,
    Release,
    Source,
    Topic,
    count_of,
)

# Fields whose curated value an import never overwrites (see archive.ingest.store).
CURATABLE_FIELDS = {*RELEASE_FIELDS, "institutions", "topics", "issuer"}


def _unix_newlines(value):
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class CuratorForm(forms.ModelForm):
    """Browsers send a textarea's line breaks as CRLF: every text field compares and saves
    them as the stored text has them (LF), so a field counts as changed only when its text
    did, and a field left alone is saved exactly as it was read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.to_python = _normalising(field.to_python)
                field.has_changed = _comparing_normalised(field)

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if (isinstance(field, forms.CharField) and name in cleaned
                    and name not in self.changed_data and self.instance.pk):
                cleaned[name] = getattr(self.instance, name, cleaned[name])
        return cleaned


def _normalising(to_python):
    return lambda value: to_python(_unix_newlines(value))


def _comparing_normalised(field):
    """has_changed() over both sides normalised: a value stored before with CRLF (or with
    the spaces a form strips) is not "changed" by a form that sends it back unedited."""
    has_changed = field.has_changed
    return lambda initial, data: has_changed(
        field.to_python(initial) if isinstance(initial, str) else initial, data)


class AutocompleteFilter(admin.SimpleListFilter):
    """Narrows a list to one related record picked by typing its name in the admin's own
    autocomplete box: listing every institution as a link ran to thousands. `field_name` is
    the relation on the listed model; its model's admin needs `search_fields`."""

    template = "admin/archive/autocomplete_filter.html"
    field_name: str

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        field = model._meta.get_field(self.field_name)
        chosen = self.value() if (self.value() or "").isdigit() else None
        picker = forms.ModelChoiceField(
            field.related_model.objects.all(), required=False,
            widget=AutocompleteSelect(field, model_admin.admin_site,
                                      attrs={"id": f"filter-{self.parameter_name}"}))
        self.picker = picker.widget.render(self.parameter_name, chosen)
        # The list's other parameters ride along when a record is picked.
        self.kept = [(name, value) for name, values in request.GET.lists()
                     if name not in (self.parameter_name, "p", "e") for value in values]

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not self.value().isdigit():
            raise IncorrectLookupParameters(f"{self.title} must be picked from the list.")
        return linked_to(queryset, self.field_name, self.value())


def linked_to(queryset, field_name: str, value):
    """Rows related to the record `value` through `field_name`. A many-to-many relation is
    read from its link table's ids, not joined: a join repeats a release once per link and
    DISTINCT then compares whole rows, bodies included (seconds for a bank's 400,000
    releases)."""
    field = queryset.model._meta.get_field(field_name)
    if not field.many_to_many:
        return queryset.filter(**{field_name: value})
    links = field.remote_field.through.objects.filter(**{field.m2m_reverse_field_name(): value})
    return search.among(queryset, links.values(field.m2m_field_name()))


class TopicFilter(admin.SimpleListFilter):
    """A release's topics, a link each (the taxonomy is short), read as linked_to does."""

    title = "topic"
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        return Topic.objects.values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not str(self.value()).isdigit():  # a number when the admin counts each topic
            raise IncorrectLookupParameters("topic must be picked from the list.")
        return linked_to(queryset, "topics", self.value())


class InstitutionFilter(AutocompleteFilter):
    title = "institution"
    parameter_name = "institution"
    field_name = "institutions"


class StatementInstitutionFilter(AutocompleteFilter):
    title = "institution"
    parameter_name = "institution"
    field_name = "institution"


def valid_search(request, search_term: str, validate) -> bool:
    """Whether the admin's search can be run as the public lists would run it; if not, the
    curator is told why (and the list is empty)."""
    try:
        validate(search_term)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    return True


class HiddenFilter(admin.SimpleListFilter):
    """Hidden or shown. Shown releases are those not among the few hidden ones (read from
    their partial index): `hidden = false` made SQLite test every release's row, as the
    column is stored after the body."""

    title = "hidden"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("1", "Hidden"), ("0", "Shown")]

    def queryset(self, request, queryset):
        hidden = Release.objects.filter(hidden=True)
        if self.value() == "1":
            return queryset.filter(pk__in=hidden.values("pk"))
        if self.value() == "0":
            return queryset.exclude(pk__in=hidden.values("pk"))
        return queryset


class CuratorAdmin(admin.ModelAdmin):
    form = CuratorForm
    # Rows whose deletion would take archived records with them (a release, or the
    # statements of an institution) are removed by a superuser only: curators hide a
    # release, or merge a duplicate name.
    superuser_deletes = False

    def has_delete_permission(self, request, obj=None):
        if self.superuser_deletes and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # A save that changes nothing writes nothing (not even the time it was updated).
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

    @property
    def media(self):
        # The autocomplete filters' scripts, merged with the admin's own (one jQuery).
        return super().media + AutocompleteSelect(None, self.admin_site).media


def distinct_values(queryset, field: str) -> list:
    """The distinct values of an indexed column, each read as the first above the one
    before, NULL last when there is one: a look-up a value, where DISTINCT reads every row."""
    values, rest = [], queryset.exclude(**{f"{field}__isnull": True})
    while (value := rest.order_by(field).values_list(field, flat=True).first()) is not None:
        values.append(value)
        rest = queryset.filter(**{f"{field}__gt": value})
    if queryset.model._meta.get_field(field).null and queryset.filter(
            **{f"{field}__isnull": True}).exists():
        values.append(None)
    return values


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by each value of a column, its values found along the column's index
    (distinct_values): the few media types of a million documents in a few look-ups."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = distinct_values(model_admin.get_queryset(request), field_path)


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["origin", "media_type", "encoding", "size", "imported_at", "parser_version"]
    list_filter = [("media_type", IndexedValuesFilter), ("encoding", IndexedValuesFilter),
                   ("parser_version", IndexedValuesFilter)]
    search_fields = ["origin", "sha256"]  # as get_search_results reads them
    search_help_text = "Words of the file name or address, or the start of the SHA-256."
    date_hierarchy = "imported_at"
    exclude = ["content"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")  # the list never shows it

    def get_search_results(self, request, queryset, search_term):
        """Each word (or "quoted words") of the search in the origin, looked for along its
        index (each row's origin lies after its content, which a scan of the table would
        read past for every document), or the start of the SHA-256, a range of the unique
        index."""
        for bit in smart_split(search_term):
            if bit[:1] in "\"'" and bit[:1] == bit[-1:] and len(bit) > 1:
                bit = unescape_string_literal(bit)
            found = Q(pk__in=Document.objects.filter(origin__icontains=bit).values("pk"))
            if re.fullmatch(r"[0-9a-fA-F]{4,64}", bit):
                start = bit.lower()
                # Every hexadecimal text starting with `start` sorts before start + "g".
                found |= Q(sha256__gte=start, sha256__lt=start + "g")
            queryset = queryset.filter(found)
        return queryset, False

    # The original bytes are evidence: nobody edits or deletes them by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MergeAction:
    """The "Merge into…" action: a confirmation page lists what will move, and the merge
    runs in one transaction when the curator confirms it."""

    merge_impact = None  # function: duplicate -> {what: count}
    merge_into = None  # function: (survivor, duplicates) -> merged names

    @admin.action(description="Merge selected into one…", permissions=["change"])
    def merge_selected(self, request, queryset):
        chosen = list(queryset.order_by("name"))
        if len(chosen) < 2:
            self.message_user(request, "Select at least two to merge.", messages.WARNING)
            return None
        if request.POST.get("confirm") == "yes":
            survivor = next((c for c in chosen if str(c.pk) == request.POST.get("survivor")), None)
            if survivor is None:
                self.message_user(request, "Choose which one to keep.", messages.ERROR)
                return None
            merged = type(self).merge_into(survivor, [c for c in chosen if c.pk != survivor.pk])
            self.message_user(request, f"Merged {', '.join(merged)} into {survivor}; their "
                              "names are kept as aliases.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {self.opts.verbose_name_plural}",
            "opts": self.opts,
            # The one most linked to comes first and is proposed as the one to keep.
            "rows": sorted(((c, type(self).merge_impact(c)) for c in chosen),
                           key=lambda row: -sum(row[1].values())),
            "action": "merge_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/merge_confirm.html", context)


class InstitutionAliasInline(admin.TabularInline):
    form = CuratorForm
    model = InstitutionAlias
    extra = 1


class BranchInline(admin.TabularInline):
    form = CuratorForm
    model = Institution
    fk_name = "parent"
    fields = ["name", "kind", "country"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "branch or subsidiary"
    verbose_name_plural = "branches and subsidiaries"

    def has_add_permission(self, request, obj=None):
        return False


class CountedAdmin:
    """Releases and statements of each institution or person, hidden ones included (the
    curators see everything), as sortable columns."""

    def get_queryset(self, request):
        field = self.model._meta.model_name  # "institution" or "person"
        return super().get_queryset(request).annotate(
            release_count=count_of(self.model.releases.rel.through.objects.all(), field),
            quote_count=count_of(Quote.objects.all(), field),
        )

    @admin.display(description="Releases", ordering="release_count")
    def release_count(self, obj):
        return obj.release_count

    @admin.display(description="Statements", ordering="quote_count")
    def quote_count(self, obj):
        return obj.quote_count


@admin.register(Institution)
class InstitutionAdmin(CountedAdmin, MergeAction, CuratorAdmin):
    list_display = ["name", "kind", "country", "parent", "release_count", "quote_count"]
    list_filter = ["kind", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases__name"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [InstitutionAliasInline, BranchInline]
    actions = ["merge_selected"]
    show_full_result_count = False
    superuser_deletes = True
    merge_impact = staticmethod(merge.institution_impact)
    merge_into = staticmethod(merge.merge_institutions)


class PersonAliasInline(admin.TabularInline):
    form = CuratorForm
    model = PersonAlias
    extra = 1


class PersonAppearanceInline(admin.TabularInline):
    form = CuratorForm
    model = Appearance
    fields = ["release", "role", "affiliation"]
    readonly_fields = ["release"]
    autocomplete_fields = ["affiliation"]
    extra = 0
    verbose_name_plural = "appearances, with the role stated in each release"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(CountedAdmin, MergeAction, CuratorAdmin):
    list_display = ["name", "release_count", "quote_count"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PersonAliasInline, PersonAppearanceInline]
    actions = ["merge_selected"]
    show_full_result_count = False
    superuser_deletes = True
    merge_impact = staticmethod(merge.person_impact)
    merge_into = staticmethod(merge.merge_people)


@admin.register(Topic)
class TopicAdmin(CuratorAdmin):
    list_display = ["name", "slug", "release_count"]
    search_fields = ["name", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["retag_releases"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            release_count=count_of(Release.topics.through.objects.all(), "topic"))

    @admin.display(description="Releases", ordering="release_count")
    def release_count(self, obj):
        return obj.release_count

    @admin.action(description="Re-tag every release with the current keywords",
                  permissions=["change"])
    def retag_releases(self, request, queryset):
        count = retag(Release.objects.all())
        self.message_user(request, ngettext(
            "Re-tagged %d release (topics a curator chose are kept).",
            "Re-tagged %d releases (topics a curator chose are kept).", count) % count,
            messages.SUCCESS)


class AppearanceInline(admin.TabularInline):
    form = CuratorForm
    model = Appearance
    extra = 0
    autocomplete_fields = ["person", "affiliation"]


class QuoteInline(admin.StackedInline):
    form = CuratorForm
    model = Quote
    extra = 0
    # Folded: a release's dozens of statements made its form many screens tall.
    classes = ["collapse"]
    autocomplete_fields = ["person", "institution"]
    fields = ["position", ("person", "institution"), "role", "kind", "text", "verified"]


@admin.register(Release)
class ReleaseAdmin(CuratorAdmin):
    list_display = ["title", "kind", "published", "source", "reviewed", "hidden", "curated"]
    list_filter = [InstitutionFilter, TopicFilter, "kind",
                   "source", "title_provisional", "reviewed", HiddenFilter]
    # Counted when a curator asks ("Show counts"): each filter's counts read every matching
    # release, seconds for a list of a million on every page turn.
    show_facets = admin.ShowFacets.ALLOW
    search_fields = ["title"]  # widened to the full-text index in get_search_results
    search_help_text = 'Full-text search: words, "exact phrase", OR, -word.'
    date_hierarchy = "published"
    autocomplete_fields = ["institutions", "topics", "issuer"]
    # The original is evidence, fixed at import: a select offering another would also
    # list every document in the archive.
    readonly_fields = ["document", "provenance", "curated_fields", "created", "updated"]
    inlines = [AppearanceInline, QuoteInline]
    actions = ["reextract_releases", "mark_reviewed", "hide_releases", "show_releases"]
    show_full_result_count = False
    superuser_deletes = True

    def has_add_permission(self, request):
        return False  # a release is made by importing its original

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        if not valid_search(request, search_term, search.validate_terms):
            return queryset.none(), False
        return queryset.search(search_term), False

    @admin.display(description="Curated", boolean=True)
    def curated(self, obj):
        return bool(obj.curated_fields)

    @admin.display(description="Original document")
    def provenance(self, obj):
        document = obj.document
        captured = format_html("<br>Fetched {} · WARC record {} in {} at offset {}",
                               document.fetched_at, document.warc_record_id,
                               document.warc_file, document.warc_offset
                               ) if document.warc_file else ""
        return format_html(
            '{} · SHA-256 <code>{}</code> · imported {} · parser {}{}<br>'
            '<a href="{}">Public page</a> · <a href="{}">Download the original bytes</a>',
            document.origin, document.sha256, document.imported_at, document.parser_version,
            captured, obj.get_absolute_url(), reverse("release-original", args=[obj.pk]),
        )

    def save_model(self, request, obj, form, change):
        # A title a curator wrote is no longer the provisional one the importer gave.
        if "title" in form.changed_data:
            obj.title_provisional = False
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            return
        # Remember what the curator changed, so re-import and re-extraction keep it.
        curated = {name for name in form.changed_data if name in CURATABLE_FIELDS}
        for formset in formsets:
            if formset.has_changed():
                curated.add("quotes" if formset.model is Quote else "persons")
        obj = form.instance
        if curated - set(obj.curated_fields):
            obj.curated_fields = sorted(curated | set(obj.curated_fields))
            Release.objects.filter(pk=obj.pk).update(curated_fields=obj.curated_fields)

    @admin.action(description="Re-run extraction (curated fields are kept)",
                  permissions=["change"])
    def reextract_releases(self, request, queryset):
        done, failures = reextract(queryset)
        self.message_user(request, ngettext("Extracted %d release again.",
                                            "Extracted %d releases again.", done) % done,
                          messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Mark as reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self.message_user(request, f"Marked {queryset.update(reviewed=True)} reviewed.")

    @admin.action(description="Hide from the public site", permissions=["change"])
    def hide_releases(self, request, queryset):
        count = queryset.update(hidden=True)
        self.message_user(request, ngettext("Hid %d release.", "Hid %d releases.", count) % count)

    @admin.action(description="Show on the public site", permissions=["change"])
    def show_releases(self, request, queryset):
        count = queryset.update(hidden=False)
        self.message_user(request, ngettext("Showed %d release.", "Showed %d releases.", count)
                          % count)


class SpeakerTypeFilter(admin.SimpleListFilter):
    title = "speaker type"
    parameter_name = "speaker"

    def lookups(self, request, model_admin):
        return [("person", "Person"), ("institution", "Institution")]

    def queryset(self, request, queryset):
        if self.value() == "person":
            return queryset.filter(person__isnull=False)
        if self.value() == "institution":
            return queryset.filter(institution__isnull=False)
        return queryset


class QuoteForm(CuratorForm):
    class Meta:
        model = Quote
        fields = "__all__"
        help_texts = {"person": "A statement has one speaker: a person or an institution."}


@admin.register(Quote)
class QuoteAdmin(CuratorAdmin):
    form = QuoteForm
    list_display = ["excerpt", "speaker_name", "kind", "verified", "release"]
    list_filter = ["verified", "kind", SpeakerTypeFilter,
                   StatementInstitutionFilter]
    list_select_related = ["person", "institution", "release"]
    search_fields = ["text"]  # through the full-text index and the names, in get_search_results
    search_help_text = ('Full-text search of the statements: words, "exact phrase", OR, -word, '
                        "speaker:name; or a speaker's name.")
    # The latest imported release's statements first, each release's in order, along
    # quote_latest_idx (the model's order, by the releases' dates, sorted every statement).
    ordering = ["-release_id", "position"]
    autocomplete_fields = ["release", "person", "institution"]
    actions = ["verify"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        if not valid_search(request, search_term, search.validate_statement_terms):
            return queryset.none(), False
        found = queryset.search(search_term)
        parsed = search.parse_websearch(search_term)
        if parsed.excluded or parsed.fields or any(len(group) > 1 for group in parsed.groups):
            return found, False
        # Plain words: statements holding them, or made by the person or institution so named.
        spoken = Q(person__in=Person.objects.matching(search_term)) | Q(
            institution__in=Institution.objects.matching(search_term))
        return found | queryset.filter(spoken), False

    @admin.display(description="Statement")
    def excerpt(self, obj):
        return obj.text[:90] + ("…" if len(obj.text) > 90 else "")

    @admin.display(description="Speaker")
    def speaker_name(self, obj):
        return obj.speaker

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        release = obj.release
        if "quotes" not in release.curated_fields:
            release.curated_fields = sorted({*release.curated_fields, "quotes"})
            Release.objects.filter(pk=release.pk).update(curated_fields=release.curated_fields)

    @admin.action(description="Mark as verified", permissions=["change"])
    def verify(self, request, queryset):
        count = queryset.update(verified=True)
        self.message_user(request, ngettext("Verified %d statement.", "Verified %d statements.",
                                            count) % count)


RUN_COUNTS = ["discovered", "fetched", "not_modified", "new", "changed", "failed"]


@admin.register(Source)
class SourceAdmin(CuratorAdmin):
    list_display = ["name", "institution", "kind", "url", "interval_minutes", "active",
                    "last_run"]
    list_filter = ["kind", "active", ("institution", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "url"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["institution"]
    readonly_fields = ["recent_runs"]
    actions = ["harvest_now"]

    @admin.display(description="Last run")
    def last_run(self, obj):
        run = obj.runs.first()
        return f"{run.started:%Y-%m-%d %H:%M}: {run.new} new, {run.failed} failed" if run else "—"

    @admin.display(description="Last runs")
    def recent_runs(self, obj):
        runs = obj.runs.all()[:10]
        if not runs:
            return "Not harvested yet."
        heading = format_html_join("", "<th>{}</th>", ((name.replace("_", " "),)
                                                       for name in ["started", *RUN_COUNTS]))
        rows = format_html_join(
            "", '<tr><td><a href="{}">{}</a></td>' + "<td>{}</td>" * len(RUN_COUNTS) + "</tr>",
            ((reverse("admin:archive_harvestrun_change", args=[run.pk]),
              f"{run.started:%Y-%m-%d %H:%M}", *[getattr(run, name) for name in RUN_COUNTS])
             for run in runs))
        return format_html("<table><tr>{}</tr>{}</table>", heading, rows)

    @admin.action(description="Harvest now", permissions=["change"])
    def harvest_now(self, request, queryset):
        runs = harvest(queryset)
        for run in runs:
            level = messages.WARNING if run.failed else messages.SUCCESS
            self.message_user(request, f"Harvested {run.source}: {run.discovered} discovered, "
                                       f"{run.new} new, {run.changed} changed, {run.not_modified} "
                                       f"not modified, {run.failed} failed.", level)
        for source in set(queryset) - {run.source for run in runs}:
            self.message_user(request, f"{source} is being harvested elsewhere: left to it.",
                              messages.WARNING)


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = ["source", "started", "finished", *RUN_COUNTS]
    list_filter = [("source", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "started"
    list_select_related = ["source"]

    # A run is a record of what happened: written by the harvester only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
