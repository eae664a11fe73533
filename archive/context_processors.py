from django.urls import reverse

SECTIONS = [("Releases", "release-list"), ("Statements", "quote-list"),
            ("Institutions", "institution-list"), ("People", "person-list"),
            ("Topics", "topic-list")]


def navigation(request):
    """The main navigation, the link to the page shown marked "page" and the link to the
    section holding it (a release under Releases) marked "true", for aria-current."""
    links = []
    for label, name in SECTIONS:
        url = reverse(name)
        current = "page" if request.path == url else "true" if request.path.startswith(url) else ""
        links.append({"label": label, "url": url, "current": current})
    return {"navigation": links}
