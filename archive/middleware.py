from django.conf import settings
from django.db import OperationalError
from django.shortcuts import render

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
