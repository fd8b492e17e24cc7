"""The Salesforce REST API on the wire: authenticated requests, error translation, paging.

Salesforce reports errors as a JSON array of ``{"message", "errorCode"}``.
A 401 ``INVALID_SESSION_ID`` gets one token refresh and one retry;
``REQUEST_LIMIT_EXCEEDED`` is :class:`BackendRateLimited`; 5xx is
:class:`BackendUnavailable`; query errors (``MALFORMED_QUERY``,
``INVALID_FIELD`` …) are plain :class:`BackendError`.
"""

from __future__ import annotations

from typing import Any

import httpx

from hub.connectors import shapes
from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    BackendRateLimited,
    BackendUnavailable,
    ConnectorConfig,
    MalformedResponse,
)
from hub.connectors.salesforce_auth import AccessToken, SalesforceTokens
from hub.connectors.wire import json_body, send

_ERROR_CODES_AUTH = {"INVALID_SESSION_ID", "INVALID_AUTH_HEADER"}
MAX_PAGES = 1000


class SalesforceAPI:
    """One org's REST API at ``/services/data/v<api_version>``."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient, api_version: str) -> None:
        self.config = config
        self._http = http
        self._tokens = SalesforceTokens(config, http)
        self._api = f"/services/data/v{api_version}"

    async def instance_url(self) -> str:
        return (await self._tokens.current()).instance_url

    async def create(self, sobject: str, record: dict[str, Any]) -> Any:
        """``POST /sobjects/<sobject>/``; the create result."""
        return await self._request("POST", f"{self._api}/sobjects/{sobject}/", json=record)

    async def update(self, sobject: str, record_id: str, changes: dict[str, Any]) -> None:
        """``PATCH /sobjects/<sobject>/<id>``: Salesforce answers 204 with no body."""
        await self._request("PATCH", f"{self._api}/sobjects/{sobject}/{record_id}", json=changes)

    async def query(self, soql: str) -> list[dict[str, Any]]:
        """All records ``soql`` selects, following ``nextRecordsUrl`` page by page."""
        records: list[dict[str, Any]] = []
        body = await self._request("GET", f"{self._api}/query", params={"q": soql})
        for _page in range(MAX_PAGES):  # a bound, so a looping nextRecordsUrl cannot hang us
            page = shapes.obj(body, "query result")
            for record in shapes.arr(shapes.member(page, "records", "query result"), "records"):
                records.append(dict(shapes.obj(record, "query result record")))
            if shapes.as_bool(shapes.member(page, "done", "query result"), "query result.done"):
                return records
            next_url = shapes.text(page, "nextRecordsUrl", "query result")
            if not next_url.startswith("/services/data/"):
                raise MalformedResponse(f"{self.config.name}: unexpected nextRecordsUrl")
            body = await self._request("GET", next_url)
        raise MalformedResponse(f"{self.config.name}: query paging did not end")

    async def _request(self, method: str, path: str, **request: Any) -> Any:
        token = await self._tokens.current()
        response = await self._send(token, method, path, **request)
        if response.status_code == 401 and _error_codes(response) & _ERROR_CODES_AUTH:
            token = await self._tokens.refresh(token)
            response = await self._send(token, method, path, **request)
        self._raise_for_error(response)
        if response.status_code == 204:
            return None
        return json_body(response, self.config.name)

    async def _send(
        self, token: AccessToken, method: str, path: str, **request: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token.value}", "Accept": "application/json"}
        return await send(
            self._http,
            self.config.name,
            method,
            token.instance_url + path,
            time_limit=self.config.timeout,
            headers=headers,
            **request,
        )

    def _raise_for_error(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        codes = _error_codes(response)
        name = self.config.name
        described = f"{name}: HTTP {status} {', '.join(sorted(codes)) or ''}".rstrip()
        if status == 401:
            raise BackendAuthError(described)
        if "REQUEST_LIMIT_EXCEEDED" in codes or status == 429:
            raise BackendRateLimited(described)
        if status >= 500 or "SERVER_UNAVAILABLE" in codes:
            raise BackendUnavailable(described)
        if status == 403:
            raise BackendAuthError(described)
        raise BackendError(described)


def _error_codes(response: httpx.Response) -> set[str]:
    """The ``errorCode`` values of Salesforce's error array (empty when it is not one)."""
    try:
        body = response.json()
    except ValueError:
        return set()
    if isinstance(body, list):
        return {str(e.get("errorCode")) for e in body if isinstance(e, dict) and e.get("errorCode")}
    return set()
