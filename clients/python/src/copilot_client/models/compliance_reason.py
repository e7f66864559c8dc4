from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="ComplianceReason")



@_attrs_define
class ComplianceReason:
    """ 
        Attributes:
            explanation (str):
            label (str):
            matched (str):
            protected_class (str):
            rule (str):
     """

    explanation: str
    label: str
    matched: str
    protected_class: str
    rule: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        explanation = self.explanation

        label = self.label

        matched = self.matched

        protected_class = self.protected_class

        rule = self.rule


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "explanation": explanation,
            "label": label,
            "matched": matched,
            "protected_class": protected_class,
            "rule": rule,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        explanation = d.pop("explanation")

        label = d.pop("label")

        matched = d.pop("matched")

        protected_class = d.pop("protected_class")

        rule = d.pop("rule")

        compliance_reason = cls(
            explanation=explanation,
            label=label,
            matched=matched,
            protected_class=protected_class,
            rule=rule,
        )


        compliance_reason.additional_properties = d
        return compliance_reason

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
