from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.compliance import Compliance
  from ..models.filter_out import FilterOut
  from ..models.search_result_out import SearchResultOut
  from ..models.sort_out import SortOut
  from ..models.understanding import Understanding





T = TypeVar("T", bound="SearchResponse")



@_attrs_define
class SearchResponse:
    """ 
        Attributes:
            compliance (Compliance):
            execution_id (str):
            filters (list[FilterOut]):
            parser (str):
            plan (None | str):
            provider (None | str):
            query (str):
            results (list[SearchResultOut]):
            semantic_query (str):
            sort (None | SortOut):
            took_ms (float):
            total (int):
            total_relation (str):
            understanding (Understanding):
            session_id (None | str | Unset):
     """

    compliance: Compliance
    execution_id: str
    filters: list[FilterOut]
    parser: str
    plan: None | str
    provider: None | str
    query: str
    results: list[SearchResultOut]
    semantic_query: str
    sort: None | SortOut
    took_ms: float
    total: int
    total_relation: str
    understanding: Understanding
    session_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.compliance import Compliance # noqa: PLC0415
        from ..models.filter_out import FilterOut # noqa: PLC0415
        from ..models.search_result_out import SearchResultOut # noqa: PLC0415
        from ..models.sort_out import SortOut # noqa: PLC0415
        from ..models.understanding import Understanding # noqa: PLC0415
        compliance = self.compliance.to_dict()

        execution_id = self.execution_id

        filters = []
        for filters_item_data in self.filters:
            filters_item = filters_item_data.to_dict()
            filters.append(filters_item)



        parser = self.parser

        plan: None | str
        plan = self.plan

        provider: None | str
        provider = self.provider

        query = self.query

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)



        semantic_query = self.semantic_query

        sort: dict[str, Any] | None
        if isinstance(self.sort, SortOut):
            sort = self.sort.to_dict()
        else:
            sort = self.sort

        took_ms = self.took_ms

        total = self.total

        total_relation = self.total_relation

        understanding = self.understanding.to_dict()

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "compliance": compliance,
            "execution_id": execution_id,
            "filters": filters,
            "parser": parser,
            "plan": plan,
            "provider": provider,
            "query": query,
            "results": results,
            "semantic_query": semantic_query,
            "sort": sort,
            "took_ms": took_ms,
            "total": total,
            "total_relation": total_relation,
            "understanding": understanding,
        })
        if session_id is not UNSET:
            field_dict["session_id"] = session_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.compliance import Compliance # noqa: PLC0415
        from ..models.filter_out import FilterOut # noqa: PLC0415
        from ..models.search_result_out import SearchResultOut # noqa: PLC0415
        from ..models.sort_out import SortOut # noqa: PLC0415
        from ..models.understanding import Understanding # noqa: PLC0415
        d = dict(src_dict)
        compliance = Compliance.from_dict(d.pop("compliance"))




        execution_id = d.pop("execution_id")

        filters = []
        _filters = d.pop("filters")
        for filters_item_data in (_filters):
            filters_item = FilterOut.from_dict(filters_item_data)



            filters.append(filters_item)


        parser = d.pop("parser")

        def _parse_plan(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        plan = _parse_plan(d.pop("plan"))


        def _parse_provider(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        provider = _parse_provider(d.pop("provider"))


        query = d.pop("query")

        results = []
        _results = d.pop("results")
        for results_item_data in (_results):
            results_item = SearchResultOut.from_dict(results_item_data)



            results.append(results_item)


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


        took_ms = d.pop("took_ms")

        total = d.pop("total")

        total_relation = d.pop("total_relation")

        understanding = Understanding.from_dict(d.pop("understanding"))




        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))


        search_response = cls(
            compliance=compliance,
            execution_id=execution_id,
            filters=filters,
            parser=parser,
            plan=plan,
            provider=provider,
            query=query,
            results=results,
            semantic_query=semantic_query,
            sort=sort,
            took_ms=took_ms,
            total=total,
            total_relation=total_relation,
            understanding=understanding,
            session_id=session_id,
        )


        search_response.additional_properties = d
        return search_response

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
