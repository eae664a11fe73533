import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from archive.harvest.harvester import due_sources, harvest
from archive.models import Source

# How often a looping harvester looks for sources that have fallen due.
LOOP_SECONDS = 60


class Command(BaseCommand):
    help = ("Harvest the sources that are due (or those named): find new article addresses, "
            "fetch each page politely into WARC and import it like a file. Each run is "
            "recorded; a source another harvester is working on is left to it.")

    def add_arguments(self, parser):
        parser.add_argument("--source", nargs="+", default=[], metavar="SLUG",
                            help="Harvest these sources now, due or not (active or not); "
                                 "with --loop, only these.")
        parser.add_argument("--loop", action="store_true",
                            help=f"Keep going: look for due sources every {LOOP_SECONDS} s.")

    def handle(self, *args, source, loop, **options):
        named = list(Source.objects.filter(slug__in=source))
        unknown = set(source) - {s.slug for s in named}
        if unknown:
            raise CommandError(f"No source with the slug {', '.join(sorted(unknown))}.")
        sources = named or due_sources(timezone.now())
        while True:
            for run in harvest(sources):
                self.stdout.write(
                    f"{run.source.slug}: {run.discovered} discovered, {run.fetched} fetched, "
                    f"{run.not_modified} not modified, {run.new} new, {run.changed} changed, "
                    f"{run.failed} failed.")
                for failure in run.failures:
                    self.stdout.write(f"  {failure['url']}: {failure['reason']}")
            if not loop:
                return
            time.sleep(LOOP_SECONDS)
            # After the first round, the sources named (or all) as they fall due.
            sources = [s for s in due_sources(timezone.now()) if not named or s in named]
