import time

from django.core.management.base import BaseCommand

from archive import search_index


class Command(BaseCommand):
    help = ("Build the search indexes again from the database: every visible release and its "
            "statements. Searches go on meanwhile, on the indexes as they were.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="Releases read at a time.")
        parser.add_argument("--changes-only", action="store_true",
                            help="Only apply the changes since the index last did, building it "
                                 "whole if it is new (what a server does before each search).")
        parser.add_argument("--keep-changes", type=int, default=search_index.KEPT_CHANGES,
                            help="Then prune the change log to its newest N rows (default "
                                 "%(default)s); a server's index that had not read the rows "
                                 "pruned is built again whole at its next search.")

    def handle(self, *args, batch, changes_only, keep_changes, **options):
        started = time.perf_counter()
        indexes = [search_index.get_index(), search_index.get_statement_index()]
        for folder in search_index.remove_old_formats():
            self.stdout.write(f"Removed {folder}, an index in an earlier format.")
        if changes_only:
            done = [search_index.catch_up(index) for index in indexes][0]
            self.stdout.write(f"Indexed {done} releases in {time.perf_counter() - started:.1f} s.")
            self.prune(keep_changes)
            return

        def progress(done):
            rate = done / (time.perf_counter() - started)
            self.stdout.write(f"\r{done} releases, {rate:.0f}/s", ending="")

        done = [search_index.rebuild(index, batch=batch, progress=progress
                                     if options["verbosity"] > 1 else None)
                for index in indexes][0]
        self.stdout.write(f"Indexed {done} releases and their statements in "
                          f"{time.perf_counter() - started:.1f} s into "
                          f"{search_index.get_index().path.parent}.")
        self.prune(keep_changes)

    def prune(self, keep: int) -> None:
        if deleted := search_index.prune(keep):
            self.stdout.write(f"Pruned {deleted} rows from the change log, keeping {keep}.")
