from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.filter_out import FilterOut
  from ..models.sort_out import SortOut





T = TypeVar("T", bound="Understanding")



@_attrs_define
class Understanding:
    """ 
        Attributes:
            filters (list[FilterOut]):
            ignored_words (list[str]):
            parser (str):
            semantic_query (str):
            sort (None | SortOut):
     """

    filters: list[FilterOut]
    ignored_words: list[str]
    parser: str
    semantic_query: str
    sort: None | SortOut
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.filter_out import FilterOut # noqa: PLC0415
        from ..models.sort_out import SortOut # noqa: PLC0415
        filters = []
        for filters_item_data in self.filters:
            filters_item = filters_item_data.to_dict()
            filters.append(filters_item)



        ignored_words = self.ignored_words



        parser = self.parser

        semantic_query = self.semantic_query

        sort: dict[str, Any] | None
        if isinstance(self.sort, SortOut):
            sort = self.sort.to_dict()
        else:
            sort = self.sort


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "filters": filters,
            "ignored_words": ignored_words,
            "parser": parser,
            "semantic_query": semantic_query,
            "sort": sort,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.filter_out import FilterOut # noqa: PLC0415
        from ..models.sort_out import SortOut # noqa: PLC0415
        d = dict(src_dict)
        filters = []
        _filters = d.pop("filters")
        for filters_item_data in (_filters):
            filters_item = FilterOut.from_dict(filters_item_data)



            filters.append(filters_item)


        ignored_words = cast(list[str], d.pop("ignored_words"))


        parser = d.pop("parser")

        semantic_query = d.pop("semantic_query")

        def _parse_sort(data: object) -> None | SortOut:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                sort_type_0 = SortOut.from_dict(data)



                return sort_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SortOut, data)

        sort = _parse_sort(d.pop("sort"))


        understanding = cls(
            filters=filters,
            ignored_words=ignored_words,
            parser=parser,
            semantic_query=semantic_query,
            sort=sort,
        )


        understanding.additional_properties = d
        return understanding

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
