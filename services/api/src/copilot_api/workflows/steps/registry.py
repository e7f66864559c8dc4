"""The general-purpose step types of the engine (capabilities such as property search offer
theirs through `app.state[WORKFLOW_STEP_TYPES]`, see search/plugin.py)."""

from __future__ import annotations

from copilot_api.workflows.steps.base import StepRegistry
from copilot_api.workflows.steps.generation_steps import ComplianceCheck, Generate, Respond
from copilot_api.workflows.steps.listing_steps import Comparables, LoadListing
from copilot_api.workflows.steps.session_steps import LoadSession, SelectListings


def shipped_steps() -> StepRegistry:
    return StepRegistry(
        [
            LoadListing(),
            Comparables(),
            LoadSession(),
            SelectListings(),
            Generate(),
            ComplianceCheck(),
            Respond(),
        ]
    )
