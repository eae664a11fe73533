"""Four foreign keys lose the index Django gives each: another index already starts with the
same column (see the fields' comments in models.py), and every index is written at every
import.

Only the indexes are dropped. Altering the fields as such would make SQLite copy the whole
table, and the copy loses the triggers that keep the statements' search index (0002) in step.
"""

from django.db import migrations, models
from django.db.models import deletion

# (table, column, the index Django named for it)
COVERED = [
    ("archive_appearance", "affiliation_id", "archive_appearance_affiliation_id_e833f79f"),
    ("archive_appearance", "release_id", "archive_appearance_release_id_792013bd"),
    ("archive_quote", "institution_id", "archive_quote_institution_id_65d35e10"),
    ("archive_quote", "release_id", "archive_quote_release_id_5dde0a8c"),
]


def unindexed(model_name, name, to, related_name, on_delete, null=False):
    return migrations.AlterField(
        model_name=model_name, name=name,
        field=models.ForeignKey(to=to, related_name=related_name, on_delete=on_delete,
                                db_index=False, null=null, blank=null),
    )


class Migration(migrations.Migration):
    dependencies = [("archive", "0011_institution_statements_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{index}"',
                                  f'CREATE INDEX "{index}" ON "{table}" ("{column}")')
                for table, column, index in COVERED
            ],
            state_operations=[
                unindexed("appearance", "affiliation", "archive.institution", "appearances",
                          deletion.SET_NULL, null=True),
                unindexed("appearance", "release", "archive.release", "appearances",
                          deletion.CASCADE),
                unindexed("quote", "institution", "archive.institution", "quotes",
                          deletion.CASCADE, null=True),
                unindexed("quote", "release", "archive.release", "quotes", deletion.CASCADE),
            ],
        ),
    ]
