from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from archive.models import Institution, Person, Release, Topic


class ReleaseSitemap(Sitemap):
    limit = 10000

    def items(self):
        return Release.objects.visible().only("pk", "slug", "updated").order_by("pk")

    def lastmod(self, release):
        return release.updated

    def get_latest_lastmod(self):
        # For the index: one aggregate, where Django would ask every release its lastmod.
        return self.items().aggregate(latest=Max("updated"))["latest"]


class NamedSitemap(Sitemap):
    """Institutions or people named in a visible release."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def items(self):
        return self.model.objects.public().only("slug").order_by("pk")


class TopicSitemap(Sitemap):
    def items(self):
        return Topic.objects.only("slug").order_by("pk")


SITEMAPS = {
    "releases": ReleaseSitemap,
    "institutions": NamedSitemap(Institution),
    "people": NamedSitemap(Person),
    "topics": TopicSitemap,
}
