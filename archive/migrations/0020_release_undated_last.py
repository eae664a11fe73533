"""Newest first with undated releases last on both databases: PostgreSQL sorts NULL first
in a descending order, SQLite last. The public order's two indexes follow on PostgreSQL
(SQLite refuses NULLS LAST in an index, and its descending index already ends with them)."""

from django.db import migrations, models

INDEXES = {"release_published_idx": "", "release_visible_idx": " WHERE NOT hidden"}


def recreate(nulls: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, condition in INDEXES.items():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.execute(f"CREATE INDEX {name} ON archive_release "
                                  f"(published DESC{nulls}, id DESC){condition}")
    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0019_harvesting")]

    operations = [
        migrations.AlterModelOptions(
            name="release",
            options={"get_latest_by": "published", "ordering": (
                models.OrderBy(models.F("published"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True))},
        ),
        migrations.RunPython(recreate(" NULLS LAST"), recreate("")),
    ]
