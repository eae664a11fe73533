from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from archive import feeds, views
from archive.models import Institution, Person
from archive.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("releases/", views.release_list, name="release-list"),
    path("releases/feed.rss", feeds.ReleaseFeed(), name="release-feed-rss"),
    path("releases/feed.atom", feeds.ReleaseFeed(atom=True), name="release-feed-atom"),
    path("releases/export.<str:fmt>", views.export_releases, name="release-export"),
    path("releases/<int:pk>/original", views.release_original, name="release-original"),
    path("releases/<int:pk>/<str:slug>/", views.release_detail, name="release-detail"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<str:slug>/", views.institution_detail, name="institution-detail"),
    path("institutions/<str:slug>/feed.rss", feeds.SubjectFeed(Institution),
         name="institution-feed-rss"),
    path("institutions/<str:slug>/feed.atom", feeds.SubjectFeed(Institution, atom=True),
         name="institution-feed-atom"),
    path("people/", views.person_list, name="person-list"),
    path("people/<str:slug>/", views.person_detail, name="person-detail"),
    path("people/<str:slug>/feed.rss", feeds.SubjectFeed(Person), name="person-feed-rss"),
    path("people/<str:slug>/feed.atom", feeds.SubjectFeed(Person, atom=True),
         name="person-feed-atom"),
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/export.<str:fmt>", views.export_quotes, name="quote-export"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Financial Policy Archive — curation"
admin.site.site_title = "Archive curation"
