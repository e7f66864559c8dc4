"""What query screening and advertising review share: text normalisation, whole-phrase regex
alternations built from the YAML word lists, and loading those rule files."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import yaml

TOKEN = re.compile(r"[a-z0-9+]+")


def normalize(text: str) -> str:
    """Lower case, hyphens/slashes as spaces, punctuation other than , . ; : ! ? + ' % dropped."""
    lowered = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("‘", "'")
    spaced = re.sub(r"[-_/]+", " ", lowered)
    cleaned = re.sub(r"[^\w\s+',.;:!?%]", " ", spaced)
    return re.sub(r"\s+", " ", cleaned).strip()


def any_phrase(phrases: Iterable[str]) -> str:
    """An alternation of whole phrases, longest first so "section 8 housing" beats "section 8"."""
    listed = list(phrases)
    for phrase in listed:
        if not isinstance(phrase, str):
            # YAML reads a bare no/yes/on/off as a boolean: such words must be quoted.
            raise ValueError(f"fair-housing word lists hold text, not {phrase!r}")
    unique = sorted({normalize(phrase) for phrase in listed}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in p.split()) for p in unique)
    return rf"(?<![\w+])(?:{alternatives})(?![\w+])"


def first_words(phrases: Iterable[str]) -> frozenset[str]:
    """The first word of each phrase: a pattern built from them cannot match without one."""
    return frozenset(TOKEN.findall(normalize(phrase))[0] for phrase in phrases)


def load_rules(name: str) -> Mapping[str, Any]:
    """A rule file shipped next to this package's modules."""
    path = resources.files(__package__).joinpath(name)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name} must be a mapping")
    return data
