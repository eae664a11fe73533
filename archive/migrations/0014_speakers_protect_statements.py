"""Deleting an institution or a person no longer deletes their statements with them: a
speaker with statements is merged into another, never deleted. on_delete is Django's, not
the database's, so nothing changes in the tables."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("archive", "0013_link_tables_covered_indexes")]

    operations = [
        migrations.AlterField(
            model_name="quote",
            name="institution",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="quotes", to="archive.institution"),
        ),
        migrations.AlterField(
            model_name="quote",
            name="person",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="quotes", to="archive.person"),
        ),
    ]
