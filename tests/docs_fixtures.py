"""Files a document's SQL examples read, written into the examples' scratch folder first.

Examples that need a model or a data file would otherwise have to be marked not-tested; here
they get a small, deterministic one made by the same code the extension's own tests use.
"""

import sys

import helpers


def _embed(folder):
    # mini.gguf: the tiny BERT model of the local-embedding tests (seeded random weights and a
    # small WordPiece vocabulary), so tokenizer, chunking and batching examples really run.
    sys.path.insert(0, str(helpers.ROOT / "tests" / "embed"))
    import numpy as np

    import local_gguf

    local_gguf.write_bert(str(folder / "mini.gguf"),
                          local_gguf.random_bert(np.random.default_rng(1)))


FIXTURES = {"embed.md": _embed}


def prepare(doc_name, folder):
    """Writes the files docs/<doc_name> needs into folder (nothing for most documents)."""
    make = FIXTURES.get(doc_name)
    if make is not None:
        make(folder)
