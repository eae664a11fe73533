"""Logging in to the admin: wrong passwords are throttled by account and by address, and a
refused attempt costs no password hash."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.core.cache import caches

from archive import throttle

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """MD5, counting the passwords it checks."""

    algorithm = "counted_md5"
    checked = 0

    def verify(self, password, encoded):
        CountingHasher.checked += 1
        return super().verify(password, encoded)


@pytest.fixture(autouse=True)
def own_cache_and_hasher(settings):
    settings.CACHES = {**settings.CACHES, "logins": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "login-tests"}}
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    caches["logins"].clear()
    User.objects.create_superuser("curator", "c@example.org", "right")
    User.objects.create_superuser("other", "o@example.org", "right")


def log_in(client, username, password, address="192.0.2.1") -> bool:
    client.post("/admin/login/", {"username": username, "password": password},
                REMOTE_ADDR=address)
    logged_in = "_auth_user_id" in client.session
    client.logout()
    return logged_in


def test_wrong_passwords_for_an_account_lock_it_before_any_hash(client, monkeypatch):
    for attempt in range(throttle.FREE_FAILURES):
        assert not log_in(client, "curator", f"guess{attempt}", address=f"192.0.2.{attempt}")
    checked = CountingHasher.checked
    # From any address, even with the right password, until the delay has passed.
    assert not log_in(client, "curator", "right", address="198.51.100.7")
    assert not log_in(client, "Curator", "guess", address="198.51.100.8")
    assert CountingHasher.checked == checked
    assert log_in(client, "other", "right", address="198.51.100.9")  # other accounts open
    later = throttle.time.time() + 2
    monkeypatch.setattr(throttle.time, "time", lambda: later)
    assert log_in(client, "curator", "right", address="198.51.100.7")


def test_wrong_passwords_from_an_address_block_it_for_every_account(client):
    for attempt in range(throttle.FREE_FAILURES):
        assert not log_in(client, f"nobody{attempt}", "guess")
    checked = CountingHasher.checked
    assert not log_in(client, "other", "right")
    assert CountingHasher.checked == checked
    assert log_in(client, "other", "right", address="203.0.113.5")


def test_the_delay_doubles_with_each_failure_up_to_a_bound():
    keys = ["login-failures:test"]
    delays = []
    for _ in range(throttle.FREE_FAILURES + 20):
        throttle.record_failure(keys)
        delays.append(round(throttle.blocked_for(keys)))
    assert delays[: throttle.FREE_FAILURES - 1] == [0] * (throttle.FREE_FAILURES - 1)
    assert delays[throttle.FREE_FAILURES - 1: throttle.FREE_FAILURES + 3] == [1, 2, 4, 8]
    assert delays[-1] == throttle.LONGEST_DELAY
