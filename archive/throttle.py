"""Login throttling: after a few wrong passwords for an account or from an address, further
attempts are refused without checking the password until a delay has passed, a delay that
doubles with each failure. Refused before the password hash is computed: each hash costs
about a second of a worker, so unlimited guesses slowed every page for everyone.

Counts live in the "logins" cache, which the gunicorn workers of a server share.
"""

import hashlib
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied

FREE_FAILURES = 5  # wrong passwords before any delay
LONGEST_DELAY = 15 * 60  # seconds
FORGET_AFTER = 24 * 60 * 60  # failures older than this no longer count


def _cache():
    return caches["logins"]


def _keys(request, username) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "") if request else ""
    if request and settings.SECURE_PROXY_SSL_HEADER:
        # Behind the proxy every request comes from it: the client is the address the
        # proxy appended last.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        address = forwarded or address
    keys = [f"login-failures:address:{address}"]
    if username:
        digest = hashlib.sha256(str(username).casefold().encode()).hexdigest()
        keys.append(f"login-failures:account:{digest}")
    return keys


def blocked_for(keys) -> float:
    """Seconds until any of `keys` may try again (0: now)."""
    now = time.time()
    return max([until - now for _, until in _cache().get_many(keys).values()] + [0])


def record_failure(keys) -> None:
    now = time.time()
    known = _cache().get_many(keys)
    for key in keys:
        failures = known.get(key, (0, 0))[0] + 1
        delay = 0 if failures < FREE_FAILURES else min(2 ** (failures - FREE_FAILURES),
                                                       LONGEST_DELAY)
        _cache().set(key, (failures, now + delay), FORGET_AFTER)


class ThrottledModelBackend(ModelBackend):
    """Django's own backend, behind the throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username or kwargs.get(get_user_model().USERNAME_FIELD)
        keys = _keys(request, username)
        if blocked_for(keys) > 0:
            raise PermissionDenied("too many failed logins; try again later")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(keys)
        else:
            _cache().delete(keys[-1])  # the account's count; the address keeps its own
        return user

