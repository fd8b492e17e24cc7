"""The Mautic sandbox's demo data: campaigns, segments, contacts and emails as Mautic entities.

One segment per partner (alias = slug) holding the leads it earned; partner
marketers' and owners' co-branded segment emails are their redistributions;
the vendor's own newsletter emails are not. Initech's rows are months old. The
population's orgs (:mod:`hub.demo.population`) earn leads and send campaigns as
their stories say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hub.demo.cast import ORGS, USERS, DemoOrg, DemoUser
from hub.demo.population import (
    HISTORY_DAYS,
    Channel,
    Story,
    all_orgs,
    all_users,
    history_end,
    intensity,
    moments,
    population,
)

PARTNER_CATEGORY = {
    "id": 1,
    "title": "Partner Campaigns",
    "alias": "partner-campaigns",
    "description": None,
    "color": "4e5e9e",
    "bundle": "campaign",
}
INTERNAL_CATEGORY = {
    "id": 2,
    "title": "Internal",
    "alias": "internal",
    "description": None,
    "color": "999999",
    "bundle": "campaign",
}
THEMES = (
    "Cloud Migration",
    "Security Essentials",
    "Year-End Renewal",
    "Data Platform",
    "Customer Success",
    "SMB Bundle",
    "AI Assistant",
    "Zero Trust",
)
FORMATS = ("Webinar", "Nurture", "Launch Kit", "Event Invite", "Newsletter")
FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Emil",
    "Fatima",
    "Georg",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nina",
    "Omar",
    "Priya",
    "Quinn",
    "Rita",
    "Sven",
    "Tara",
)
LAST = (
    "Adams",
    "Berger",
    "Chen",
    "Dubois",
    "Eze",
    "Fischer",
    "García",
    "Horvat",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Rossi",
    "Sato",
)
STAGES = (
    {"id": 1, "name": "Lead", "weight": 0},
    {"id": 2, "name": "MQL", "weight": 20},
    {"id": 3, "name": "SQL", "weight": 40},
    {"id": 4, "name": "Opportunity", "weight": 60},
)
LEADS_PER_ORG = {"acme": 46, "globex": 31, "initech": 4}


@dataclass(frozen=True)
class Seed:
    """Everything in the sandbox, as Mautic entities keyed by id."""

    campaigns: dict[int, dict[str, Any]]
    segments: dict[int, dict[str, Any]]
    contacts: dict[int, dict[str, Any]]
    emails: dict[int, dict[str, Any]]
    members: dict[int, set[int]]  # segment id -> contact ids
    email_stats: list[dict[str, Any]] = field(default_factory=list)  # sends, as Mautic's table


# The template email the hub's reactivation playbooks send, its text in tokens.
PLAYBOOK_EMAIL_ID = 9000


def seed(today: date) -> Seed:
    """The demo instance's entities; deterministic for a given ``today``."""
    now = history_end(today)
    draw = random.Random("mautic")  # noqa: S311 - seeded demo figures
    campaigns = {}
    for number in range(1, 37):
        added = now - timedelta(days=7 * number + draw.randint(0, 5))
        published = number % 9 != 0
        name = f"{THEMES[number % len(THEMES)]} {FORMATS[number % len(FORMATS)]}"
        campaigns[number] = {
            **_audit(added),
            "isPublished": published,
            "id": number,
            "name": name,
            "category": INTERNAL_CATEGORY if number % 7 == 0 else PARTNER_CATEGORY,
            "description": f"Co-branded {name.lower()} for partners to send to their customers.",
            "allowRestart": False,
            "publishUp": _iso(added + timedelta(days=1)) if published else None,
            "publishDown": None,
            "events": {},
            "forms": [],
            "lists": [],
        }
    segments: dict[int, dict[str, Any]] = {}
    members: dict[int, set[int]] = {}
    contacts: dict[int, dict[str, Any]] = {}
    emails: dict[int, dict[str, Any]] = {}
    segments[1] = {
        **_audit(now - timedelta(days=900)),
        "isPublished": True,
        "id": 1,
        "name": "Newsletter",
        "alias": "newsletter",
        "description": None,
        "filters": [],
        "isGlobal": True,
        "isPreferenceCenter": False,
    }
    members[1] = set()
    contact_id, email_id = 100, 1
    for org_index, org in enumerate(ORGS, start=2):
        segments[org_index] = _segment(org_index, org, now)
        members[org_index] = set()
        shift = timedelta(days=140) if org.dormant else timedelta(0)
        for _ in range(LEADS_PER_ORG[org.slug]):
            contact_id += 1
            first, last = draw.choice(FIRST), draw.choice(LAST)
            added = now - shift - timedelta(days=draw.randint(1, 120), hours=draw.randint(0, 23))
            campaign = draw.choice([c for c in campaigns.values() if c["isPublished"]])
            contacts[contact_id] = _contact(
                contact_id,
                first,
                last,
                org,
                added,
                campaign["id"],
                draw.choice(STAGES),
                draw.randint(0, 80),
            )
            members[org_index].add(contact_id)
            if draw.random() < 0.3:
                members[1].add(contact_id)
        senders = _senders(USERS, org)
        for sender in senders:
            for _ in range(3 if not org.dormant else 1):
                email_id += 1
                campaign = draw.choice([c for c in campaigns.values() if c["isPublished"]])
                sent = now - shift - timedelta(days=draw.randint(2, 90))
                emails[email_id] = _email(
                    email_id,
                    campaign,
                    sender.email,
                    sender.name,
                    segments[org_index],
                    sent,
                    draw.randint(40, 900),
                )
    live = [c for c in campaigns.values() if c["isPublished"]]
    crowd = population(today)
    for org_index, org in enumerate(crowd.orgs, start=len(ORGS) + 2):
        segments[org_index] = _segment(org_index, org, now)
        own = random.Random(f"mautic:{org.slug}")  # noqa: S311 - seeded demo figures
        assert org.plan is not None  # noqa: S101 - every population org has a story
        members[org_index] = set()
        for added in moments(org.plan, Channel.LEADS, today, own):
            contact_id += 1
            first, last = own.choice(FIRST), own.choice(LAST)
            contacts[contact_id] = _contact(
                contact_id, first, last, org, added, own.choice(live)["id"],
                own.choice(STAGES), own.randint(0, 80),
            )  # fmt: skip
            members[org_index].add(contact_id)
        senders = _senders(crowd.users, org)
        for sent in moments(org.plan, Channel.MARKETING, today, own):
            email_id += 1
            sender = own.choice(senders)
            emails[email_id] = _email(
                email_id, own.choice(live), sender.email, sender.name,
                segments[org_index], sent, own.randint(40, 900),
            )  # fmt: skip
    for number in range(3):  # the vendor's own emails: not partner redistributions
        email_id += 1
        emails[email_id] = _email(
            email_id,
            campaigns[number + 1],
            "marketing@vendor.example",
            "Vendor Marketing",
            segments[1],
            now - timedelta(days=number * 20),
            4_200,
        )
    stats = _partner_newsletters(today, now, emails, email_id)
    contacts.update(_partner_people(today, now))
    emails[PLAYBOOK_EMAIL_ID] = {
        **_email(
            PLAYBOOK_EMAIL_ID, {"id": 0, "name": "A message from your channel manager",
                                "category": INTERNAL_CATEGORY},
            "partners@vendor.example", "Partner Program", _PARTNER_STAFF, now, 0,
        ),
        "name": "Partner Hub: personal message (template)",
        "emailType": "template",
        "customHtml": "<p>{hub_greeting}</p><p>{hub_message}</p>",
        "sentCount": 0,
        "readCount": 0,
    }  # fmt: skip
    return Seed(campaigns, segments, contacts, emails, members, stats)


# How likely a partner person reads the vendor's newsletter, by their org's story.
READ_RATES = {
    Story.STAR: 0.75,
    Story.NEW: 0.7,
    Story.RAMPING: 0.6,
    Story.DECLINING: 0.3,
    Story.STALLED_TRAINING: 0.1,
    Story.STALLED_ONBOARDING: 0.0,
}
NEWSLETTER_DAYS = 14


def _partner_newsletters(
    today: date, now: datetime, emails: dict[int, dict[str, Any]], email_id: int
) -> list[dict[str, Any]]:
    """The vendor's fortnightly partner newsletter, sent to every partner person for
    eighteen months, as rows of Mautic's ``email_stats``: whether each send was read."""
    people = [
        (user, org) for org in all_orgs(today) for user in all_users(today) if user.org == org.slug
    ]
    stats: list[dict[str, Any]] = []
    lead_ids = {user.email: 90_000 + n for n, (user, _) in enumerate(people)}
    for issue in range(HISTORY_DAYS // NEWSLETTER_DAYS, -1, -1):
        sent = now - timedelta(days=issue * NEWSLETTER_DAYS + 1)
        email_id += 1
        emails[email_id] = {
            **_email(
                email_id, {"id": 0, "name": "Partner newsletter", "category": INTERNAL_CATEGORY},
                "partners@vendor.example", "Partner Program", _PARTNER_STAFF, sent, len(people),
            ),
            "name": f"Partner newsletter {sent:%Y-%m-%d}",
            "utmTags": {"utmSource": "vendor", "utmMedium": "email", "utmCampaign": None,
                        "utmContent": None},
        }  # fmt: skip
        for user, org in people:
            if org.plan is not None and sent.date() < org.plan.joined:
                continue  # not a partner yet
            draw = random.Random(f"mautic:read:{user.email}:{issue}")  # noqa: S311
            read = draw.random() < _read_rate(org, sent.date(), today)
            # Opened within three days, and never later than now (the newest issue is a day old).
            hours_since = int((now - sent).total_seconds() // 3600)
            opened = sent + timedelta(hours=min(draw.randint(1, 72), max(1, hours_since - 1)))
            stats.append(
                {
                    "id": str(len(stats) + 1),
                    "email_id": str(email_id),
                    "lead_id": str(lead_ids[user.email]),
                    "email_address": user.email,
                    "date_sent": _stat_time(sent),
                    "is_read": "1" if read else "0",
                    "date_read": _stat_time(opened) if read else None,
                    "is_failed": "0",
                    "viewed_in_browser": "0",
                    "open_count": "1" if read else "0",
                    "source": "email",
                    "source_id": str(email_id),
                }
            )
    return stats


def _partner_people(today: date, now: datetime) -> dict[int, dict[str, Any]]:
    """The partner people the newsletter goes to, as Mautic contacts (the ids its stats
    name): in no partner's segment, so never one of its leads."""
    people = [
        (user, org) for org in all_orgs(today) for user in all_users(today) if user.org == org.slug
    ]
    found = {}
    for n, (user, org) in enumerate(people):
        contact_id = 90_000 + n
        first, _, last = user.name.partition(" ")
        contact = _contact(contact_id, first, last, org, now - timedelta(days=400), 0,
                           {"id": 1, "name": "Partner"}, 0)  # fmt: skip
        contact["fields"]["all"]["email"] = user.email
        contact["fields"]["core"]["email"]["value"] = user.email
        contact["fields"]["all"]["partner_campaign"] = None
        contact["tags"] = [{"id": 2, "tag": "partner-staff"}]
        found[contact_id] = contact
    return found


def _read_rate(org: DemoOrg, day: date, today: date) -> float:
    """A story's read rate, nothing while the org is quiet; the cast: Initech stopped."""
    if org.plan is None:
        quiet = org.dormant and (today - day).days < 150
        return 0.0 if quiet else {"acme": 0.65, "globex": 0.5}.get(org.slug, 0.4)
    if not intensity(org.plan, Channel.SIGN_INS, day, today):
        return 0.0
    return READ_RATES.get(org.plan.story, 0.45)


_PARTNER_STAFF = {"id": 0, "name": "Partner staff", "alias": "partner-staff"}


def _stat_time(moment: datetime) -> str:
    """Mautic's database time: UTC, printed bare."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _segment(segment_id: int, org: DemoOrg, now: datetime) -> dict[str, Any]:
    """The segment that holds the leads ``org`` earned (its alias is the partner's slug)."""
    return {
        **_audit(now - timedelta(days=700)),
        "isPublished": True,
        "id": segment_id,
        "name": f"{org.name} leads",
        "alias": org.slug,
        "description": f"Leads {org.name} earned",
        "filters": [],
        "isGlobal": False,
        "isPreferenceCenter": False,
    }


def _senders(people: tuple[DemoUser, ...], org: DemoOrg) -> list[DemoUser]:
    """Who sends the partner's co-branded emails: its marketers and owner."""
    return [
        u
        for u in people
        if u.org == org.slug and ("marketer" in u.roles or "partner_owner" in u.roles)
    ]


def _audit(added: datetime) -> dict[str, Any]:
    return {
        "dateAdded": _iso(added),
        "createdBy": 1,
        "createdByUser": "Ada Admin",
        "dateModified": _iso(added + timedelta(hours=3)),
        "modifiedBy": 1,
        "modifiedByUser": "Ada Admin",
    }


def _contact(
    contact_id: int,
    first: str,
    last: str,
    org: Any,
    added: datetime,
    campaign_id: int,
    stage: dict[str, Any],
    points: int,
) -> dict[str, Any]:
    email = f"{first.lower()}.{last.lower()}.{contact_id}@customer{contact_id % 17}.example"
    core = {
        "firstname": first,
        "lastname": last,
        "email": email,
        "company": org.name,
        "partner_campaign": str(campaign_id),
    }
    return {
        **_audit(added),
        "id": contact_id,
        "isPublished": True,
        "owner": None,
        "points": points,
        "lastActive": _iso(added + timedelta(days=2)),
        "dateIdentified": _iso(added),
        "color": "ab5959",
        "ipAddresses": {},
        "fields": {
            "core": {
                alias: {
                    "id": str(i),
                    "label": alias.title(),
                    "alias": alias,
                    "type": "text",
                    "group": "core",
                    "value": value,
                }
                for i, (alias, value) in enumerate(core.items(), start=2)
            },
            "social": [],
            "personal": [],
            "professional": [],
            "all": {"id": contact_id, "title": None, **core, "points": points},
        },
        "tags": [{"id": 1, "tag": org.slug}],
        "utmtags": [],
        "stage": {**stage, "description": None, "isPublished": True},
        "doNotContact": [],
        "frequencyRules": [],
    }


def _email(
    email_id: int,
    campaign: dict[str, Any],
    sender: str,
    sender_name: str,
    segment: dict[str, Any],
    sent: datetime,
    reach: int,
) -> dict[str, Any]:
    return {
        **_audit(sent - timedelta(days=1)),
        "isPublished": True,
        "id": email_id,
        "name": f"{campaign['name']} ({sender_name})",
        "subject": campaign["name"],
        "language": "en",
        "category": campaign["category"],
        "fromAddress": sender,
        "fromName": sender_name,
        "replyToAddress": None,
        "bccAddress": None,
        "customHtml": "<p>…</p>",
        "plainText": None,
        "template": "blank",
        "emailType": "list",
        "publishUp": _iso(sent),
        "publishDown": None,
        "readCount": reach // 3,
        "sentCount": reach,
        "revision": 1,
        "assetAttachments": [],
        "variantStartDate": None,
        "variantSentCount": 0,
        "variantReadCount": 0,
        "variantParent": None,
        "variantChildren": [],
        "translationParent": None,
        "translationChildren": [],
        "unsubscribeForm": None,
        "utmTags": {
            "utmSource": "partner",
            "utmMedium": "email",
            "utmCampaign": str(campaign["id"]),
            "utmContent": None,
        },
        "lists": [
            {
                "createdByUser": "Ada Admin",
                "modifiedByUser": None,
                "id": segment["id"],
                "name": segment["name"],
                "alias": segment["alias"],
                "description": None,
            }
        ],
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
