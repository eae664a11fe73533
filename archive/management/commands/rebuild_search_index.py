import time

from django.core.management.base import BaseCommand

from archive import search_index


class Command(BaseCommand):
    help = ("Build the search index again from the database: every visible release. Searches "
            "go on meanwhile, on the index as it was.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="Releases read at a time.")

    def handle(self, *args, batch, **options):
        started = time.perf_counter()

        def progress(done):
            rate = done / (time.perf_counter() - started)
            self.stdout.write(f"\r{done} releases, {rate:.0f}/s", ending="")

        done = search_index.rebuild(batch=batch, progress=progress if options["verbosity"] > 1
                                    else None)
        self.stdout.write(f"Indexed {done} releases in {time.perf_counter() - started:.1f} s "
                          f"into {search_index.get_index().path}.")
