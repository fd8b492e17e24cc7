"""Mautic, as a through-channel marketing backend, over its REST API.

Lists come back in Mautic's own shape: ``{"total": N, "<entity>": {"<id>":
{…}, …}}`` (an empty list may be ``[]``, as PHP encodes it), paged with
``start`` and ``limit``. Errors are ``{"errors": [{"message", "code",
"type"}]}``. Authentication is HTTP Basic (``username``/``password``
secrets) or OAuth 2.0 client credentials (``client_id``/``client_secret``
secrets, token from ``{base_url}/oauth/v2/token``), refreshed once on 401.

How a partner is found: its alias is the partner's external id for this
connector, or else its slug. ``partner_match`` (option) says what the alias
names: ``segment`` (default; a segment alias, searched as ``segment:alias``),
``company`` (the contact's company; the partner's name is used when no
external id is set) or ``tag``.

What each operation reads:

* campaigns: published campaigns (``/api/campaigns``), narrowed to the
  category alias in ``campaign_category`` when set.
* leads: the partner's contacts (``/api/contacts``), newest first; a lead's
  campaign comes from the contact field named by ``lead_campaign_field``.
* redistributions: segment emails (``/api/emails``, ``emailType`` ``list``)
  that were sent, either to the partner's segment (found through
  ``/api/segments``) or from an address at the partner's domain. Each is a
  share on the ``email`` channel by its ``fromAddress``, reach ``sentCount``,
  for the campaign named in its ``utmTags.utmCampaign`` (else ``email:<id>``).
  This is the choice documented in ``docs/connectors/mautic.md``: Mautic has
  no notion of a partner sharing, and a co-branded segment email is how
  partners redistribute there.
* vendor_emails: the sends to one partner person (``/api/stats/email_stats``
  where ``email_address`` is theirs, from ``vendor_email_days`` back, default
  120), with ``is_read`` and ``date_read``: whether the vendor's emails reach them.

* content: published assets (``/api/assets``) for the content library: title,
  description, language, category (the collection; a category alias in
  ``kit_categories``, default ``campaign-kits``, makes the asset a campaign kit)
  and ``downloadUrl``, where it opens; ``tags`` where the instance has them.

One write, :meth:`MauticConnector.send_email`: the contact is found by email
(``/api/contacts`` searched ``email:<address>``), then
``POST /api/emails/{id}/contact/{contactId}/send`` with the hub's text as ``tokens``
sends that email to them. Mautic has no idempotency key; the hub sends each step once.
A person's own contact is kept in step with the hub by :mod:`mautic_contacts`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

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
from hub.connectors.client_credentials import ClientCredentials
from hub.connectors.content import ContentKind, ContentRecord
from hub.connectors.mautic_contacts import provision_contact
from hub.connectors.records import (
    Campaign,
    Lead,
    PartnerRef,
    PersonRef,
    Redistribution,
    VendorEmail,
)
from hub.connectors.wire import json_body, raise_for_status, send
from hub.connectors.writes import BackendRefused, EmailSend, PersonAccount

T = TypeVar("T")


class MauticConnector:
    """A TCMA connector for one Mautic instance."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._base = config.base_url.rstrip("/")
        options = config.options
        self._match: str = options.get("partner_match", "segment")
        if self._match not in {"segment", "company", "tag"}:
            raise ValueError(f"{config.name}: partner_match must be segment, company or tag")
        self._category: str | None = options.get("campaign_category")
        self._campaign_field: str | None = options.get("lead_campaign_field")
        self._page_size = int(options.get("page_size", 30))
        self._max_pages = int(options.get("max_pages", 100))
        self._vendor_email_days = int(options.get("vendor_email_days", 120))
        self._kit_categories = frozenset(options.get("kit_categories", ("campaign-kits",)))
        # Mautic cannot search emails by segment, so every partner's redistributions come
        # from the one list of the instance's published emails: read once, shared a while.
        self._emails: tuple[float, list[tuple[str, Mapping[str, Any]]]] | None = None
        self._emails_lock = asyncio.Lock()
        client_id = config.secrets.get("client_id") or config.auth.get("client_id")
        client_secret = config.secrets.get("client_secret")
        self._oauth: ClientCredentials | None = None
        if client_id and client_secret:
            self._oauth = ClientCredentials(
                http,
                config.name,
                f"{self._base}/oauth/v2/token",
                client_id,
                client_secret,
                client_auth="post",
                time_limit=config.timeout,
            )

    async def probe(self) -> str:
        user = shapes.obj(await self._get("/api/users/self", {}), "user")
        return f"Mautic as {shapes.text(user, 'username', 'user')}"

    async def campaigns(self, partner: PartnerRef) -> list[Campaign]:
        search = "is:published" + (f" category:{self._category}" if self._category else "")
        found = []
        for where, campaign in await self._list("/api/campaigns", "campaigns", search):
            campaign_id = shapes.integer(campaign, "id", where)
            category = campaign.get("category")
            found.append(
                Campaign(
                    id=str(campaign_id),
                    name=shapes.text(campaign, "name", where),
                    description=shapes.optional_text(campaign, "description", where) or "",
                    published_at=self._time(campaign, "publishUp", where)
                    or self._time(campaign, "dateAdded", where),
                    is_published=shapes.as_bool(
                        shapes.member(campaign, "isPublished", where), f"{where}.isPublished"
                    ),
                    category=shapes.text(shapes.obj(category, f"{where}.category"), "title", where)
                    if category
                    else "",
                    url=f"{self._portal()}/s/campaigns/view/{campaign_id}",
                )
            )
        return _newest_first(found, lambda c: c.published_at)

    async def leads(self, partner: PartnerRef) -> list[Lead]:
        found = []
        for where, contact in await self._list("/api/contacts", "contacts", self._search(partner)):
            fields = shapes.obj(
                shapes.member(shapes.obj(contact.get("fields"), f"{where}.fields"), "all", where),
                f"{where}.fields.all",
            )
            name = " ".join(
                part
                for part in (
                    shapes.optional_text(fields, "firstname", where),
                    shapes.optional_text(fields, "lastname", where),
                )
                if part
            )
            stage = contact.get("stage")
            campaign = fields.get(self._campaign_field) if self._campaign_field else None
            created = self._time(contact, "dateAdded", where)
            if created is None:
                raise MalformedResponse(f"{where}: a contact without dateAdded")
            found.append(
                Lead(
                    id=str(shapes.integer(contact, "id", where)),
                    name=name or shapes.optional_text(fields, "email", where) or "",
                    company=shapes.optional_text(fields, "company", where) or "",
                    created_at=created,
                    campaign_id=str(campaign) if campaign not in (None, "") else None,
                    points=shapes.as_int(contact.get("points") or 0, f"{where}.points"),
                    stage=shapes.optional_text(shapes.obj(stage, f"{where}.stage"), "name", where)
                    or ""
                    if stage
                    else "",
                )
            )
        return _newest_first(found, lambda lead: lead.created_at)

    async def redistributions(self, partner: PartnerRef) -> list[Redistribution]:
        segment_id, emails = await asyncio.gather(
            self._partner_segment(partner), self._published_emails()
        )
        domain = f"@{partner.domain.lower()}" if partner.domain else None
        shared = []
        for where, email in emails:
            if email.get("emailType") != "list":
                continue
            sender = (shapes.optional_text(email, "fromAddress", where) or "").lower()
            segments = {
                shapes.integer(shapes.obj(s, f"{where}.lists"), "id", where)
                for s in shapes.arr(email.get("lists") or [], f"{where}.lists")
            }
            if not (
                (segment_id is not None and segment_id in segments)
                or (domain and sender.endswith(domain))
            ):
                continue
            reach = shapes.as_int(email.get("sentCount") or 0, f"{where}.sentCount")
            sent_at = self._time(email, "publishUp", where) or self._time(email, "dateAdded", where)
            if reach == 0 or sent_at is None:
                continue  # drafted but never sent: not shared yet
            utm = email.get("utmTags")
            utm_campaign = shapes.obj(utm, f"{where}.utmTags").get("utmCampaign") if utm else None
            shared.append(
                Redistribution(
                    campaign_id=utm_campaign
                    if isinstance(utm_campaign, str) and utm_campaign
                    else f"email:{shapes.integer(email, 'id', where)}",
                    email=sender,
                    channel="email",
                    shared_at=sent_at,
                    reach=reach,
                )
            )
        return sorted(shared, key=lambda r: r.shared_at, reverse=True)

    async def vendor_emails(self, person: PersonRef) -> list[VendorEmail]:
        since = datetime.now(UTC) - timedelta(days=self._vendor_email_days)
        where = [
            ("email_address", "eq", person.email),
            ("date_sent", "gte", since.strftime("%Y-%m-%d %H:%M:%S")),
        ]
        params = {
            f"where[{i}][{part}]": value
            for i, condition in enumerate(where)
            for part, value in zip(("col", "expr", "val"), condition, strict=True)
        }
        found = []
        for where_found, stat in await self._list("/api/stats/email_stats", "stats", "", params):
            sent = self._time(stat, "date_sent", where_found)
            if sent is None:
                continue  # queued, not sent yet
            read = shapes.as_int(stat.get("is_read") or 0, f"{where_found}.is_read") == 1
            found.append(
                VendorEmail(
                    id=str(shapes.as_int(stat.get("id"), f"{where_found}.id")),
                    email_id=str(stat.get("email_id") or ""),
                    email=(shapes.optional_text(stat, "email_address", where_found) or "").lower(),
                    sent_at=sent,
                    read_at=(self._time(stat, "date_read", where_found) or sent) if read else None,
                )
            )
        return _newest_first(found, lambda email: email.sent_at)

    # --- Mautic calls ---------------------------------------------------------

    async def content(self) -> list[ContentRecord]:
        """Published assets as library items."""
        found = []
        for where, asset in await self._list("/api/assets", "assets", "is:published"):
            asset_id = shapes.integer(asset, "id", where)
            category = asset.get("category")
            category = shapes.obj(category, f"{where}.category") if category else {}
            added = self._time(asset, "dateAdded", where) or datetime.now(UTC)
            published = self._time(asset, "publishUp", where) or added
            url = shapes.optional_text(asset, "downloadUrl", where) or f"/asset/{asset_id}"
            kit = category.get("alias") in self._kit_categories
            tags = asset.get("tags")
            found.append(
                ContentRecord(
                    external_id=str(asset_id),
                    title=shapes.text(asset, "title", where),
                    summary=shapes.optional_text(asset, "description", where) or "",
                    kind=ContentKind.CAMPAIGN_KIT if kit else ContentKind.DOCUMENT,
                    language=(shapes.optional_text(asset, "language", where) or "en")[:2],
                    url=url if url.startswith("http") else f"{self._portal()}{url}",
                    published_at=published,
                    updated_at=self._time(asset, "dateModified", where) or published,
                    collection=str(category.get("title") or ""),
                    tags=tuple(
                        str(tag["tag"])
                        for tag in (tags if isinstance(tags, list) else [])
                        if isinstance(tag, dict) and "tag" in tag
                    ),
                )
            )
        return found

    def _alias(self, partner: PartnerRef) -> str:
        external = partner.external_id(self.config.name)
        if external:
            return external
        return partner.name if self._match == "company" and partner.name else partner.slug

    def _search(self, partner: PartnerRef) -> str:
        alias = self._alias(partner)
        if any(c in alias for c in ' "'):
            alias = '"' + alias.replace('"', "") + '"'
        return f"{self._match}:{alias}"

    async def _partner_segment(self, partner: PartnerRef) -> int | None:
        if self._match != "segment":
            return None
        alias = self._alias(partner)
        for where, segment in await self._list("/api/segments", "lists", alias):
            if segment.get("alias") == alias:
                return shapes.integer(segment, "id", where)
        return None

    async def _published_emails(self) -> list[tuple[str, Mapping[str, Any]]]:
        """The instance's published emails, read at most once per ``cache_ttl``."""
        async with self._emails_lock:
            now = time.monotonic()
            if self._emails is None or now - self._emails[0] >= self.config.cache_ttl:
                self._emails = (now, await self._list("/api/emails", "emails", "is:published"))
            return self._emails[1]

    async def _list(
        self, path: str, key: str, search: str, query: Mapping[str, str] | None = None
    ) -> list[tuple[str, Mapping[str, Any]]]:
        """Every entity of a Mautic list endpoint, page by page, with where each was found."""
        entities: list[tuple[str, Mapping[str, Any]]] = []
        start = 0
        for _ in range(self._max_pages):
            params = {**(query or {}), "start": str(start), "limit": str(self._page_size)}
            if search:
                params["search"] = search
            answer = shapes.obj(await self._get(path, params), path)
            total = shapes.as_int(shapes.member(answer, "total", path), f"{path}.total")
            page = shapes.member(answer, key, path)
            # PHP encodes an empty map as [], a full one as {"id": {...}}.
            rows = (
                list(page.values()) if isinstance(page, dict) else shapes.arr(page, f"{path}.{key}")
            )
            entities.extend(
                (f"{path}.{key}[{start + i}]", shapes.obj(row, f"{path}.{key}[{start + i}]"))
                for i, row in enumerate(rows)
            )
            start += len(rows)
            if not rows or start >= total:
                return entities
        raise MalformedResponse(f"{self.config.name}: more than {self._max_pages} pages at {path}")

    async def send_email(self, person: PersonRef, send_request: EmailSend) -> str:
        """Send Mautic email ``send_request.email_id`` to the contact with ``person``'s email."""
        contact = await self._contact_by_email(person.email)
        if contact is None:
            raise BackendRefused(f"{self.config.name}: no Mautic contact has {person.email}")
        contact_id = shapes.integer(contact, "id", "contact")
        path = f"/api/emails/{quote(send_request.email_id)}/contact/{contact_id}/send"
        response = await send(
            self._http,
            self.config.name,
            "POST",
            self._base + path,
            time_limit=self.config.timeout,
            json={"tokens": dict(send_request.tokens)},
            headers={"Accept": "application/json", **await self._authorization()},
        )
        if response.status_code in (400, 404, 422):
            error = self._error(response)
            raise BackendRefused(f"{error} (email {send_request.email_id} or contact refused)")
        if response.status_code >= 400:
            raise self._error(response)
        answer = shapes.obj(json_body(response, self.config.name), path)
        if not answer.get("success"):
            raise BackendRefused(
                f"{self.config.name}: Mautic did not send email {send_request.email_id}"
            )
        return str(contact_id)

    async def provision_person(self, person: PersonRef, account: PersonAccount) -> str:
        """The person's contact, created, renamed or marked (:mod:`mautic_contacts`)."""
        company = person.partner.name if person.partner and person.partner.name else ""
        return await provision_contact(self, account, company)

    async def _contact_by_email(self, email: str) -> Mapping[str, Any] | None:
        found = await self._list("/api/contacts", "contacts", f"email:{email}")
        return next(
            (
                row
                for _, row in found
                if str((row.get("fields") or {}).get("all", {}).get("email", "")).lower()
                == email.lower()
            ),
            None,
        )

    async def _write(self, method: str, path: str, body: Mapping[str, Any]) -> Any:
        """One write; Mautic's 400, 404 and 422 are :class:`BackendRefused`."""
        response = await send(
            self._http,
            self.config.name,
            method,
            self._base + path,
            time_limit=self.config.timeout,
            json=dict(body),
            headers={"Accept": "application/json", **await self._authorization()},
        )
        if response.status_code in (400, 404, 422):
            raise BackendRefused(str(self._error(response)))
        if response.status_code >= 400:
            raise self._error(response)
        return json_body(response, self.config.name)

    async def _get(self, path: str, params: Mapping[str, str]) -> Any:
        for attempt in (1, 2):
            response = await send(
                self._http,
                self.config.name,
                "GET",
                self._base + path,
                time_limit=self.config.timeout,
                params=params,
                headers={"Accept": "application/json", **await self._authorization()},
            )
            if response.status_code == 401 and self._oauth is not None and attempt == 1:
                self._oauth.invalidate()  # the token expired early or was revoked: one fresh try
                continue
            break
        if response.status_code >= 400:
            raise self._error(response)
        raise_for_status(response, self.config.name)
        answer = json_body(response, self.config.name)
        if isinstance(answer, dict) and "errors" in answer:
            raise self._error(response)
        return answer

    async def _authorization(self) -> dict[str, str]:
        if self._oauth is not None:
            return {"Authorization": f"Bearer {await self._oauth.token()}"}
        username = self.config.secrets.get("username") or self.config.auth.get("username")
        password = self.config.secrets.get("password")
        if not username or password is None:
            raise BackendAuthError(f"{self.config.name}: no Mautic credentials are configured")
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}

    def _error(self, response: httpx.Response) -> BackendError:
        """Mautic's ``errors`` array, or the HTTP status when the body is not Mautic's."""
        code, kind = response.status_code, ""
        try:
            first = response.json()["errors"][0]
            code = int(first.get("code", code)) if code < 400 else code
            kind = str(first.get("type", ""))[:40]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            pass
        message = f"{self.config.name}: HTTP {code} from {response.request.url.path}" + (
            f" ({kind})" if kind else ""
        )
        if code in (401, 403):
            return BackendAuthError(message)
        if code == 429:
            return BackendRateLimited(message)
        if code >= 500:
            return BackendUnavailable(message)
        return BackendError(message)

    def _time(self, entity: Mapping[str, Any], key: str, where: str) -> datetime | None:
        value = entity.get(key)
        if value in (None, ""):
            return None
        # Mautic stores UTC and, in older versions, prints it without an offset.
        return shapes.iso_datetime(value, f"{where}.{key}", naive_is_utc=True)

    def _portal(self) -> str:
        return (self.config.portal_url or self.config.base_url).rstrip("/")


def _newest_first(records: list[T], when: Callable[[T], datetime | None]) -> list[T]:
    """Newest first by ``when``; records without a time go last, in their order."""
    dated = [(moment, r) for r in records if (moment := when(r)) is not None]
    undated = [r for r in records if when(r) is None]
    return [r for _, r in sorted(dated, key=lambda pair: pair[0], reverse=True)] + undated
