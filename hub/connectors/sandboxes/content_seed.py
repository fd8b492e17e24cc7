"""The demo's content catalogue, one story across the sandboxes, deterministic by ``today``.

Mautic holds marketing assets and campaign kits, Salesforce Files the sales and
support documents (with short videos whose length is a custom field), Moodle the
course resources and recordings. English and German versions sit side by side;
the Cloud Backup 5 launch is new this week, its predecessor's kit is superseded,
and a few items carry targeting in their tags or categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class SeedItem:
    """One item as the demo tells it; each sandbox renders it in its own shape."""

    number: int
    title: str
    summary: str
    language: str
    age_days: int
    collection: str
    kind: str = "document"  # document | video | campaign_kit | course
    tags: tuple[str, ...] = ()
    duration_seconds: int | None = None
    revised_days: int | None = None


MAUTIC_ASSETS = (
    SeedItem(1, "Cloud Backup 5 launch kit",
             "Emails, landing page and social posts for the Cloud Backup 5 launch: "
             "co-brand them and send them to your customers.",
             "en", 2, "Campaign kits", "campaign_kit"),
    SeedItem(2, "Cloud Backup 5 Launch-Kit",
             "E-Mails, Landingpage und Beiträge für soziale Netzwerke zur Einführung von "
             "Cloud Backup 5: mit Ihrem Logo versehen und an Ihre Kunden senden.",
             "de", 2, "Campaign kits", "campaign_kit"),
    SeedItem(3, "Cloud Backup 4 launch kit",
             "Last year's launch emails for Cloud Backup 4.", "en", 380, "Campaign kits",
             "campaign_kit"),
    SeedItem(4, "Co-branding guidelines",
             "How to place your logo next to ours: clear space, colours and approved wording.",
             "en", 60, "Brand"),
    SeedItem(5, "Leitfaden für Co-Branding",
             "So platzieren Sie Ihr Logo neben unserem: Schutzraum, Farben und freigegebene "
             "Formulierungen.", "de", 58, "Brand"),
    SeedItem(6, "Ransomware awareness webinar invitation",
             "An invitation email and registration page for a customer webinar on ransomware "
             "recovery.", "en", 9, "Campaign kits", "campaign_kit", ("region:EMEA",)),
    SeedItem(7, "Gold partner event toolkit",
             "Banners, slides and an invitation template for customer events run by Gold "
             "partners.", "en", 20, "Events", "campaign_kit", ("tier:Gold",)),
)  # fmt: skip

SALESFORCE_FILES = (
    SeedItem(21, "Price list 2026",
             "List prices, discounts by tier and licensing terms for every product in 2026.",
             "en", 30, "Sales", tags=("persona:partner_owner", "persona:sales_rep")),
    SeedItem(22, "Preisliste 2026",
             "Listenpreise, Rabatte nach Partnerstufe und Lizenzbedingungen für alle Produkte "
             "im Jahr 2026.", "de", 30, "Sales", tags=("persona:partner_owner", "persona:sales_rep")),
    SeedItem(23, "Deal registration guide",
             "How to register a deal, what protects it and how conflicts between partners "
             "are decided.", "en", 90, "Sales", revised_days=12),
    SeedItem(24, "Leitfaden zur Deal-Registrierung",
             "Wie Sie einen Deal registrieren, was ihn schützt und wie Konflikte zwischen "
             "Partnern entschieden werden.", "de", 88, "Sales"),
    SeedItem(25, "Support escalation handbook",
             "When and how to escalate a customer case to vendor support, with response times.",
             "en", 45, "Support", tags=("persona:support",)),
    SeedItem(26, "Gold partner rebate schedule",
             "Quarterly rebate rates and thresholds for Gold partners.", "en", 15, "Sales",
             tags=("tier:Gold",)),
    SeedItem(27, "Cloud Backup 5 in three minutes",
             "A short video: what is new in Cloud Backup 5 and whom to pitch it to.",
             "en", 3, "Sales", "video", duration_seconds=185),
    SeedItem(28, "Cloud Backup 5 in drei Minuten",
             "Ein kurzes Video: Was Cloud Backup 5 Neues bringt und für wen es sich eignet.",
             "de", 3, "Sales", "video", duration_seconds=190),
    SeedItem(29, "Restoring a server from backup, step by step",
             "A recorded walkthrough of a full server restore for support engineers.",
             "en", 40, "Support", "video", ("persona:support",), duration_seconds=1260),
)  # fmt: skip

MOODLE_RESOURCES = (
    SeedItem(41, "Product Fundamentals: slides",
             "The slide deck of the Product Fundamentals course.", "en", 120, "Product Fundamentals"),
    SeedItem(42, "Security Essentials: quick reference",
             "Two pages on the security settings every installation needs.", "en", 25,
             "Security Essentials"),
    SeedItem(43, "Sicherheitsgrundlagen: Kurzreferenz",
             "Zwei Seiten zu den Sicherheitseinstellungen, die jede Installation braucht.",
             "de", 25, "Security Essentials"),
    SeedItem(44, "Cloud Migration Playbook: recording of the live session",
             "The recorded live session on moving customers to the cloud, with questions "
             "from partners.", "en", 6, "Cloud Migration Playbook", "video"),
)  # fmt: skip

# The old launch kit the new one replaces: Mautic asset 1 supersedes asset 3.
SUPERSEDED = {1: 3}
# The Salesforce library each file was first published to.
LIBRARIES = {"Sales": "058000000000001AAA", "Support": "058000000000002AAA"}


def moment(today: date, days_ago: int) -> datetime:
    """Nine in the morning UTC, ``days_ago`` before ``today``."""
    return datetime.combine(today - timedelta(days=days_ago), time(9), tzinfo=UTC)
