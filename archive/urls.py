from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import path, register_converter

from archive import feeds, views
from archive.models import Institution, Person
from archive.sitemaps import SITEMAPS


class NameSlug:
    """A slug as stored (any script), without the NUL that PostgreSQL refuses in a query:
    /institutions/%00/ is a 404, not a server error."""

    regex = "[^/\x00]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(NameSlug, "name")

urlpatterns = [
    path("", views.home, name="home"),
    path("releases/", views.release_list, name="release-list"),
    path("search/help/", views.search_help, name="search-help"),
    path("releases/feed.rss", feeds.ReleaseFeed(), name="release-feed-rss"),
    path("releases/feed.atom", feeds.ReleaseFeed(atom=True), name="release-feed-atom"),
    path("releases/export.<str:fmt>", views.export_releases, name="release-export"),
    path("releases/<int:pk>/original", views.release_original, name="release-original"),
    path("releases/<int:pk>/<name:slug>/", views.release_detail, name="release-detail"),
    # An address without its slug, as people shorten links, leads to the release as well.
    path("releases/<int:pk>/", views.release_detail, {"slug": ""}),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<name:slug>/", views.institution_detail, name="institution-detail"),
    path("institutions/<name:slug>/feed.rss", feeds.SubjectFeed(Institution),
         name="institution-feed-rss"),
    path("institutions/<name:slug>/feed.atom", feeds.SubjectFeed(Institution, atom=True),
         name="institution-feed-atom"),
    path("people/", views.person_list, name="person-list"),
    path("people/<name:slug>/", views.person_detail, name="person-detail"),
    path("people/<name:slug>/feed.rss", feeds.SubjectFeed(Person), name="person-feed-rss"),
    path("people/<name:slug>/feed.atom", feeds.SubjectFeed(Person, atom=True),
         name="person-feed-atom"),
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/export.<str:fmt>", views.export_quotes, name="quote-export"),
    path("topics/", views.topic_list, name="topic-list"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    # An index of the sitemaps, each section's in pages of its `limit`: every release is
    # listed, however many.
    path("sitemap.xml", sitemaps.index,
         {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"}, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.sitemap, {"sitemaps": SITEMAPS},
         name="sitemap-section"),
    path("robots.txt", views.robots_txt, name="robots"),
    # Browsers ask for /favicon.ico whatever the page names.
    path("favicon.ico", views.favicon),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler404 = views.page_not_found

admin.site.site_header = "Financial Policy Archive — curation"
admin.site.site_title = "Archive curation"
