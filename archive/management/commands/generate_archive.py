"""A realistic synthetic archive for benchmarks: never part of `make run`."""

import datetime
import hashlib
import multiprocessing
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.db.models import Max

from archive.ingest.gazetteer import INSTITUTIONS
from archive.ingest.pipeline import PARSER_VERSION
from archive.models import (
    Appearance,
    Document,
    Institution,
    Person,
    Quote,
    Release,
    Topic,
)

SURNAMES = ("Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma Luo "
            "Liang Song Zheng Xie Han Tang Feng Yu Dong Xiao Cheng Cao Yuan Deng Xu Fu Shen "
            "Zeng Peng Lu").split()
GIVEN = ("Wei Fang Min Jing Lei Tao Yan Hui Qiang Ning Jun Ping Hong Bo Xin Yu Chen Hao Lin "
         "Yi Kai Rui Xue Dan Feng Ying Zhen Song").split()
ROLES = ["governor", "deputy governor", "chairman", "president", "chief economist",
         "researcher", "deputy director", "spokesperson", "vice-president", "analyst"]
VERBS = ["said", "added", "noted", "stressed", "pointed out"]
SUBJECTS = ["lending to small and micro enterprises", "technology finance", "green bonds",
            "the reserve requirement ratio", "liquidity in the banking system",
            "loans to private firms", "the property market", "cross-border payments",
            "the digital yuan", "local government debt", "inclusive finance in rural areas",
            "financing costs for the real economy", "the bond market", "capital adequacy",
            "foreign exchange reserves", "consumer credit", "venture capital for startups",
            "pension funds", "insurance for farmers", "carbon emission reduction loans"]
ACTIONS = ["will step up support for", "plans to expand", "will keep a close watch on",
           "has launched new products for", "will further improve", "aims to stabilise",
           "is studying measures on", "reported strong growth in", "will cut costs of",
           "called for more attention to"]
RARE = ["Zhangjiakou", "Xishuangbanna", "Karamay", "Shihezi", "Yinchuan", "Ordos"]


class Command(BaseCommand):
    help = ("Generate a synthetic archive of N releases for benchmarks: institutions from the "
            "gazetteer (a few in most releases), people with roles, statements and topics, "
            "bodies of 200-800 words over 20 years, written in bulk.")

    def add_arguments(self, parser):
        parser.add_argument("--releases", type=int, required=True, help="How many releases.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--batch", type=int, default=2000, help="Rows per transaction.")
        parser.add_argument("--jobs", type=int, default=1,
                            help="PostgreSQL: write with this many processes at once (the "
                                 "database computes each release's search vector, one core "
                                 "a connection). Default 1.")

    def handle(self, *args, releases, seed, batch, jobs, **options):
        if releases < 1:
            raise CommandError("--releases must be at least 1.")
        if jobs < 1 or (jobs > 1 and connection.vendor != "postgresql"):
            raise CommandError("--jobs must be 1, or more on PostgreSQL (SQLite has one writer).")
        rng = random.Random(seed)
        self.institutions = self.ensure_institutions()
        self.people = self.ensure_people(rng)
        self.topics = list(Topic.objects.values_list("pk", flat=True))
        self.sentences = self.sentence_pool(rng)
        # Zipf-like weights: a few institutions appear in most releases, as in reality.
        self.weights = [1 / (rank + 1) ** 1.1 for rank in range(len(self.institutions))]
        started = time.perf_counter()
        first_ids = {model: (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
                     for model in (Document, Release)}
        if jobs == 1:
            self.write_slice(seed, 0, releases, batch, first_ids, started)
        else:
            # Each process writes its share of the numbers, with ids of its own; forked, so
            # that it starts from the vocabulary built here, on a connection of its own.
            connections.close_all()
            share = -(-releases // jobs)
            context = multiprocessing.get_context("fork")
            workers = [context.Process(target=self.write_slice, args=(
                seed, start, min(start + share, releases), batch, first_ids, None))
                for start in range(0, releases, share)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            if any(worker.exitcode for worker in workers):
                raise CommandError("A writing process failed; see its error above.")
        self.reset_sequences()
        if connection.vendor == "postgresql":
            # Without statistics on the new rows the planner guesses how common a word is,
            # and a common word's search can take a plan ten times slower.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"\nGenerated {releases} releases in "
                          f"{time.perf_counter() - started:.1f} s.")

    def ensure_institutions(self) -> list[tuple[int, str]]:
        for name, kind, country, _ in INSTITUTIONS:
            if not Institution.objects.named(name).exists():
                Institution.objects.create(name=name, kind=kind, country=country)
        # Commercial and central banks first: they lead the Zipf ranking.
        order = {"commercial_bank": 0, "central_bank": 1, "regulator": 2, "policy_bank": 3}
        rows = Institution.objects.values_list("pk", "name", "kind")
        return [(pk, name) for pk, name, kind in sorted(rows, key=lambda r: (order.get(r[2], 9), r[0]))]

    def ensure_people(self, rng) -> list[tuple[int, str, str, int]]:
        people = []
        for surname in SURNAMES:
            for given in rng.sample(GIVEN, 12):
                name = f"{surname} {given}{rng.choice(GIVEN).lower()}"
                person = Person.objects.named(name).first() or Person.objects.create(name=name)
                institution = rng.choice(self.institutions[:60])[0]
                people.append((person.pk, person.name, rng.choice(ROLES), institution))
        return people

    def sentence_pool(self, rng) -> list[str]:
        pool = []
        for _ in range(6000):
            name = rng.choice(self.institutions[:80])[1]
            sentence = (f"{name} {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)} "
                        f"in {rng.choice(['the first quarter', 'the coming year', 'the past month', 'the next stage'])}")
            if rng.random() < 0.002:
                sentence += f" in {rng.choice(RARE)}"
            pool.append(sentence + ".")
        return pool

    def write_slice(self, seed, start, end, batch, first_ids, started):
        """Releases numbered start to end, a transaction a batch; with `started`, progress."""
        rng = random.Random(f"{seed}-{start}")
        done = start
        while done < end:
            size = min(batch, end - done)
            with transaction.atomic():
                self.write_batch(rng, seed, done, size, first_ids)
            done += size
            if started:
                rate = (done - start) / (time.perf_counter() - started)
                self.stdout.write(f"\r{done}/{end} releases, {rate:.0f}/s", ending="")

    def write_batch(self, rng, seed, offset, size, first_ids):
        documents, releases, links, topic_links, appearances, quotes = [], [], [], [], [], []
        now = datetime.datetime.now(datetime.UTC)
        start = datetime.date(2006, 1, 1)
        release_id = first_ids[Release] + offset
        for index in range(size):
            number = offset + index
            words_wanted = rng.randint(200, 800)
            paragraphs, count = [], 0
            while count < words_wanted:
                paragraph = " ".join(rng.choices(self.sentences, k=rng.randint(2, 5)))
                paragraphs.append(paragraph)
                count += paragraph.count(" ") + 1
            chosen = list(dict.fromkeys(pk for pk, _ in rng.choices(
                self.institutions, weights=self.weights, k=rng.randint(1, 4))))
            title = f"{self.institution_name(chosen[0])} {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)}"
            speakers = rng.sample(self.people, rng.randint(0, 3))
            for person_id, name, role, institution in speakers:
                paragraphs.append(f"{name}, {role} of {self.institution_name(institution)}, "
                                  f"said the measures {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)}.")
            body = "\n\n".join(paragraphs)
            content = f"{title}\n{number}\n\n{body}\n\nReference {seed}-{number}\n".encode()
            document_id = first_ids[Document] + offset + index
            published = start + datetime.timedelta(days=rng.randint(0, 365 * 20))
            documents.append((document_id, content, hashlib.sha256(content).hexdigest(),
                              f"generated/{seed}/{number}.txt", "text/plain", "utf-8",
                              len(content), now, PARSER_VERSION))
            releases.append((release_id, title, f"generated-{number}", published,
                             rng.choice(["", "", "China Daily", "Xinhua", "Reuters"]), None,
                             body, "en", document_id, "[]", False, False, now, now))
            links.extend((release_id, pk) for pk in chosen)
            topic_links.extend((release_id, pk) for pk in set(rng.choices(self.topics, k=rng.randint(1, 3))))
            for position, (person_id, name, role, institution) in enumerate(speakers, 1):
                appearances.append((release_id, person_id, role, institution))
                quotes.append((release_id, person_id, None, "indirect",
                               f"the measures {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)}",
                               position, role, False))
            quotes.append((release_id, None, chosen[0], "indirect",
                           f"it {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)}",
                           len(speakers) + 1, "", False))
            release_id += 1
        self.insert(Document, ["id", "content", "sha256", "origin", "media_type", "encoding",
                               "size", "imported_at", "parser_version"], documents)
        self.insert(Release, ["id", "title", "slug", "published", "source", "source_date", "body",
                              "language", "document_id", "curated_fields", "reviewed", "hidden",
                              "created", "updated"], releases)
        self.insert(Release.institutions.through, ["release_id", "institution_id"], links)
        self.insert(Release.topics.through, ["release_id", "topic_id"], topic_links)
        self.insert(Appearance, ["release_id", "person_id", "role", "affiliation_id"], appearances)
        self.insert(Quote, ["release_id", "person_id", "institution_id", "kind", "text",
                            "position", "role", "verified"], quotes)

    def institution_name(self, pk: int) -> str:
        if not hasattr(self, "_names"):
            self._names = dict(self.institutions)
        return self._names[pk]

    @staticmethod
    def insert(model, columns, rows):
        """Rows in bulk: COPY on PostgreSQL, many-row INSERTs on SQLite. The ORM's per-object
        work (and PostgreSQL's per-statement round trip) would make a million releases take
        hours."""
        if not rows:
            return
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def reset_sequences(self):
        # Statements and appearances took their ids from the sequences already.
        statements = connection.ops.sequence_reset_sql(no_style(), [Document, Release])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
