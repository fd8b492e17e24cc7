"""The demo's playbooks and their history: the default playbooks, and past runs started
where each population story says a channel manager would have.

Only the starts are seeded (when, on whom, by whom), each through the same
:func:`runs.start` a manager's click goes through, so holdouts are assigned as they always
are; the steps are recorded as carried out then, and each run ended at its window's end.
What each partner did afterwards is not seeded: the results page computes it from the
activity log the sandboxes fill, from the same stories. Initech (the cast's dormant
partner) is left for the demo's channel manager to start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update

from hub.connectors.sandboxes.mautic_seed import PLAYBOOK_EMAIL_ID
from hub.db import Database, PartnerOrg
from hub.db.playbooks import PlaybookRun, PlaybookStep
from hub.demo.population import Story, population
from hub.services.playbooks import catalogue, runs
from hub.services.playbooks.definition import DEFAULTS

MANAGER = "cam@vendor.example"


def history_starts(today: date) -> list[tuple[datetime, str, str]]:
    """(when, playbook, partner slug) of the demo's past starts, oldest first: a partner is
    started on once it has been quiet for the dormancy threshold, if the window has since
    ended."""
    starts = []
    for org in population(today).orgs:
        plan = org.plan
        if plan is None:
            continue
        joined_ago = (today - plan.joined).days
        ago, slug = {
            Story.QUIET: (plan.quiet_days - 45, "win-back"),
            # Last year's pause: quiet_days + 21 long, ending 344 days ago.
            Story.SEASONAL: (365 + plan.quiet_days - 45, "win-back"),
            Story.STALLED_TRAINING: (joined_ago - 120, "onboarding-rescue"),
            Story.STALLED_ONBOARDING: (joined_ago - 60, "onboarding-rescue"),
        }.get(plan.story, (0, ""))
        if slug and ago > DEFAULTS[slug]["window_days"]:
            when = datetime.combine(today - timedelta(days=ago), time(10), UTC)
            starts.append((when, slug, org.slug))
    return sorted(starts)


async def seed_demo_playbooks(db: Database, *, today: date | None = None) -> int:
    """Add the default playbooks and, once, the demo's history of runs; runs added."""
    day = today or datetime.now(UTC).date()
    async with db.transaction() as session:
        await catalogue.seed_playbooks(session, email_id=str(PLAYBOOK_EMAIL_ID), by="demo")
        if await session.scalar(select(func.count(PlaybookRun.id))):
            return 0
        orgs = {o.slug: o for o in (await session.scalars(select(PartnerOrg))).all()}
    added = 0
    for when, slug, org_slug in history_starts(day):
        org = orgs.get(org_slug)
        if org is None:
            continue
        report = await runs.start(
            db, slug, [runs.Target(org.id, org.slug, org.name)], by=MANAGER, now=when
        )
        async with db.transaction() as session:
            for started in report.started:
                run = await session.get(PlaybookRun, started.run_id)
                assert run is not None  # noqa: S101
                run.status, run.ended_at = "finished", run.ends_at
                await session.execute(
                    update(PlaybookStep)
                    .where(PlaybookStep.run_id == run.id)
                    .values(status="done", done_at=when, updated_at=when, attempts=1)
                )
                added += 1
    return added
