"""The Salesforce sandbox's partner users: Profiles, Contacts and Users, and the checks on them.

The cast's partner people are Contacts on their partner's Account, each with an active
partner ``User`` (``FederationIdentifier`` = email, the partner community profile). A new
``User`` is checked as Salesforce checks one: the required fields, an ``Alias`` of at most
8 characters, a ``ProfileId`` that exists, a ``ContactId`` of a Contact on a partner Account,
a ``Username`` no other user has (``DUPLICATE_USERNAME``) and one user per Contact.
"""

from __future__ import annotations

from hub.connectors.sandboxes.salesforce_data import Row, sfid
from hub.demo.cast import USERS

PARTNER_PROFILE_ID = sfid("00e", 2)
PROFILES: tuple[Row, ...] = (
    {"Id": sfid("00e", 1), "Name": "System Administrator", "UserType": "Standard"},
    {"Id": PARTNER_PROFILE_ID, "Name": "Partner Community User", "UserType": "PowerPartner"},
)
USER_REQUIRED = (
    "Username",
    "LastName",
    "Email",
    "Alias",
    "CommunityNickname",
    "TimeZoneSidKey",
    "LocaleSidKey",
    "EmailEncodingKey",
    "ProfileId",
    "LanguageLocaleKey",
)
CONTACT_REQUIRED = ("LastName",)


def partner_users(objects: dict[str, list[Row]], created: str) -> dict[str, list[Row]]:
    """Profile, Contact and User rows for the cast's partner people."""
    accounts = {str(row["Partner_Key__c"]): str(row["Id"]) for row in objects["Account"]}
    contacts: list[Row] = []
    users: list[Row] = []
    for person in USERS:
        if person.org not in accounts:
            continue
        first, _, last = person.name.partition(" ")
        contact_id = sfid("003", len(contacts) + 1)
        contacts.append(
            {
                "Id": contact_id,
                "AccountId": accounts[person.org],
                "FirstName": first,
                "LastName": last,
                "Email": person.email,
                "CreatedDate": created,
            }
        )
        users.append(
            {
                "Id": sfid("005", len(users) + 1),
                "Username": person.email,
                "Email": person.email,
                "FirstName": first,
                "LastName": last,
                "Alias": person.email.split("@")[0][:8],
                "CommunityNickname": person.email,
                "FederationIdentifier": person.email,
                "ContactId": contact_id,
                "AccountId": accounts[person.org],
                "ProfileId": PARTNER_PROFILE_ID,
                "UserType": "PowerPartner",
                "IsActive": True,
                "TimeZoneSidKey": "GMT",
                "LocaleSidKey": "en_US",
                "LanguageLocaleKey": "en_US",
                "EmailEncodingKey": "UTF-8",
                "CreatedDate": created,
            }
        )
    return {"Profile": [dict(p) for p in PROFILES], "Contact": contacts, "User": users}


def check_new_user(objects: dict[str, list[Row]], record: Row) -> tuple[str, str] | None:
    """Salesforce's ``(errorCode, message)`` for a User it would refuse; None when fine."""
    if len(str(record.get("Alias", ""))) > 8:
        return "STRING_TOO_LONG", "Alias: data value too large (max length=8)"
    if not any(p["Id"] == record.get("ProfileId") for p in objects["Profile"]):
        return "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id: ProfileId"
    contact = next((c for c in objects["Contact"] if c["Id"] == record.get("ContactId")), None)
    if record.get("ContactId") is not None:
        account = contact and next(
            (a for a in objects["Account"] if a["Id"] == contact.get("AccountId")), None
        )
        if not account or not account.get("IsPartner"):
            return (
                "INVALID_CROSS_REFERENCE_KEY",
                "Cannot create a portal user without contact on a partner account",
            )
        if any(u.get("ContactId") == record["ContactId"] for u in objects["User"]):
            return "PORTAL_USER_ALREADY_EXISTS_FOR_CONTACT", "portal user already exists"
    username = str(record.get("Username", "")).lower()
    if any(str(u.get("Username", "")).lower() == username for u in objects["User"]):
        return "DUPLICATE_USERNAME", f"Duplicate Username. The username {username} is taken."
    return None


def complete_user(objects: dict[str, list[Row]], row: Row) -> Row:
    """What Salesforce fills in on a created User: its Account, type and defaults."""
    contact = next((c for c in objects["Contact"] if c["Id"] == row.get("ContactId")), None)
    row.setdefault("IsActive", True)
    row["AccountId"] = contact.get("AccountId") if contact else None
    row["UserType"] = "PowerPartner" if contact else "Standard"
    row.setdefault("FederationIdentifier", None)
    return row
