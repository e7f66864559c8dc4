"""Which HNSW graph holds a search's listings: the status filter decides (store.VECTOR_GRAPHS)."""

from __future__ import annotations

import pytest

from copilot_api.listings.fields import Op
from copilot_api.listings.filters import Filter
from copilot_api.listings.search import status_graphs
from copilot_api.listings.store import ACTIVE_GRAPH, OTHER_GRAPH, VectorGraph

PRICE = Filter("ListPrice", Op.LTE, 500_000)


def status(op: Op, value: str | list[str]) -> Filter:
    return Filter("StandardStatus", op, value)


@pytest.mark.parametrize(
    ("filters", "met", "unknown"),
    [
        # The default: Active listings, and those without a status as the unknown tier.
        ([PRICE, status(Op.EQ, "Active")], ACTIVE_GRAPH, ACTIVE_GRAPH),
        ([status(Op.EQ, "active")], ACTIVE_GRAPH, ACTIVE_GRAPH),
        ([status(Op.IN, ["Active"])], ACTIVE_GRAPH, ACTIVE_GRAPH),
        # Statuses that exclude Active: their matches are all in the other graph, but their
        # unknowns (no status) are in the Active one.
        ([status(Op.EQ, "Closed")], OTHER_GRAPH, None),
        ([status(Op.IN, ["Pending", "Closed"])], OTHER_GRAPH, None),
        ([status(Op.NE, "Active")], OTHER_GRAPH, None),
        ([status(Op.NOT_IN, ["Active", "Pending"])], OTHER_GRAPH, None),
        # Both kinds: no one graph holds them.
        ([status(Op.IN, ["Active", "Pending"])], None, None),
        ([status(Op.NE, "Closed")], None, None),
        ([PRICE], None, None),
    ],
)
def test_the_status_filter_picks_the_graph(
    filters: list[Filter], met: VectorGraph | None, unknown: VectorGraph | None
) -> None:
    assert status_graphs(filters) == (met, unknown)


def test_the_graphs_split_the_table() -> None:
    """Every listing is in exactly one graph: the predicates are each other's negation."""
    assert OTHER_GRAPH.predicate == f"NOT {ACTIVE_GRAPH.predicate}"
