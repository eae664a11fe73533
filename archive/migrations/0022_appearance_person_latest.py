"""A person's appearances by release, newest first: related releases read a person's latest
releases backwards from it instead of sorting all of them. It replaces the index Django gave
the person's foreign key, which it leads with.

As in 0012, that index alone is dropped: altering the field as such would make SQLite copy
the table, and the copy would lose the triggers that keep the search index in step (0016).
"""

from django.db import migrations, models
from django.db.models import deletion

INDEX = "archive_appearance_person_id_5c646a8c"  # as Django named it


class Migration(migrations.Migration):
    dependencies = [("archive", "0021_search_changes_pruned")]

    operations = [
        migrations.AddIndex(
            model_name="appearance",
            index=models.Index(fields=["person", "-release"], name="appearance_person_latest_idx"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"',
                                  f'CREATE INDEX "{INDEX}" ON "archive_appearance" ("person_id")'),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="appearance", name="person",
                    field=models.ForeignKey(to="archive.person", related_name="appearances",
                                            on_delete=deletion.CASCADE, db_index=False),
                ),
            ],
        ),
    ]
