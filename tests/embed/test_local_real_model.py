"""Opt-in: a real all-MiniLM-L6-v2 GGUF file (none can be downloaded on the build machines).
Set STRATA_MINILM_GGUF=/path/to/all-MiniLM-L6-v2.<type>.gguf to run it."""

import os

import numpy as np
import pytest

import helpers

PATH = os.environ.get("STRATA_MINILM_GGUF")


@pytest.mark.skipif(not PATH, reason="set STRATA_MINILM_GGUF to a real all-MiniLM-L6-v2 GGUF file")
def test_minilm_reference_values(db):
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('default', ?)", (PATH,))
    v = np.frombuffer(helpers.scalar(db, "SELECT lembed('This is an example sentence')"),
                      dtype=np.float32)
    # sentence-transformers model card: [0.0459, 0.0733, 0.0540, ...]
    assert v.shape == (384,)
    assert np.allclose(v[:3], [0.0459, 0.0733, 0.0540], atol=1e-2)
    # sqlite-lembed's own test: 'alex garcia' -> first value about -0.0920576
    w = np.frombuffer(helpers.scalar(db, "SELECT lembed('alex garcia')"), dtype=np.float32)
    assert abs(w[0] - -0.0920576) < 1e-2
