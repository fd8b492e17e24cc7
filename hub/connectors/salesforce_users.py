"""Salesforce partner users kept in step with the hub: created, renamed, activated, deactivated.

A person is the ``User`` whose ``FederationIdentifier`` is their email (the id the hub's
sign-on asserts to Salesforce), found by SOQL. An existing user gets one ``PATCH
/sobjects/User/<Id>`` with ``IsActive``, ``Email`` and the names. A new, active person becomes
a partner user: the ``Contact`` with their email on their partner's Account (created when
there is none, ``POST /sobjects/Contact/``), then ``POST /sobjects/User/`` with that
``ContactId`` and the partner profile (the ``partner_profile_id`` option) plus the fields
Salesforce requires of every user (``Alias``, ``CommunityNickname``, the locale keys).
Salesforce never deletes a user: deactivation is ``IsActive = false``, and an inactive
person without a user is left alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hub.connectors import shapes
from hub.connectors.salesforce_api import SalesforceAPI
from hub.connectors.soql import quote
from hub.connectors.writes import BackendRefused, PersonAccount

USER_DEFAULTS: dict[str, str] = {
    "TimeZoneSidKey": "GMT",
    "LocaleSidKey": "en_US",
    "LanguageLocaleKey": "en_US",
    "EmailEncodingKey": "UTF-8",
}


async def provision_partner_user(
    salesforce: SalesforceAPI,
    account: PersonAccount,
    *,
    partner_account_id: Callable[[], Awaitable[str | None]],
    profile_id: str,
) -> str:
    """Bring the partner user for ``account`` in line with it; the User Id ("" if none)."""
    where = "User"
    federation_id = quote(account.email.lower())
    soql = f"SELECT Id, IsActive FROM User WHERE FederationIdentifier = {federation_id} LIMIT 1"  # noqa: S608 - quote()d
    users = await salesforce.query(soql)
    if users:
        user_id = shapes.text(users[0], "Id", where)
        changes: dict[str, Any] = {"IsActive": account.active, "Email": account.email}
        if account.first_name:
            changes["FirstName"] = account.first_name
        if account.last_name:
            changes["LastName"] = account.last_name
        await salesforce.update("User", user_id, changes)
        return user_id
    if not account.active:
        return ""  # nobody to deactivate
    name = salesforce.config.name
    if not profile_id:
        raise BackendRefused(f"{name}: no partner_profile_id is configured to create users")
    account_id = await partner_account_id()
    if account_id is None:
        raise BackendRefused(f"{name}: {account.email} belongs to no partner org")
    contact_id = await _contact_id(salesforce, account, account_id)
    local = account.email.split("@")[0]
    record = {
        "Username": account.email.lower(),
        "Email": account.email,
        "FirstName": account.first_name,
        "LastName": account.last_name or local,
        "Alias": local[:8],
        "CommunityNickname": account.email.lower()[:40],
        "FederationIdentifier": account.email.lower(),
        "ContactId": contact_id,
        "ProfileId": profile_id,
        "IsActive": True,
        **USER_DEFAULTS,
    }
    created = shapes.obj(await salesforce.create("User", record), "User create result")
    return shapes.text(created, "id", "User create result")


async def _contact_id(salesforce: SalesforceAPI, account: PersonAccount, account_id: str) -> str:
    """The partner Account's Contact with the person's email, created when there is none."""
    where = f"AccountId = {quote(account_id)} AND Email = {quote(account.email)}"
    rows = await salesforce.query(f"SELECT Id FROM Contact WHERE {where} LIMIT 1")  # noqa: S608
    if rows:
        return shapes.text(rows[0], "Id", "Contact")
    record = {
        "AccountId": account_id,
        "Email": account.email,
        "FirstName": account.first_name,
        "LastName": account.last_name or account.email.split("@")[0],
    }
    created = shapes.obj(await salesforce.create("Contact", record), "Contact create result")
    return shapes.text(created, "id", "Contact create result")
