"""Playbooks through the ASGI app: starting from the dormant list and a partner's page, a run's
page, what worked, the administrator's form; who may do what, and what attackers try."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from hub.app import create_app
from hub.connectors.demo import demo_setup
from hub.connectors.registry import adapters, build_backends
from hub.db import PartnerOrg, User
from hub.db.models import FieldContact
from hub.db.playbooks import Playbook, PlaybookRun, PlaybookStep
from hub.db.types import utcnow
from hub.resources import Hub
from hub.services import activity
from hub.services.activity import Activity
from hub.services.playbooks import catalogue
from hub.services.playbooks.definition import DEFAULTS
from hub.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def web(settings: Settings, seeded: Hub) -> AsyncIterator[httpx.AsyncClient]:
    """The cast with the sandboxes behind it: initech quiet for half a year."""
    now = utcnow()
    async with seeded.db.transaction() as session:
        orgs = {o.slug: o.id for o in (await session.scalars(select(PartnerOrg))).all()}
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"{slug}:{age}", kind="deal_registered", object=f"{slug}-{age}",
                    occurred_at=now - timedelta(days=age), partner_org_id=orgs[slug],
                )
                for slug, ages in {"acme": (2, 9), "globex": (5, 40), "initech": (190,)}.items()
                for age in ages
            ],
        )  # fmt: skip
        await catalogue.seed_playbooks(session, email_id="9000")
    setup = demo_setup(adapters())
    async with httpx.AsyncClient(mounts=setup.mounts) as http:
        seeded.backends = build_backends(setup.configs, http, seeded.store)
        app = create_app(settings, seeded)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


async def run_count(hub: Hub) -> int:
    async with hub.db.session() as session:
        return int(await session.scalar(select(func.count(PlaybookRun.id))) or 0)


def start_form(
    token: str, playbook: str = "win-back", **fields: str | list[str]
) -> dict[str, object]:
    return {"csrf_token": token, "playbook": playbook, **fields}


def run_id_in(html: str) -> int:
    found = re.search(r'/program/playbooks/runs/(\d+)"', html)
    assert found, "no run linked"
    return int(found.group(1))


async def test_the_manager_starts_win_back_for_initech_from_the_dormant_list(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    listing = await web.get("/program/partners?status=dormant")
    assert listing.status_code == 200
    assert 'name="one" value="initech"' in listing.text
    assert 'name="selected" value="initech"' in listing.text
    assert "Win-back: SPIF + email" in listing.text
    started = await web.post("/program/playbooks/start", data=start_form(token, one="initech"))
    assert started.status_code == 200, started.text
    assert "Started for 1 partner" in started.text
    assert "Initech" in started.text
    # Carried out at once: the SPIF, the email through Mautic, the suggestion.
    assert "SPIF S-" in started.text
    assert "sent to 1 people (through the marketing platform)" in started.text
    run_id = run_id_in(started.text)
    page = await web.get("/program/partners/initech")
    assert "In “Win-back: SPIF + email” since" in page.text
    assert f"/program/playbooks/runs/{run_id}" in page.text
    run = await web.get(f"/program/playbooks/runs/{run_id}")
    assert run.status_code == 200
    assert run.text.count("Done") >= 3
    # The list now says initech is in it instead of offering a start.
    listing = await web.get("/program/partners?status=dormant")
    assert 'name="one" value="initech"' not in listing.text
    # A second start is refused with the reason, and nothing is written.
    before = await run_count(seeded)
    again = await web.post(
        "/program/playbooks/start", data=start_form(token, "onboarding-rescue", one="initech")
    )
    assert again.status_code == 409
    assert "Initech is already in “Win-back: SPIF + email” until" in again.text
    assert await run_count(seeded) == before


async def test_a_bulk_start_reports_who_was_skipped_and_why(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    await web.post("/program/playbooks/start", data=start_form(token, one="initech"))
    bulk = await web.post(
        "/program/playbooks/start",
        data=start_form(token, "onboarding-rescue", selected=["initech", "globex"], bulk="1"),
    )
    assert bulk.status_code == 200
    assert "Started for 1 partner" in bulk.text
    assert "Globex" in bulk.text.split("Not started")[0]
    assert "Not started for 1 partner" in bulk.text
    assert "Initech is already in “Win-back: SPIF + email”" in bulk.text
    # The expert session is a task on the run, open for the manager.
    run_id = run_id_in(bulk.text.split("Not started")[0])
    page = await web.get(f"/program/playbooks/runs/{run_id}")
    assert "To do: yours" in page.text
    token = await demo_sign_in(web, "cam@vendor.example")
    done = await web.post(
        f"/program/playbooks/runs/{run_id}/steps/1/done",
        data={"csrf_token": token, "note": "Session on Tuesday"},
    )
    assert done.status_code == 303
    page = await web.get(f"/program/playbooks/runs/{run_id}")
    assert "Session on Tuesday" in page.text
    twice = await web.post(
        f"/program/playbooks/runs/{run_id}/steps/1/done", data={"csrf_token": token}
    )
    assert twice.status_code == 409


async def test_partner_users_are_refused_everywhere(web: httpx.AsyncClient, seeded: Hub) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    started = await web.post("/program/playbooks/start", data=start_form(token, one="initech"))
    run_id = run_id_in(started.text)
    token = await demo_sign_in(web, "owner@initech.example")
    for path in ("/program/playbooks", f"/program/playbooks/runs/{run_id}"):
        assert (await web.get(path)).status_code == 403, path
    for path in (
        "/program/playbooks/start",
        f"/program/playbooks/runs/{run_id}/stop",
        f"/program/playbooks/runs/{run_id}/steps/1/retry",
    ):
        answer = await web.post(path, data=start_form(token, one="initech"))
        assert answer.status_code == 403, path
    assert (await web.get("/admin/playbooks")).status_code == 403
    assert (await web.post("/admin/playbooks", data={"csrf_token": token})).status_code == 403
    async with seeded.db.session() as session:
        run = await session.get(PlaybookRun, run_id)
    assert run is not None
    assert run.status == "running"


async def test_another_managers_partner_or_run_is_a_404_and_nothing_is_written(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    started = await web.post("/program/playbooks/start", data=start_form(token, one="initech"))
    initech_run = run_id_in(started.text)
    # Now cam manages acme only.
    async with seeded.db.transaction() as session:
        acme = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == "acme"))
        await session.execute(
            delete(FieldContact).where(FieldContact.email == "cam@vendor.example")
        )
        session.add(
            FieldContact(
                partner_org_id=acme, role="channel_manager", name="Casey Morgan",
                email="cam@vendor.example",
            )
        )  # fmt: skip
    token = await demo_sign_in(web, "cam@vendor.example")
    before = await run_count(seeded)
    for fields in (
        {"one": "globex"},
        {"one": "no-such-partner"},
        {"selected": ["acme", "globex"]},  # one of theirs hidden in a bulk start
    ):
        answer = await web.post("/program/playbooks/start", data=start_form(token, **fields))
        assert answer.status_code == 404, fields
        assert "There is no such partner among yours." in answer.text
    assert await run_count(seeded) == before
    for path in (f"/program/playbooks/runs/{initech_run}", "/program/playbooks/runs/999999"):
        assert (await web.get(path)).status_code == 404, path
    for action in ("stop", "steps/1/retry", "steps/1/done"):
        answer = await web.post(
            f"/program/playbooks/runs/{initech_run}/{action}", data={"csrf_token": token}
        )
        assert answer.status_code == 404, action
    async with seeded.db.session() as session:
        run = await session.get(PlaybookRun, initech_run)
    assert run is not None
    assert run.status == "running"
    # What worked lists only their own partners' runs.
    page = await web.get("/program/playbooks")
    assert page.status_code == 200
    assert "Initech" not in page.text
    # Bad input: no partner, an unknown playbook.
    nobody = await web.post("/program/playbooks/start", data=start_form(token))
    assert nobody.status_code == 400
    unknown = await web.post("/program/playbooks/start", data=start_form(token, "nope", one="acme"))
    assert unknown.status_code == 400
    assert await run_count(seeded) == before


async def test_a_start_without_the_csrf_token_is_refused(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    await demo_sign_in(web, "cam@vendor.example")
    refused = await web.post(
        "/program/playbooks/start", data={"playbook": "win-back", "one": "initech"}
    )
    assert refused.status_code == 403
    forged = await web.post(
        "/program/playbooks/start",
        data={"playbook": "win-back", "one": "initech", "csrf_token": "forged"},
    )
    assert forged.status_code == 403
    assert await run_count(seeded) == 0


async def test_a_refused_incentive_shows_its_reason_and_can_be_retried(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    document = dict(DEFAULTS["win-back"])
    document["steps"] = [{**document["steps"][0], "amount": "8000"}]
    async with seeded.db.transaction() as session:
        await catalogue.save_playbook(session, "big", document, active=True, by="a", new=True)
    token = await demo_sign_in(web, "cam@vendor.example")
    started = await web.post(
        "/program/playbooks/start", data=start_form(token, "big", one="initech")
    )
    assert "1 step failed" in started.text
    run_id = run_id_in(started.text)
    page = await web.get(f"/program/playbooks/runs/{run_id}")
    assert "Failed" in page.text
    assert "over the programme&#39;s budget of 5000 per SPIF" in page.text
    assert "Try again" in page.text
    async with seeded.db.transaction() as session:
        await session.execute(
            update(User).where(User.email == "cam@vendor.example").values(locale="de")
        )
    token = await demo_sign_in(web, "cam@vendor.example")
    german = await web.get(f"/program/playbooks/runs/{run_id}")
    assert "Warum: die Incentive-Plattform hat abgelehnt:" in german.text
    assert "Erneut versuchen" in german.text
    retried = await web.post(
        f"/program/playbooks/runs/{run_id}/steps/1/retry", data={"csrf_token": token}
    )
    assert retried.status_code == 303
    async with seeded.db.session() as session:
        step = await session.scalar(select(PlaybookStep).where(PlaybookStep.run_id == run_id))
    assert step is not None
    assert (step.status, step.attempts) == ("failed", 2)
    # Stopped, it is no longer running, and a retry says so.
    assert (
        await web.post(f"/program/playbooks/runs/{run_id}/stop", data={"csrf_token": token})
    ).status_code == 303
    late = await web.post(
        f"/program/playbooks/runs/{run_id}/steps/1/retry", data={"csrf_token": token}
    )
    assert late.status_code == 409


async def test_what_worked_has_its_chart_table_and_says_when_too_few(
    web: httpx.AsyncClient,
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    await web.post("/program/playbooks/start", data=start_form(token, one="initech"))
    page = await web.get("/program/playbooks")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "Partners that came back within the window" in page.text
    assert "Too few runs to conclude" in page.text
    assert "0 of 0 runs; 1 still open" in page.text
    assert "not yet" in page.text


async def test_the_administrator_defines_a_playbook_in_a_form(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "admin@vendor.example")
    page = await web.get("/admin/playbooks/new")
    assert page.status_code == 200
    assert 'name="step_0_kind"' in page.text
    bad = await web.post(
        "/admin/playbooks",
        data={
            "csrf_token": token, "new": "1", "slug": "Bad Slug", "name": "",
            "window_days": "3", "holdout_percent": "80",
            "step_0_kind": "incentive", "step_0_title": "Bonus", "step_0_amount": "0",
        },
    )  # fmt: skip
    assert bad.status_code == 422
    assert "Nothing was saved" in bad.text
    assert 'id="f-slug-error"' in bad.text
    async with seeded.db.session() as session:
        assert await session.scalar(select(func.count(Playbook.id))) == 3
    wrong = await web.post(
        "/admin/playbooks",
        data={
            "csrf_token": token, "new": "1", "slug": "spring", "name": "Spring",
            "window_days": "3", "holdout_percent": "80",
            "step_0_kind": "incentive", "step_0_title": "Bonus", "step_0_amount": "0",
        },
    )  # fmt: skip
    assert wrong.status_code == 422
    for field in ("window_days", "holdout_percent", "step_0_kind"):
        assert f'id="f-{field}-error"' in wrong.text, field
    assert "an incentive needs an amount above zero" in wrong.text
    good = await web.post(
        "/admin/playbooks",
        data={
            "csrf_token": token, "new": "1", "slug": "spring", "name": "Spring push",
            "window_days": "30", "holdout_percent": "10", "active": "on",
            "audience": ["sales_rep"],
            "step_0_kind": "expert_help", "step_0_title": "A pipeline review",
            "step_1_kind": "next_action", "step_1_title": "Log your next call",
            "step_1_text": "your manager is on it", "step_1_link": "/go/prm/",
            "step_1_points": "20",
        },
    )  # fmt: skip
    assert good.status_code == 303, good.text
    listing = await web.get("/admin/playbooks")
    assert "Spring push" in listing.text
    assert "10 %" in listing.text or "10%" in listing.text
    async with seeded.db.session() as session:
        saved = await catalogue.playbook(session, "spring")
    assert saved is not None
    assert saved.definition.holdout_share == pytest.approx(0.1)
    assert [s.kind for s in saved.definition.steps] == ["expert_help", "next_action"]
    edit = await web.get("/admin/playbooks/spring")
    assert 'value="A pipeline review"' in edit.text
    assert (await web.get("/admin/playbooks/nope")).status_code == 404
    # A manager may not.
    await demo_sign_in(web, "cam@vendor.example")
    assert (await web.get("/admin/playbooks")).status_code == 403


async def test_the_person_sees_the_playbooks_suggestion_on_their_homepage(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    await web.post("/program/playbooks/start", data=start_form(token, one="initech"))
    await demo_sign_in(web, "owner@initech.example")
    widget = await web.get("/widgets/next_best_action")
    assert widget.status_code == 200
    assert "Register your next deal and earn the comeback bonus" in widget.text
    await demo_sign_in(web, "owner@acme.example")
    other = await web.get("/widgets/next_best_action")
    assert "comeback bonus" not in other.text
