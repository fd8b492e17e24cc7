"""The demo's population tells its stories through the real pipeline: the sandboxes answer
the adapters over HTTP, a sync pass fills the activity log, the summaries judge each partner,
and each story comes out as what a channel manager should see."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from hub.connectors.demo import demo_setup
from hub.connectors.registry import adapters, build_backends
from hub.db import ActivityEvent, Database, User
from hub.demo.cast import ORGS, USERS
from hub.demo.population import Channel, Story, intensity, moments, names, population
from hub.demo.seed import seed_demo
from hub.services.program import summaries, views
from hub.services.sync import sync_activity
from hub.store import KeyValueStore


def test_the_population_is_the_same_every_run_and_spans_the_program() -> None:
    today = datetime.now(UTC).date()
    crowd = population(today)
    assert crowd == population.__wrapped__(today)  # the same orgs, plans and people
    assert 55 <= len(crowd.orgs) <= 65
    slugs = [org.slug for org in crowd.orgs]
    assert len(set(slugs)) == len(slugs)
    assert not set(slugs) & {org.slug for org in ORGS}
    emails = [user.email for user in crowd.users]
    assert len(set(emails)) == len(emails)
    assert not set(emails) & {user.email for user in USERS}
    assert {org.region for org in crowd.orgs} >= {"North America", "EMEA", "APAC", "LATAM"}
    assert len({org.tier for org in crowd.orgs}) >= 3
    assert len({org.partner_type for org in crowd.orgs}) >= 3
    assert (
        len({(org.plan.joined.year, org.plan.joined.month) for org in crowd.orgs if org.plan}) > 8
    )
    assert set(Counter(org.plan.story for org in crowd.orgs if org.plan)) == set(Story)
    assert all(org.plan and 0 <= (today - org.plan.joined).days <= 540 for org in crowd.orgs)
    assert names(5) == names(5)


def test_stories_shape_when_things_happen() -> None:
    today = datetime.now(UTC).date()
    by_story = {org.plan.story: org.plan for org in population(today).orgs if org.plan}
    quiet = by_story[Story.QUIET]
    deals = moments(quiet, Channel.DEALS, today, random.Random(1))
    assert deals
    assert all((today - at.date()).days >= quiet.quiet_days for at in deals)
    stalled = by_story[Story.STALLED_ONBOARDING]
    assert not any(
        intensity(stalled, channel, day, today)
        for channel in Channel
        for day in (stalled.joined, today)
    )
    never_sells = by_story[Story.STALLED_TRAINING]
    assert not moments(never_sells, Channel.DEALS, today, random.Random(2))
    assert moments(never_sells, Channel.TRAINING, today, random.Random(3), rate=10)


@pytest.mark.anyio
async def test_each_story_reaches_the_program_pages_through_the_connectors(
    db: Database, store: KeyValueStore
) -> None:
    now = datetime.now(UTC)
    await seed_demo(db, population_too=True)
    setup = demo_setup(adapters())
    async with httpx.AsyncClient(mounts=setup.mounts) as http:
        backends = build_backends(setup.configs, http, store)
        report = await sync_activity(db, backends)
        await backends.close()
    assert report.failures == 0
    assert report.recorded > 10_000
    await summaries.refresh(db, now=now, full=True)
    async with db.session() as session:
        latest = await session.scalar(select(func.max(ActivityEvent.occurred_at)))
        assert latest is not None
        assert latest.replace(tzinfo=latest.tzinfo or UTC) <= now  # nothing in the future
        admin = await session.scalar(select(User).where(User.email == "admin@vendor.example"))
    assert admin is not None
    found = await views.program(db, admin.id, now)
    crowd = population(now.date())
    assert len(found.partners) == len(ORGS) + len(crowd.orgs)
    story = {org.slug: org.plan.story for org in crowd.orgs if org.plan}
    seen: dict[Story, list[views.PartnerInsight]] = {}
    for partner in found.partners:
        if partner.slug in story:
            seen.setdefault(story[partner.slug], []).append(partner)

    def reasons(partner: views.PartnerInsight) -> set[str]:
        return {reason.code for reason in partner.dormancy.reasons}

    initech = next(p for p in found.partners if p.slug == "initech")
    assert initech.dormancy.status == "dormant"
    lapsed = [r for r in initech.dormancy.reasons if r.code == "agreement_lapsed"]
    assert [r.source for r in lapsed] == ["prm"]  # from the PRM's agreement, with its days
    assert lapsed[0].days is not None
    assert lapsed[0].days > 0
    for partner in seen[Story.QUIET]:
        assert partner.dormancy.status == "dormant"
        assert {"no_meaningful_activity", "vendor_emails_unopened"} <= reasons(partner)
    for partner in seen[Story.STALLED_ONBOARDING]:
        assert partner.dormancy.status == "dormant"
        assert "onboarding_incomplete" in reasons(partner)
        assert partner.stage == "recruited"
    for partner in seen[Story.STALLED_TRAINING]:
        assert partner.stage == "onboarded"  # signed in, never passed a course
        assert "training_stalled" in reasons(partner)
    for partner in seen[Story.NO_DEAL]:
        assert partner.dormancy.status == "at_risk"
        assert "no_deal" in reasons(partner)
    assert sum("goals_behind_pace" in reasons(p) for p in seen[Story.NO_DEAL]) >= 4
    assert sum("deals_falling" in reasons(p) for p in seen[Story.DECLINING]) >= 3
    for partner in seen[Story.NEW]:
        assert partner.dormancy.status == "active"
    assert sum(p.dormancy.spared == "seasonal" for p in seen[Story.SEASONAL]) >= 2
    stars = seen[Story.STAR]
    assert all(p.dormancy.status == "active" and not reasons(p) for p in stars)
    ranked = sorted(found.partners, key=lambda p: p.score.total, reverse=True)
    assert {p.slug for p in ranked[: len(stars)]} == {p.slug for p in stars}
    steady = seen[Story.STEADY]
    assert sum(p.dormancy.status == "active" for p in steady) >= len(steady) - 2
    # The journey funnel narrows, and activation has a trend across join cohorts.
    counts = [step.reached for step in found.funnel.steps]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > counts[-1] > 0
    assert len(found.cohorts) >= 5
