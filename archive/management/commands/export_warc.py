from django.core.management.base import BaseCommand, CommandError
from warcio.warcwriter import WARCWriter

from archive.harvest.warc import copy_record
from archive.models import Document


class Command(BaseCommand):
    help = ("Write every archived capture (the WARC response record of each harvested page "
            "version) to one WARC file, for replay in pywb, the Wayback Machine or any other "
            "WARC reader.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to write, e.g. captures.warc.gz "
                                         "(gzipped record by record when it ends .gz).")

    def handle(self, *args, path, **options):
        captures = (Document.objects.exclude(warc_file=None).order_by("fetched_at", "pk")
                    .values_list("warc_file", "warc_offset"))
        missing = []
        with open(path, "wb") as file:
            writer = WARCWriter(file, gzip=path.endswith(".gz"))
            for name, offset in captures.iterator():
                try:
                    copy_record(name, offset, writer)
                except OSError as error:
                    missing.append(f"  {name} at {offset}: {error}")
        written = captures.count() - len(missing)
        self.stdout.write(f"{written} captures written to {path}.")
        if missing:
            raise CommandError("Some captures could not be read:\n" + "\n".join(missing))
