"""The change log the search index follows (archive/search_index.py): triggers record the id of
every release whose indexed fields or links are written, whatever the writer — the importer's
bulk inserts, the admin, merges, bulk updates — so the index misses no change.

PostgreSQL also records the writing transaction: its rows commit out of id order, and the
index reads the log by transaction instead (see search_index._current_position).
"""

from django.db import migrations

# A table without a model, like the FTS5 tables: derived data, not part of the archive (not
# exported, not compared).
TABLE = {
    "sqlite": ["CREATE TABLE archive_searchchange (id integer PRIMARY KEY AUTOINCREMENT, "
               "release_id bigint NOT NULL, xact bigint)"],
    "postgresql": ["CREATE TABLE archive_searchchange (id bigserial PRIMARY KEY, "
                   "release_id bigint NOT NULL, xact bigint NOT NULL)",
                   "CREATE INDEX archive_searchchange_xact ON archive_searchchange (xact)"],
}

# (table, the column holding the release id)
WATCHED = [
    ("archive_release", "id"),
    ("archive_release_institutions", "release_id"),
    ("archive_release_topics", "release_id"),
    ("archive_appearance", "release_id"),
    ("archive_quote", "release_id"),
]


def _sqlite(table, column):
    def insert(row):
        return f"INSERT INTO archive_searchchange (release_id) VALUES ({row}.{column});"

    return [
        f"CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} BEGIN {insert('NEW')} END",
        f"CREATE TRIGGER {table}_search_ad AFTER DELETE ON {table} BEGIN {insert('OLD')} END",
        f"CREATE TRIGGER {table}_search_au AFTER UPDATE ON {table} "
        f"BEGIN {insert('OLD')} {insert('NEW')} END",
    ]


def _postgresql(table, column):
    function = f"{table}_search_changed"
    xact = "pg_current_xact_id()::text::bigint"
    return [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO archive_searchchange (release_id, xact) VALUES (OLD.{column}, {xact});
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO archive_searchchange (release_id, xact) VALUES (NEW.{column}, {xact});
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {table}_search AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


# An institution's kind is indexed with each of its releases.
KIND_SQLITE = ("CREATE TRIGGER archive_institution_search_au AFTER UPDATE OF kind "
               "ON archive_institution BEGIN INSERT INTO archive_searchchange (release_id) "
               "SELECT release_id FROM archive_release_institutions "
               "WHERE institution_id = NEW.id; END")
KIND_POSTGRESQL = [
    """CREATE FUNCTION archive_institution_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO archive_searchchange (release_id, xact)
        SELECT release_id, pg_current_xact_id()::text::bigint
        FROM archive_release_institutions WHERE institution_id = NEW.id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER archive_institution_search AFTER UPDATE OF kind ON archive_institution "
    "FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) "
    "EXECUTE FUNCTION archive_institution_search_changed()",
]


def create_change_log(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [s for t in WATCHED for s in _postgresql(*t)] + KIND_POSTGRESQL
    elif vendor == "sqlite":
        statements = [s for t in WATCHED for s in _sqlite(*t)] + [KIND_SQLITE]
    else:
        return
    statements = TABLE[vendor] + statements
    for statement in statements:
        schema_editor.execute(statement)


def drop_change_log(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table, _ in [*WATCHED, ("archive_institution", "id")]:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_search_changed() CASCADE")
    elif vendor == "sqlite":
        for table, _ in WATCHED:
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
        schema_editor.execute("DROP TRIGGER IF EXISTS archive_institution_search_au")
    if vendor in TABLE:
        schema_editor.execute("DROP TABLE archive_searchchange")


class Migration(migrations.Migration):
    dependencies = [("archive", "0015_release_kind_issuer_provisional_title")]

    operations = [migrations.RunPython(create_change_log, drop_change_log)]
