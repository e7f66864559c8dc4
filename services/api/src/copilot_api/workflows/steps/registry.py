"""The step types shipped with the service."""

from __future__ import annotations

from copilot_api.workflows.steps.base import StepRegistry
from copilot_api.workflows.steps.generation_steps import ComplianceCheck, Generate, Respond
from copilot_api.workflows.steps.listing_steps import Comparables, LoadListing
from copilot_api.workflows.steps.search_steps import (
    RememberSearch,
    ScreenQuery,
    SearchListings,
    UnderstandQuery,
)
from copilot_api.workflows.steps.session_steps import LoadSession, SelectListings


def shipped_steps() -> StepRegistry:
    return StepRegistry(
        [
            ScreenQuery(),
            UnderstandQuery(),
            SearchListings(),
            RememberSearch(),
            LoadListing(),
            Comparables(),
            LoadSession(),
            SelectListings(),
            Generate(),
            ComplianceCheck(),
            Respond(),
        ]
    )
