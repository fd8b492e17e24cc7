"""A Mautic instance's REST API (the part the hub reads), seeded from the demo cast.

Routes: ``GET /api/users/self``, ``/api/campaigns``, ``/api/contacts``,
``/api/emails``, ``/api/segments``, ``/api/assets`` (the library's marketing assets and
campaign kits, from :mod:`hub.connectors.sandboxes.content_seed`) with ``search`` (``is:published``,
``category:``, ``segment:``, ``company:``, ``tag:`` and plain text),
``start`` and ``limit`` (at most ``page_cap``), answered in Mautic's keyed
maps with ``total``; ``POST /oauth/v2/token`` for client credentials.
HTTP Basic or a bearer token from that endpoint. Each partner has a segment
whose alias is its slug; Initech's contacts and emails are months old.

One write: ``POST /api/emails/{id}/contact/{contactId}/send`` (JSON ``tokens``
optional) sends an email to a contact, answered ``{"success": true}`` and recorded as a
row of ``email_stats``, unread; an unknown email or contact is Mautic's 404. Every send is
kept in ``sent`` for tests to read. Contacts are created, edited and marked
do-not-contact as :mod:`hub.connectors.sandboxes.mautic_contacts` says.
"""

from __future__ import annotations

import base64
import secrets
import shlex
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from hub.connectors.sandboxes.content_seed import MAUTIC_ASSETS, moment
from hub.connectors.sandboxes.knobs import Knobs, with_knobs
from hub.connectors.sandboxes.mautic_contacts import contact_routes
from hub.connectors.sandboxes.mautic_seed import Seed, seed

DEMO_USERNAME = "hub-api"
DEMO_PASSWORD = "sandbox-mautic-password"  # noqa: S105 - a public demo credential
DEMO_CLIENT_ID = "1_sandbox-hub"
DEMO_CLIENT_SECRET = "sandbox-mautic-client-secret"  # noqa: S105 - a public demo credential


def create_app(
    knobs: Knobs | None = None, *, today: date | None = None, page_cap: int = 30
) -> ASGIApp:
    """The Mautic sandbox as an ASGI app; ``knobs`` (shared, mutable) dial in faults."""
    day = today or datetime.now(UTC).date()
    instance = _Instance(seed(day), page_cap, assets(day))
    app = Starlette(
        routes=[
            Route("/oauth/v2/token", instance.token, methods=["POST"]),
            Route("/api/users/self", instance.users_self),
            Route("/api/campaigns", instance.lister("campaigns")),
            Route("/api/contacts", instance.lister("contacts")),
            Route("/api/emails", instance.lister("emails")),
            Route("/api/segments", instance.lister("lists")),
            Route("/api/assets", instance.lister("assets")),
            Route("/api/stats/{table}", instance.stats),
            Route(
                "/api/emails/{email_id:int}/contact/{contact_id:int}/send",
                instance.send_to_contact,
                methods=["POST"],
            ),
            *contact_routes(instance.data.contacts, instance.authorised, _fault),
        ]
    )
    return with_knobs(app, knobs or Knobs(), fault_response=_fault)


class _Instance:
    def __init__(self, data: Seed, page_cap: int, asset_rows: dict[int, dict[str, Any]]) -> None:
        self.data = data
        self.assets = asset_rows
        self.page_cap = page_cap
        self.tokens: set[str] = set()
        self.sent: list[dict[str, Any]] = []
        self.basic = (
            "Basic " + base64.b64encode(f"{DEMO_USERNAME}:{DEMO_PASSWORD}".encode()).decode()
        )

    def authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header == self.basic or (header.startswith("Bearer ") and header[7:] in self.tokens)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (form.get("client_id"), form.get("client_secret")) != (
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
        ):
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "The client credentials are invalid",
                },
                status_code=400,
            )
        issued = secrets.token_urlsafe(24)
        self.tokens.add(issued)
        return JSONResponse(
            {"access_token": issued, "expires_in": 3600, "token_type": "bearer", "scope": None}
        )

    async def users_self(self, request: Request) -> Response:
        if not self.authorised(request):
            return _fault(401, "API authorization denied.")
        return JSONResponse(
            {
                "isPublished": True,
                "id": 1,
                "username": DEMO_USERNAME,
                "firstName": "Partner",
                "lastName": "Hub",
                "email": "hub-api@vendor.example",
                "position": None,
                "role": {"id": 2, "name": "API", "isAdmin": False},
            }
        )

    def lister(self, key: str) -> Callable[[Request], Any]:
        table = {
            "campaigns": self.data.campaigns,
            "contacts": self.data.contacts,
            "emails": self.data.emails,
            "lists": self.data.segments,
            "assets": self.assets,
        }[key]

        async def listing(request: Request) -> Response:
            if not self.authorised(request):
                return _fault(401, "API authorization denied.")
            try:
                start = int(request.query_params.get("start", "0"))
                limit = min(int(request.query_params.get("limit", "30")), self.page_cap)
                terms = shlex.split(request.query_params.get("search", ""))
            except ValueError as exc:
                return _fault(400, f"bad request: {exc}")
            found = [
                e
                for e in sorted(table.values(), key=lambda e: e["id"])
                if all(self._matches(e, term) for term in terms)
            ]
            page = found[start : start + limit]
            return JSONResponse({"total": len(found), key: {str(e["id"]): e for e in page} or []})

        return listing

    async def stats(self, request: Request) -> Response:
        """Mautic's raw statistics tables; only ``email_stats`` is seeded. Rows come back
        as the database holds them (every value a string), filtered by ``where[n]``."""
        if not self.authorised(request):
            return _fault(401, "API authorization denied.")
        if request.path_params["table"] != "email_stats":
            return _fault(404, "Item was not found.")
        query = request.query_params
        try:
            start = int(query.get("start", "0"))
            limit = min(int(query.get("limit", "30")), self.page_cap)
        except ValueError as exc:
            return _fault(400, f"bad request: {exc}")
        conditions = []
        for n in range(10):
            col = query.get(f"where[{n}][col]")
            if col is None:
                break
            expr, value = query.get(f"where[{n}][expr]", "eq"), query.get(f"where[{n}][val]", "")
            if expr not in STAT_EXPRESSIONS:
                return _fault(400, f"where[{n}][expr]: {expr} is not supported")
            conditions.append((col, STAT_EXPRESSIONS[expr], value))
        found = [
            row
            for row in self.data.email_stats
            if all(row.get(col) is not None and test(str(row[col]), value)
                   for col, test, value in conditions)
        ]  # fmt: skip
        return JSONResponse({"total": str(len(found)), "stats": found[start : start + limit]})

    async def send_to_contact(self, request: Request) -> Response:
        if not self.authorised(request):
            return _fault(401, "API authorization denied.")
        email = self.data.emails.get(request.path_params["email_id"])
        contact = self.data.contacts.get(request.path_params["contact_id"])
        if email is None or contact is None:
            return _fault(404, "Item was not found.")
        try:
            body = await request.json() if await request.body() else {}
            tokens = dict(body.get("tokens") or {})
        except (ValueError, TypeError, AttributeError):
            return _fault(400, "tokens: expected an object")
        address = contact["fields"]["all"]["email"]
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.sent.append(
            {"email_id": email["id"], "contact_id": contact["id"], "to": address, "tokens": tokens}
        )
        self.data.email_stats.append(
            {
                "id": str(len(self.data.email_stats) + 1),
                "email_id": str(email["id"]),
                "lead_id": str(contact["id"]),
                "email_address": address,
                "date_sent": now,
                "is_read": "0",
                "date_read": None,
                "is_failed": "0",
                "viewed_in_browser": "0",
                "open_count": "0",
                "source": "email",
                "source_id": str(email["id"]),
            }
        )
        return JSONResponse({"success": True})

    def _matches(self, entity: dict[str, Any], term: str) -> bool:
        command, _, value = term.partition(":")
        value = value.lower()
        if not _:
            keys = ("name", "title", "alias", "subject")
            text = " ".join(str(entity.get(k, "")) for k in keys).lower()
            return term.lower() in text
        if command == "is":
            return value != "published" or bool(entity.get("isPublished"))
        if command == "category":
            return (entity.get("category") or {}).get("alias") == value
        fields = entity.get("fields", {}).get("all", {})
        if command == "email":
            return str(fields.get("email", "")).lower() == value
        if command == "company":
            return str(fields.get("company", "")).lower() == value
        if command == "tag":
            return any(tag["tag"].lower() == value for tag in entity.get("tags", []))
        if command == "segment":
            ids = [s["id"] for s in self.data.segments.values() if s["alias"] == value]
            return any(entity.get("id") in self.data.members[i] for i in ids)
        return False


# The ``where`` expressions the sandbox understands (Mautic has more), compared as text:
# dates print as ``YYYY-MM-DD hh:mm:ss``, so text order is time order.
STAT_EXPRESSIONS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda have, want: have.lower() == want.lower(),
    "neq": lambda have, want: have.lower() != want.lower(),
    "gte": lambda have, want: have >= want,
    "lte": lambda have, want: have <= want,
    "gt": lambda have, want: have > want,
    "lt": lambda have, want: have < want,
}


def _fault(status: int, reason: str) -> Response:
    kind = {401: "access_denied", 403: "access_denied", 404: "not_found"}.get(status)
    return JSONResponse(
        {"errors": [{"message": reason, "code": status, "type": kind}]}, status_code=status
    )


def assets(today: date) -> dict[int, dict[str, Any]]:
    """The demo's assets in Mautic's shape (``/api/assets``), keyed by id."""
    rows: dict[int, dict[str, Any]] = {}
    for item in MAUTIC_ASSETS:
        added = moment(today, item.age_days)
        alias = "-".join(item.title.lower().replace(":", "").split())
        category = "-".join(item.collection.lower().split())
        rows[item.number] = {
            "id": item.number,
            "title": item.title,
            "alias": alias,
            "description": item.summary,
            "language": item.language,
            "isPublished": True,
            "publishUp": added.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "publishDown": None,
            "dateAdded": added.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "dateModified": added.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "category": {"id": 100 + len(category), "title": item.collection, "alias": category},
            "storageLocation": "local",
            "extension": "zip" if item.kind == "campaign_kit" else "pdf",
            "mime": "application/zip" if item.kind == "campaign_kit" else "application/pdf",
            "downloadCount": 0,
            "uniqueDownloadCount": 0,
            "downloadUrl": f"/asset/{item.number}:{alias}",
            # Mautic keeps tags on contacts, not assets; the sandbox adds a list shaped
            # like theirs so the demo shows targeting carried from the source.
            "tags": [{"tag": tag} for tag in item.tags],
        }
    return rows
