"""Steps that read listings: one listing's facts, and comparables for a market analysis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from psycopg import sql
from psycopg.rows import dict_row
from pydantic import Field

from copilot_api.listings.fields import public_listing
from copilot_api.listings.store import fetch_listing
from copilot_api.workflows.cma import Comparable, analyse, distance_miles, similarity
from copilot_api.workflows.steps.base import StepContext, StepError, StepParams, StepType

# Subtypes that compare with each other in a CMA.
_SUBTYPE_GROUPS = (
    frozenset({"Single Family Residence", "Manufactured Home"}),
    frozenset({"Condominium", "Townhouse"}),
)


class LoadListingParams(StepParams):
    listing_key: str = Field(min_length=1, max_length=64)


class LoadListing(StepType[LoadListingParams]):
    """The listing's public RESO facts (agent-only fields removed)."""

    name: ClassVar[str] = "load_listing"
    params_model: ClassVar[type[StepParams]] = LoadListingParams

    async def run(self, params: LoadListingParams, context: StepContext) -> dict[str, Any]:
        async with context.services.database.pool.connection() as connection:
            data = await fetch_listing(connection, params.listing_key)
        if data is None:
            raise StepError(
                404, "listing_not_found", f"No listing with ListingKey '{params.listing_key}'."
            )
        return {"listing": public_listing(data)}


class ComparablesParams(StepParams):
    listing_key: str | None = Field(None, max_length=64)
    subject: dict[str, Any] | None = None
    count: int = Field(6, ge=3, le=15)


class Comparables(StepType[ComparablesParams]):
    """Chooses comparables by location, size, bedrooms and age, then computes the CMA figures.

    Candidates must share the city and state and a comparable subtype, be within 30 % of the
    subject's living area and one bedroom, and (when both are known) 25 years of age. With fewer
    than three, the size and age bands widen once and the output says so (`relaxed`).
    """

    name: ClassVar[str] = "comparables"
    params_model: ClassVar[type[StepParams]] = ComparablesParams

    async def run(self, params: ComparablesParams, context: StepContext) -> dict[str, Any]:
        subject = await self._subject(params, context)
        candidates = await self._candidates(subject, context, area_band=0.30, year_band=25)
        relaxed = len(candidates) < 3
        if relaxed:
            candidates = await self._candidates(subject, context, area_band=0.50, year_band=None)
        if len(candidates) < 3:
            raise StepError(
                422,
                "not_enough_comparables",
                f"Only {len(candidates)} comparable listing(s) in {subject.get('City')}; "
                "a market analysis needs at least 3.",
            )
        chosen = sorted(candidates, key=lambda c: (-c.similarity, c.listing_key))[: params.count]
        return {
            "subject": subject,
            "comparables": [_describe(comparable) for comparable in chosen],
            "relaxed": relaxed,
            **analyse(subject, chosen),
        }

    async def _subject(self, params: ComparablesParams, context: StepContext) -> dict[str, Any]:
        if params.listing_key:
            loaded = await LoadListing().run(
                LoadListingParams(listing_key=params.listing_key), context
            )
            subject: dict[str, Any] = loaded["listing"]
        elif params.subject:
            subject = dict(params.subject)
        else:
            raise StepError(422, "missing_subject", "Give a listing_key or the subject's facts.")
        for required in ("City", "StateOrProvince", "LivingArea"):
            if not subject.get(required):
                raise StepError(
                    422, "incomplete_subject", f"The subject needs {required} for a CMA."
                )
        return subject

    async def _candidates(
        self,
        subject: Mapping[str, Any],
        context: StepContext,
        *,
        area_band: float,
        year_band: int | None,
    ) -> list[Comparable]:
        area = float(subject["LivingArea"])
        subtypes = _comparable_subtypes(subject.get("PropertySubType"))
        clauses = [
            "lower(city) = lower(%(city)s)",
            "lower(state_or_province) = lower(%(state)s)",
            "living_area BETWEEN %(area_low)s AND %(area_high)s",
            "coalesce((data->>'ClosePrice')::numeric, list_price) > 0",
            "listing_key <> %(subject_key)s",
        ]
        values: dict[str, Any] = {
            "city": subject["City"],
            "state": subject["StateOrProvince"],
            "area_low": area * (1 - area_band),
            "area_high": area * (1 + area_band),
            "subject_key": subject.get("ListingKey") or "",
        }
        if subtypes:
            clauses.append("property_sub_type = ANY(%(subtypes)s)")
            values["subtypes"] = sorted(subtypes)
        if subject.get("BedroomsTotal") is not None:
            clauses.append("bedrooms_total BETWEEN %(beds_low)s AND %(beds_high)s")
            values["beds_low"] = float(subject["BedroomsTotal"]) - 1
            values["beds_high"] = float(subject["BedroomsTotal"]) + 1
        if year_band is not None and subject.get("YearBuilt"):
            clauses.append("(year_built IS NULL OR abs(year_built - %(year)s) <= %(year_band)s)")
            values["year"] = float(subject["YearBuilt"])
            values["year_band"] = year_band
        query = sql.SQL("SELECT listing_key, data FROM listings WHERE {} LIMIT 500").format(
            sql.SQL(" AND ").join(sql.SQL(clause) for clause in clauses)  # fixed clauses
        )
        async with context.services.database.pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(query, values)
            rows = await cursor.fetchall()
        return [_comparable(subject, row["data"]) for row in rows]


def _comparable_subtypes(subtype: Any) -> frozenset[str]:
    if not isinstance(subtype, str):
        return frozenset()
    for group in _SUBTYPE_GROUPS:
        if subtype in group:
            return group
    return frozenset({subtype})


def _comparable(subject: Mapping[str, Any], data: Mapping[str, Any]) -> Comparable:
    miles = None
    coordinates = [
        subject.get("Latitude"),
        subject.get("Longitude"),
        data.get("Latitude"),
        data.get("Longitude"),
    ]
    numbers = [float(value) for value in coordinates if isinstance(value, int | float)]
    if len(numbers) == 4:
        miles = distance_miles(*numbers)
    close_price = data.get("ClosePrice")
    return Comparable(
        listing_key=data["ListingKey"],
        price=float(close_price if close_price is not None else data["ListPrice"]),
        price_basis="ClosePrice" if close_price else "ListPrice",
        living_area=float(data["LivingArea"]),
        bedrooms=data.get("BedroomsTotal"),
        year_built=data.get("YearBuilt"),
        distance_miles=None if miles is None else round(miles, 2),
        similarity=similarity(subject, data, miles),
        facts=public_listing(data),
    )


def _describe(comparable: Comparable) -> dict[str, Any]:
    facts = comparable.facts
    return {
        "ListingKey": comparable.listing_key,
        "UnparsedAddress": facts.get("UnparsedAddress"),
        "StandardStatus": facts.get("StandardStatus"),
        "PropertySubType": facts.get("PropertySubType"),
        "price": comparable.price,
        "price_basis": comparable.price_basis,
        "LivingArea": comparable.living_area,
        "BedroomsTotal": comparable.bedrooms,
        "BathroomsTotalInteger": facts.get("BathroomsTotalInteger"),
        "YearBuilt": comparable.year_built,
        "price_per_sqft": round(comparable.price_per_sqft, 2),
        "distance_miles": comparable.distance_miles,
        "similarity": comparable.similarity,
    }
