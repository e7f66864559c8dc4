from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="RejectedOut")



@_attrs_define
class RejectedOut:
    """ 
        Attributes:
            index (int):
            listing_key (None | str):
            reason (str):
     """

    index: int
    listing_key: None | str
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        index = self.index

        listing_key: None | str
        listing_key = self.listing_key

        reason = self.reason


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "index": index,
            "listing_key": listing_key,
            "reason": reason,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        index = d.pop("index")

        def _parse_listing_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        listing_key = _parse_listing_key(d.pop("listing_key"))


        reason = d.pop("reason")

        rejected_out = cls(
            index=index,
            listing_key=listing_key,
            reason=reason,
        )


        rejected_out.additional_properties = d
        return rejected_out

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
