from django.core.management import call_command
from django.core.management.base import BaseCommand

# The FTS5 tables behind SQLite search are derived from the records (triggers refill them
# on import); they are not part of the archive.
DERIVED = ["archive.ReleaseSearch", "archive.QuoteSearch"]


class Command(BaseCommand):
    help = ("Write the whole archive — every original file's bytes and every record, curated "
            "or not — to one file that import_archive loads into an empty database. A name "
            "ending .gz, .bz2, .xz or .zip is compressed.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to write, e.g. archive-2026-11-27.json.gz")

    def handle(self, *args, path, **options):
        # dumpdata streams each table with a server-side iterator, so memory stays flat.
        call_command("dumpdata", "archive", exclude=DERIVED, output=path, verbosity=0)
        self.stdout.write(f"Archive written to {path}.")
