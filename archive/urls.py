from django.contrib import admin
from django.urls import path

from archive import views

urlpatterns = [
    path("", views.home, name="home"),
    path("releases/<int:pk>/<str:slug>/", views.release_detail, name="release-detail"),
    path("institutions/<str:slug>/", views.institution_detail, name="institution-detail"),
    path("people/<str:slug>/", views.person_detail, name="person-detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Financial Policy Archive — curation"
admin.site.site_title = "Archive curation"
