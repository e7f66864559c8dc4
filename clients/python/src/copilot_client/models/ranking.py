from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="Ranking")



@_attrs_define
class Ranking:
    """ 
        Attributes:
            similarity (float | None):
            text_rank (int | None):
            vector_rank (int | None):
     """

    similarity: float | None
    text_rank: int | None
    vector_rank: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        similarity: float | None
        similarity = self.similarity

        text_rank: int | None
        text_rank = self.text_rank

        vector_rank: int | None
        vector_rank = self.vector_rank


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "similarity": similarity,
            "text_rank": text_rank,
            "vector_rank": vector_rank,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_similarity(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        similarity = _parse_similarity(d.pop("similarity"))


        def _parse_text_rank(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        text_rank = _parse_text_rank(d.pop("text_rank"))


        def _parse_vector_rank(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        vector_rank = _parse_vector_rank(d.pop("vector_rank"))


        ranking = cls(
            similarity=similarity,
            text_rank=text_rank,
            vector_rank=vector_rank,
        )


        ranking.additional_properties = d
        return ranking

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
