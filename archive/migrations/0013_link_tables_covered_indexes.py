"""The release–institution and release–topic link tables lose the index Django gives each of
their two columns: the unique (release, other) index already starts with the release, and
0007's (other, release) index with the other column. An import writes every index of a link
at every document, and these two took about one page in eight that an import writes.

Django creates these tables for the many-to-many fields and keeps no state of their indexes,
so dropping them is a database operation only.
"""

from django.db import migrations

# (table, column, the index Django named for it)
COVERED = [
    ("archive_release_institutions", "release_id", "archive_release_institutions_release_id_fb940f98"),
    ("archive_release_institutions", "institution_id",
     "archive_release_institutions_institution_id_cb7883c2"),
    ("archive_release_topics", "release_id", "archive_release_topics_release_id_0077aaf7"),
    ("archive_release_topics", "topic_id", "archive_release_topics_topic_id_d5238324"),
]


class Migration(migrations.Migration):
    dependencies = [("archive", "0012_unindexed_covered_foreign_keys")]

    operations = [
        migrations.RunSQL(f'DROP INDEX IF EXISTS "{index}"',
                          f'CREATE INDEX "{index}" ON "{table}" ("{column}")')
        for table, column, index in COVERED
    ]
