from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from archive.ingest.store import RELEASE_FIELDS
from archive.models import (
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


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["origin", "media_type", "encoding", "size", "imported_at", "parser_version"]
    list_filter = ["media_type", "encoding", "parser_version"]
    search_fields = ["origin", "sha256"]
    date_hierarchy = "imported_at"
    exclude = ["content"]
    show_full_result_count = False

    # The original bytes are evidence: nobody edits or deletes them by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReleaseCountMixin:
    """A "Releases" column counted in the list's own query, not one query per row."""

    def get_queryset(self, request):
        # Explicit order: Meta.ordering does not apply to an aggregated (GROUP BY) queryset.
        return (
            super().get_queryset(request).annotate(release_count=Count("releases")).order_by("name")
        )

    @admin.display(description="Releases", ordering="release_count")
    def release_count(self, obj):
        return obj.release_count


class InstitutionAliasInline(admin.TabularInline):
    model = InstitutionAlias
    extra = 1


@admin.register(Institution)
class InstitutionAdmin(ReleaseCountMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "country", "parent", "release_count"]
    list_filter = ["kind", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases__name"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [InstitutionAliasInline]


class PersonAliasInline(admin.TabularInline):
    model = PersonAlias
    extra = 1


@admin.register(Person)
class PersonAdmin(ReleaseCountMixin, admin.ModelAdmin):
    list_display = ["name", "release_count"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PersonAliasInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name"]}


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    autocomplete_fields = ["person", "affiliation"]


class QuoteInline(admin.StackedInline):
    model = Quote
    extra = 0
    autocomplete_fields = ["person", "institution"]
    fields = ["position", ("person", "institution"), "role", "kind", "text", "verified"]


# Fields whose curated value an import never overwrites (see archive.ingest.store).
CURATABLE_FIELDS = {*RELEASE_FIELDS, "institutions", "topics"}


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["title", "published", "source", "reviewed", "hidden"]
    list_filter = ["reviewed", "hidden", "source", "topics", "institutions"]
    list_select_related = ["document"]
    search_fields = ["title", "body"]
    date_hierarchy = "published"
    autocomplete_fields = ["institutions", "topics"]
    readonly_fields = ["provenance", "curated_fields", "created", "updated"]
    inlines = [AppearanceInline, QuoteInline]
    show_full_result_count = False

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

    @admin.display(description="Original document")
    def provenance(self, obj):
        document = obj.document
        return format_html(
            "{} · SHA-256 <code>{}</code> · imported {} · parser {}",
            document.origin, document.sha256, document.imported_at, document.parser_version,
        )


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["__str__", "speaker_name", "kind", "verified", "release"]
    list_filter = ["verified", "kind"]
    list_select_related = ["person", "institution", "release"]
    search_fields = ["text", "person__name", "institution__name"]
    autocomplete_fields = ["release", "person", "institution"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        release = obj.release
        if "quotes" not in release.curated_fields:
            release.curated_fields = sorted({*release.curated_fields, "quotes"})
            Release.objects.filter(pk=release.pk).update(curated_fields=release.curated_fields)

    @admin.display(description="Speaker")
    def speaker_name(self, obj):
        return obj.speaker
