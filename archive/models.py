import re
from datetime import timedelta
from pathlib import PurePath

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils.text import slugify

from archive import search
from archive.search import SearchDocument


models.CharField.register_lookup(Lower)


def lowered(name: str) -> Lower:
    """`name` lower-cased by the database itself, so that a lookup compares like with like
    and uses the case-insensitive unique index on LOWER(name)."""
    return Lower(Value(name.strip(), output_field=models.CharField()))


def base_slug(text: str, fallback: str, max_length: int = 80) -> str:
    """The slug of `text`; Chinese and other scripts are kept."""
    return slugify(text, allow_unicode=True)[:max_length].strip("-") or fallback


def unique_slug(model, text: str, fallback: str, max_length: int = 80) -> str:
    """A slug for `text` not yet used by `model`."""
    base = base_slug(text, fallback, max_length)
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return slug


class Document(models.Model):
    """The original bytes of one imported file, exactly as read. Written once, never changed:
    every record can be re-extracted from it, and nothing imported is ever lost."""

    content = models.BinaryField()
    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    origin = models.CharField(max_length=2000, help_text="Original file name or URL.")
    media_type = models.CharField(max_length=100)
    encoding = models.CharField(max_length=40, blank=True, help_text="Detected encoding.")
    size = models.PositiveBigIntegerField(help_text="Size in bytes.")
    imported_at = models.DateTimeField(auto_now_add=True)
    parser_version = models.CharField(max_length=20)
    # A harvested page's capture: when it was fetched, its validators for the next
    # conditional GET, and the WARC response record its bytes are the body of. Null for a
    # file imported from disk; nullable without defaults, so SQLite adds them in place.
    fetched_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField("ETag", max_length=500, null=True, blank=True)
    last_modified = models.CharField(max_length=100, null=True, blank=True)
    warc_file = models.CharField("WARC file", max_length=300, null=True, blank=True,
                                 help_text="The file's name in WARC_DIR.")
    warc_offset = models.PositiveBigIntegerField("WARC offset", null=True, blank=True)
    warc_record_id = models.CharField("WARC record", max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        # The admin's list of a million documents reads its page, and the values its
        # filters offer, along these indexes (archive.admin).
        indexes = [models.Index(fields=["origin"], name="document_origin_idx"),
                   models.Index(fields=["-imported_at", "-id"], name="document_imported_idx"),
                   models.Index(fields=["media_type"], name="document_media_type_idx"),
                   models.Index(fields=["encoding"], name="document_encoding_idx"),
                   models.Index(fields=["parser_version"], name="document_parser_idx")]

    def __str__(self):
        return f"{self.origin} ({self.sha256[:12]})"

    @property
    def file_name(self) -> str:
        """The original's name without the folders of the machine that imported it."""
        return PurePath(self.origin).name or self.origin

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A Document is written once and never changed.")
        super().save(*args, **kwargs)

    @property
    def reading_name(self) -> str:
        """The name the reader is given: a page fetched from an address without a suffix is
        still read as the HTML it was served as."""
        if self.media_type == "text/html" and not self.file_name.lower().endswith(
                (".html", ".htm", ".xhtml")):
            return f"{self.file_name}.html"
        return self.file_name

    def versions(self):
        """Every document archived from the same file or address, oldest first: a page
        fetched again with other content, or a file imported again changed."""
        return Document.objects.filter(origin=self.origin).defer("content").order_by(
            "imported_at", "pk")


class WithoutSearchVector(models.Manager):
    """Rows read without their `search_vector`: the database's own search reads that column
    where it is stored, no page shows it, and on PostgreSQL a release's is larger than its
    body. Rows of this model read through another's `select_related` defer it by name."""

    def get_queryset(self):
        return super().get_queryset().defer("search_vector")


class NamedQuerySet(models.QuerySet):
    """Institutions and people: found by name or alias, counted by releases and statements."""

    def named(self, name: str):
        """Rows whose name or one of whose aliases is `name`, ignoring case."""
        aliases = self.model._meta.get_field("aliases")
        matching = aliases.related_model.objects.filter(name__lower=lowered(name))
        return self.filter(
            Q(name__lower=lowered(name)) | Q(pk__in=matching.values(aliases.field.attname))
        )

    def matching(self, text: str):
        """Rows named or aliased `text`; failing that, those whose name or an alias holds
        each word of it as a word, ignoring case ("Gongsheng" finds "Pan Gongsheng")."""
        exact = self.named(text)
        if exact.exists():
            return exact
        words = [w.casefold() for w in re.findall(r"\w+", text)]
        if not words:
            return self.none()
        aliases = self.model._meta.get_field("aliases")
        names = Q(*(Q(name__icontains=w) for w in words))
        candidates = [*self.filter(names).values_list("name", "pk"),
                      *aliases.related_model.objects.filter(names)
                      .values_list("name", aliases.field.attname)]
        # The database finds the names holding each word somewhere ("yi" in "Zhu Yiming");
        # the words are then compared whole.
        found = {pk for name, pk in candidates
                 if set(words) <= {w.casefold() for w in re.findall(r"\w+", name)}}
        return self.filter(pk__in=found)

    def ids_by_name(self, names) -> dict[str, int]:
        """The primary key of each of `names` that is a row's name, ignoring case, in one
        query; names of no row are left out. An import asks this at nearly every document:
        written in SQL, because Django took longer to compile the query than the database
        to answer it. LOWER(name) is what the case-insensitive unique index holds."""
        wanted = {name.lower(): name for name in names}
        if not wanted:
            return {}
        connection = connections[self.db]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT LOWER(name), id FROM {table} "
                           f"WHERE LOWER(name) IN ({', '.join(['%s'] * len(wanted))})",
                           list(wanted))
            return {wanted[lower]: pk for lower, pk in cursor.fetchall() if lower in wanted}

    def ids_by_alias(self) -> dict[str, int]:
        """Every alias, case-folded, and the primary key of its row."""
        aliases = self.model._meta.get_field("aliases")
        rows = aliases.related_model.objects.order_by().values_list("name", aliases.field.attname)
        return {name.casefold(): pk for name, pk in rows}

    def public(self):
        """Rows named in a visible release: one named only in hidden releases is not shown
        on the public site (its page, feeds and sitemap entry would reveal it)."""
        field = self.model._meta.model_name  # "institution" or "person"
        links = self.model.releases.rel.through.objects.filter(
            **{field: OuterRef("pk")}, release__hidden=False)
        # The first visible release along the index of links by institution (or person) and
        # release, not EXISTS: PostgreSQL plans an EXISTS for the links of an average row (a
        # few thousand) and reads every link of a large bank's into a bitmap first (400,000
        # at a million releases: 3–17 ms for its page, against 0.3).
        first_visible = Subquery(links.order_by("release_id").values("release_id")[:1])
        return self.alias(first_visible=first_visible).filter(first_visible__isnull=False)

    def with_counts(self):
        """Annotate visible releases and statements, for lists and facets."""
        field = self.model._meta.model_name  # "institution" or "person"
        return self.annotate(
            release_count=visible_count(self.model.releases.rel.through.objects.all(), field),
            quote_count=visible_count(Quote.objects.all(), field),
        )


def visible_count(rows, field: str):
    """count_of() the rows of visible releases: all of them less those of hidden releases.
    Joining every row to its release to ask whether it is hidden read a whole large
    archive; hidden releases are few, and have an index of their own."""
    return count_of(rows, field) - count_of(rows.filter(release__hidden=True), field)


def count_of(rows, field: str):
    """The number of `rows` whose `field` is the outer row, as a correlated subquery: two
    counts done with joins would multiply each other (releases × statements) and need
    DISTINCT over the product."""
    counted = (rows.filter(**{field: OuterRef("pk")}).order_by().values(field)
               .annotate(n=Count("*")).values("n"))
    return Coalesce(Subquery(counted), Value(0))


class Institution(models.Model):
    class Kind(models.TextChoices):
        CENTRAL_BANK = "central_bank", "Central bank"
        COMMERCIAL_BANK = "commercial_bank", "Commercial bank"
        POLICY_BANK = "policy_bank", "Policy bank"
        REGULATOR = "regulator", "Regulator"
        GOVERNMENT = "government", "Government body"
        INTERNATIONAL = "international", "International organisation"
        RESEARCH = "research", "Research institute"
        EXCHANGE = "exchange", "Exchange"
        COMPANY = "company", "Company"
        MEDIA = "media", "Media"
        OTHER = "other", "Other"

    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="branches",
        help_text="The institution this is a branch or subsidiary of.",
    )

    objects = NamedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="institution_name_ci_unique"),
        ]
        indexes = [models.Index(fields=["kind"], name="institution_kind_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("institution-detail", args=[self.slug])

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Institution, self.name, "institution")
        super().save(*args, **kwargs)


class InstitutionAlias(models.Model):
    """Another name of an institution ("PBOC", "the People's Bank of China")."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, allow_unicode=True, null=True, blank=True,
                            help_text="The address of a duplicate merged into the institution: "
                                      "it leads there.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "institution aliases"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="institution_alias_ci_unique"),
        ]

    def __str__(self):
        return self.name


class Person(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    objects = NamedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        constraints = [models.UniqueConstraint(Lower("name"), name="person_name_ci_unique")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("person-detail", args=[self.slug])

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Person, self.name, "person")
        super().save(*args, **kwargs)


class PersonAlias(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, allow_unicode=True, null=True, blank=True,
                            help_text="The address of a duplicate merged into the person: it "
                                      "leads there.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "person aliases"
        constraints = [models.UniqueConstraint(Lower("name"), name="person_alias_ci_unique")]

    def __str__(self):
        return self.name


class Topic(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    keywords = models.TextField(
        blank=True, help_text="One keyword or phrase per line; the importer tags by these."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("topic-detail", args=[self.slug])

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]


# Newest first, undated releases last, on both databases (PostgreSQL would put them first).
NEWEST_FIRST = (models.F("published").desc(nulls_last=True), models.F("id").desc())

# Title matches weigh ten times body matches on SQLite, as A and C do on PostgreSQL.
RELEASE_WEIGHTS = (Value(10.0), Value(1.0))


class ReleaseQuerySet(models.QuerySet):
    def visible(self):
        """Releases shown on the public site (curators can hide one)."""
        return self.filter(hidden=False)

    def published(self):
        """Visible releases that carry a publication date, newest first."""
        return self.visible().filter(published__isnull=False).order_by(*NEWEST_FIRST)

    def search(self, text: str, ranked: bool = False):
        """Full-text search in web-search syntax; `ranked` annotates `rank` (higher is
        better), which costs a score for every match."""
        return search.search(self, text, "archive_release_fts", rank_weights=RELEASE_WEIGHTS,
                             spoken_by=lambda people: Q(pk__in=Quote.objects.filter(
                                 person__in=people).values("release_id")), ranked=ranked)

    def for_listing(self):
        return self.prefetch_related("institutions", "topics")


class Release(models.Model):
    class Kind(models.TextChoices):
        PRESS_RELEASE = "press_release", "Press release"
        STATEMENT = "statement", "Statement"
        SPEECH = "speech", "Speech"
        INTERVIEW = "interview", "Interview"
        NEWS_REPORT = "news_report", "News report"

    title = models.CharField(max_length=500)
    title_provisional = models.BooleanField(
        default=False, db_default=False,
        help_text="The page printed no headline: the title is its first sentence, to be "
                  "replaced by a curator.",
    )
    # Nullable without a default: SQLite then adds the column in place, keeping the
    # triggers that a rebuilt table would lose.
    url = models.URLField(max_length=2000, null=True, blank=True,
                          help_text="The page's own web address, when the page or the import gave it.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PRESS_RELEASE,
                            db_default=Kind.PRESS_RELEASE)
    issuer = models.ForeignKey(
        "Institution", null=True, blank=True, on_delete=models.SET_NULL, related_name="issued",
        help_text="The institution that issued the release, apart from any outlet carrying it.",
    )
    slug = models.SlugField(max_length=120, allow_unicode=True)
    published = models.DateField(null=True, blank=True, help_text="Date the page gives.")
    source = models.CharField(
        max_length=200, blank=True, help_text="Original publisher when the page reprints a report."
    )
    source_date = models.DateField(null=True, blank=True)
    body = models.TextField()
    language = models.CharField(max_length=16, default="en")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="releases")
    institutions = models.ManyToManyField(Institution, related_name="releases", blank=True)
    persons = models.ManyToManyField(
        Person, through="Appearance", related_name="releases", blank=True
    )
    topics = models.ManyToManyField(Topic, related_name="releases", blank=True)
    curated_fields = models.JSONField(
        default=list, blank=True,
        help_text="Fields a curator changed; re-import and re-extraction keep them.",
    )
    reviewed = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="Hidden from the public site.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=SearchDocument(title="A", body="C"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = WithoutSearchVector.from_queryset(ReleaseQuerySet)()

    class Meta:
        ordering = NEWEST_FIRST
        get_latest_by = "published"
        indexes = [
            # NULLS LAST on PostgreSQL (migration 0020), as NEWEST_FIRST orders.
            models.Index(fields=["-published", "-id"], name="release_published_idx"),
            # The few hidden releases, newest first. (Not an index of every release by hidden:
            # SQLite would take it for a selective one and read every visible release's entry
            # to find twenty ids.)
            models.Index(fields=["-published", "-id"], condition=Q(hidden=True),
                         name="release_hidden_idx"),
            # The public pages' order, over visible releases only: the newest of them are
            # read from the index alone, without visiting each row to ask if it is hidden.
            models.Index(fields=["-published", "-id"], condition=Q(hidden=False),
                         name="release_visible_idx"),
            models.Index(fields=["source"], name="release_source_idx"),
            # The admin's filters by kind, review and provisional title: each value's
            # releases newest first, read in order and counted from the index (NULLS LAST
            # on PostgreSQL, migration 0026).
            models.Index(fields=["kind", "-published", "-id"], name="release_kind_idx"),
            models.Index(fields=["reviewed", "-published", "-id"], name="release_reviewed_idx"),
            models.Index(fields=["title_provisional", "-published", "-id"],
                         name="release_provisional_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("release-detail", args=[self.pk, self.slug])

    def save(self, *args, **kwargs):
        self.set_default_slug()
        super().save(*args, **kwargs)

    def set_default_slug(self):
        """A release without a slug takes its title's."""
        if not self.slug:
            self.slug = slugify(self.title, allow_unicode=True)[:120].strip("-") or "release"


class Appearance(models.Model):
    """A person named in a release, with the role and affiliation stated there: roles change
    over time, so they belong to the appearance, not to the person."""

    # No index of their own (migration 0012): appearance_unique leads with the release,
    # appearance_speaker_idx with the affiliation and appearance_person_latest_idx with the
    # person, and every index costs each import.
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="appearances",
                                db_index=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="appearances",
                               db_index=False)
    role = models.CharField(max_length=200, blank=True)
    affiliation = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.SET_NULL, related_name="appearances",
        db_index=False,
    )

    class Meta:
        ordering = ["release", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["release", "person"], name="appearance_unique"),
        ]
        indexes = [
            # An institution's speakers, counted from the index alone.
            models.Index(fields=["affiliation", "person"], name="appearance_speaker_idx"),
            # A person's latest releases, read backwards (related releases).
            models.Index(fields=["person", "-release"], name="appearance_person_latest_idx"),
        ]

    def __str__(self):
        return f"{self.person} in {self.release}"


class QuoteQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(release__hidden=False)

    def search(self, text: str, ranked: bool = False):
        """Full-text search over statement text, as Release's. Statements have no title:
        their filters refuse title: (search.validate_statement_terms)."""
        return search.search(self, text, "archive_quote_fts",
                             spoken_by=lambda people: Q(person__in=people), ranked=ranked)

    def for_listing(self):
        """With what a list of statements shows of each: its speaker, and its release's title
        and date (not the release's body)."""
        return self.select_related("release", "person", "institution").defer(
            "release__body", "release__search_vector")


class Quote(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", "Direct"
        INDIRECT = "indirect", "Reported"

    # No index of their own (migration 0012): quote_position_unique leads with the release
    # and quote_institution_latest_idx with the institution.
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="quotes",
                                db_index=False)
    # A speaker with statements is merged into another, never deleted with them.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes",
        db_index=False,
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField()
    position = models.PositiveIntegerField(help_text="Order of the statement in the release.")
    role = models.CharField(max_length=200, blank=True, help_text="Speaker's role as stated.")
    verified = models.BooleanField(default=False)
    search_vector = models.GeneratedField(
        expression=SearchDocument(text="A"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = WithoutSearchVector.from_queryset(QuoteQuerySet)()

    class Meta:
        ordering = ["release", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, institution__isnull=True)
                | Q(person__isnull=True, institution__isnull=False),
                name="quote_exactly_one_speaker",
                violation_error_message="A statement has exactly one speaker: "
                "a person or an institution.",
            ),
            models.UniqueConstraint(fields=["release", "position"], name="quote_position_unique"),
        ]
        # An institution's latest statements, read backwards; the admin's list of statements,
        # the latest release's first, each release's in order.
        indexes = [models.Index(fields=["institution", "-release"],
                                name="quote_institution_latest_idx"),
                   models.Index(fields=["-release", "position"], name="quote_latest_idx")]

    def __str__(self):
        return f"{self.speaker}: {self.text[:60]}"

    @property
    def speaker(self):
        return self.person or self.institution

    def get_absolute_url(self):
        return f"{self.release.get_absolute_url()}#statement-{self.position}"


class ReleaseSearch(models.Model):
    """SQLite's FTS5 index of releases (migration 0002), joined to rank matches; PostgreSQL
    searches the `search_vector` column instead and never touches this."""

    release = models.OneToOneField(Release, primary_key=True, db_column="rowid",
                                   on_delete=models.DO_NOTHING, related_name="fts")
    index = search.FullTextColumn(db_column="archive_release_fts")

    class Meta:
        managed = False
        db_table = "archive_release_fts"


class QuoteSearch(models.Model):
    """SQLite's FTS5 index of statements; see ReleaseSearch."""

    quote = models.OneToOneField(Quote, primary_key=True, db_column="rowid",
                                 on_delete=models.DO_NOTHING, related_name="fts")
    index = search.FullTextColumn(db_column="archive_quote_fts")

    class Meta:
        managed = False
        db_table = "archive_quote_fts"



class Source(models.Model):
    """A place on an institution's site where its announcements are listed, harvested every
    `interval_minutes` (archive/harvest/)."""

    class Kind(models.TextChoices):
        FEED = "feed", "RSS or Atom feed"
        SITEMAP = "sitemap", "XML sitemap"
        LISTING = "listing", "Listing page"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="sources",
        help_text="The institution that issues what is published here.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FEED)
    url = models.URLField("entry point", max_length=2000)
    link_selector = models.CharField(
        max_length=300, blank=True,
        help_text="Listing page only: the CSS selector of its article links, e.g. "
                  "<code>ul.news a</code>.")
    url_pattern = models.CharField(
        "URL pattern", max_length=300, blank=True,
        help_text="Optional regular expression: only article addresses it matches are kept.")
    interval_minutes = models.PositiveIntegerField(default=360,
                                                   help_text="How often to harvest it.")
    active = models.BooleanField(default=True)
    # The harvester's lease on the source (archive.harvest.harvester.claim).
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    locked_by = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == self.Kind.LISTING and not self.link_selector.strip():
            errors["link_selector"] = "A listing page needs the CSS selector of its links."
        if self.link_selector.strip():
            from cssselect import GenericTranslator, SelectorError

            try:
                GenericTranslator().css_to_xpath(self.link_selector)
            except SelectorError as error:
                errors["link_selector"] = f"Not a CSS selector: {error}"
        if self.url_pattern:
            try:
                re.compile(self.url_pattern)
            except re.error as error:
                errors["url_pattern"] = f"Not a regular expression: {error}"
        if errors:
            raise ValidationError(errors)

    def is_due(self, now) -> bool:
        last = self.runs.order_by("-started").values_list("started", flat=True).first()
        return last is None or last + timedelta(minutes=self.interval_minutes) <= now


class HarvestRun(models.Model):
    """One harvest of one source: what it found and what became of each page."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    discovered = models.PositiveIntegerField(default=0, help_text="Article addresses found.")
    fetched = models.PositiveIntegerField(default=0, help_text="Pages downloaded.")
    not_modified = models.PositiveIntegerField(default=0, help_text="Answered 304: unchanged.")
    new = models.PositiveIntegerField(default=0, help_text="New releases.")
    changed = models.PositiveIntegerField(default=0, help_text="New versions of releases.")
    failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True, help_text="Address and reason.")

    class Meta:
        ordering = ["-started"]
        indexes = [models.Index(fields=["source", "-started"], name="harvestrun_latest_idx")]

    def __str__(self):
        return f"{self.source} at {self.started:%Y-%m-%d %H:%M}"

    def fail(self, url: str, reason: str) -> None:
        self.failed += 1
        self.failures.append({"url": url, "reason": reason})
