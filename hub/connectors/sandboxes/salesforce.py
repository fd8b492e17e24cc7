"""A Salesforce org's REST API, seeded from the demo cast, for the demo, tests and benchmarks.

Speaks ``POST /services/oauth2/token`` (client credentials, and the JWT
bearer grant when given the connected app's public key),
``GET /services/data/vNN.N/query?q=`` with a SOQL subset and paging through
``nextRecordsUrl`` (small pages, so paging happens), ``GET`` of the next
page, ``POST /services/data/vNN.N/sobjects/<Object>/`` (Opportunity, Lead, and the
Contact and User of a partner user, checked as :mod:`salesforce_users` says) and ``PATCH
/services/data/vNN.N/sobjects/<Object>/<Id>`` (a deal registration's status, a
restricted picklist; a User's ``IsActive``; 204 and no body, as Salesforce answers). Errors use
Salesforce's shapes: an array of ``{"message", "errorCode"}`` for the API,
``{"error", "error_description"}`` for OAuth.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.connectors.sandboxes.knobs import Knobs, KnobsMiddleware, with_knobs
from hub.connectors.sandboxes.salesforce_data import Row, seed_org, sf_datetime, sfid
from hub.connectors.sandboxes.salesforce_users import check_new_user, complete_user, partner_users
from hub.connectors.sandboxes.soql_subset import SOQLError, matches, parse, read_field

CLIENT_ID = "sandbox-salesforce-client"
CLIENT_SECRET = "sandbox-salesforce-secret"  # noqa: S105 - a public demo credential
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PAGE_SIZE = 5
_CREATE_PREFIX = {"Opportunity": "006", "Lead": "00Q", "Contact": "003", "User": "005"}
_REQUIRED = {
    "Opportunity": ("Name", "StageName", "CloseDate"),
    "Lead": ("LastName", "Company"),
    "Contact": ("LastName",),
    "User": (
        "Username", "LastName", "Email", "Alias", "CommunityNickname", "TimeZoneSidKey",
        "LocaleSidKey", "EmailEncodingKey", "ProfileId", "LanguageLocaleKey",
    ),
}  # fmt: skip
REGISTRATION_STATUSES = ("Submitted", "Approved", "Rejected", "Expired")


def api_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status)


def _fault(status: int, reason: str) -> Response:
    return api_error(status, "SERVER_UNAVAILABLE", reason)


class SalesforceSandbox:
    """The sandbox org: its data, issued tokens and open query cursors. ``app`` serves it."""

    def __init__(
        self,
        knobs: Knobs | None = None,
        *,
        today: date | None = None,
        page_size: int = PAGE_SIZE,
        jwt_public_key: RSAKey | None = None,
        request_limit: int | None = None,
    ) -> None:
        self.knobs = knobs or Knobs()
        day = today or datetime.now(UTC).date()
        self.objects = seed_org(day)
        joined = datetime(day.year - 1, 1, 5, 9, 0, tzinfo=UTC)  # seeded, so never random
        self.objects.update(partner_users(self.objects, sf_datetime(joined)))
        self.page_size = page_size
        self.jwt_public_key = jwt_public_key
        self.request_limit = request_limit
        self.api_requests = 0
        self.tokens: set[str] = set()
        self._token_numbers = itertools.count(1)
        self._cursors: OrderedDict[str, list[Row]] = OrderedDict()
        self._cursor_numbers = itertools.count(1)
        self._created = itertools.count(900_001)
        # Records an approval process holds: an update is refused, as Salesforce does.
        self.locked: set[str] = set()
        routes = [
            Route("/services/oauth2/token", self.token, methods=["POST"]),
            Route("/services/data/{version}/query", self.query, methods=["GET"]),
            Route("/services/data/{version}/query/{cursor}", self.next_page, methods=["GET"]),
            Route("/services/data/{version}/sobjects/{sobject}/", self.create, methods=["POST"]),
            Route(
                "/services/data/{version}/sobjects/{sobject}/{record_id}",
                self.update,
                methods=["PATCH"],
            ),
        ]
        self.app: KnobsMiddleware = with_knobs(Starlette(routes=routes), self.knobs, _fault)

    def revoke_tokens(self) -> None:
        """Expire every session, as an admin or a session timeout would."""
        self.tokens.clear()

    # --- OAuth ------------------------------------------------------------------

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return _oauth_error("invalid_client", "invalid client credentials")
        elif grant == JWT_GRANT:
            refusal = self._check_assertion(str(form.get("assertion", "")))
            if refusal:
                return _oauth_error("invalid_grant", refusal)
        else:
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        token = f"00DSANDBOX!token-{next(self._token_numbers)}"
        self.tokens.add(token)
        instance = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "access_token": token,
                "instance_url": instance,
                "id": f"{instance}/id/00D000000000001AAA/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": str(int(datetime.now(UTC).timestamp() * 1000)),
                "signature": "c2FuZGJveA==",
            }
        )

    def _check_assertion(self, assertion: str) -> str | None:
        if self.jwt_public_key is None:
            return "this sandbox was started without a JWT public key"
        try:
            claims = jwt.decode(assertion, self.jwt_public_key, algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            return "invalid assertion"
        if claims.get("iss") != CLIENT_ID or not claims.get("sub"):
            return "invalid issuer or subject"
        if int(claims.get("exp", 0)) < datetime.now(UTC).timestamp():
            return "expired assertion"
        return None

    # --- REST API ---------------------------------------------------------------

    def _refuse(self, request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or header.removeprefix("Bearer ") not in self.tokens:
            return api_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        self.api_requests += 1
        if self.request_limit is not None and self.api_requests > self.request_limit:
            return api_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    async def query(self, request: Request) -> JSONResponse:
        refusal = self._refuse(request)
        if refusal:
            return refusal
        try:
            rows = self._run(request.query_params.get("q", ""))
        except SOQLError as exc:
            return api_error(400, exc.code, str(exc))
        return self._page(request.path_params["version"], rows)

    async def next_page(self, request: Request) -> JSONResponse:
        refusal = self._refuse(request)
        if refusal:
            return refusal
        rows = self._cursors.pop(request.path_params["cursor"], None)
        if rows is None:
            return api_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(request.path_params["version"], rows)

    async def create(self, request: Request) -> JSONResponse:
        refusal = self._refuse(request)
        if refusal:
            return refusal
        sobject = request.path_params["sobject"]
        if sobject not in _CREATE_PREFIX:
            return api_error(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")
        try:
            record = await request.json()
        except ValueError:
            return api_error(400, "JSON_PARSER_ERROR", "The request body is not JSON")
        missing = [
            name
            for name in _REQUIRED[sobject]
            if not isinstance(record, dict) or not record.get(name)
        ]
        if missing:
            return api_error(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
            )
        if sobject == "User" and (refusal_code := check_new_user(self.objects, record)):
            return api_error(400, *refusal_code)
        new_id = sfid(_CREATE_PREFIX[sobject], next(self._created))
        row: Row = {**record, "Id": new_id, "CreatedDate": sf_datetime(datetime.now(UTC))}
        if sobject == "User":
            complete_user(self.objects, row)
        if sobject == "Opportunity":
            row.update(IsClosed=False, IsWon=False, Amount=float(record.get("Amount") or 0))
        self.objects[sobject].append(row)
        return JSONResponse({"id": new_id, "success": True, "errors": []}, status_code=201)

    async def update(self, request: Request) -> Response:
        refusal = self._refuse(request)
        if refusal:
            return refusal
        sobject, record_id = request.path_params["sobject"], request.path_params["record_id"]
        table = self.objects.get(sobject)
        row = next((r for r in table or () if r["Id"] == record_id), None)
        if table is None or row is None:
            return api_error(404, "NOT_FOUND", "The requested resource does not exist")
        try:
            changes = await request.json()
        except ValueError:
            return api_error(400, "JSON_PARSER_ERROR", "The request body is not JSON")
        if not isinstance(changes, dict) or not changes:
            return api_error(400, "JSON_PARSER_ERROR", "Expected a JSON object of fields")
        known = _fields_of(table)
        for name, value in changes.items():
            if name in ("Id", "CreatedDate") or name not in known:
                return api_error(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
                )
            if name == "Registration_Status__c" and value not in REGISTRATION_STATUSES:
                return api_error(
                    400,
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"Registration Status: bad value for restricted picklist field: {value}",
                )
            if name == "IsActive" and not isinstance(value, bool):
                return api_error(400, "JSON_PARSER_ERROR", "IsActive: expected true or false")
        if record_id in self.locked:
            return api_error(400, "ENTITY_IS_LOCKED", "This record is locked for editing.")
        row.update(changes)
        return Response(status_code=204)

    def _run(self, soql: str) -> list[Row]:
        query = parse(soql)
        table = self.objects.get(query.sobject)
        if table is None:
            raise SOQLError("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        known = _fields_of(table)
        for name in (*query.fields, *(c.field for c in query.conditions)):
            if name.split(".")[0] not in known and name not in ("Id",):
                raise SOQLError(
                    "INVALID_FIELD", f"No such column '{name}' on entity '{query.sobject}'."
                )
        now = datetime.now(UTC)
        rows = [row for row in table if all(matches(row, c, now) for c in query.conditions)]
        if query.order_by:
            order_by = query.order_by
            rows.sort(
                key=lambda row: str(read_field(row, order_by) or ""), reverse=query.descending
            )
        if query.limit is not None:
            rows = rows[: query.limit]
        return [_select(query.sobject, row, query.fields) for row in rows]

    def _page(self, version: str, rows: list[Row]) -> JSONResponse:
        page, rest = rows[: self.page_size], rows[self.page_size :]
        body: dict[str, Any] = {"totalSize": len(rows), "done": not rest, "records": page}
        if rest:
            cursor = f"01gSANDBOX{next(self._cursor_numbers):08d}-{self.page_size}"
            self._cursors[cursor] = rest
            while len(self._cursors) > 1000:  # abandoned cursors expire, as real ones do
                self._cursors.popitem(last=False)
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{cursor}"
        return JSONResponse(body)


def _fields_of(table: list[Row]) -> set[str]:
    names: set[str] = {"Id", "Name"}
    for row in table:
        names.update(row)
    # Custom and standard fields an installation may have even when no row sets them.
    names.update(
        {
            "CurrencyIsoCode", "Description", "Type", "Email", "PartnerAccountId", "AccountId",
            "Registration_Status__c",
        }
    )  # fmt: skip
    return names


def _select(sobject: str, row: Row, fields: tuple[str, ...]) -> Row:
    record: Row = {
        "attributes": {
            "type": sobject,
            "url": f"/services/data/v62.0/sobjects/{sobject}/{row['Id']}",
        }
    }
    for name in fields:
        if "." in name:
            relation, child = name.split(".", 1)
            related = row.get(relation)
            if related is None:
                record[relation] = None
                continue
            target = record.setdefault(relation, {"attributes": {"type": relation}})
            target[child] = read_field(related, child)
        elif name in row or name not in record:
            record[name] = row.get(name)
    return record


def _oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def create_app(knobs: Knobs | None = None, *, today: date | None = None) -> KnobsMiddleware:
    """The sandbox as an ASGI app; ``knobs`` (shared, mutable) dial in faults."""
    return SalesforceSandbox(knobs, today=today).app
