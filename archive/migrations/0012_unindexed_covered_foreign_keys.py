"""Four foreign keys lose the index Django gives each: another index already starts with the
same column (see the fields' comments in models.py), and every index is written at every
import.

Only the indexes are dropped. Altering the fields as such would make SQLite copy the whole
table, and the copy loses the triggers that keep the statements' search index (0002) in step.
"""

import django.db.models.deletion
from django.db import migrations, models

# (table, column, the index Django named for it)
COVERED = [
    ("archive_appearance", "affiliation_id", "archive_appearance_affiliation_id_e833f79f"),
    ("archive_appearance", "release_id", "archive_appearance_release_id_792013bd"),
    ("archive_quote", "institution_id", "archive_quote_institution_id_65d35e10"),
    ("archive_quote", "release_id", "archive_quote_release_id_5dde0a8c"),
]


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
                migrations.AlterField(
                    model_name="appearance", name="affiliation",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="appearances", to="archive.institution"),
                ),
                migrations.AlterField(
                    model_name="appearance", name="release",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="appearances", to="archive.release"),
                ),
                migrations.AlterField(
                    model_name="quote", name="institution",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="quotes", to="archive.institution"),
                ),
                migrations.AlterField(
                    model_name="quote", name="release",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="quotes", to="archive.release"),
                ),
            ],
        ),
    ]
