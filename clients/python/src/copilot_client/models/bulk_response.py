from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.rejected_out import RejectedOut





T = TypeVar("T", bound="BulkResponse")



@_attrs_define
class BulkResponse:
    """ 
        Attributes:
            errors (list[RejectedOut]):
            inserted (int):
            rejected (int):
            unchanged (int):
            updated (int):
     """

    errors: list[RejectedOut]
    inserted: int
    rejected: int
    unchanged: int
    updated: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.rejected_out import RejectedOut # noqa: PLC0415
        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)



        inserted = self.inserted

        rejected = self.rejected

        unchanged = self.unchanged

        updated = self.updated


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "errors": errors,
            "inserted": inserted,
            "rejected": rejected,
            "unchanged": unchanged,
            "updated": updated,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rejected_out import RejectedOut # noqa: PLC0415
        d = dict(src_dict)
        errors = []
        _errors = d.pop("errors")
        for errors_item_data in (_errors):
            errors_item = RejectedOut.from_dict(errors_item_data)



            errors.append(errors_item)


        inserted = d.pop("inserted")

        rejected = d.pop("rejected")

        unchanged = d.pop("unchanged")

        updated = d.pop("updated")

        bulk_response = cls(
            errors=errors,
            inserted=inserted,
            rejected=rejected,
            unchanged=unchanged,
            updated=updated,
        )


        bulk_response.additional_properties = d
        return bulk_response

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
