"""Releases of an institution or topic, read from the link tables' own indexes: the
filters and facets ask "which releases name X?", which the (release, X) unique index
cannot answer without reading the table."""

from django.db import migrations

INDEXES = [
    ("release_institutions_by_institution", "archive_release_institutions", "institution_id"),
    ("release_topics_by_topic", "archive_release_topics", "topic_id"),
]


class Migration(migrations.Migration):
    dependencies = [("archive", "0006_search_bounded")]

    operations = [
        migrations.RunSQL(f"CREATE INDEX {name} ON {table} ({column}, release_id)",
                          f"DROP INDEX {name}")
        for name, table, column in INDEXES
    ]
