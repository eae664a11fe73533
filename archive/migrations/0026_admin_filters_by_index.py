"""The admin's filters of releases by kind, review, provisional title and hidden, each read
in the list's order (newest first, undated last) from an index: reviewed, title_provisional
and hidden are stored after the body, so a scan read every release's text to test them
(seconds at a million). Hidden releases are few: a partial index holds them alone. As in
0020, PostgreSQL's indexes say NULLS LAST; SQLite refuses it in an index."""

from django.db import migrations, models

# name: (leading column, condition)
INDEXES = {"release_kind_idx": ("kind, ", ""), "release_reviewed_idx": ("reviewed, ", ""),
           "release_provisional_idx": ("title_provisional, ", ""),
           "release_hidden_idx": ("", " WHERE hidden")}


def recreate(nulls: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, (leading, condition) in INDEXES.items():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.execute(f"CREATE INDEX {name} ON archive_release "
                                  f"({leading}published DESC{nulls}, id DESC){condition}")
    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0025_admin_lists_by_index")]

    operations = [
        migrations.AddIndex(
            model_name="release",
            index=models.Index(fields=["kind", "-published", "-id"], name="release_kind_idx"),
        ),
        migrations.AddIndex(
            model_name="release",
            index=models.Index(fields=["reviewed", "-published", "-id"],
                               name="release_reviewed_idx"),
        ),
        migrations.AddIndex(
            model_name="release",
            index=models.Index(fields=["title_provisional", "-published", "-id"],
                               name="release_provisional_idx"),
        ),
        # Hidden releases were indexed by id alone: now in the list's order.
        migrations.RemoveIndex(model_name="release", name="release_hidden_idx"),
        migrations.AddIndex(
            model_name="release",
            index=models.Index(fields=["-published", "-id"], condition=models.Q(hidden=True),
                               name="release_hidden_idx"),
        ),
        migrations.RunPython(recreate(" NULLS LAST"), recreate("")),
    ]
