from django.core.management.base import BaseCommand, CommandError

from archive.ingest.store import damaged_originals
from archive.models import Document


class Command(BaseCommand):
    help = ("Hash every stored original again and compare it with the SHA-256 recorded at "
            "import; report each mismatch and exit with status 1 if there is any.")

    def handle(self, *args, **options):
        checked = Document.objects.count()
        mismatches = [f"  document {pk} ({origin}): recorded {recorded}, now {actual}"
                      for pk, origin, recorded, actual in damaged_originals()]
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} originals do not match their "
                               "recorded SHA-256:\n" + "\n".join(mismatches))
        self.stdout.write(f"All {checked} originals match their recorded SHA-256.")
