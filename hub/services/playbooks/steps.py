"""Carrying out a run's steps through the backends, each once.

A step is claimed before anything is sent (``pending`` → ``sending``, a conditional
update only one executor wins), then recorded ``done`` with what the backend answered or
``failed`` with its reason; a failed step is retried only when someone asks. What makes
"nothing sent twice" hold beyond the claim: the incentive platform gets the step's
idempotency key (a retry after an unknown outcome creates no second SPIF), and a
message's recipients are recorded one by one as they are sent, so a retry sends only to
those not yet reached. A step left ``sending`` (the process died mid-call) is marked
failed after ``STALE_AFTER`` with a reason saying its outcome is unknown.

Kinds: ``next_action`` becomes an action rule only the partner's people in the audience
are offered while the run is running (deactivated when it ends); ``incentive`` a SPIF on
the incentive platform; ``message`` an email through the marketing platform or, without
one, by SMTP; ``expert_help`` is a task for the channel manager, open from the start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from hub.connectors.backends import Backends
from hub.connectors.base import BackendError, NotConfigured
from hub.connectors.records import Kind, Money, PartnerRef, PersonRef
from hub.connectors.writes import BackendRefused, EmailSend, EmailSender, SpiffOffer
from hub.db import Database, PartnerOrg, User
from hub.db.engagement import ActionRule
from hub.db.playbooks import PlaybookRun, PlaybookStep
from hub.i18n import N_
from hub.services import mail
from hub.services.engagement import nba
from hub.services.engagement.admin_rules import PLAYBOOK_ACTION_PREFIX
from hub.services.engagement.errors import EngagementError
from hub.services.playbooks.definition import PlaybookStepDefinition, parse_playbook
from hub.services.playbooks.runs import RUNNING, TASK_KINDS
from hub.settings import Settings

log = logging.getLogger("hub.playbooks")

STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = N_(
    "interrupted: it may or may not have reached the backend; check there before retrying"
)


class StepNotFound(LookupError):
    """No such step, or not one that can be retried or completed now."""


@dataclass(frozen=True)
class Person:
    email: str
    name: str


@dataclass(frozen=True)
class Context:
    """What a step needs about its run: the partner, its audience, who started it."""

    run_id: int
    org: PartnerOrg
    people: tuple[Person, ...]
    manager: str
    now: datetime

    @property
    def partner(self) -> PartnerRef:
        return PartnerRef(
            self.org.slug,
            self.org.name,
            self.org.domain,
            tuple(sorted((str(k), str(v)) for k, v in (self.org.external_ids or {}).items())),
        )


class Failed(Exception):
    """A step did not happen; the message says why (shown on the run's page, translated:
    ``template`` is marked for translation, ``params`` fill it)."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = {key: str(value) for key, value in params.items()}
        super().__init__(template % self.params if self.params else template)


def fill(text: str, **values: str) -> str:
    """The definition's ``{name}``, ``{partner}``, ``{manager}`` filled in; other braces kept."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def action_slug(run_id: int, position: int) -> str:
    return f"{PLAYBOOK_ACTION_PREFIX}{run_id}-{position}"


class Executor:
    """Runs steps against the hub's backends (and SMTP), for pages and the worker alike."""

    def __init__(self, db: Database, backends: Backends, settings: Settings) -> None:
        self.db = db
        self.backends = backends
        self.settings = settings

    async def run_pending(self, now: datetime, run_ids: Iterable[int] | None = None) -> int:
        """Carry out the pending steps of running runs (of ``run_ids``); how many ran."""
        async with self.db.session() as session:
            query = (
                select(PlaybookStep.id)
                .join(PlaybookRun, PlaybookRun.id == PlaybookStep.run_id)
                .where(PlaybookStep.status == "pending", PlaybookRun.status == RUNNING)
                .order_by(PlaybookStep.run_id, PlaybookStep.position)
            )
            if run_ids is not None:
                query = query.where(PlaybookStep.run_id.in_(sorted(set(run_ids))))
            pending = list((await session.scalars(query)).all())
        done = 0
        for step_id in pending:
            if await self._claim(step_id, now):
                await self._carry_out(step_id, now)
                done += 1
        return done

    async def retry(self, run_id: int, position: int, now: datetime) -> None:
        """Put a failed step of a running run back to pending and carry it out now."""
        async with self.db.transaction() as session:
            changed = await session.execute(
                update(PlaybookStep)
                .where(
                    PlaybookStep.run_id == run_id,
                    PlaybookStep.position == position,
                    PlaybookStep.status == "failed",
                    PlaybookStep.run_id.in_(
                        select(PlaybookRun.id).where(PlaybookRun.status == RUNNING)
                    ),
                )
                .values(status="pending", updated_at=now)
            )
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise StepNotFound(f"step {position} of run {run_id} is not a failed step")
        await self.run_pending(now, [run_id])

    async def complete_task(self, run_id: int, position: int, note: str, now: datetime) -> None:
        """The channel manager did an open task (held the expert session)."""
        async with self.db.transaction() as session:
            changed = await session.execute(
                update(PlaybookStep)
                .where(
                    PlaybookStep.run_id == run_id,
                    PlaybookStep.position == position,
                    PlaybookStep.status == "open",
                )
                .values(status="done", done_at=now, updated_at=now, result={"note": note})
            )
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise StepNotFound(f"step {position} of run {run_id} is not an open task")

    async def recover_stale(self, now: datetime) -> int:
        """Steps left ``sending`` too long: failed, their outcome unknown."""
        async with self.db.transaction() as session:
            changed = await session.execute(
                update(PlaybookStep)
                .where(
                    PlaybookStep.status == "sending", PlaybookStep.updated_at < now - STALE_AFTER
                )
                .values(
                    status="failed",
                    updated_at=now,
                    reason=INTERRUPTED,
                    result={"failure": {"text": INTERRUPTED, "params": {}}},
                )
            )
        return int(changed.rowcount)  # type: ignore[attr-defined]

    async def _claim(self, step_id: int, now: datetime) -> bool:
        async with self.db.transaction() as session:
            changed = await session.execute(
                update(PlaybookStep)
                .where(PlaybookStep.id == step_id, PlaybookStep.status == "pending")
                .values(
                    status="sending", attempts=PlaybookStep.attempts + 1, updated_at=now, reason=""
                )
            )
        return bool(changed.rowcount)  # type: ignore[attr-defined]

    async def _carry_out(self, step_id: int, now: datetime) -> None:
        async with self.db.session() as session:
            step = await session.get(PlaybookStep, step_id)
            assert step is not None  # noqa: S101 - claimed a moment ago
            run = await session.get(PlaybookRun, step.run_id)
            assert run is not None  # noqa: S101
            org = await session.get(PartnerOrg, run.partner_org_id)
            assert org is not None  # noqa: S101
            definition = parse_playbook(run.definition)
            wanted = set(definition.audience)
            users = (
                await session.scalars(
                    select(User).where(User.partner_org_id == org.id).order_by(User.email)
                )
            ).all()
            people = tuple(
                Person(u.email, u.name or u.email)
                for u in users
                if not wanted or wanted.intersection(u.roles or [])
            )
            manager = await session.scalar(select(User.name).where(User.email == run.started_by))
            result = dict(step.result)
        context = Context(run.id, org, people, manager or run.started_by, now)
        spec = definition.steps[step.position - 1]
        try:
            if step.kind in TASK_KINDS:
                raise Failed(N_("a task for the channel manager, not sent anywhere"))
            handler = {
                "next_action": self._next_action,
                "incentive": self._incentive,
                "message": self._message,
            }[step.kind]
            result = await handler(step, spec, context, result, definition.audience)
        except Failed as failed:
            result = {**result, "failure": {"text": failed.template, "params": failed.params}}
            await self._record(step_id, "failed", str(failed), result, now)
            log.info("playbook step failed", extra={"step": step.idempotency_key})
            return
        result.pop("failure", None)
        await self._record(step_id, "done", "", result, now)

    async def _record(
        self, step_id: int, status: str, reason: str, result: dict[str, Any], now: datetime
    ) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(PlaybookStep)
                .where(PlaybookStep.id == step_id)
                .values(
                    status=status,
                    reason=reason[:1000],
                    result=result,
                    updated_at=now,
                    done_at=now if status == "done" else None,
                )
            )

    # --- the kinds ------------------------------------------------------------------

    async def _next_action(
        self,
        step: PlaybookStep,
        spec: PlaybookStepDefinition,
        context: Context,
        result: dict[str, Any],
        audience: tuple[str, ...],
    ) -> dict[str, Any]:
        slug = action_slug(step.run_id, step.position)
        values = {"partner": context.org.name, "manager": context.manager}
        definition = {
            "title": fill(spec.title, **values),
            "reason": fill(spec.text, **values),
            "link": spec.link,
            "self_report_points": spec.points,
            "personas": list(audience),
            "partner_orgs": [context.org.id],
            "priority": 10,  # the manager chose it for them: above the program's usual
        }
        try:
            async with self.db.transaction() as session:
                await nba.save_action_rule(session, slug, definition)
        except EngagementError as exc:
            raise Failed(
                N_("the suggestion was not accepted: %(detail)s"), detail=exc.message
            ) from None
        return {**result, "rule": slug, "people": len(context.people)}

    async def _incentive(
        self,
        step: PlaybookStep,
        spec: PlaybookStepDefinition,
        context: Context,
        result: dict[str, Any],
        audience: tuple[str, ...],
    ) -> dict[str, Any]:
        if not context.people:
            raise Failed(N_("none of the partner's people is in the playbook's audience"))
        if not self.backends.has(Kind.INCENTIVES):
            raise Failed(N_("no incentive platform is configured"))
        today = context.now.date()
        offer = SpiffOffer(
            key=step.idempotency_key,
            name=fill(spec.title, partner=context.org.name),
            description=fill(spec.text, partner=context.org.name),
            reward=Money(spec.amount, spec.currency),
            starts=today,
            ends=today + timedelta(days=spec.days),
            participants=tuple(p.email for p in context.people),
        )
        try:
            created = await self.backends.create_spiff(context.partner, offer)
        except BackendRefused as refused:
            raise Failed(
                N_("the incentive platform refused it: %(detail)s"), detail=refused
            ) from None
        except NotConfigured as missing:
            raise Failed(
                N_("the incentive platform cannot create SPIFs here: %(detail)s"), detail=missing
            ) from None
        except BackendError as error:
            raise Failed(
                N_("the incentive platform did not answer: %(detail)s"), detail=error
            ) from None
        return {
            **result,
            "spiff": created.id,
            "participants": [p.email for p in context.people],
            "ends": offer.ends.isoformat(),
        }

    async def _message(
        self,
        step: PlaybookStep,
        spec: PlaybookStepDefinition,
        context: Context,
        result: dict[str, Any],
        audience: tuple[str, ...],
    ) -> dict[str, Any]:
        if not context.people:
            raise Failed(N_("none of the partner's people is in the playbook's audience"))
        tcma = self.backends.writer(Kind.TCMA, EmailSender)
        via = "tcma" if tcma is not None and spec.email_id else "smtp"
        if via == "smtp" and not mail.configured(self.settings):
            if tcma is not None:
                raise Failed(
                    N_("choose the marketing platform's email to send (the step's email id)")
                )
            raise Failed(N_("no marketing platform and no SMTP server are configured to send it"))
        sent: list[str] = list(result.get("sent", []))
        for person in context.people:
            if person.email in sent:
                continue  # reached on an earlier attempt
            values = {"name": person.name, "partner": context.org.name, "manager": context.manager}
            subject, body = fill(spec.title, **values), fill(spec.text, **values)
            key = f"{step.idempotency_key}:{person.email}"
            try:
                if via == "tcma":
                    await self.backends.send_email(
                        PersonRef(person.email, context.partner),
                        EmailSend(
                            key,
                            spec.email_id,
                            (("{hub_greeting}", subject), ("{hub_message}", body)),
                        ),
                    )
                else:
                    await mail.send_mail(self.settings, mail.Mail(person.email, subject, body, key))
            except (BackendError, mail.MailFailed) as error:
                await self._record(step.id, "sending", "", {**result, "sent": sent}, context.now)
                template = (
                    N_(
                        "the marketing platform did not send it: %(detail)s (%(sent)s of %(n)s sent)"
                    )
                    if via == "tcma"
                    else N_("the SMTP server did not send it: %(detail)s (%(sent)s of %(n)s sent)")
                )
                raise Failed(
                    template, detail=error, sent=len(sent), n=len(context.people)
                ) from None
            sent.append(person.email)
            # Recorded one by one: a retry after a failure sends only to the rest.
            await self._record(step.id, "sending", "", {**result, "sent": sent}, context.now)
        return {**result, "sent": sent, "via": via}


async def end_runs(db: Database, run_ids: Iterable[int], status: str, now: datetime) -> int:
    """End running runs (``finished`` at the window's end, or ``stopped``): their targeted
    suggestions are withdrawn, and the partner is free for another playbook."""
    ids = sorted(set(run_ids))
    if not ids:
        return 0
    async with db.transaction() as session:
        changed = await session.execute(
            update(PlaybookRun)
            .where(PlaybookRun.id.in_(ids), PlaybookRun.status == RUNNING)
            .values(status=status, ended_at=now)
        )
        slugs = [
            action_slug(run_id, position)
            for run_id, position in (
                await session.execute(
                    select(PlaybookStep.run_id, PlaybookStep.position).where(
                        PlaybookStep.run_id.in_(ids), PlaybookStep.kind == "next_action"
                    )
                )
            ).all()
        ]
        if slugs:
            await session.execute(
                update(ActionRule).where(ActionRule.slug.in_(slugs)).values(active=False)
            )
    return int(changed.rowcount)  # type: ignore[attr-defined]


async def finish_due(db: Database, now: datetime) -> int:
    """Finish the runs whose window has ended."""
    async with db.session() as session:
        due = (
            await session.scalars(
                select(PlaybookRun.id).where(
                    PlaybookRun.status == RUNNING, PlaybookRun.ends_at <= now
                )
            )
        ).all()
    return await end_runs(db, due, "finished", now)
