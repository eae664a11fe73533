"""Reads from a replica, writes to the primary.

When settings define a "replica" database (DATABASE_REPLICA_URL), queries that only read go
there, and everything that writes goes to "default", the primary. A replica lags behind
its primary, so whoever has just written reads from the primary: the rest of the request
after its first write, every query inside a transaction on the primary, and, through
PrimaryAfterWriteMiddleware, the same client's requests for a few seconds after a write.
"""

from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
# Set for the rest of a request (or a management command) once it has written.
use_primary = ContextVar("use_primary", default=False)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if (REPLICA not in settings.DATABASES or use_primary.get()
                or connections["default"].in_atomic_block):
            return "default"
        return REPLICA

    def db_for_write(self, model, **hints):
        use_primary.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both databases hold the same rows

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"  # a replica receives its schema from the primary
