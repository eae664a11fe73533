"""Indexes for the admin's lists at a million rows: documents newest first and the values
their filters offer (read a step at a time along each index), and statements by release,
the latest first. Added as indexes only, so that SQLite does not copy the tables.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0024_names_shown_renew_kept_pages'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['-imported_at', '-id'], name='document_imported_idx'),
        ),
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['media_type'], name='document_media_type_idx'),
        ),
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['encoding'], name='document_encoding_idx'),
        ),
        migrations.AddIndex(
            model_name='document',
            index=models.Index(fields=['parser_version'], name='document_parser_idx'),
        ),
        migrations.AddIndex(
            model_name='quote',
            index=models.Index(fields=['-release', 'position'], name='quote_latest_idx'),
        ),
    ]
