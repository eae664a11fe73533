"""Atom and RSS feeds of the latest releases: of the whole archive, of any filtered list
(the feed URL carries the list's query string), of an institution and of a person."""

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.text import Truncator

from archive.filters import ReleaseFilter
from archive.models import NEWEST_FIRST, Release

SIZE = 30
SUMMARY_WORDS = 90


class ReleaseFeed(Feed):
    """The releases a list page shows, newest first; `atom=True` for Atom, else RSS."""

    description = subtitle = "New releases in the Financial Policy Archive."

    def __init__(self, atom: bool = False):
        super().__init__()
        self.feed_type = Atom1Feed if atom else Rss201rev2Feed

    # One instance serves every request, in several threads at once: what a request asked
    # for travels in the object get_object() returns, never on `self`.
    def get_object(self, request):
        return ReleaseFilter(request.GET or None, queryset=Release.objects.visible())

    def title(self, filterset):
        return "Financial Policy Archive" + (" — filtered releases" if filterset.data else "")

    def link(self, filterset):
        query = filterset.data.urlencode() if filterset.data else ""
        return reverse("release-list") + (f"?{query}" if query else "")

    def items(self, filterset):
        return filterset.matches().prefetch_related(
            "institutions")[:SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Atom's summary and RSS's description are HTML: the plain text is escaped, or a
        # reader would render the markup an imported text spells out.
        return escape(Truncator(item.body).words(SUMMARY_WORDS, truncate=" …"))

    def item_pubdate(self, item):
        # The release's own date (a date has no time: midnight UTC); an undated release has
        # none to give.
        if item.published is None:
            return None
        return datetime.datetime.combine(item.published, datetime.time(), datetime.UTC)

    def item_updateddate(self, item):
        return item.updated  # Atom requires it of every entry

    def item_categories(self, item):
        return [i.name for i in item.institutions.all()]


class SubjectFeed(ReleaseFeed):
    """The releases naming one institution or person (any model with `releases` and a slug)."""

    def __init__(self, model, atom: bool = False):
        super().__init__(atom)
        self.model = model

    def get_object(self, request, slug):
        return get_object_or_404(self.model.objects.public(), slug=slug)

    def title(self, subject):
        return f"{subject.name} — Financial Policy Archive"

    def link(self, subject):
        return subject.get_absolute_url()

    def items(self, subject):
        return (subject.releases.visible().order_by(*NEWEST_FIRST)
                .prefetch_related("institutions")[:SIZE])
