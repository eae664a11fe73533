from django.db.models import Max, Min
from django.shortcuts import get_object_or_404, redirect, render

from archive.models import Institution, Person, Quote, Release, Topic


def home(request):
    releases = Release.objects.visible()
    context = {
        "latest": releases.for_listing()[:10],
        "size": releases.count(),
        "span": releases.aggregate(first=Min("published"), last=Max("published")),
        "topics": Topic.objects.all(),
    }
    return render(request, "archive/home.html", context)


def release_detail(request, pk: int, slug: str):
    release = get_object_or_404(
        Release.objects.visible().select_related("document").prefetch_related(
            "institutions", "topics"
        ),
        pk=pk,
    )
    if slug != release.slug:
        return redirect(release, permanent=True)
    quotes = release.quotes.select_related("person", "institution")
    appearances = release.appearances.select_related("person", "affiliation")
    return render(
        request,
        "archive/release_detail.html",
        {"release": release, "quotes": quotes, "appearances": appearances},
    )


def institution_detail(request, slug: str):
    institution = get_object_or_404(Institution.objects.select_related("parent"), slug=slug)
    context = {
        "institution": institution,
        "releases": institution.releases.visible().for_listing()[:50],
        "quotes": Quote.objects.visible()
        .filter(institution=institution)
        .select_related("release")[:50],
    }
    return render(request, "archive/institution_detail.html", context)


def person_detail(request, slug: str):
    person = get_object_or_404(Person, slug=slug)
    context = {
        "person": person,
        "appearances": person.appearances.filter(release__hidden=False)
        .select_related("release", "affiliation")
        .order_by("-release__published"),
        "quotes": Quote.objects.visible()
        .filter(person=person)
        .select_related("release")
        .order_by("-release__published", "position")[:100],
    }
    return render(request, "archive/person_detail.html", context)


def topic_detail(request, slug: str):
    topic = get_object_or_404(Topic, slug=slug)
    context = {"topic": topic, "releases": topic.releases.visible().for_listing()[:50]}
    return render(request, "archive/topic_detail.html", context)
