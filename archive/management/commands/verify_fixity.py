from django.core.management.base import BaseCommand, CommandError

from archive.harvest.warc import damaged_captures
from archive.ingest.store import damaged_originals
from archive.models import Document


class Command(BaseCommand):
    help = ("Hash every stored original again and compare it with the SHA-256 recorded at "
            "import, and read every harvested page's WARC record to compare its body and "
            "payload digest; report each mismatch and exit with status 1 if there is any.")

    def handle(self, *args, **options):
        checked = Document.objects.count()
        captures = Document.objects.exclude(warc_file=None).count()
        mismatches = [f"  document {pk} ({origin}): recorded {recorded}, now {actual}"
                      for pk, origin, recorded, actual in damaged_originals()]
        mismatches += [f"  document {pk} ({origin}): WARC record {record}: {problem}"
                       for pk, origin, record, problem in damaged_captures()]
        if mismatches:
            raise CommandError(f"{len(mismatches)} problems among {checked} originals and "
                               f"{captures} WARC records:\n" + "\n".join(mismatches))
        self.stdout.write(f"All {checked} originals match their recorded SHA-256, and all "
                          f"{captures} WARC records their originals and payload digests.")
