"""An incentive platform with its own REST API, seeded from the demo cast.

No product in particular: an API shaped the way incentive platforms tend to
be, read by the generic REST adapter through
``incentives_mapping.toml`` next to this module. Three paging styles, as
such APIs accrete them: goals and claims page by cursor (``meta.next_cursor``),
SPIFs by offset with a ``total``, the rewards catalogue by page with an RFC
8288 ``Link`` header. Auth: OAuth 2.0 client credentials at ``/oauth/token``
(client authenticated with HTTP Basic) or a static API token, as a bearer.
Unknown participants get 404 with ``{"error": {"code", "message"}}``. Each goal
carries ``progress``: what it stood at by the end of each week of its period so far
and today, the last point its ``achieved``.

One write: ``POST /v2/spiffs`` creates a time-boxed SPIF for named participants
(``audience.participants``, of the company ``audience.company``: its id or its key),
answered ``201 {"spiff": {…}}``; the same ``Idempotency-Key`` again answers the first
SPIF with 200. A payout above ``MAX_PAYOUT`` (the programme's budget per SPIF), a window
that is not open today or later, or a participant of another company is refused with 422
and the reason, as such platforms do.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from hub.connectors.sandboxes.incentives_seed import Programme, seed
from hub.connectors.sandboxes.knobs import Knobs, with_knobs

MAPPING_FILE = Path(__file__).with_name("incentives_mapping.toml")
"""The worked example: the REST adapter's mapping for this API."""
DEMO_TOKEN = "sandbox-incentives-token"  # noqa: S105 - a public demo credential
DEMO_CLIENT_ID = "partner-hub"
DEMO_CLIENT_SECRET = "sandbox-incentives-client-secret"  # noqa: S105 - a public demo credential
MAX_PAYOUT = Decimal("5000")


def create_app(
    knobs: Knobs | None = None, *, today: date | None = None, page_cap: int = 10
) -> ASGIApp:
    """The incentive platform as an ASGI app; ``knobs`` (shared, mutable) dial in faults."""
    day = today or datetime.now(UTC).date()
    platform = _Platform(seed(day), page_cap, day)
    app = Starlette(
        routes=[
            Route("/oauth/token", platform.token, methods=["POST"]),
            Route("/v2/me", platform.me),
            Route("/v2/participants/{email}", platform.participant),
            Route("/v2/participants/{email}/goals", platform.goals),
            Route("/v2/participants/{email}/spiffs", platform.spiffs),
            Route("/v2/participants/{email}/claims", platform.claims),
            Route("/v2/rewards", platform.rewards),
            Route("/v2/spiffs", platform.create_spiff, methods=["POST"]),
        ]
    )
    return with_knobs(app, knobs or Knobs(), fault_response=_fault)


class _Platform:
    def __init__(self, programme: Programme, page_cap: int, today: date) -> None:
        self.programme = programme
        self.page_cap = page_cap
        self.tokens = {DEMO_TOKEN}
        self.created: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.today = today

    def _denied(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.tokens:
            return None
        return _fault(401, "missing or invalid bearer token", "unauthorized")

    def _limit(self, request: Request, name: str = "limit") -> int:
        return max(1, min(int(request.query_params.get(name, self.page_cap)), self.page_cap))

    async def token(self, request: Request) -> Response:
        form = await request.form()
        expected = f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}"
        try:
            given = base64.b64decode(request.headers.get("authorization", "")[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            given = ""
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if given != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        issued = secrets.token_urlsafe(24)
        self.tokens.add(issued)
        return JSONResponse({"access_token": issued, "token_type": "Bearer", "expires_in": 3600})

    async def me(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse(
            {"client": DEMO_CLIENT_ID, "programme": self.programme.name, "api_version": "2.4"}
        )

    def _person(self, request: Request) -> tuple[str, Response | None]:
        email = request.path_params["email"].lower()
        denied = self._denied(request)
        if denied:
            return email, denied
        if email not in self.programme.participants:
            return email, _fault(404, f"no participant {email}", "participant_not_found")
        return email, None

    async def participant(self, request: Request) -> Response:
        email, refused = self._person(request)
        return refused or JSONResponse({"participant": self.programme.participants[email]})

    async def goals(self, request: Request) -> Response:
        email, refused = self._person(request)
        if refused:
            return refused
        goals = self.programme.goals[email]
        if request.query_params.get("period", "current") == "current":
            goals = [g for g in goals if g["period"]["current"]]
        return self._by_cursor(request, goals)

    async def claims(self, request: Request) -> Response:
        email, refused = self._person(request)
        return refused or self._by_cursor(request, self.programme.claims[email])

    def _by_cursor(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        try:
            limit = self._limit(request)
            cursor = request.query_params.get("cursor")
            start = int(base64.urlsafe_b64decode(cursor).decode()) if cursor else 0
        except (ValueError, binascii.Error):
            return _fault(400, "invalid cursor or limit", "bad_request")
        end = start + limit
        following = (
            base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(rows) else None
        )
        return JSONResponse({"data": rows[start:end], "meta": {"next_cursor": following}})

    async def spiffs(self, request: Request) -> Response:
        email, refused = self._person(request)
        if refused:
            return refused
        try:
            limit, offset = self._limit(request), int(request.query_params.get("offset", "0"))
        except ValueError:
            return _fault(400, "invalid offset or limit", "bad_request")
        rows = self.programme.spiffs[email]
        return JSONResponse(
            {
                "items": rows[offset : offset + limit],
                "total": len(rows),
                "offset": offset,
                "limit": limit,
            }
        )

    async def create_spiff(self, request: Request) -> Response:
        denied = self._denied(request)
        if denied:
            return denied
        key = request.headers.get("idempotency-key", "")
        if key and key in self.created:
            return JSONResponse({"spiff": self.created[key]})
        try:
            body = await request.json()
            payout = body["payout"]
            amount = Decimal(str(payout["amount"]))
            currency = str(payout["currency"])
            opens = date.fromisoformat(body["window"]["opens"])
            closes = date.fromisoformat(body["window"]["closes"])
            participants = [str(email).lower() for email in body["audience"]["participants"]]
            company = str(body["audience"].get("company", ""))
            name = str(body["name"]).strip()
        except (ValueError, KeyError, TypeError, ArithmeticError):
            return _fault(400, "invalid SPIF: name, payout, window and audience are required",
                          "bad_request")  # fmt: skip
        if not name or not participants:
            return _fault(422, "a SPIF needs a name and at least one participant", "invalid")
        if amount <= 0 or amount > MAX_PAYOUT:
            return _fault(
                422,
                f"payout {amount} {currency} is over the programme's budget of {MAX_PAYOUT} per SPIF",
                "budget_exceeded",
            )
        if opens < self.today or closes <= opens:
            return _fault(422, "the window must open today or later and close after it opens",
                          "invalid_window")  # fmt: skip
        for email in participants:
            person = self.programme.participants.get(email)
            if person is None:
                return _fault(422, f"no participant {email}", "participant_not_found")
            if company and company not in (
                person["company"]["id"],
                person["company"]["id"][2:].lower(),
            ):
                return _fault(422, f"{email} is not with company {company}", "wrong_company")
        spiff_id = f"S-{9001 + len(self.created)}"
        spiff: dict[str, Any] = {
            "id": spiff_id,
            "name": name,
            "summary": str(body.get("summary", "")),
            "eligibility": {"eligible": True, "reasons": []},
            "payout": {"amount": f"{amount:.2f}", "currency": currency},
            "requirements": [
                {"text": str(r.get("text", ""))} for r in body.get("requirements") or []
            ],
            "window": {"opens": opens.isoformat(), "closes": closes.isoformat()},
            "progress": 0,
        }
        self.created[key or spiff_id] = spiff
        for email in participants:  # it shows in each participant's list from now on
            self.programme.spiffs.setdefault(email, []).append(spiff)
        return JSONResponse({"spiff": spiff}, status_code=201)

    async def rewards(self, request: Request) -> Response:
        denied = self._denied(request)
        if denied:
            return denied
        try:
            size, page = (
                self._limit(request, "per_page"),
                int(request.query_params.get("page", "1")),
            )
        except ValueError:
            return _fault(400, "invalid page or per_page", "bad_request")
        rows = self.programme.rewards
        pages = max(1, -(-len(rows) // size))
        links = [f'</v2/rewards?page={pages}&per_page={size}>; rel="last"']
        if page < pages:
            links.insert(0, f'</v2/rewards?page={page + 1}&per_page={size}>; rel="next"')
        return JSONResponse(
            rows[(page - 1) * size : page * size],
            headers={"Link": ", ".join(links), "X-Total-Count": str(len(rows))},
        )


def _fault(status: int, message: str, code: str = "unavailable") -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
