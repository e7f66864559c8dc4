"""Reading a Prometheus text exposition in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Series = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> dict[Series, float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def matching(samples: dict[Series, float], name: str, **labels: str) -> dict[Series, float]:
    wanted = set(labels.items())
    return {
        key: value for key, value in samples.items() if key[0] == name and wanted <= set(key[1])
    }


def total(samples: dict[Series, float], name: str, **labels: str) -> float:
    return sum(matching(samples, name, **labels).values())
