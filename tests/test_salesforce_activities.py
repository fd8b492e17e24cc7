"""Sales activities from Salesforce Tasks and Events, over recorded JSON through MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from hub.connectors.base import MalformedResponse
from hub.connectors.records import ActivityKind
from hub.connectors.sandboxes.soql_subset import parse
from tests.test_salesforce import ACME_KNOWN, RecordedOrg, connector, reply

pytestmark = pytest.mark.anyio


def recorded_activities(soql: str) -> httpx.Response:
    return reply("tasks" if " FROM Task " in soql else "events")


async def test_tasks_and_events_become_sales_activities_newest_first() -> None:
    org = RecordedOrg(recorded_activities)
    activities = await connector(org).sales_activities(ACME_KNOWN)
    assert [(a.id[-6:], a.kind) for a in activities] == [
        ("Qb2AAA", ActivityKind.MEETING),  # an Event
        ("Ca1AAA", ActivityKind.CALL),  # TaskSubtype Call
        ("Dm3AAA", ActivityKind.MEETING),  # an Event, whatever its Type
        ("Em2AAA", ActivityKind.EMAIL),  # TaskSubtype Email
        ("Ch3AAA", ActivityKind.CALL),  # TaskSubtype Task, Type Call
        ("Mt4AAA", ActivityKind.MEETING),  # TaskSubtype Task, Type Meeting
        ("Td5AAA", ActivityKind.TASK),  # neither says more
    ]
    by_id = {a.id[-6:]: a for a in activities}
    assert "Ft1AAA" not in by_id  # a meeting that has not started is not held
    qbr = by_id["Qb2AAA"]
    assert qbr.with_vendor
    assert qbr.owner_email == "owner@acme.example"
    assert qbr.occurred_at == datetime(2026, 11, 21, 14, tzinfo=UTC)
    assert qbr.occurred_at.tzinfo is UTC
    assert qbr.subject == "QBR with the vendor's field team"
    assert not by_id["Dm3AAA"].with_vendor
    assert by_id["Ch3AAA"].with_vendor
    # Logged on the day: CreatedDate's time; logged two days later: the day it happened.
    assert by_id["Ca1AAA"].occurred_at == datetime(2026, 11, 20, 15, 42, 10, tzinfo=UTC)
    assert by_id["Ch3AAA"].occurred_at == datetime(2026, 11, 10, tzinfo=UTC)
    # No ActivityDate: CreatedDate. No owner, no checkbox value: unknown, with a prospect.
    trade_show = by_id["Mt4AAA"]
    assert trade_show.occurred_at == datetime(2026, 11, 5, 11, tzinfo=UTC)
    assert (trade_show.owner_email, trade_show.with_vendor) == (None, False)
    assert by_id["Td5AAA"].subject == ""


async def test_the_queries_ask_for_the_partners_closed_tasks_and_events_of_two_years() -> None:
    org = RecordedOrg(recorded_activities)
    await connector(org).sales_activities(ACME_KNOWN)
    tasks, events = org.soql()
    assert tasks == (
        "SELECT Id, Subject, TaskSubtype, Type, ActivityDate, CreatedDate, Owner.Email,"
        " With_Vendor__c FROM Task WHERE AccountId = '0015g00000XyZ01AAA' AND IsClosed = true"
        " AND CreatedDate = LAST_N_DAYS:730 ORDER BY CreatedDate DESC"
    )
    assert events == (
        "SELECT Id, Subject, StartDateTime, Type, Owner.Email, With_Vendor__c FROM Event"
        " WHERE AccountId = '0015g00000XyZ01AAA' AND StartDateTime = LAST_N_DAYS:730"
        " ORDER BY StartDateTime DESC"
    )
    for soql in (tasks, events):
        assert parse(soql).sobject in ("Task", "Event")  # the sandbox understands them


async def test_the_vendor_field_and_the_period_are_options() -> None:
    org = RecordedOrg(recorded_activities)
    salesforce = connector(org, activity_vendor_field="Field_Team__c", activity_days=365)
    activities = await salesforce.sales_activities(ACME_KNOWN)
    assert all("Field_Team__c" in soql and "LAST_N_DAYS:365" in soql for soql in org.soql())
    assert not any(a.with_vendor for a in activities)  # the recorded rows have no such field
    org = RecordedOrg(recorded_activities)
    await connector(org, activity_vendor_field="").sales_activities(ACME_KNOWN)
    assert not any("With_Vendor__c" in soql for soql in org.soql())


async def test_a_task_without_its_created_date_is_malformed() -> None:
    broken = {"totalSize": 1, "done": True, "records": [{"Id": "00T1", "Subject": "x"}]}
    org = RecordedOrg(lambda soql: httpx.Response(200, json=broken))
    with pytest.raises(MalformedResponse, match=r"Task\[0\]"):
        await connector(org).sales_activities(ACME_KNOWN)
