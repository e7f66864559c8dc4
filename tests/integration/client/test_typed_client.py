"""The generated client (clients/python) against the live service: what an API consumer does."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from copilot_api.app import create_app
from copilot_api.listings.samples.generator import generate_listings
from copilot_client import AuthenticatedClient
from copilot_client.api.listings import api_listings_bulk_upsert as bulk_upsert
from copilot_client.api.listings import api_listings_listing_key_get_listing as get_listing
from copilot_client.api.search import api_property_search_property_search as property_search
from copilot_client.api.workflows import (
    api_workflows_workflow_id_execute_execute_workflow as execute_workflow,
)
from copilot_client.models import (
    BulkRequest,
    BulkRequestListingsItem,
    BulkResponse,
    ErrorBody,
    ExecuteRequest,
    ExecuteRequestInput,
    SearchRequest,
    SearchResponse,
)
from copilot_config import Settings
from tests.integration.observability.live import serve_in_thread
from tests.integration.security.support import make_key

pytestmark = pytest.mark.slow


@pytest.fixture
def api(make_settings: Callable[..., Settings], database_url: str) -> Iterator[AuthenticatedClient]:
    """A client of a live server (empty listings table), authenticated with an admin key."""
    key = make_key(database_url, name="typed-client", scopes="admin")
    app = create_app(make_settings(database_url=database_url, load_sample_data=False))
    with (
        serve_in_thread(app) as base,
        AuthenticatedClient(
            base_url=base, token=key, prefix="", auth_header_name="X-API-Key", timeout=None
        ) as client,
    ):
        yield client


def test_upsert_search_read_and_describe(api: AuthenticatedClient) -> None:
    listings = [BulkRequestListingsItem.from_dict(item) for item in generate_listings(60)]
    stored = bulk_upsert.sync(client=api, body=BulkRequest(listings=listings))
    assert isinstance(stored, BulkResponse), stored
    assert (stored.inserted, stored.rejected) == (60, 0)

    again = bulk_upsert.sync(client=api, body=BulkRequest(listings=listings))
    assert isinstance(again, BulkResponse)
    assert (again.inserted, again.unchanged) == (0, 60)

    found = property_search.sync(client=api, body=SearchRequest(query="house with a garage"))
    assert isinstance(found, SearchResponse), found
    assert found.results
    keys = [result.listing["ListingKey"] for result in found.results]
    assert set(keys) <= {item["ListingKey"] for item in generate_listings(60)}

    listing = get_listing.sync(keys[0], client=api)
    assert not isinstance(listing, ErrorBody)
    assert listing is not None
    assert listing["ListingKey"] == keys[0]

    body = ExecuteRequest(input_=ExecuteRequestInput.from_dict({"listing_key": keys[0]}))
    execution = execute_workflow.sync("listing_description", client=api, body=body)
    assert not isinstance(execution, ErrorBody), execution
    assert execution is not None
    assert execution["status"] == "succeeded", execution.to_dict()
    assert execution["workflow"] == {"id": "listing_description", "version": 1}


def test_errors_come_back_as_the_typed_error_body(api: AuthenticatedClient) -> None:
    missing = get_listing.sync_detailed("NO-SUCH-KEY", client=api)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, ErrorBody)
    assert missing.parsed.error.code == "listing_not_found"
