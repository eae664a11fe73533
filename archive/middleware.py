from django.db import OperationalError
from django.shortcuts import render

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
