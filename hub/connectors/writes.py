"""What the hub asks a backend to create, and the optional interfaces of adapters that can.

Reads are every adapter's business (:mod:`hub.connectors.base`); writing is optional and
narrow: an incentive platform that creates a SPIF for a partner's people, a marketing
platform that sends one of its emails to a contact. An adapter that can implements the
protocol here; :class:`~hub.connectors.backends.Backends` finds the first connector of
the kind that does. A backend that refuses raises :class:`BackendRefused` with its own
reason, so the hub can show it and never record the write as done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from hub.connectors.base import BackendError
from hub.connectors.records import Money, PartnerRef, PersonRef


class BackendRefused(BackendError):
    """The backend understood the request and said no (a 4xx with its reason)."""


@dataclass(frozen=True)
class SpiffOffer:
    """A time-boxed incentive for some of one partner's people.

    ``key`` is the hub's idempotency key: the same key sent twice creates one SPIF."""

    key: str
    name: str
    description: str
    reward: Money
    starts: date
    ends: date
    participants: tuple[str, ...]  # emails
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreatedSpiff:
    """What the platform answered: its id for the SPIF."""

    id: str


@dataclass(frozen=True)
class EmailSend:
    """One of the marketing platform's emails, sent to one person, with the hub's text."""

    key: str
    email_id: str
    tokens: tuple[tuple[str, str], ...] = ()


@runtime_checkable
class SpiffWriter(Protocol):
    """An incentive adapter that creates SPIFs."""

    async def create_spiff(self, partner: PartnerRef, offer: SpiffOffer) -> CreatedSpiff:
        """Create the SPIF (once per ``offer.key``); :class:`BackendRefused` when refused."""
        ...


@runtime_checkable
class EmailSender(Protocol):
    """A marketing adapter that sends one of its emails to one contact."""

    async def send_email(self, person: PersonRef, send: EmailSend) -> str:
        """Send it; the platform's id of the contact it went to."""
        ...


@dataclass(frozen=True)
class PersonAccount:
    """A person's account as the hub wants every backend to hold it.

    ``active`` false means: keep the account and its history, but it may no longer be used
    (Moodle ``suspended``, Salesforce ``IsActive = false``, Mautic do-not-contact)."""

    email: str
    first_name: str
    last_name: str
    active: bool


@runtime_checkable
class PersonProvisioner(Protocol):
    """An adapter that creates, updates and suspends a person's own account in its backend."""

    async def provision_person(self, person: PersonRef, account: PersonAccount) -> str:
        """Bring the backend's account for ``person`` in line with ``account``; its id there.

        Never creates an account for an inactive person; :class:`BackendRefused` when refused."""
        ...
