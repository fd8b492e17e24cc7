"""The demo's partner orgs and people. Sandboxes seed their figures from this same cast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.demo.population import Plan


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    tier: str
    region: str
    partner_type: str
    domain: str
    status: str = "active"
    dormant: bool = False
    currency: str = "USD"  # what every sandbox quotes this partner's money in
    plan: Plan | None = None  # a population org's story (hub.demo.population); None: the cast

    @property
    def account_owner(self) -> tuple[str, str]:
        """Who owns the partner's account in the PRM sandbox (email, name): its channel manager.

        Casey Morgan owns the cast's and most accounts; Dana Weber's desk owns the population's
        partners that are paid in euros."""
        if self.plan is not None and self.currency == "EUR":
            return ("dana@vendor.example", "Dana Weber")
        return ("cam@vendor.example", "Casey Morgan")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: tuple[str, ...]
    org: str | None
    locale: str = "en"
    title: str = ""


ORGS = (
    DemoOrg("acme", "Acme Corporation", "Gold", "North America", "Reseller", "acme.example"),
    DemoOrg("globex", "Globex", "Silver", "EMEA", "Distributor", "globex.example", currency="EUR"),
    DemoOrg(
        "initech",
        "Initech",
        "Registered",
        "APAC",
        "Referral",
        "initech.example",
        dormant=True,
        currency="AUD",
    ),
)

USERS = (
    DemoUser("owner@acme.example", "Alice Archer", ("partner_owner",), "acme", title="CEO"),
    DemoUser("rep@acme.example", "Raj Patel", ("sales_rep",), "acme", title="Account Executive"),
    DemoUser("support@acme.example", "Sam Okafor", ("support",), "acme", title="Support Lead"),
    DemoUser(
        "owner@globex.example", "Greta Lindqvist", ("partner_owner",), "globex", "de", "Owner"
    ),
    DemoUser("marketer@globex.example", "Marco Rossi", ("marketer",), "globex", title="Marketing"),
    DemoUser(
        "rep@globex.example",
        "Rosa Jiménez",
        ("sales_rep", "marketer"),
        "globex",
        title="Sales & Marketing",
    ),
    DemoUser("owner@initech.example", "Ian Novak", ("partner_owner",), "initech", title="Owner"),
    DemoUser(
        "cam@vendor.example",
        "Casey Morgan",
        ("channel_manager",),
        None,
        title="Channel Account Manager",
    ),
    DemoUser(
        "dana@vendor.example",
        "Dana Weber",
        ("channel_manager",),
        None,
        locale="de",
        title="Channel Account Manager, DACH",
    ),
    DemoUser(
        "expert@vendor.example",
        "Erin Fischer",
        ("expert",),
        None,
        title="Solutions Engineer, answers partners' questions",
    ),
    DemoUser("admin@vendor.example", "Ada Admin", ("admin",), None, title="Program Admin"),
)


@dataclass(frozen=True)
class DemoContact:
    """A vendor field-team contact partners see on their homepage; ``org`` None: every org."""

    role: str
    name: str
    email: str
    phone: str
    org: str | None = None


FIELD_TEAM = (
    DemoContact("channel_manager", "Casey Morgan", "cam@vendor.example", "+1 555 0100"),
    DemoContact("support", "Partner Support Desk", "partner-support@vendor.example", "+1 555 0199"),
)
