from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.feedback_in_outcome import FeedbackInOutcome
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID






T = TypeVar("T", bound="FeedbackIn")



@_attrs_define
class FeedbackIn:
    """ 
        Attributes:
            execution_id (UUID): The workflow execution the feedback is about
            outcome (FeedbackInOutcome): accepted (counts as a conversion), edited or rejected
            comment (None | str | Unset): Optional free text
            rating (int | None | Unset): Optional rating from 1 to 5
     """

    execution_id: UUID
    outcome: FeedbackInOutcome
    comment: None | str | Unset = UNSET
    rating: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        execution_id = str(self.execution_id)

        outcome = self.outcome.value

        comment: None | str | Unset
        if isinstance(self.comment, Unset):
            comment = UNSET
        else:
            comment = self.comment

        rating: int | None | Unset
        if isinstance(self.rating, Unset):
            rating = UNSET
        else:
            rating = self.rating


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "execution_id": execution_id,
            "outcome": outcome,
        })
        if comment is not UNSET:
            field_dict["comment"] = comment
        if rating is not UNSET:
            field_dict["rating"] = rating

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        execution_id = UUID(d.pop("execution_id"))




        outcome = FeedbackInOutcome(d.pop("outcome"))




        def _parse_comment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        comment = _parse_comment(d.pop("comment", UNSET))


        def _parse_rating(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rating = _parse_rating(d.pop("rating", UNSET))


        feedback_in = cls(
            execution_id=execution_id,
            outcome=outcome,
            comment=comment,
            rating=rating,
        )


        feedback_in.additional_properties = d
        return feedback_in

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
