"""PostgreSQL: the publication dates of visible releases, read from an index by id. An
institution's or topic's chart looks up the date of each of its releases (55,000 for a big
bank in a million); from this index the table itself is not read. SQLite has no INCLUDE."""

from django.db import migrations

NAME, TABLE = "release_visible_dates_idx", "archive_release"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {NAME} ON {TABLE} (id) INCLUDE (published) WHERE NOT hidden")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0009_speaker_index")]

    operations = [migrations.RunPython(create, drop)]
