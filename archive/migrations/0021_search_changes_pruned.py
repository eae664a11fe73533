"""The search change log (0016) learns two things:

- How far it has been pruned: the highest id deleted and, on PostgreSQL, the newest
  transaction whose rows were; an index that had not read that far when the rows went builds
  itself again from the records (search_index.catch_up).
- An institution's country is now indexed with its releases (the country facet), so a change
  of country, like one of kind, records its releases.
"""

from django.db import migrations

SQLITE_TRIGGER = ("CREATE TRIGGER archive_institution_search_au AFTER UPDATE OF {columns} "
                  "ON archive_institution BEGIN INSERT INTO archive_searchchange (release_id) "
                  "SELECT release_id FROM archive_release_institutions "
                  "WHERE institution_id = NEW.id; END")
POSTGRESQL_TRIGGER = ("CREATE TRIGGER archive_institution_search AFTER UPDATE OF {columns} "
                      "ON archive_institution FOR EACH ROW WHEN ({changed}) "
                      "EXECUTE FUNCTION archive_institution_search_changed()")


def _institution_trigger(columns):
    def change(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            schema_editor.execute("DROP TRIGGER IF EXISTS archive_institution_search_au")
            schema_editor.execute(SQLITE_TRIGGER.format(columns=", ".join(columns)))
        elif vendor == "postgresql":
            changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
            schema_editor.execute(
                "DROP TRIGGER IF EXISTS archive_institution_search ON archive_institution")
            schema_editor.execute(POSTGRESQL_TRIGGER.format(columns=", ".join(columns),
                                                            changed=changed))
    return change


class Migration(migrations.Migration):
    dependencies = [("archive", "0020_release_undated_last")]

    operations = [
        # One row; a table without a model, like the change log itself. Plain SQL that both
        # SQLite and PostgreSQL read the same way.
        migrations.RunSQL(
            ["CREATE TABLE archive_searchpruned (through bigint NOT NULL, xact bigint NOT NULL)",
             "INSERT INTO archive_searchpruned (through, xact) VALUES (0, 0)"],
            ["DROP TABLE archive_searchpruned"]),
        migrations.RunPython(_institution_trigger(["kind", "country"]),
                             _institution_trigger(["kind"])),
    ]
