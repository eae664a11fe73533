from contextvars import ContextVar

from django.conf import settings
from django.db import OperationalError
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.shortcuts import render
from django.urls import Resolver404, resolve

from archive.routers import use_primary

QUERY_CANCELED = "57014"  # PostgreSQL: canceling statement due to statement timeout


class QueryTimeoutMiddleware:
    """A query stopped by the database's statement_timeout (DATABASE_STATEMENT_TIMEOUT) is
    answered with a page that says so, not with a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        cause = exception.__cause__
        if isinstance(exception, OperationalError) and getattr(cause, "sqlstate", "") == QUERY_CANCELED:
            return render(request, "archive/timeout.html", status=503)
        return None


class PrimaryAfterWriteMiddleware:
    """With a read replica: a request that wrote marks its client with a short-lived cookie,
    and the client's requests read from the primary while the cookie lasts, so a curator
    sees their own change at once although the replica may lag behind."""

    COOKIE = "read_primary"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = use_primary.set(self.COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
            if use_primary.get() and request.method not in ("GET", "HEAD", "OPTIONS"):
                response.set_cookie(self.COOKIE, "1", max_age=settings.REPLICA_LAG_SECONDS,
                                    httponly=True, samesite="Lax",
                                    secure=settings.SESSION_COOKIE_SECURE)
        finally:
            use_primary.reset(token)
        return response


# The archive's state for the request being answered, part of its cached page's key; None
# for a request never answered from the cache.
_state = ContextVar("archive_state", default=None)


def _public_page(request) -> bool:
    """A page of the public site read: the admin is never cached, nor the health check,
    which must answer at once whatever the search indexes are doing."""
    if request.method not in ("GET", "HEAD"):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name != "healthz" and "admin" not in match.namespaces


def _asked_again(response):
    # A browser's or a proxy's copy could not follow the archive's state: they ask each
    # time, and the server answers from its own copy while it is current.
    response["Cache-Control"] = "max-age=0"
    del response["Expires"]
    return response


class ArchiveStateKey:
    """Keys Django's page cache by the archive's state as well as the address: a page is
    served from the cache only while no release has changed since it was kept, so that a
    release is found by search, and shown as curated, from the moment its change commits.
    Django's middleware reads the key's prefix from `key_prefix`, set once from settings."""

    @property
    def key_prefix(self):
        return f"{settings.CACHE_MIDDLEWARE_KEY_PREFIX}:{_state.get()}"

    @key_prefix.setter
    def key_prefix(self, value):
        pass  # the prefix in settings is read above, with the state


class UpdateCurrentPageCache(ArchiveStateKey, UpdateCacheMiddleware):
    """Django's UpdateCacheMiddleware, first in MIDDLEWARE, keyed by the archive's state,
    which it reads (catching the search indexes up) before anything else runs."""

    def __init__(self, get_response):
        super().__init__(get_response)
        # How long the server keeps a page, whatever the page tells browsers (below).
        self.page_timeout = settings.CACHE_MIDDLEWARE_SECONDS

    def __call__(self, request):
        from archive.search_index import archive_state

        token = _state.set(archive_state() if _public_page(request) else None)
        try:
            return super().__call__(request)
        finally:
            _state.reset(token)

    def process_response(self, request, response):
        kept = "Expires" not in response  # set below only on a page kept
        response = super().process_response(request, response)
        return _asked_again(response) if kept and "Expires" in response else response


class FetchCurrentPageCache(ArchiveStateKey, FetchFromCacheMiddleware):
    """Django's FetchFromCacheMiddleware, last in MIDDLEWARE, keyed by the archive's state."""

    def process_request(self, request):
        if _state.get() is None:
            request._cache_update_cache = False  # nor kept
            return None
        response = super().process_request(request)
        return response and _asked_again(response)
