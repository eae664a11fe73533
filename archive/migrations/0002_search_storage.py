"""Where full-text search lives on each database.

PostgreSQL: the stored generated `search_vector` columns (0001) get GIN indexes.
SQLite: external-content FTS5 tables over the same columns, kept in sync by triggers, so that
an insert, update or delete through any path (ORM, admin, raw SQL) is indexed at once.
The porter tokenizer stems English words as PostgreSQL's `english` configuration does.
"""

from django.db import migrations

# table, FTS5 table, indexed columns
SEARCHABLE = [
    ("archive_release", "archive_release_fts", ["title", "body"]),
    ("archive_quote", "archive_quote_fts", ["text"]),
]


def fts5_statements(table, fts, columns):
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES('delete', old.id, {old});"
    insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES('rebuild')",
    ]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, fts, columns in SEARCHABLE:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX {table}_search_idx ON {table} USING gin (search_vector)"
            )
        elif vendor == "sqlite":
            for statement in fts5_statements(table, fts, columns):
                schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, fts, _ in SEARCHABLE:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_idx")
        elif vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
