"""The program's figures in words: stages, metrics, states and each reason with its figure.

The program pages and the channel manager's homepage widgets speak through these, so a
partner is called dormant for the same reasons, in the same words, wherever it appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from hub.connectors.backends import Backends
from hub.connectors.records import Kind
from hub.i18n import N_, format_number, format_percent, translate
from hub.widgets.connector_words import kind_products

# Dormant first, then at risk, each by value at risk: who needs the manager this week.
STATUS_ORDER = {"dormant": 0, "at_risk": 1, "active": 2}

STAGE_NAMES = {
    "recruited": N_("Recruited"),
    "onboarded": N_("Onboarding done"),
    "trained": N_("Training passed"),
    "first_deal_registered": N_("First deal registered"),
    "first_deal_won": N_("First deal won"),
    "repeat_business": N_("Repeat business"),
}
METRIC_NAMES = {
    "marketing": N_("Marketing activities"),
    "leads": N_("Lead generation"),
    "selling": N_("Selling activity"),
    "meetings": N_("Partner meetings"),
    "sign_ins": N_("Sign-ins"),
    "content": N_("Content and training use"),
}
SOURCE_NAMES = {
    "hub": N_("Partner Hub"),
    "activity log": N_("Activity across every backend"),
}
STATUS_NAMES = {"dormant": N_("Dormant"), "at_risk": N_("At risk"), "active": N_("Active")}
SPARED_NAMES = {
    "new": N_("Recruited recently: not flagged yet"),
    "seasonal": N_("Quiet at this time last year too, then came back: a seasonal pause"),
    "snoozed": N_("Snoozed"),
}


def reason_text(locale: str, code: str, days: int | None, detail: str) -> str:
    """One piece of dormancy evidence in words, with its figure."""
    texts = {
        "no_meaningful_activity": N_("No meaningful activity for %(days)s days"),
        "onboarding_incomplete": N_("Onboarding not done, %(days)s days after joining"),
        "training_stalled": N_("No course or quiz passed for %(days)s days"),
        "no_deal": N_("No deal registered for %(days)s days"),
        "deals_falling": N_(
            "Deals registered last quarter: %(first)s, against %(second)s in its usual quarter"
        ),
        "goals_behind_pace": N_(
            "Incentive goals behind pace: %(first)s of target reached, %(second)s of the period gone"
        ),
        "agreement_lapsed": N_("Partner agreement expired %(days)s days ago"),
        "agreement_ends_soon": N_("Partner agreement ends in %(days)s days"),
        "vendor_emails_unopened": N_(
            "None of the %(second)s vendor emails sent to its people in %(days)s days was opened"
        ),
    }
    first, _, second = detail.partition("/")
    if code == "goals_behind_pace":  # two shares, in the reader's number format
        first, second = (format_percent(float(share), locale) for share in (first, second))
    elif code == "deals_falling":  # two counts, the usual one an average
        first, second = (_count(figure, locale) for figure in (first, second))
    return translate(
        locale,
        texts[code],
        days=days if days is not None else "",
        detail=detail,
        first=first,
        second=second,
    )


def _count(figure: str, locale: str) -> str:
    value = Decimal(figure.strip())
    return format_number(value, locale, 0 if value == value.to_integral_value() else 1)


def source_name(backends: Backends, locale: str, key: str) -> str:
    """Where a figure comes from: the configured products of a backend kind, by name."""
    if key in {kind.value for kind in Kind}:
        return kind_products(backends, Kind(key), locale)
    return label(locale, SOURCE_NAMES, key)


def label(locale: str, names: Mapping[str, str], key: str) -> str:
    return translate(locale, names[key]) if key in names else key
