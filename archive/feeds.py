"""Atom and RSS feeds of the latest releases: of the whole archive, of any filtered list
(the feed URL carries the list's query string), of an institution and of a person."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from archive.filters import ReleaseFilter
from archive.models import Institution, Person, Release

SIZE = 30


class ReleaseFeed(Feed):
    """RSS of the releases a list page shows, newest first."""

    description = "New releases in the Financial Policy Archive."

    def get_object(self, request):
        self.query = request.GET.urlencode()
        return ReleaseFilter(request.GET or None, queryset=Release.objects.visible())

    def title(self, filterset):
        return "Financial Policy Archive" + (" — filtered releases" if self.query else "")

    def link(self, filterset):
        return reverse("release-list") + (f"?{self.query}" if self.query else "")

    def items(self, filterset):
        if filterset.is_bound and not filterset.is_valid():
            return Release.objects.none()
        return filterset.qs.order_by("-published", "-id").prefetch_related("institutions")[:SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body[:600]

    def item_pubdate(self, item):
        return item.created

    def item_categories(self, item):
        return [i.name for i in item.institutions.all()]


class ReleaseAtomFeed(ReleaseFeed):
    feed_type = Atom1Feed
    subtitle = ReleaseFeed.description


class InstitutionFeed(ReleaseFeed):
    def get_object(self, request, slug):
        self.query = ""
        return get_object_or_404(Institution, slug=slug)

    def title(self, institution):
        return f"{institution.name} — Financial Policy Archive"

    def link(self, institution):
        return institution.get_absolute_url()

    def items(self, institution):
        return (institution.releases.visible().order_by("-published", "-id")
                .prefetch_related("institutions")[:SIZE])


class InstitutionAtomFeed(InstitutionFeed):
    feed_type = Atom1Feed
    subtitle = ReleaseFeed.description


class PersonFeed(ReleaseFeed):
    def get_object(self, request, slug):
        self.query = ""
        return get_object_or_404(Person, slug=slug)

    def title(self, person):
        return f"{person.name} — Financial Policy Archive"

    def link(self, person):
        return person.get_absolute_url()

    def items(self, person):
        return (person.releases.visible().order_by("-published", "-id")
                .prefetch_related("institutions")[:SIZE])


class PersonAtomFeed(PersonFeed):
    feed_type = Atom1Feed
    subtitle = ReleaseFeed.description
