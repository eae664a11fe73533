"""The admin's search of documents by name, on PostgreSQL: Django asks for
`UPPER(origin::text) LIKE UPPER('%word%')`, which no B-tree answers, so every document's name
was read (0.7 s at a million). A trigram index of that same expression answers it from the
postings of the word's three-letter pieces. `pg_trgm` ships with PostgreSQL and is trusted
(13 and later: a database's owner may install it); where it cannot be installed the search
stays as it was rather than the upgrade failing. SQLite reads the names along their index."""

import logging

from django.db import DatabaseError, migrations, transaction

INDEX = "document_origin_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logging.getLogger(__name__).warning(
            "pg_trgm could not be installed (%s): documents are searched by name without "
            "the trigram index.", error)
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON archive_document "
                          "USING gin (UPPER(origin::text) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0026_admin_filters_by_index")]

    operations = [migrations.RunPython(create, drop)]
