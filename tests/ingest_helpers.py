import importlib
from pathlib import Path

from archive.ingest.pipeline import Context, extract

FIXTURES = Path(__file__).parent / "fixtures"
SEED = Path(__file__).parent.parent / "seeds" / "000_53a132089076e03c.txt"
TOPICS = importlib.import_module("archive.migrations.0003_topics").TOPICS


def context() -> Context:
    """The shipped taxonomy's keywords, as a fresh archive has them."""
    return Context(topic_keywords={slug: keywords for slug, _, _, keywords in TOPICS})


def extract_fixture(name: str):
    path = SEED if name == "seed" else FIXTURES / name
    return extract(path.read_bytes(), path.name, context())
