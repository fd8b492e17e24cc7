"""Any REST/JSON backend, read through a mapping: how the incentive platform plugs in.

The connector's ``options`` are a mapping (see :mod:`hub.connectors.rest_mapping`
and ``docs/connectors/rest.md``), inline or in a TOML file named by
``options.mapping_file`` (inline keys win). Every operation of every kind's
interface is a method here; an operation the mapping leaves out raises
:class:`NotConfigured`, so one class serves as an incentive, LMS, TCMA or
PRM connector, whichever the mapping fills in.

Path templates may use ``{email}`` (the person), ``{partner}`` (the partner
slug), ``{partner_id}`` (the partner's id in this backend, else its slug) and
``{domain}``; values are URL-quoted. Paging (``none``, ``offset``, ``page``,
``cursor``, or RFC 8288 ``link`` headers) is set once under ``paging`` or per
operation. Authentication (``auth.method``): ``none``, ``bearer`` (secret
``token``), ``header`` (secret ``token`` in the header ``auth.header``),
``basic`` (``username``, secret ``password``) or ``client_credentials``
(OAuth 2.0: ``auth.token_url``, ``client_id``, secret ``client_secret``,
optional ``auth.scope`` and ``auth.client_auth`` = ``basic`` | ``post``); a
401 with OAuth fetches one fresh token and tries again.
"""

from __future__ import annotations

import base64
import tomllib
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jmespath
import jmespath.exceptions

from hub.connectors import shapes
from hub.connectors.base import ConnectorConfig, MalformedResponse, NotConfigured
from hub.connectors.client_credentials import ClientCredentials
from hub.connectors.records import (
    Campaign,
    CatalogueItem,
    Certification,
    Completion,
    Deal,
    DealRegistration,
    Enrolment,
    FundAllocation,
    FundClaim,
    FundRequest,
    IncentiveClaim,
    IncentiveGoal,
    Lead,
    PartnerAccount,
    PartnerRef,
    PersonRef,
    PointsBalance,
    QuizResult,
    Rebate,
    Redistribution,
    SalesActivity,
    ServiceMetrics,
    Spiff,
    VendorEmail,
)
from hub.connectors.rest_mapping import Operation, ordered, parse_operations
from hub.connectors.wire import json_body, raise_for_status, send
from hub.connectors.writes import BackendRefused, CreatedSpiff, SpiffOffer

AUTH_METHODS = frozenset({"none", "bearer", "header", "basic", "client_credentials"})


def load_mapping(options: Mapping[str, Any]) -> dict[str, Any]:
    """The connector's options with the TOML file in ``mapping_file`` underneath them."""
    merged = dict(options)
    mapping_file = merged.pop("mapping_file", None)
    if mapping_file is None:
        return merged
    try:
        from_file = tomllib.loads(Path(str(mapping_file)).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(
            f"options.mapping_file: cannot read {mapping_file} ({exc.strerror})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"options.mapping_file: {mapping_file}: {exc}") from None
    return {**from_file, **merged}


class RestConnector:
    """A connector of any kind over a REST/JSON API, driven by its mapping."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._base = httpx.URL(config.base_url.rstrip("/") + "/")
        mapping = load_mapping(config.options)
        self._operations = parse_operations(mapping)
        probe_path = mapping.get("probe_path")
        if probe_path is not None and (not isinstance(probe_path, str) or "{" in probe_path):
            raise ValueError("options.probe_path: expected a path without variables")
        self._probe_path: str | None = probe_path
        self._writes = _parse_writes(mapping.get("writes", {}))
        self._method = config.auth.get("method", "none")
        if self._method not in AUTH_METHODS:
            raise ValueError(f"auth.method: expected one of {', '.join(sorted(AUTH_METHODS))}")
        self._oauth: ClientCredentials | None = None
        if self._method == "client_credentials":
            token_url = config.auth.get("token_url")
            if not token_url:
                raise ValueError("auth.token_url: client_credentials needs the token endpoint")
            client_auth = config.auth.get("client_auth", "basic")
            if client_auth not in ("basic", "post"):
                raise ValueError("auth.client_auth: expected basic or post")
            self._oauth = ClientCredentials(
                http,
                config.name,
                str(self._base.join(token_url)),
                self._credential("client_id"),
                self._credential("client_secret"),
                scope=config.auth.get("scope"),
                client_auth="post" if client_auth == "post" else "basic",
                time_limit=config.timeout,
            )
        elif self._method in ("bearer", "header"):
            self._credential("token")
            if self._method == "header" and not config.auth.get("header"):
                raise ValueError("auth.header: the header method needs the header's name")
        elif self._method == "basic":
            self._credential("username")
            self._credential("password")

    def _credential(self, key: str) -> str:
        value = self.config.secrets.get(key) or self.config.auth.get(key)
        if not value:
            raise ValueError(f"auth: {self._method} needs {key!r} ({key}_env names its variable)")
        return value

    # --- every kind's interface -----------------------------------------------

    async def probe(self) -> str:
        path = self._probe_path or next(
            (op.path for op in self._operations.values() if "{" not in op.path), None
        )
        if path is None:
            return f"REST API at {self._base.host} (no probe_path; nothing fetched)"
        await self._get(self._url(path), None, allow_not_found=False)
        return f"REST API at {self._base.host}: {len(self._operations)} operations mapped"

    async def goals(self, person: PersonRef) -> list[IncentiveGoal]:
        return await self._many("goals", person)

    async def spiffs(self, person: PersonRef) -> list[Spiff]:
        return await self._many("spiffs", person)

    async def claims(self, person: PersonRef) -> list[IncentiveClaim]:
        return await self._many("claims", person)

    async def points(self, person: PersonRef) -> PointsBalance | None:
        found: PointsBalance | None = await self._one("points", person)
        return found

    async def catalogue(self) -> list[CatalogueItem]:
        return await self._many("catalogue", None)

    async def enrolments(self, person: PersonRef) -> list[Enrolment]:
        return await self._many("enrolments", person)

    async def completions(self, person: PersonRef) -> list[Completion]:
        return await self._many("completions", person)

    async def certifications(self, person: PersonRef) -> list[Certification]:
        return await self._many("certifications", person)

    async def quiz_results(self, person: PersonRef) -> list[QuizResult]:
        return await self._many("quiz_results", person)

    async def campaigns(self, partner: PartnerRef) -> list[Campaign]:
        return await self._many("campaigns", partner)

    async def redistributions(self, partner: PartnerRef) -> list[Redistribution]:
        return await self._many("redistributions", partner)

    async def leads(self, partner: PartnerRef) -> list[Lead]:
        return await self._many("leads", partner)

    async def vendor_emails(self, person: PersonRef) -> list[VendorEmail]:
        return await self._many("vendor_emails", person)

    async def partner_account(self, partner: PartnerRef) -> PartnerAccount | None:
        found: PartnerAccount | None = await self._one("partner_account", partner)
        return found

    async def deals(self, partner: PartnerRef) -> list[Deal]:
        return await self._many("deals", partner)

    async def register_deal(
        self, partner: PartnerRef, person: PersonRef, registration: DealRegistration
    ) -> Deal:
        raise NotConfigured(f"{self.config.name}: the REST adapter reads; it registers no deals")

    async def decide_registration(self, partner: PartnerRef, deal_id: str, decision: str) -> None:
        raise NotConfigured(f"{self.config.name}: the REST adapter reads; it takes no decisions")

    async def rebates(self, partner: PartnerRef) -> list[Rebate]:
        return await self._many("rebates", partner)

    async def fund_allocations(self, partner: PartnerRef) -> list[FundAllocation]:
        return await self._many("fund_allocations", partner)

    async def fund_requests(self, partner: PartnerRef) -> list[FundRequest]:
        return await self._many("fund_requests", partner)

    async def fund_claims(self, partner: PartnerRef) -> list[FundClaim]:
        return await self._many("fund_claims", partner)

    async def service_metrics(self, partner: PartnerRef) -> ServiceMetrics | None:
        found: ServiceMetrics | None = await self._one("service_metrics", partner)
        return found

    async def sales_activities(self, partner: PartnerRef) -> list[SalesActivity]:
        return await self._many("sales_activities", partner)

    async def create_spiff(self, partner: PartnerRef, offer: SpiffOffer) -> CreatedSpiff:
        """POST the offer as the mapping's ``writes.create_spiff`` shapes it (see below)."""
        write = self._writes.get("create_spiff")
        if write is None:
            raise NotConfigured(f"{self.config.name}: the mapping has no writes.create_spiff")
        subject = {
            "name": offer.name,
            "description": offer.description,
            "amount": str(offer.reward.amount),
            "currency": offer.reward.currency,
            "starts": offer.starts.isoformat(),
            "ends": offer.ends.isoformat(),
            "requirements": list(offer.requirements),
            "participants": list(offer.participants),
            "partner": partner.slug,
            "partner_id": partner.external_id(self.config.name) or partner.slug,
        }
        body = _find(write.body, subject, "writes.create_spiff.body")
        for attempt in (1, 2):
            headers = {"Accept": "application/json", **await self._authorization()}
            if write.idempotency_header:
                headers[write.idempotency_header] = offer.key
            response = await send(
                self._http,
                self.config.name,
                "POST",
                str(self._url(write.path)),
                time_limit=self.config.timeout,
                json=body,
                headers=headers,
            )
            # A token refused: one fresh one and again; the idempotency key makes it safe.
            if response.status_code == 401 and self._oauth is not None and attempt == 1:
                self._oauth.invalidate()
                continue
            break
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 429):
            reason = ""
            with suppress(MalformedResponse, TypeError):
                reason = str(_find(write.error, json_body(response, self.config.name), "error"))
            raise BackendRefused(
                f"{self.config.name}: refused (HTTP {response.status_code}): {reason or 'no reason given'}"
            )
        raise_for_status(response, self.config.name)
        created = _find(write.id, json_body(response, self.config.name), "writes.create_spiff.id")
        if not isinstance(created, str | int) or isinstance(created, bool):
            raise MalformedResponse(f"{self.config.name}: create_spiff: no id in the answer")
        return CreatedSpiff(str(created))

    # --- reading through the mapping --------------------------------------------

    def _operation(self, name: str) -> Operation:
        operation = self._operations.get(name)
        if operation is None:
            raise NotConfigured(f"{self.config.name}: the mapping has no {name!r} operation")
        return operation

    async def _one(self, name: str, subject: PersonRef | PartnerRef) -> Any:
        operation = self._operation(name)
        url = self._url(self._path(operation, subject))
        response = await self._get(url, operation.query, operation.not_found_is_empty)
        if response is None:
            return None
        found = _search(operation, json_body(response, self.config.name))
        if found is None:
            return None
        return operation.to_record(found, name, _email(subject))

    async def _many(self, name: str, subject: PersonRef | PartnerRef | None) -> list[Any]:
        operation = self._operation(name)
        paging = operation.paging
        url = self._url(self._path(operation, subject))
        params: dict[str, str] | None = dict(operation.query)
        offset, page = 0, paging.first_page
        found: list[Any] = []
        for _ in range(paging.max_pages):
            if params is not None and paging.style != "none":
                params[paging.limit_param] = str(paging.limit)
            if params is not None and paging.style == "offset":
                params[paging.offset_param] = str(offset)
            if params is not None and paging.style == "page":
                params[paging.page_param] = str(page)
            response = await self._get(url, params, operation.not_found_is_empty)
            if response is None:
                return []
            body = json_body(response, self.config.name)
            rows = _search(operation, body)
            if rows is None:
                raise MalformedResponse(
                    f"{self.config.name}: {name}: no records where the mapping says"
                )
            rows = shapes.arr(rows, f"{name} records")
            email = _email(subject)
            found.extend(
                operation.to_record(row, f"{name}[{len(found) + i}]", email)
                for i, row in enumerate(rows)
            )
            total = _number(paging.total, body, f"{name} total") if paging.total else None
            if paging.style == "none" or not rows:
                break
            if paging.style in ("offset", "page"):
                offset, page = offset + len(rows), page + 1
                # A server may cap the page below our limit; only a total says for sure.
                if (offset >= total) if total is not None else len(rows) < paging.limit:
                    break
            elif paging.style == "cursor":
                cursor = _find(paging.next_cursor, body, f"{name} next cursor")
                if cursor in (None, ""):
                    break
                if not isinstance(cursor, str | int) or isinstance(cursor, bool):
                    raise MalformedResponse(
                        f"{self.config.name}: {name}: the next cursor is not a string"
                    )
                params = {**operation.query, paging.cursor_param: str(cursor)}
            else:  # link
                following = response.links.get("next", {}).get("url")
                if not following:
                    break
                url, params = self._same_origin(url.join(following)), None
        else:
            raise MalformedResponse(
                f"{self.config.name}: {name}: more than {paging.max_pages} pages"
            )
        return ordered(found, operation)

    def _path(self, operation: Operation, subject: PersonRef | PartnerRef | None) -> str:
        variables: dict[str, str] = {}
        partner = subject.partner if isinstance(subject, PersonRef) else subject
        if isinstance(subject, PersonRef):
            variables["email"] = subject.email
        if partner is not None:
            variables["partner"] = partner.slug
            variables["partner_id"] = partner.external_id(self.config.name) or partner.slug
            if partner.domain:
                variables["domain"] = partner.domain
        try:
            return operation.path.format_map({k: quote(v, safe="@") for k, v in variables.items()})
        except KeyError as missing:
            raise NotConfigured(
                f"{self.config.name}: {operation.name} needs {missing} for this subject"
            ) from None

    def _url(self, path: str) -> httpx.URL:
        return self._base.join(path.lstrip("/"))

    def _same_origin(self, url: httpx.URL) -> httpx.URL:
        # Credentials go with every request: never follow a next link to another host.
        if (url.scheme, url.host, url.port) != (
            self._base.scheme,
            self._base.host,
            self._base.port,
        ):
            raise MalformedResponse(f"{self.config.name}: a next link points to another host")
        return url

    async def _get(
        self, url: httpx.URL, params: Mapping[str, str] | None, allow_not_found: bool
    ) -> httpx.Response | None:
        for attempt in (1, 2):
            response = await send(
                self._http,
                self.config.name,
                "GET",
                str(url),
                time_limit=self.config.timeout,
                params=params,
                headers={"Accept": "application/json", **await self._authorization()},
            )
            if response.status_code == 401 and self._oauth is not None and attempt == 1:
                self._oauth.invalidate()  # revoked or expired early: one fresh token
                continue
            break
        if response.status_code == 404 and allow_not_found:
            return None
        raise_for_status(response, self.config.name)
        return response

    async def _authorization(self) -> dict[str, str]:
        if self._oauth is not None:
            return {"Authorization": f"Bearer {await self._oauth.token()}"}
        if self._method == "bearer":
            return {"Authorization": f"Bearer {self._credential('token')}"}
        if self._method == "header":
            return {self.config.auth["header"]: self._credential("token")}
        if self._method == "basic":
            pair = f"{self._credential('username')}:{self._credential('password')}"
            return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        return {}


def _email(subject: PersonRef | PartnerRef | None) -> str | None:
    return subject.email if isinstance(subject, PersonRef) else None


def _search(operation: Operation, body: Any) -> Any:
    if operation.records is None:
        return body
    return _find(operation.records, body, f"{operation.name} records")


def _find(expression: Any, body: Any, where: str) -> Any:
    try:
        return expression.search(body)
    except jmespath.exceptions.JMESPathError as exc:
        raise MalformedResponse(f"{where}: {type(exc).__name__}") from None


def _number(expression: Any, body: Any, where: str) -> int | None:
    value = _find(expression, body, where)
    return None if value is None else shapes.as_int(value, where)


@dataclass(frozen=True)
class Write:
    """One mapped write: where to POST, the body built from the hub's request by a JMESPath
    expression, where the created id and a refusal's reason are in the answer."""

    path: str
    body: Any
    id: Any
    error: Any
    idempotency_header: str | None


def _parse_writes(table: Any) -> dict[str, Write]:
    if not isinstance(table, Mapping):
        raise ValueError("writes: expected a table")
    found = {}
    for name, entry in table.items():
        where = f"writes.{name}"
        if name != "create_spiff":
            raise ValueError(f"{where}: unknown write (known: create_spiff)")
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: expected a table")
        unknown = set(entry) - {"path", "body", "id", "error", "idempotency_header"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        path = entry.get("path")
        if not isinstance(path, str) or not path.startswith("/") or "{" in path:
            raise ValueError(f"{where}.path: expected a path starting with '/', no variables")
        compiled = {}
        for key, default in (("body", None), ("id", "id"), ("error", "error.message")):
            expression = entry.get(key, default)
            if not isinstance(expression, str):
                raise ValueError(f"{where}.{key}: expected a JMESPath expression")
            try:
                compiled[key] = jmespath.compile(expression)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValueError(f"{where}.{key}: {exc}") from None
        header = entry.get("idempotency_header")
        if header is not None and not isinstance(header, str):
            raise ValueError(f"{where}.idempotency_header: expected a header name")
        found[name] = Write(path, compiled["body"], compiled["id"], compiled["error"], header)
    return found
