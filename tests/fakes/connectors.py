"""Small in-memory connectors that implement the Protocols, for tests above the adapter layer.

Adapter tests never use these: they run the real adapters over the wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.connectors.base import BackendUnavailable, ConnectorConfig
from hub.connectors.records import (
    Completion,
    Deal,
    IncentiveClaim,
    Kind,
    PartnerRef,
    PersonRef,
    QuizResult,
    Redistribution,
)


def config(name: str, kind: Kind, **secrets: str) -> ConnectorConfig:
    return ConnectorConfig(
        name=name,
        kind=kind,
        adapter="fake",
        base_url=f"http://{name}.test",
        portal_url=f"https://{name}.example/portal",
        secrets=secrets,
    )


@dataclass
class FakePRM:
    config: ConnectorConfig
    deals_by_org: dict[str, list[Deal]] = field(default_factory=dict)
    down: bool = False

    async def probe(self) -> str:
        return "fake"

    async def deals(self, partner: PartnerRef) -> list[Deal]:
        if self.down:
            raise BackendUnavailable("fake PRM is down")
        return list(self.deals_by_org.get(partner.slug, []))


@dataclass
class FakeLMS:
    config: ConnectorConfig
    completions_by_email: dict[str, list[Completion]] = field(default_factory=dict)
    quizzes_by_email: dict[str, list[QuizResult]] = field(default_factory=dict)

    async def probe(self) -> str:
        return "fake"

    async def completions(self, person: PersonRef) -> list[Completion]:
        return list(self.completions_by_email.get(person.email, []))

    async def quiz_results(self, person: PersonRef) -> list[QuizResult]:
        return list(self.quizzes_by_email.get(person.email, []))


@dataclass
class FakeIncentives:
    config: ConnectorConfig
    claims_by_email: dict[str, list[IncentiveClaim]] = field(default_factory=dict)

    async def probe(self) -> str:
        return "fake"

    async def claims(self, person: PersonRef) -> list[IncentiveClaim]:
        return list(self.claims_by_email.get(person.email, []))


@dataclass
class FakeTCMA:
    config: ConnectorConfig
    shared_by_org: dict[str, list[Redistribution]] = field(default_factory=dict)

    async def probe(self) -> str:
        return "fake"

    async def redistributions(self, partner: PartnerRef) -> list[Redistribution]:
        return list(self.shared_by_org.get(partner.slug, []))
