from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.bulk_request_listings_item import BulkRequestListingsItem





T = TypeVar("T", bound="BulkRequest")



@_attrs_define
class BulkRequest:
    """ 
        Attributes:
            listings (list[BulkRequestListingsItem]):
     """

    listings: list[BulkRequestListingsItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.bulk_request_listings_item import BulkRequestListingsItem # noqa: PLC0415
        listings = []
        for listings_item_data in self.listings:
            listings_item = listings_item_data.to_dict()
            listings.append(listings_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "listings": listings,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.bulk_request_listings_item import BulkRequestListingsItem # noqa: PLC0415
        d = dict(src_dict)
        listings = []
        _listings = d.pop("listings")
        for listings_item_data in (_listings):
            listings_item = BulkRequestListingsItem.from_dict(listings_item_data)



            listings.append(listings_item)


        bulk_request = cls(
            listings=listings,
        )


        bulk_request.additional_properties = d
        return bulk_request

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
