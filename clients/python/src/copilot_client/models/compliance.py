from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.compliance_reason import ComplianceReason





T = TypeVar("T", bound="Compliance")



@_attrs_define
class Compliance:
    """ 
        Attributes:
            blocked (bool):
            message (None | str):
            reasons (list[ComplianceReason]):
            rules_version (str):
     """

    blocked: bool
    message: None | str
    reasons: list[ComplianceReason]
    rules_version: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.compliance_reason import ComplianceReason # noqa: PLC0415
        blocked = self.blocked

        message: None | str
        message = self.message

        reasons = []
        for reasons_item_data in self.reasons:
            reasons_item = reasons_item_data.to_dict()
            reasons.append(reasons_item)



        rules_version = self.rules_version


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "blocked": blocked,
            "message": message,
            "reasons": reasons,
            "rules_version": rules_version,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.compliance_reason import ComplianceReason # noqa: PLC0415
        d = dict(src_dict)
        blocked = d.pop("blocked")

        def _parse_message(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        message = _parse_message(d.pop("message"))


        reasons = []
        _reasons = d.pop("reasons")
        for reasons_item_data in (_reasons):
            reasons_item = ComplianceReason.from_dict(reasons_item_data)



            reasons.append(reasons_item)


        rules_version = d.pop("rules_version")

        compliance = cls(
            blocked=blocked,
            message=message,
            reasons=reasons,
            rules_version=rules_version,
        )


        compliance.additional_properties = d
        return compliance

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
