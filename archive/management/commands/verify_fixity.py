import hashlib

from django.core.management.base import BaseCommand, CommandError

from archive.models import Document


class Command(BaseCommand):
    help = ("Hash every stored original again and compare it with the SHA-256 recorded at "
            "import; report each mismatch and exit with status 1 if there is any.")

    def handle(self, *args, **options):
        checked, mismatches = 0, []
        documents = Document.objects.values_list("pk", "origin", "sha256", "content")
        for pk, origin, recorded, content in documents.iterator(chunk_size=200):
            checked += 1
            actual = hashlib.sha256(bytes(content)).hexdigest()
            if actual != recorded:
                mismatches.append(f"  document {pk} ({origin}): recorded {recorded}, now {actual}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} originals do not match their "
                               "recorded SHA-256:\n" + "\n".join(mismatches))
        self.stdout.write(f"All {checked} originals match their recorded SHA-256.")
