"""The offline embedding provider: signed feature hashing of words, word pairs and char n-grams.

Nothing is downloaded and the output depends only on the text, so the same listing always gets
the same vector in every process (Python's salted `hash()` is never used). Lexical rather than
semantic: "garage" matches "garages" and "2-car garage" through shared character n-grams, but
not "carport".

Everything is vectorised with numpy over a whole batch: the texts are joined into one byte array,
n-gram hashes come from polynomial prefix sums (uint64 arithmetic wraps, which is exactly the
modular arithmetic we want), and one `bincount` scatters the signed features into the matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
_U64 = npt.NDArray[np.uint64]

MODEL_NAME: Final = "feature-hashing-v1"

_MASK64: Final = (1 << 64) - 1
_BASE: Final = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_BASE_INVERSE: Final = pow(_BASE, -1, 1 << 64)
_PAIR_MULTIPLIER: Final = 0x9E3779B97F4A7C15
_SPACE: Final = 32
_SEPARATOR: Final = 0  # between texts; no feature may span it

# Feature families: a per-family salt keeps "ga" the word apart from "ga" the n-gram, and a
# weight balances the families (a text has many more char n-grams than words).
_CHAR_NGRAMS: Final = ((3, 0.35, 0x51ED270B27F3A1C5), (4, 0.35, 0x2545F4914F6CDD1D))
_WORD_WEIGHT: Final = 1.0
_WORD_SALT: Final = 0x6A09E667F3BCC909
_PAIR_WEIGHT: Final = 0.7
_PAIR_SALT: Final = 0xBB67AE8584CAA73B

_STOPWORDS: Final = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have",
        "in", "is", "it", "its", "of", "on", "or", "the", "this", "that", "to", "was", "were",
        "will", "with", "you", "your", "our", "we", "all", "very", "just", "into", "over", "per",
    }
)  # fmt: skip


def _byte_classes() -> npt.NDArray[np.uint8]:
    """Map every byte to itself (letters, digits, UTF-8 continuation bytes) or to a space."""
    table = np.full(256, _SPACE, dtype=np.uint8)
    for low, high in ((ord("a"), ord("z")), (ord("0"), ord("9")), (0x80, 0xFF)):
        table[low : high + 1] = np.arange(low, high + 1, dtype=np.uint8)
    table[_SEPARATOR] = _SEPARATOR
    return table


_BYTE_CLASSES: Final = _byte_classes()


def _mix(values: _U64, salt: int) -> _U64:
    """splitmix64's finaliser: spreads every input bit over the whole word."""
    x = values ^ np.uint64(salt)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class _Powers:
    """BASE**i and BASE**-i modulo 2**64, grown on demand and shared by every batch."""

    def __init__(self) -> None:
        self.forward: _U64 = np.ones(1, dtype=np.uint64)
        self.inverse: _U64 = np.ones(1, dtype=np.uint64)

    def ensure(self, length: int) -> None:
        if len(self.forward) >= length:
            return
        size = max(length, 2 * len(self.forward))
        self.forward = _geometric(_BASE, size)
        self.inverse = _geometric(_BASE_INVERSE, size)


def _geometric(ratio: int, size: int) -> _U64:
    factors = np.full(size, ratio, dtype=np.uint64)
    factors[0] = 1
    return np.cumprod(factors, dtype=np.uint64)  # wraps modulo 2**64 by design


class HashingEmbedder:
    """Deterministic, L2-normalised embeddings of `dimensions` floats. Thread-safe after init."""

    def __init__(self, dimensions: int) -> None:
        if dimensions < 2:
            raise ValueError("dimensions must be at least 2")
        self.dimensions = dimensions
        self._powers = _Powers()
        self._powers.ensure(1 << 16)
        self._stopword_hashes = np.sort(self._word_hashes(" ".join(sorted(_STOPWORDS))))

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """One row per text; a text without any letter or digit gets the zero vector."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        codes = self._encode(texts)
        rows, buckets, weights = self._features(codes)
        matrix = (
            np.bincount(
                rows * self.dimensions + buckets,
                weights=weights,
                minlength=len(texts) * self.dimensions,
            )
            .reshape(len(texts), self.dimensions)
            .astype(np.float64, copy=False)
        )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        np.divide(matrix, norms, out=matrix, where=norms > 0)
        return matrix.astype(np.float32)

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.uint8]:
        """Lower-cased bytes of " t1 \\0 t2 \\0 ... ", punctuation as spaces, runs of spaces
        collapsed (so n-grams never consist of padding)."""
        joined = " \x00 ".join(text.replace("\x00", " ") for text in texts)
        raw = np.frombuffer(f" {joined} ".lower().encode("utf-8"), dtype=np.uint8)
        codes = _BYTE_CLASSES[raw]
        keep = np.ones(len(codes), dtype=bool)
        keep[1:] = ~((codes[1:] == _SPACE) & (codes[:-1] == _SPACE))
        return codes[keep]

    def _word_hashes(self, text: str) -> _U64:
        codes = self._encode([text])
        prefix = self._prefix_sums(codes)
        starts, ends = _word_bounds(codes)
        return self._substring_hashes(prefix, starts, ends - starts)

    def _prefix_sums(self, codes: npt.NDArray[np.uint8]) -> _U64:
        self._powers.ensure(len(codes) + 1)
        prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
        np.cumsum(codes.astype(np.uint64) * self._powers.forward[: len(codes)], out=prefix[1:])
        return prefix

    def _substring_hashes(
        self, prefix: _U64, starts: npt.NDArray[np.intp], lengths: npt.NDArray[np.intp]
    ) -> _U64:
        """sum(code[start + k] * BASE**k): the same value wherever the substring occurs."""
        hashes: _U64 = (prefix[starts + lengths] - prefix[starts]) * self._powers.inverse[starts]
        return hashes

    def _features(
        self, codes: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        prefix = self._prefix_sums(codes)
        text_of = np.cumsum(codes == _SEPARATOR)  # text index of every position
        # Positions inside stop words produce no feature of any family.
        starts, ends = _word_bounds(codes)
        word_hashes = self._substring_hashes(prefix, starts, ends - starts)
        is_stop = np.isin(word_hashes, self._stopword_hashes, assume_unique=False)
        blocked = codes == _SEPARATOR
        if is_stop.any():
            delta = np.zeros(len(codes) + 1, dtype=np.int32)
            np.add.at(delta, starts[is_stop], 1)
            np.add.at(delta, ends[is_stop], -1)
            blocked |= np.cumsum(delta[:-1]) > 0
        blocked_prefix = np.concatenate(([0], np.cumsum(blocked)))

        parts: list[tuple[npt.NDArray[np.intp], _U64, float]] = []
        for n, weight, salt in _CHAR_NGRAMS:
            if len(codes) < n:
                continue
            positions = np.arange(len(codes) - n + 1)
            clean = blocked_prefix[positions + n] == blocked_prefix[positions]
            positions = positions[clean]
            hashes = self._substring_hashes(prefix, positions, np.full(len(positions), n))
            parts.append((text_of[positions], _mix(hashes, salt), weight))

        content = ~is_stop
        words, word_texts = word_hashes[content], text_of[starts[content]]
        parts.append((word_texts, _mix(words, _WORD_SALT), _WORD_WEIGHT))
        same_text = word_texts[1:] == word_texts[:-1]
        pairs = words[:-1][same_text] * np.uint64(_PAIR_MULTIPLIER) + words[1:][same_text]
        parts.append((word_texts[1:][same_text], _mix(pairs, _PAIR_SALT), _PAIR_WEIGHT))

        rows = np.concatenate([part[0] for part in parts]).astype(np.intp)
        mixed = np.concatenate([part[1] for part in parts])
        base_weights = np.concatenate([np.full(len(part[0]), part[2]) for part in parts])
        buckets = (mixed % np.uint64(self.dimensions)).astype(np.intp)
        signs = np.where((mixed >> np.uint64(63)) == 1, -1.0, 1.0)
        return rows, buckets, base_weights * signs


def _word_bounds(codes: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start (inclusive) and end (exclusive) of every run of word bytes."""
    is_word = (codes != _SPACE) & (codes != _SEPARATOR)
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return starts, ends
