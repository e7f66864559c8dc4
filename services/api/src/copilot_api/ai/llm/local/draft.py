"""What a local writer returns, and fitting text to a length limit without cutting mid-sentence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    data: dict[str, Any]
    """The same content as a JSON object, for structured (JSON schema) requests."""


def fit_sentences(sentences: Sequence[tuple[str, int]], max_chars: int, sep: str = " ") -> str:
    """Join sentences, dropping the least important (highest priority number) until it fits.

    The survivors keep their original order. If even the most important sentence is too long,
    it is cut at a word boundary.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    kept = list(enumerate(sentences))
    while len(kept) > 1 and len(sep.join(text for _, (text, _) in kept)) > max_chars:
        drop = max(kept, key=lambda entry: (entry[1][1], entry[0]))
        kept.remove(drop)
    joined = sep.join(text for _, (text, _) in kept)
    if len(joined) <= max_chars:
        return joined
    cut = joined[: max_chars + 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut[:max_chars]
