"""An institution's kind is indexed with the statements made for it (the statements list's
filter by kind of institution), and those include statements in releases that do not list
the institution: a quote's own institution, or its speaker's affiliation there. A change of
kind or country now records those releases too, beside the releases that list it."""

from django.db import migrations

RELEASES_OF = {
    # The releases an institution's kind or country is indexed with, NEW.id the institution.
    "now": ("SELECT release_id FROM archive_release_institutions WHERE institution_id = NEW.id "
            "UNION SELECT release_id FROM archive_quote WHERE institution_id = NEW.id "
            "UNION SELECT release_id FROM archive_appearance WHERE affiliation_id = NEW.id"),
    "before": ("SELECT release_id FROM archive_release_institutions "
               "WHERE institution_id = NEW.id"),
}
SQLITE_TRIGGER = ("CREATE TRIGGER archive_institution_search_au AFTER UPDATE OF kind, country "
                  "ON archive_institution BEGIN INSERT INTO archive_searchchange (release_id) "
                  "{releases}; END")
POSTGRESQL_FUNCTION = """CREATE OR REPLACE FUNCTION archive_institution_search_changed()
    RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO archive_searchchange (release_id, xact)
        SELECT release_id, pg_current_xact_id()::text::bigint FROM ({releases}) AS linked;
        RETURN NULL;
    END $$"""


def _institution_trigger(releases):
    def change(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            schema_editor.execute("DROP TRIGGER IF EXISTS archive_institution_search_au")
            schema_editor.execute(SQLITE_TRIGGER.format(releases=releases))
        elif vendor == "postgresql":
            # The trigger (0021) stays: it calls the function by name.
            schema_editor.execute(POSTGRESQL_FUNCTION.format(releases=releases))
    return change


class Migration(migrations.Migration):
    dependencies = [("archive", "0022_appearance_person_latest")]

    operations = [
        migrations.RunPython(_institution_trigger(RELEASES_OF["now"]),
                             _institution_trigger(RELEASES_OF["before"])),
    ]
