"""The offline embedder: deterministic, normalised, lexical, batch-independent and fast."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from copilot_api.ai.hashing_embedder import HashingEmbedder
from copilot_api.listings.fields import embedding_text
from copilot_api.listings.samples import generate_listings


def test_vectors_are_unit_length_float32_and_zero_for_wordless_text() -> None:
    vectors = HashingEmbedder(384).embed(["Sunny ranch with a pool", "", "?!", "the and of"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, 384)
    assert abs(float(np.linalg.norm(vectors[0])) - 1) < 1e-5
    assert not vectors[1:].any()  # nothing but punctuation and stop words


def test_a_text_embeds_the_same_alone_or_in_any_batch() -> None:
    embedder = HashingEmbedder(256)
    texts = ["3-car garage", "Updated kitchen, quartz counters", "Lake Monona frontage"]
    batch = embedder.embed(texts)
    for index, text in enumerate(texts):
        np.testing.assert_allclose(embedder.embed([text])[0], batch[index], atol=1e-6)
    np.testing.assert_allclose(embedder.embed(texts[::-1])[::-1], batch, atol=1e-6)


def test_the_same_text_gets_the_same_vector_in_another_process() -> None:
    """No salted hash() anywhere: a listing embedded by the CLI matches the server's query."""
    code = (
        "from copilot_api.ai.hashing_embedder import HashingEmbedder;"
        "print(HashingEmbedder(64).embed(['Craftsman bungalow near the park'])[0].tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout
        for seed in (1, 2)
    }
    assert len(outputs) == 1


def test_similar_wording_scores_higher_than_unrelated_wording() -> None:
    query, close, far = HashingEmbedder(384).embed(
        [
            "three car garage and a swimming pool",
            "Attached 3-car garage. Sparkling in-ground pool with a sunny deck.",
            "Top-floor condominium downtown, walk to the farmers market.",
        ]
    )
    assert float(query @ close) > float(query @ far) + 0.2
    assert float(query @ close) > 0.25


def test_embedding_a_thousand_listings_is_fast() -> None:
    texts = [embedding_text(listing) for listing in generate_listings(1_000)]
    embedder = HashingEmbedder(384)
    embedder.embed(texts[:10])  # warm up
    started = time.perf_counter()
    embedder.embed(texts)
    # ~0.1 s on the shared 2-core machine; generous bound so a busy machine does not flake.
    assert time.perf_counter() - started < 2.0
