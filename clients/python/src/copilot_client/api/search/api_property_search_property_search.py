from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...models.search_request import SearchRequest
from ...models.search_response import SearchResponse
from typing import cast



def _get_kwargs(
    *,
    body: SearchRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/property-search",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | SearchResponse | None:
    if response.status_code == 200:
        response_200 = SearchResponse.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())



        return response_403

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())



        return response_413

    if response.status_code == 414:
        response_414 = ErrorBody.from_dict(response.json())



        return response_414

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())



        return response_429

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | SearchResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: SearchRequest,

) -> Response[ErrorBody | SearchResponse]:
    """ Search listings in natural language

     Parses the query into RESO filters (shown in `filters`) and an optional order (`sort`: "cheapest",
    "newest"), keeps only listings that meet every filter (listings whose tested field is null come
    last, marked `unknown`), and orders them by the sort, else by semantic similarity fused with full-
    text rank. `understanding` shows how the query was read, including the words it ignored. `filters`
    in the request add to the parsed ones; one on a field replaces the parsed filters on that field;
    `sort` replaces the parsed order.

    Args:
        body (SearchRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SearchResponse]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    body: SearchRequest,

) -> ErrorBody | SearchResponse | None:
    """ Search listings in natural language

     Parses the query into RESO filters (shown in `filters`) and an optional order (`sort`: "cheapest",
    "newest"), keeps only listings that meet every filter (listings whose tested field is null come
    last, marked `unknown`), and orders them by the sort, else by semantic similarity fused with full-
    text rank. `understanding` shows how the query was read, including the words it ignored. `filters`
    in the request add to the parsed ones; one on a field replaces the parsed filters on that field;
    `sort` replaces the parsed order.

    Args:
        body (SearchRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SearchResponse
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: SearchRequest,

) -> Response[ErrorBody | SearchResponse]:
    """ Search listings in natural language

     Parses the query into RESO filters (shown in `filters`) and an optional order (`sort`: "cheapest",
    "newest"), keeps only listings that meet every filter (listings whose tested field is null come
    last, marked `unknown`), and orders them by the sort, else by semantic similarity fused with full-
    text rank. `understanding` shows how the query was read, including the words it ignored. `filters`
    in the request add to the parsed ones; one on a field replaces the parsed filters on that field;
    `sort` replaces the parsed order.

    Args:
        body (SearchRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SearchResponse]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    body: SearchRequest,

) -> ErrorBody | SearchResponse | None:
    """ Search listings in natural language

     Parses the query into RESO filters (shown in `filters`) and an optional order (`sort`: "cheapest",
    "newest"), keeps only listings that meet every filter (listings whose tested field is null come
    last, marked `unknown`), and orders them by the sort, else by semantic similarity fused with full-
    text rank. `understanding` shows how the query was read, including the words it ignored. `filters`
    in the request add to the parsed ones; one on a field replaces the parsed filters on that field;
    `sort` replaces the parsed order.

    Args:
        body (SearchRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SearchResponse
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
