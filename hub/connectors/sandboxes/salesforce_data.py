"""The Salesforce sandbox's seeded org: partner Accounts, deals, rebates, MDF/co-op, cases,
and the Tasks and Events that are the partners' selling activity.

Drawn from a random generator seeded per partner slug, with dates counted
back from ``today``, so every run tells the same story as the demo cast:
Acme (Gold, North America) busy, Globex (Silver, EMEA) steady, Initech
(Registered, APAC) silent for months. The population's orgs
(:mod:`hub.demo.population`) take their deals and selling activity from their
stories.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.connectors.sandboxes.content_seed import LIBRARIES, SALESFORCE_FILES
from hub.connectors.sandboxes.content_seed import moment as content_moment
from hub.demo.cast import DemoOrg
from hub.demo.population import (
    Channel,
    Story,
    all_orgs,
    all_users,
    history_end,
    inactive,
    intensity,
    moments,
    quiet_for,
)

Row = dict[str, Any]
STAGES_OPEN = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote")
CUSTOMERS = (
    "Umbrella Health", "Stark Logistics", "Wayne Foods", "Hooli Cloud", "Vandelay Imports",
    "Soylent Labs", "Tyrell Robotics", "Cyberdyne Systems", "Oscorp Energy", "Wonka Retail",
    "Duff Beverages", "Nakatomi Trading", "Gringotts Finance", "Monarch Media",
)  # fmt: skip
# Each partner sells to customers of its own, so two partners' deals for one customer are
# the stories below, never an accident of the draw: the cast's share CUSTOMERS out, and a
# population org's customers are a word of its own before the sector the draw picked.
CAST_CUSTOMERS = {
    "acme": CUSTOMERS[:7],
    "globex": CUSTOMERS[7:],
    "initech": ("Initrode Systems", "Massive Dynamic", "Prestige Worldwide"),
}
SECTORS = (
    "Health", "Logistics", "Foods", "Cloud", "Imports", "Labs", "Robotics", "Systems",
    "Energy", "Retail", "Beverages", "Trading", "Finance", "Media",
)  # fmt: skip
CUSTOMER_WORDS = (
    "Alder", "Basalt", "Cobalt", "Dunmore", "Egret", "Fjord", "Garnet", "Hawthorn", "Ibis",
    "Juniper", "Kestrel", "Larch", "Magpie", "Nettle", "Onyx", "Plover", "Quartz", "Rowan",
    "Sorrel", "Tamarack", "Umber", "Verdigris", "Willow", "Xylem", "Yarrow", "Zircon",
    "Bramble", "Cedarline", "Driftwood", "Ember", "Falconer", "Granite", "Heather", "Indigo",
    "Jasper", "Kingfisher", "Lichen", "Marigold", "Nightjar", "Obsidian", "Pinecrest",
    "Quillon", "Redstart", "Saffron", "Thistle", "Upland", "Vireo", "Wrenfield", "Yew",
    "Zephyr", "Amberly", "Birchway", "Coriander", "Dovetail", "Elmstead", "Foxglove",
    "Goldcrest", "Hollybrook", "Ironwood", "Lavender", "Moorhen",
)  # fmt: skip
# The demo's deal-registration conflict (docs/program.md): acme and globex both registered
# Umbrella Corporation, spelled their own way, within the protection window. Beside it,
# decoys the matcher must leave alone: a busy population partner's registration of the
# same customer, expired in the PRM ("star": the population's first star); globex's two deals for one customer of its own; acme's deal for
# Umbrella Health, a different company of a similar name (drawn among acme's customers).
# Each: org, customer, website, days ago, deal name suffix, registration status.
REGISTRATION_STORY = (
    ("acme", "Umbrella Corp.", None, 20, "Platform", "Submitted"),
    ("globex", "Umbrella Corporation Ltd", "https://www.umbrella.example", 12, "Pilot", "Submitted"),
    ("star", "Umbrella Corporation", "https://umbrella.example", 40, "Pilot", "Expired"),
    ("globex", "Nakatomi Trading", None, 30, "Expansion", "Submitted"),
    ("globex", "Nakatomi Trading", None, 9, "Platform", "Submitted"),
)  # fmt: skip
DEAL_COUNTS = {"acme": 23, "globex": 14, "initech": 3}
# Tasks and Events logged per month on the partner's Account, over ACTIVITY_MONTHS.
ACTIVITIES_PER_MONTH = {"acme": 12, "globex": 6, "initech": 3}
ACTIVITY_MONTHS = 18
PROSPECT_MEETINGS = ("Discovery call", "Demo", "Proposal review", "Pricing workshop")
VENDOR_MEETINGS = ("Pipeline review with channel manager", "Joint account plan", "QBR")
COOP_BUDGET = "Co-Operated Budget"
MDF_BUDGET = "Marketing Funds"


def sfid(prefix: str, number: int) -> str:
    """An 18-character id shaped like Salesforce's, with the object's key prefix."""
    return f"{prefix}{number:012d}AAA"[:18]


def sf_datetime(moment: datetime) -> str:
    """Salesforce's date-time format: milliseconds and a ``+0000`` offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def seed_org(today: date) -> dict[str, list[Row]]:
    """Every object's rows, keyed by sObject name."""
    now = history_end(today)
    objects: dict[str, list[Row]] = {
        name: []
        for name in (
            "Account", "Opportunity", "Lead", "Rebate__c", "PartnerMarketingBudget",
            "PartnerFundAllocation", "PartnerFundRequest", "PartnerFundClaim", "Case",
            "Task", "Event",
        )
    }  # fmt: skip
    year_start = date(today.year, 1, 1)
    budgets = {
        kind: {
            "Id": sfid("0ZY", n),
            "Title": f"FY{today.year} {label}",
            "Type": kind,
            "Amount": 500000.0,
            "StartDate": year_start.isoformat(),
            "EndDate": date(today.year, 12, 31).isoformat(),
        }
        for n, (kind, label) in enumerate(((MDF_BUDGET, "MDF"), (COOP_BUDGET, "Co-op")), 1)
    }
    objects["PartnerMarketingBudget"] = list(budgets.values())
    counters = {"006": 0, "a0R": 0, "0ZA": 0, "0ZB": 0, "0ZC": 0, "500": 0}

    def next_id(prefix: str) -> str:
        counters[prefix] += 1
        return sfid(prefix, counters[prefix])

    users = all_users(today)
    customer_ids: dict[str, str] = {}
    for number, org in enumerate(all_orgs(today), 1):
        draw = random.Random(f"salesforce:{org.slug}")  # noqa: S311 - demo figures
        account_id = sfid("001", number)
        quiet = timedelta(days=150) if org.dormant else quiet_for(org)
        expired = org.dormant or (quiet.days > 175)
        started = org.plan.joined if org.plan else date(today.year - 2, 4, 1)
        # A population org's deals come from its story; the cast's are drawn below.
        deal_draw = random.Random(f"salesforce:deals:{org.slug}")  # noqa: S311
        deal_times = moments(org.plan, Channel.DEALS, today, deal_draw) if org.plan else None
        objects["Account"].append(
            {
                "Id": account_id,
                "Name": org.name,
                "IsPartner": True,
                "Partner_Key__c": org.slug,
                "Website": f"https://www.{org.domain}",
                "Owner": dict(zip(("Email", "Name"), org.account_owner, strict=True)),
                "Partner_Tier__c": org.tier,
                "Type": org.partner_type,
                "Partner_Region__c": org.region,
                "Partner_Agreement_Status__c": "Expired" if expired else "Active",
                "Partner_Agreement_Start__c": started.isoformat(),
                "Partner_Agreement_End__c": (
                    today - timedelta(days=30) if expired else date(today.year + 1, 3, 31)
                ).isoformat(),
            }
        )
        people = [u.email for u in users if u.org == org.slug]
        sellers = [u.email for u in users if u.org == org.slug and "sales_rep" in u.roles] or people
        for n in range(DEAL_COUNTS[org.slug] if deal_times is None else len(deal_times)):
            if deal_times is None:
                created = (
                    now - quiet - timedelta(days=draw.randint(3, 300), hours=draw.randint(0, 9))
                )
                closed = draw.random() < 0.45
            else:  # older deals have mostly closed by now
                created = deal_times[n]
                closed = draw.random() < (0.9 if (now - created).days > 100 else 0.3)
            won = closed and draw.random() < 0.65
            customer = _customer_of(org.slug, number, CUSTOMERS.index(draw.choice(CUSTOMERS)))
            stage = ("Closed Won" if won else "Closed Lost") if closed else draw.choice(STAGES_OPEN)
            close_date = (created + timedelta(days=draw.randint(20, 90))).date()
            if closed:
                close_date = min(close_date, today - quiet - timedelta(days=1))
            if org.plan and not intensity(org.plan, Channel.DEALS, close_date, today):
                close_date = created.date()  # nothing closes while the partner is paused
            objects["Opportunity"].append(
                {
                    "Id": next_id("006"),
                    "Name": f"{customer} - {draw.choice(('Platform', 'Expansion', 'Pilot'))}",
                    "AccountId": customer_ids.setdefault(
                        customer, sfid("001", 800_000 + len(customer_ids))
                    ),
                    "Account": {"Name": customer, "Website": None},
                    "Amount": float(draw.randrange(5_000, 180_000, 250)),
                    "StageName": stage,
                    "IsClosed": closed,
                    "IsWon": won,
                    "Type": "Renewal" if draw.random() < 0.3 else "New Customer",
                    "CreatedDate": sf_datetime(created),
                    "CloseDate": close_date.isoformat(),
                    "Owner": {"Email": draw.choice(sellers)},
                    "PartnerAccountId": account_id,
                    "CurrencyIsoCode": org.currency,
                    "Registration_Status__c": "Approved" if closed else "Submitted",
                }
            )
        # A rebate accrues while its quarter runs, is earned when it ends and waits
        # for the partner's invoice, and is paid once that arrives: the latest
        # finished quarter is the one waiting.
        quarter_ends = [
            (date(today.year, 3 * q + 3, 1) + timedelta(days=31)).replace(day=1) - timedelta(days=1)
            for q in range(4)
        ]
        latest_ended = max((end for end in quarter_ends if end < today), default=None)
        for quarter, period_end in enumerate(quarter_ends):
            if period_end >= today:
                status = "Accrued"
            else:
                status = "Earned" if period_end == latest_ended else "Paid"
            objects["Rebate__c"].append(
                {
                    "Id": next_id("a0R"),
                    "Name": f"Q{quarter + 1} {today.year} volume rebate",
                    "Amount__c": float(draw.randrange(800, 24_000, 50))
                    if not inactive(org)
                    else 0.0,
                    "Status__c": status,
                    "Period_End__c": period_end.isoformat(),
                    "Invoice_Submitted__c": status == "Paid",
                    "Partner_Account__c": account_id,
                    "CurrencyIsoCode": org.currency,
                }
            )
        for kind, budget in budgets.items():
            allocation_id = next_id("0ZA")
            allocated = (
                float(draw.randrange(10_000, 60_000, 1_000)) if not inactive(org) else 5000.0
            )
            objects["PartnerFundAllocation"].append(
                {
                    "Id": allocation_id,
                    "Title": f"{org.name} {budget['Title']}",
                    "Amount": allocated,
                    "BudgetId": budget["Id"],
                    "ChannelPartnerId": account_id,
                    "Budget": {k: budget[k] for k in ("Type", "StartDate", "EndDate")},
                    "CurrencyIsoCode": org.currency,
                }
            )
            for r in range(0 if inactive(org) else draw.randint(2, 4)):
                request_id = next_id("0ZB")
                requested = float(draw.randrange(1_000, int(allocated) // 3, 250))
                status = draw.choice(("Approved", "Approved", "Submitted", "Draft", "Rejected"))
                created = now - timedelta(days=draw.randint(5, 200))
                objects["PartnerFundRequest"].append(
                    {
                        "Id": request_id,
                        "Title": f"{draw.choice(('Webinar', 'Trade show', 'Email campaign', 'Roadshow'))} {r + 1}",
                        "RequestedAmount": requested,
                        "Amount": requested if status == "Approved" else None,
                        "Status": status,
                        "CreatedDate": sf_datetime(created),
                        "AllocationId": allocation_id,
                        "ChannelPartnerId": account_id,
                        "Budget": {"Type": kind},
                        "CurrencyIsoCode": org.currency,
                    }
                )
                if status == "Approved":
                    objects["PartnerFundClaim"].append(
                        {
                            "Id": next_id("0ZC"),
                            "Title": f"Claim for request {r + 1}",
                            "Amount": round(requested * draw.uniform(0.6, 1.0), 2),
                            "Status": draw.choice(("Draft", "Approved", "Paid")),
                            "CreatedDate": sf_datetime(
                                created + timedelta(days=draw.randint(10, 40))
                            ),
                            "RequestId": request_id,
                            "ChannelPartnerId": account_id,
                            "Budget": {"Type": kind},
                            "CurrencyIsoCode": org.currency,
                        }
                    )
        stalled = org.plan is not None and org.plan.story == Story.STALLED_ONBOARDING
        for _ in range(0 if stalled else {"acme": 12, "globex": 8}.get(org.slug, 1)):
            opened = now - quiet - timedelta(days=draw.randint(1, 80), hours=draw.randint(0, 20))
            closed_case = draw.random() < 0.8
            objects["Case"].append(
                {
                    "Id": next_id("500"),
                    "AccountId": account_id,
                    "CreatedDate": sf_datetime(opened),
                    "IsClosed": closed_case,
                    "ClosedDate": sf_datetime(
                        min(opened + timedelta(hours=draw.randint(2, 96)), now)
                    )
                    if closed_case
                    else None,
                    "Satisfied__c": (draw.random() < 0.85) if closed_case else None,
                }
            )
        # A draw of its own, so the activities do not move the figures drawn above.
        activity_draw = random.Random(f"salesforce:activities:{org.slug}")  # noqa: S311
        selling = moments(org.plan, Channel.SELLING, today, activity_draw) if org.plan else None
        _activities(objects, account_id, org, people, now, activity_draw, quiet, selling)
    objects.update(_files(today))
    star = next(o for o in all_orgs(today) if o.plan and o.plan.story == Story.STAR)
    _registration_story(objects, now, users, {"star": star.slug})
    return objects


def _customer_of(slug: str, number: int, drawn: int) -> str:
    """The customer of a partner's deal: the ``drawn``-th of the partner's own customers."""
    if slug in CAST_CUSTOMERS:
        own = CAST_CUSTOMERS[slug]
        return own[drawn % len(own)]
    return f"{CUSTOMER_WORDS[number % len(CUSTOMER_WORDS)]} {SECTORS[drawn]}"


def _registration_story(
    objects: dict[str, list[Row]], now: datetime, users: Any, aliases: dict[str, str]
) -> None:
    """The demo's conflict and its decoys (:data:`REGISTRATION_STORY`), as open deals."""
    accounts = {row["Partner_Key__c"]: row for row in objects["Account"]}
    for n, (who, customer, website, days, suffix, status) in enumerate(REGISTRATION_STORY, 1):
        slug = aliases.get(who, who)
        seller = next(
            (u.email for u in users if u.org == slug and "sales_rep" in u.roles),
            next(u.email for u in users if u.org == slug),
        )
        created = now - timedelta(days=days, hours=3)
        objects["Opportunity"].append(
            {
                "Id": sfid("006", 700_000 + n),
                "Name": f"{customer} - {suffix}",
                "AccountId": sfid("001", 700_000 + n),
                "Account": {"Name": customer, "Website": website},
                "Amount": 48_000.0 + 6_500 * n,
                "StageName": "Qualification",
                "IsClosed": False,
                "IsWon": False,
                "Type": "New Customer",
                "CreatedDate": sf_datetime(created),
                "CloseDate": (created + timedelta(days=75)).date().isoformat(),
                "Owner": {"Email": seller},
                "PartnerAccountId": accounts[slug]["Id"],
                "CurrencyIsoCode": "EUR" if slug == "globex" else "USD",  # the story's own
                "Registration_Status__c": status,
            }
        )


def _activities(
    objects: dict[str, list[Row]],
    account_id: str,
    org: DemoOrg,
    people: list[str],
    now: datetime,
    draw: random.Random,
    quiet: timedelta,
    times: list[datetime] | None = None,
) -> None:
    """The partner's logged calls, emails and tasks (Task) and meetings (Event).

    ``ACTIVITY_MONTHS`` back from ``now`` at the org's monthly rate; a quiet org's
    rows all end ``quiet`` before ``now``. About one meeting in four is with the
    vendor's field team (the ``With_Vendor__c`` checkbox), the rest with prospects.
    ``times``, when given, are when each one happened (a population org's story).
    """
    span = ACTIVITY_MONTHS * 30 - quiet.days
    rate = ACTIVITIES_PER_MONTH.get(org.slug, 4)
    owners: list[str | None] = [*people] or [None]
    for n in range(max(0, rate * span // 30) if times is None else len(times)):
        at = now - quiet - timedelta(days=draw.uniform(0.1, span)) if times is None else times[n]
        owner = {"Email": draw.choice(owners)} if draw.random() < 0.95 else None
        with_vendor = draw.random() < 0.25
        if draw.random() < 0.35:
            subject = draw.choice(VENDOR_MEETINGS if with_vendor else PROSPECT_MEETINGS)
            objects["Event"].append(
                {
                    "Id": sfid("00U", len(objects["Event"]) + 1),
                    "Subject": f"{subject} - {draw.choice(CUSTOMERS)}",
                    "StartDateTime": sf_datetime(at),
                    "EndDateTime": sf_datetime(at + timedelta(minutes=draw.choice((30, 60)))),
                    "ActivityDate": at.date().isoformat(),
                    "Type": "Meeting",
                    "Owner": owner,
                    "WhatId": account_id,
                    "AccountId": account_id,
                    "With_Vendor__c": with_vendor,
                    "CreatedDate": sf_datetime(at - timedelta(days=draw.randint(1, 14))),
                }
            )
            continue
        subtype = draw.choice(("Call", "Call", "Email", "Task"))
        logged_later = subtype == "Task" and draw.random() < 0.5
        objects["Task"].append(
            {
                "Id": sfid("00T", len(objects["Task"]) + 1),
                "Subject": f"{subtype}: {draw.choice(CUSTOMERS)}",
                "TaskSubtype": subtype,
                "Type": subtype if subtype != "Task" else "Other",
                "Status": "Completed",
                "IsClosed": True,
                "ActivityDate": at.date().isoformat(),
                "CreatedDate": sf_datetime(
                    min(at + timedelta(days=2), now) if logged_later else at
                ),
                "Owner": owner,
                "WhatId": account_id,
                "AccountId": account_id,
                "With_Vendor__c": with_vendor and subtype == "Call",
            }
        )


def _files(today: date) -> dict[str, list[Row]]:
    """The libraries and the latest version of each file in them (the content library)."""
    workspaces = [{"Id": ident, "Name": name} for name, ident in LIBRARIES.items()]
    versions = []
    for item in SALESFORCE_FILES:
        created = content_moment(today, item.age_days)
        revised = content_moment(today, item.revised_days) if item.revised_days else created
        versions.append(
            {
                "Id": sfid("068", item.number),
                "ContentDocumentId": sfid("069", item.number),
                "Title": item.title,
                "Description": item.summary,
                "FileType": "MP4" if item.kind == "video" else "PDF",
                "Language": item.language,
                "TagCsv": ",".join(item.tags) or None,
                "FirstPublishLocationId": LIBRARIES[item.collection],
                "IsLatest": True,
                "CreatedDate": sf_datetime(created),
                "LastModifiedDate": sf_datetime(revised),
                "Duration_Seconds__c": item.duration_seconds,
            }
        )
    return {"ContentWorkspace": workspaces, "ContentVersion": versions}
