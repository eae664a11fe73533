"""The names pages show — of institutions, people, topics and their aliases, which a
`speaker:` search also reads — are not indexed, but a page kept by the page cache
(archive.middleware) shows them, and stays kept while the change log does not move. A write
to any of them now adds a row to the log for release 0, which no release has: catching up
with it re-indexes nothing, and moves the log's position, the kept pages' key."""

from django.db import migrations

TABLES = ["archive_institution", "archive_institutionalias", "archive_person",
          "archive_personalias", "archive_topic"]
NO_RELEASE = 0

POSTGRESQL_FUNCTION = f"""CREATE FUNCTION archive_shown_name_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO archive_searchchange (release_id, xact)
        VALUES ({NO_RELEASE}, pg_current_xact_id()::text::bigint);
        RETURN NULL;
    END $$"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTION)
        for table in TABLES:
            # Once a statement, however many rows it writes (a merge, a bulk edit).
            schema_editor.execute(
                f"CREATE TRIGGER {table}_shown AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION archive_shown_name_changed()")
    elif vendor == "sqlite":
        insert = f"INSERT INTO archive_searchchange (release_id) VALUES ({NO_RELEASE});"
        for table in TABLES:
            for suffix, event in (("ai", "INSERT"), ("au", "UPDATE"), ("ad", "DELETE")):
                schema_editor.execute(f"CREATE TRIGGER {table}_shown_{suffix} AFTER {event} "
                                      f"ON {table} BEGIN {insert} END")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION archive_shown_name_changed() CASCADE")
    elif vendor == "sqlite":
        for table in TABLES:
            for suffix in ("ai", "au", "ad"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_shown_{suffix}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0023_institution_change_reaches_statements")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
