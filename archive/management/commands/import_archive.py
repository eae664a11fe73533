from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from archive.ingest.store import damaged_originals
from archive.models import Document, Institution, Person, Quote, Release, Topic


class Command(BaseCommand):
    help = ("Load an archive written by export_archive into an empty database, then check "
            "that every original matches its recorded SHA-256. All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by export_archive.")

    def handle(self, *args, path, **options):
        if Document.objects.exists() or Release.objects.exists():
            raise CommandError("The database already holds an archive; import_archive only "
                               "loads into an empty one.")
        with transaction.atomic():
            # An empty database still has the default topics; the archive brings its own,
            # with the keywords its curators edited.
            Topic.objects.all().delete()
            call_command("loaddata", path, verbosity=0)
            damaged = [origin for _, origin, _, _ in damaged_originals()]
            if damaged:
                raise CommandError(f"{len(damaged)} originals do not match their SHA-256, "
                                   f"nothing was imported: {', '.join(damaged[:10])}")
        counts = {model._meta.verbose_name_plural: model.objects.count()
                  for model in (Document, Release, Institution, Person, Quote)}
        self.stdout.write("Imported " + ", ".join(f"{n} {name}" for name, n in counts.items()) + ".")
