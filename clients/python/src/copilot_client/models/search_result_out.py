from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.criterion import Criterion
  from ..models.ranking import Ranking
  from ..models.search_result_out_listing import SearchResultOutListing





T = TypeVar("T", bound="SearchResultOut")



@_attrs_define
class SearchResultOut:
    """ 
        Attributes:
            criteria (list[Criterion]):
            listing (SearchResultOutListing):
            ranking (Ranking):
            score (float):
     """

    criteria: list[Criterion]
    listing: SearchResultOutListing
    ranking: Ranking
    score: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.criterion import Criterion # noqa: PLC0415
        from ..models.ranking import Ranking # noqa: PLC0415
        from ..models.search_result_out_listing import SearchResultOutListing # noqa: PLC0415
        criteria = []
        for criteria_item_data in self.criteria:
            criteria_item = criteria_item_data.to_dict()
            criteria.append(criteria_item)



        listing = self.listing.to_dict()

        ranking = self.ranking.to_dict()

        score = self.score


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "criteria": criteria,
            "listing": listing,
            "ranking": ranking,
            "score": score,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.criterion import Criterion # noqa: PLC0415
        from ..models.ranking import Ranking # noqa: PLC0415
        from ..models.search_result_out_listing import SearchResultOutListing # noqa: PLC0415
        d = dict(src_dict)
        criteria = []
        _criteria = d.pop("criteria")
        for criteria_item_data in (_criteria):
            criteria_item = Criterion.from_dict(criteria_item_data)



            criteria.append(criteria_item)


        listing = SearchResultOutListing.from_dict(d.pop("listing"))




        ranking = Ranking.from_dict(d.pop("ranking"))




        score = d.pop("score")

        search_result_out = cls(
            criteria=criteria,
            listing=listing,
            ranking=ranking,
            score=score,
        )


        search_result_out.additional_properties = d
        return search_result_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
