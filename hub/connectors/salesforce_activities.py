"""Salesforce activities as sales activities: the Task and Event records of a partner's Account.

Tasks are the logged calls, emails and to-dos (``TaskSubtype`` says which; ``Type``
where the subtype is the generic ``Task``); only closed tasks count, because an open
task has not happened yet. Events are meetings, counted once they have started.
Both are read by their ``AccountId`` (Salesforce derives it from ``WhatId``, or from
the contact in ``WhoId``), over the last ``activity_days`` days.

Whether an activity was with the vendor's field team rather than a prospect comes
from a checkbox (``activity_vendor_field``, default ``With_Vendor__c``). A custom
Activity field appears on Task and Event alike, so one field serves both; set the
option to ``""`` and every activity counts as one with a prospect or customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

from hub.connectors import shapes
from hub.connectors.records import ActivityKind, SalesActivity
from hub.connectors.salesforce_api import SalesforceAPI
from hub.connectors.soql import field, quote

_SUBTYPES = {
    "Call": ActivityKind.CALL,
    "Email": ActivityKind.EMAIL,
    "ListEmail": ActivityKind.EMAIL,
}
# Orgs that predate TaskSubtype, or log by hand, say it in the Type picklist instead.
_TYPES = {
    "Call": ActivityKind.CALL,
    "Email": ActivityKind.EMAIL,
    "Meeting": ActivityKind.MEETING,
}


async def read_sales_activities(
    salesforce: SalesforceAPI, account_id: str, days: int, vendor_field: str
) -> list[SalesActivity]:
    """The Account's closed Tasks and started Events of the last ``days`` days, newest first."""
    vendor = f", {field(vendor_field)}" if vendor_field else ""
    account = quote(account_id)
    tasks = await salesforce.query(
        f"SELECT Id, Subject, TaskSubtype, Type, ActivityDate, CreatedDate, Owner.Email{vendor}"
        f" FROM Task WHERE AccountId = {account} AND IsClosed = true"
        f" AND CreatedDate = LAST_N_DAYS:{days} ORDER BY CreatedDate DESC"
    )
    events = await salesforce.query(
        f"SELECT Id, Subject, StartDateTime, Type, Owner.Email{vendor}"
        f" FROM Event WHERE AccountId = {account}"
        f" AND StartDateTime = LAST_N_DAYS:{days} ORDER BY StartDateTime DESC"
    )
    now = datetime.now(UTC)
    found = [_task(row, f"Task[{n}]", vendor_field) for n, row in enumerate(tasks)]
    for n, row in enumerate(events):
        meeting = _event(row, f"Event[{n}]", vendor_field)
        # LAST_N_DAYS runs to the end of today: a meeting later today is not held yet.
        if meeting.occurred_at <= now:
            found.append(meeting)
    found.sort(key=lambda activity: activity.occurred_at, reverse=True)
    return found


def _task(row: Mapping[str, Any], where: str, vendor_field: str) -> SalesActivity:
    subtype = shapes.optional_text(row, "TaskSubtype", where)
    kind = _SUBTYPES.get(subtype or "") or _TYPES.get(
        shapes.optional_text(row, "Type", where) or "", ActivityKind.TASK
    )
    created = _utc(row, "CreatedDate", where)
    occurred = created
    if row.get("ActivityDate") is not None:
        day = shapes.iso_date(row["ActivityDate"], f"{where}.ActivityDate")
        # ActivityDate is the day it happened (or was due); a call logged on the day
        # keeps CreatedDate's time, one logged later is dated to its day.
        if day != created.date():
            occurred = datetime.combine(day, time(0), tzinfo=UTC)
    return _activity(row, where, kind, occurred, vendor_field)


def _event(row: Mapping[str, Any], where: str, vendor_field: str) -> SalesActivity:
    start = _utc(row, "StartDateTime", where)
    return _activity(row, where, ActivityKind.MEETING, start, vendor_field)


def _utc(row: Mapping[str, Any], name: str, where: str) -> datetime:
    moment = shapes.iso_datetime(shapes.member(row, name, where), f"{where}.{name}")
    return moment.astimezone(UTC)


def _activity(
    row: Mapping[str, Any],
    where: str,
    kind: ActivityKind,
    occurred_at: datetime,
    vendor_field: str,
) -> SalesActivity:
    owner = row.get("Owner")
    with_vendor = row.get(vendor_field) if vendor_field else None
    return SalesActivity(
        id=shapes.text(row, "Id", where),
        kind=kind,
        subject=shapes.optional_text(row, "Subject", where) or "",
        occurred_at=occurred_at,
        owner_email=None
        if owner is None
        else shapes.optional_text(shapes.obj(owner, f"{where}.Owner"), "Email", where),
        with_vendor=False
        if with_vendor is None
        else shapes.as_bool(with_vendor, f"{where}.{vendor_field}"),
    )
