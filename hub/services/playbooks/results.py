"""What worked, read for the pages: each playbook's runs and holdouts with their outcomes.

Outcomes are computed on read from the activity log (the histories program insight reads,
for the partners that were in a run only), so a late sync that brings in a partner's
return changes the figure on the next view. The rates count every run of the program (a
channel manager's own runs are few); the runs listed by name are only the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.services.playbooks import catalogue, outcomes, runs
from hub.services.playbooks.catalogue import PlaybookView
from hub.services.playbooks.outcomes import Outcome, Rate, Verdict
from hub.services.playbooks.runs import RunSummary
from hub.services.program import summaries
from hub.services.program.config import program_config


@dataclass(frozen=True)
class TrackedRun:
    run: RunSummary
    outcome: Outcome


@dataclass(frozen=True)
class PlaybookResult:
    playbook: PlaybookView
    treated: Rate
    holdout: Rate
    verdict: Verdict
    runs: tuple[TrackedRun, ...]  # the caller's, newest first


async def tracked(
    session: AsyncSession, found: Sequence[RunSummary], now: datetime
) -> list[TrackedRun]:
    """Each run with its outcome as of ``now``, from its partner's history."""
    if not found:
        return []
    config = await program_config(session)
    histories = {
        h.org_id: h for h in await summaries.histories(session, now, {r.org_id for r in found})
    }
    return [
        TrackedRun(
            run,
            outcomes.outcome(
                histories[run.org_id],
                config,
                run.started_at,
                min(run.ends_at, run.ended_at or run.ends_at),
                now,
            ),
        )
        for run in found
        if run.org_id in histories
    ]


async def results(
    session: AsyncSession, now: datetime, visible: frozenset[int] | None
) -> list[PlaybookResult]:
    """Every playbook with its rates against its holdout, and the caller's runs."""
    every = await tracked(session, await runs.runs(session, with_steps=True), now)
    found = []
    for view in await catalogue.playbooks(session):
        mine = [t for t in every if t.run.playbook_slug == view.slug]
        treated = outcomes.rate([t.outcome for t in mine if not t.run.holdout])
        held = outcomes.rate([t.outcome for t in mine if t.run.holdout])
        shown = tuple(t for t in mine if visible is None or t.run.org_id in visible)
        found.append(PlaybookResult(view, treated, held, outcomes.compare(treated, held), shown))
    return found
