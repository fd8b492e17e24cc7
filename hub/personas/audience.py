"""Who is asking, in the terms every service shares: audience, segment and requester.

A leaf module (it imports nothing of the hub) so that auth, personas, widgets and
services can all name the same types instead of keeping copies of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Audience(StrEnum):
    """Whose side a persona works for: a partner org's people or the vendor's staff."""

    PARTNER = "partner"
    VENDOR = "vendor"


@dataclass(frozen=True)
class Segment:
    """The partner segment layouts, suggestions and surveys vary by; empty for vendor staff."""

    partner_type: str = ""
    tier: str = ""
    region: str = ""


@dataclass(frozen=True)
class OrgProfile:
    """A partner org as the hub's database has it: its key, name and segment."""

    id: int
    slug: str
    name: str
    tier: str
    region: str
    partner_type: str

    @property
    def segment(self) -> Segment:
        return Segment(self.partner_type, self.tier, self.region)


@dataclass(frozen=True)
class Requester:
    """The signed-in person a service acts for: user, persona in use, and their org's segment."""

    user_id: int
    persona: str
    segment: Segment = field(default_factory=Segment)
    partner_org_id: int | None = None

    @classmethod
    def of(cls, user_id: int, persona: str, org: OrgProfile | None) -> Requester:
        """The requester for a user of ``org`` (``None`` for vendor staff)."""
        if org is None:
            return cls(user_id, persona)
        return cls(user_id, persona, org.segment, org.id)

    @property
    def tier(self) -> str:
        return self.segment.tier

    @property
    def partner_type(self) -> str:
        return self.segment.partner_type

    @property
    def region(self) -> str:
        return self.segment.region


class Targeted(Protocol):
    """Something aimed at people: an action rule, a survey. An empty list matches anyone."""

    @property
    def personas(self) -> Sequence[str]: ...
    @property
    def tiers(self) -> Sequence[str]: ...
    @property
    def partner_types(self) -> Sequence[str]: ...
    @property
    def regions(self) -> Sequence[str]: ...


def reaches(target: Targeted, requester: Requester) -> bool:
    """Whether ``target`` is meant for ``requester``: their persona and every segment field."""
    return all(
        not allowed or value in allowed
        for allowed, value in (
            (target.personas, requester.persona),
            (target.tiers, requester.tier),
            (target.partner_types, requester.partner_type),
            (target.regions, requester.region),
        )
    )
