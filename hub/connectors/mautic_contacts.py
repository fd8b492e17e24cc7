"""Mautic contacts kept in step with the hub's people: created, renamed, marked do-not-contact.

The contact is found by email (``/api/contacts`` searched ``email:<address>``). An existing
contact gets ``PATCH /api/contacts/{id}/edit`` with ``email`` and the names; a new, active
person is ``POST /api/contacts/new``. A deactivated person is marked do-not-contact on the
email channel, ``POST /api/contacts/{id}/dnc/email/add`` with reason 3 (manual) and the
hub's comment; reactivated, the hub lifts only the mark it set itself
(``/dnc/email/remove``), never a person's own unsubscribe (reason 1) or a bounce (2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from hub.connectors import shapes
from hub.connectors.base import ConnectorConfig
from hub.connectors.writes import PersonAccount

DNC_MANUAL = 3
HUB_COMMENT = "Deactivated in the partner hub"


class ContactWrites(Protocol):
    """What :func:`provision_contact` needs of the Mautic adapter."""

    config: ConnectorConfig

    async def _contact_by_email(self, email: str) -> Mapping[str, Any] | None: ...

    async def _write(self, method: str, path: str, body: Mapping[str, Any]) -> Any: ...


async def provision_contact(mautic: ContactWrites, account: PersonAccount, company: str) -> str:
    """Bring the contact with ``account.email`` in line with it; its id ("" when none)."""
    contact = await mautic._contact_by_email(account.email)
    fields: dict[str, Any] = {"email": account.email}
    if account.first_name:
        fields["firstname"] = account.first_name
    if account.last_name:
        fields["lastname"] = account.last_name
    if contact is None:
        if not account.active:
            return ""  # nobody to mark
        if company:
            fields["company"] = company
        answer = await mautic._write("POST", "/api/contacts/new", fields)
        created = shapes.obj(shapes.member(shapes.obj(answer, "new"), "contact", "new"), "contact")
        return str(shapes.integer(created, "id", "contact"))
    contact_id = shapes.integer(contact, "id", "contact")
    await mautic._write("PATCH", f"/api/contacts/{contact_id}/edit", fields)
    marks = [
        shapes.obj(mark, "doNotContact")
        for mark in shapes.arr(contact.get("doNotContact") or [], "doNotContact")
    ]
    on_email = [mark for mark in marks if mark.get("channel") == "email"]
    if not account.active and not on_email:
        body = {"reason": DNC_MANUAL, "comments": HUB_COMMENT}
        await mautic._write("POST", f"/api/contacts/{contact_id}/dnc/email/add", body)
    ours = [m for m in on_email if _reason(m) == DNC_MANUAL and m.get("comments") == HUB_COMMENT]
    if account.active and ours and len(ours) == len(on_email):
        await mautic._write("POST", f"/api/contacts/{contact_id}/dnc/email/remove", {})
    return str(contact_id)


def _reason(mark: Mapping[str, Any]) -> int | None:
    try:
        return int(mark.get("reason"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
