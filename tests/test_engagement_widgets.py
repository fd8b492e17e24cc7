"""The engagement widgets and their forms through the ASGI app, over seeded engagement content."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from hub.connectors.records import Kind, Money, Rebate
from hub.db import Database
from hub.db.engagement import ActionState, Recognition, SurveyResponse
from hub.i18n import format_date, format_period
from hub.services.engagement import ledger, nba
from hub.services.engagement.periods import period_of
from hub.services.engagement.processing import process_pending
from hub.services.engagement.seed import seed_engagement
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.engagement_helpers import user_id
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

OWNER = "owner@acme.example"
REP = "rep@acme.example"
CAM = "cam@vendor.example"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        await seed_engagement(db)
        yield made


async def post(
    rig: HomeRig, path: str, token: str, data: dict[str, str], *, htmx: bool = True
) -> httpx.Response:
    # An htmx post, or a browser's plain form post (which asks for a page).
    headers = {"X-CSRF-Token": token}
    if htmx:
        headers["HX-Request"] = "true"
    else:
        headers["Accept"] = "text/html,application/xhtml+xml"
    return await rig.client.post(path, data=data, headers=headers)


async def balance(rig: HomeRig, email: str) -> int:
    """The user's points once every recorded event (sign-ins included) is evaluated."""
    db = rig.hub.db
    await process_pending(db, rig.hub.store)
    async with db.session() as session:
        return await ledger.balance(session, ledger.user_account(await user_id(db, email)))


async def count(db: Database, model: type[Recognition] | type[SurveyResponse]) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- next best action ---------------------------------------------------------------


async def test_the_next_best_action_shows_its_reason_bonus_and_buttons(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    response = await rig.widget("next_best_action")
    assert response.status_code == 200
    assert "Submit your rebate invoice" in response.text
    assert re.search(r"because your rebate of \$[\d,]+ is waiting", response.text)
    assert "+20 points" in response.text
    for step in ("done", "dismissed", "snoozed"):
        assert f'value="{step}"' in response.text
    funnel = {line.slug: line for line in await nba.action_funnel(rig.hub.db)}
    assert funnel["submit-rebate-invoice"].shown == 1


async def test_a_failing_backend_hides_only_the_actions_that_need_its_facts(
    rig: HomeRig,
) -> None:
    await rig.sign_in("support@acme.example")
    both = await rig.widget("next_best_action")
    assert "Adopt the implementation checklist" in both.text  # an LMS fact
    rig.connectors[Kind.LMS].fail = True
    without = await rig.widget("next_best_action")
    assert without.status_code == 200
    assert "widget-notice" not in without.text
    assert "Adopt the implementation checklist" not in without.text


async def test_a_reported_action_pays_when_the_backend_confirms_it(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    shown = await rig.widget("next_best_action")
    # The link that does it is the primary button; "I did this" is the quiet one.
    assert 'class="button button-small" href="/engagement/actions/submit-rebate-invoice/go"' in (
        shown.text
    )
    before = await balance(rig, OWNER)
    path = "/engagement/actions/submit-rebate-invoice"
    first = await post(rig, path, token, {"step": "done"})
    assert first.status_code == 200, first.text
    assert "The points are credited when the portal shows it is done." in first.text
    assert "credit the points when" in first.text  # the action waits, said honestly
    again = await post(rig, path, token, {"step": "done"})
    assert again.status_code == 409
    assert await balance(rig, OWNER) == before  # their word alone pays nothing here
    invoiced = Rebate(
        "R1", "Q rebate", Money(Decimal(1234), "USD"), "invoiced", date(2026, 11, 30), True
    )
    rig.connectors[Kind.PRM].given["rebates"] = {"acme": [invoiced]}
    confirmed = await rig.widget("next_best_action")
    assert "Confirmed in" in confirmed.text, confirmed.text
    assert await balance(rig, OWNER) == before + 20 + 10  # the bonus, and the badge's points
    await rig.widget("next_best_action")
    assert await balance(rig, OWNER) == before + 30  # once
    points = await rig.widget("points_badges")
    assert f">{before + 30}<" in points.text
    assert "Go-getter" in points.text
    gallery = await rig.client.get("/widgets/points_badges", params={"view": "gallery"})
    assert gallery.status_code == 200
    assert "<html" in gallery.text  # its own page, without JavaScript
    assert "Earned" in gallery.text
    assert "Not yet earned" in gallery.text
    assert "/api/engagement/badges/go-getter/credential" in gallery.text
    await rig.sign_in("owner@globex.example")  # another org's owner confirms nothing
    assert "Confirmed in" not in (await rig.widget("next_best_action")).text
    assert (await rig.widget("points_badges", view="wall")).status_code == 400
    funnel = {line.slug: line for line in await nba.action_funnel(rig.hub.db)}
    assert funnel["submit-rebate-invoice"].completed == 1


async def test_dismissing_an_action_hides_it_and_pays_nothing(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    before = await balance(rig, OWNER)
    response = await post(
        rig, "/engagement/actions/submit-rebate-invoice", token, {"step": "dismissed"}
    )
    assert response.status_code == 200
    assert "Submit your rebate invoice" not in response.text
    assert await balance(rig, OWNER) == before


async def test_a_bad_step_or_an_action_not_meant_for_the_caller_is_refused(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    bad = await post(rig, "/engagement/actions/submit-rebate-invoice", token, {"step": "x"})
    assert bad.status_code == 400
    assert "widget-notice-bad" in bad.text
    # A channel manager's action, posted by a partner owner: no bonus for someone else's task.
    foreign = await post(rig, "/engagement/actions/thank-a-partner", token, {"step": "done"})
    assert foreign.status_code == 404
    unknown = await post(rig, "/engagement/actions/nope", token, {"step": "done"})
    assert unknown.status_code == 404
    async with rig.hub.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ActionState)) == 0


async def test_following_an_action_records_the_click_and_opens_the_portal(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    response = await rig.client.get("/engagement/actions/submit-rebate-invoice/go")
    assert response.status_code == 303
    assert response.headers["location"] == "https://prm.fake.example/portal/rebates"
    funnel = {line.slug: line for line in await nba.action_funnel(rig.hub.db)}
    assert funnel["submit-rebate-invoice"].clicked == 1


async def test_a_plain_form_post_is_redirected_home(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    response = await post(
        rig,
        "/engagement/actions/submit-rebate-invoice",
        token,
        {"step": "snoozed", "csrf_token": token},
        htmx=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_a_post_without_the_csrf_token_is_refused(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    response = await rig.client.post(
        "/engagement/actions/submit-rebate-invoice",
        data={"step": "done"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403


# --- leaderboard ----------------------------------------------------------------------


async def test_the_leaderboard_switches_period_and_scope_and_refuses_others(
    rig: HomeRig,
) -> None:
    token = await rig.sign_in(REP)
    await rig.widget("next_best_action")  # offered first: only then may it be reported
    await post(rig, "/engagement/actions/earn-spiff", token, {"step": "done"})
    week = await rig.widget("leaderboard", period="week", scope="org")
    assert week.status_code == 200
    assert '<option value="week" selected>' in week.text
    assert '<option value="org" selected>' in week.text
    assert "Your rank: 1" in week.text
    for params in ({"period": "decade"}, {"scope": "planet"}, {"period": ""}):
        refused = await rig.widget("leaderboard", **params)
        assert refused.status_code == 400, params


async def test_opting_out_takes_the_user_off_the_board(rig: HomeRig) -> None:
    token = await rig.sign_in(REP)
    await rig.widget("next_best_action")  # offered first: only then may it be reported
    await post(rig, "/engagement/actions/earn-spiff", token, {"step": "done"})
    out = await post(
        rig, "/engagement/leaderboard/opt-out", token, {"opt_out": "1", "period": "month"}
    )
    assert out.status_code == 200
    assert "You are not on the leaderboards." in out.text
    assert "is-me" not in out.text
    back = await post(rig, "/engagement/leaderboard/opt-out", token, {"opt_out": "0"})
    assert "Your rank: 1" in back.text
    bad = await post(rig, "/engagement/leaderboard/opt-out", token, {"opt_out": "maybe"})
    assert bad.status_code == 400


# --- recognition ----------------------------------------------------------------------


async def test_thanking_a_colleague_shows_in_the_feed_once(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    rep = await user_id(rig.hub.db, REP)
    form = {
        "recipient_id": str(rep),
        "message": "Thanks for the Initech demo",
        "value_tag": "teamwork",
        "submission": "form-1",
    }
    sent = await post(rig, "/engagement/kudos", token, form)
    assert sent.status_code == 200, sent.text
    assert "Kudos sent to" in sent.text
    assert "Thanks for the Initech demo" in sent.text
    twice = await post(rig, "/engagement/kudos", token, form)
    assert twice.status_code == 200
    assert "Already sent. Nothing was sent twice." in twice.text
    assert await count(rig.hub.db, Recognition) == 1
    await rig.sign_in(REP)
    feed = await rig.widget("recognition_feed")
    assert "1 unread notice" in feed.text
    assert "Thanks for the Initech demo" in feed.text
    token = await rig.sign_in(REP)
    read = await post(rig, "/engagement/notifications/read", token, {})
    assert read.status_code == 200
    assert "unread notice" not in read.text


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"message": ""}, 422),
        ({"message": "x" * 501}, 422),
        ({"value_tag": "bribery"}, 422),
        ({"points": "ten"}, 400),
        ({"points": "50"}, 422),  # a partner has no giving budget
        ({"recipient_id": "abc"}, 400),
        ({"submission": ""}, 422),
    ],
)
async def test_bad_kudos_are_refused_and_nothing_is_written(
    rig: HomeRig, form: dict[str, str], status: int
) -> None:
    token = await rig.sign_in(OWNER)
    rep = await user_id(rig.hub.db, REP)
    data = {"recipient_id": str(rep), "message": "Thanks", "submission": "s", **form}
    response = await post(rig, "/engagement/kudos", token, data)
    assert response.status_code == status, response.text
    assert "widget-notice-bad" in response.text
    assert await count(rig.hub.db, Recognition) == 0


async def test_without_javascript_kudos_post_from_the_widget_page_and_return_home(
    rig: HomeRig,
) -> None:
    token = await rig.sign_in(OWNER)
    page = await rig.client.get("/widgets/recognition_feed")
    assert f'name="csrf_token" value="{token}"' in page.text
    submission = page.text.split('name="submission" value="')[1].split('"')[0]
    sent = await rig.client.post(
        "/engagement/kudos",
        data={
            "csrf_token": token,
            "recipient_id": str(await user_id(rig.hub.db, REP)),
            "message": "Thanks, no script needed",
            "submission": submission,
        },
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/"
    assert await count(rig.hub.db, Recognition) == 1


async def test_kudos_to_another_orgs_user_or_oneself_are_refused(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    for email in ("owner@globex.example", "rep@globex.example", OWNER):
        other = await user_id(rig.hub.db, email)
        response = await post(
            rig,
            "/engagement/kudos",
            token,
            {"recipient_id": str(other), "message": "Hello", "submission": email},
        )
        assert response.status_code == 403, email
    assert await count(rig.hub.db, Recognition) == 0
    page = await rig.widget("recognition_feed")
    assert "globex" not in page.text.lower()


async def test_a_partner_may_thank_their_field_team(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    cam = await user_id(rig.hub.db, CAM)
    page = await rig.widget("recognition_feed")
    assert f'<option value="{cam}">' in page.text
    response = await post(
        rig,
        "/engagement/kudos",
        token,
        {"recipient_id": str(cam), "message": "Great QBR", "submission": "f"},
    )
    assert response.status_code == 200


# --- recognition budget ---------------------------------------------------------------


async def test_a_channel_manager_rewards_a_partner_and_not_beyond_the_budget(
    rig: HomeRig,
) -> None:
    token = await rig.sign_in(CAM)
    page = await rig.widget("recognition_budget")
    assert ">1,000<" in page.text
    quarter = period_of("quarter", datetime.now(UTC))
    last_day = (quarter.ends_at - timedelta(days=1)).date()
    named = f"Budget for {format_period(quarter.starts_at.date(), last_day, 'en')}"
    assert f"{named}; what is left after {format_date(last_day, 'en')} lapses." in page.text
    assert quarter.key not in page.text  # a key such as 2026-Q4 is not a name
    rep = await user_id(rig.hub.db, REP)
    owner = await user_id(rig.hub.db, OWNER)
    before = await balance(rig, REP)
    reward = {"recipient_id": str(rep), "message": "Call-a-thon", "points": "150"}
    sent = await post(rig, "/engagement/rewards", token, {**reward, "submission": "r1"})
    assert sent.status_code == 200, sent.text
    assert ">850<" in sent.text
    assert await balance(rig, REP) >= before + 150
    over = await post(
        rig,
        "/engagement/rewards",
        token,
        {**reward, "points": "900", "submission": "r2", "recipient_id": str(owner)},
    )
    assert over.status_code == 422
    assert "Your budget does not have that many points left" in over.text
    assert ">850<" in over.text
    assert await count(rig.hub.db, Recognition) == 1
    # A body carrying a form's outcome never becomes the widget's last good value.
    kept = await rig.hub.store.get(
        f"widget-last:{await user_id(rig.hub.db, CAM)}:0:recognition_budget:en"
    )
    assert kept is not None
    assert "Your budget does not have" not in kept
    assert "Kudos sent" not in kept


async def test_a_reward_goes_only_to_partner_users(rig: HomeRig) -> None:
    token = await rig.sign_in(CAM)
    admin = await user_id(rig.hub.db, "admin@vendor.example")
    response = await post(
        rig,
        "/engagement/rewards",
        token,
        {"recipient_id": str(admin), "message": "Thanks", "points": "5", "submission": "a"},
    )
    assert response.status_code == 403
    zero = await post(
        rig,
        "/engagement/rewards",
        token,
        {"recipient_id": str(await user_id(rig.hub.db, REP)), "message": "Hi", "points": "0",
         "submission": "z"},
    )  # fmt: skip
    assert zero.status_code == 422
    assert await count(rig.hub.db, Recognition) == 0


async def test_a_partner_cannot_use_the_budget_form(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    rep = await user_id(rig.hub.db, REP)
    response = await post(
        rig,
        "/engagement/rewards",
        token,
        {"recipient_id": str(rep), "message": "Hi", "points": "5", "submission": "p"},
    )
    assert response.status_code == 403
    assert await count(rig.hub.db, Recognition) == 0


# --- pulse survey ---------------------------------------------------------------------


async def test_the_due_survey_is_answered_inline_then_thanks(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    page = await rig.widget("pulse_survey")
    assert "How relevant is your homepage to your work?" in page.text
    before = await balance(rig, OWNER)
    answers = {"relevance": "4", "most_useful": "Recognition", "wish": "Dark mode"}
    response = await post(rig, "/engagement/surveys/hub-pulse/answers", token, answers)
    assert response.status_code == 200, response.text
    assert "Thank you for your answers" in response.text
    assert await balance(rig, OWNER) == before + 10
    again = await post(rig, "/engagement/surveys/hub-pulse/answers", token, answers)
    assert again.status_code == 200
    assert await count(rig.hub.db, SurveyResponse) == 1


@pytest.mark.parametrize(
    "answers",
    [
        {"relevance": "9", "most_useful": "Recognition"},
        {"relevance": "3", "most_useful": "Free lunch"},
        {"most_useful": "Training"},
        {"relevance": "3", "most_useful": "Training", "salary": "more"},
    ],
)
async def test_bad_survey_answers_are_refused_and_nothing_is_written(
    rig: HomeRig, answers: dict[str, str]
) -> None:
    token = await rig.sign_in(OWNER)
    response = await post(rig, "/engagement/surveys/hub-pulse/answers", token, answers)
    assert response.status_code == 422
    assert "widget-notice-bad" in response.text
    assert "How relevant" in response.text  # still asking
    assert await count(rig.hub.db, SurveyResponse) == 0


async def test_a_survey_not_meant_for_the_caller_is_refused(rig: HomeRig) -> None:
    token = await rig.sign_in(CAM)
    assert (await rig.widget("pulse_survey")).text == ""
    response = await post(
        rig,
        "/engagement/surveys/hub-pulse/answers",
        token,
        {"relevance": "3", "most_useful": "Training"},
    )
    assert response.status_code == 403
    assert await count(rig.hub.db, SurveyResponse) == 0


# --- persona defaults -----------------------------------------------------------------


def test_every_persona_starts_with_its_engagement_widgets() -> None:
    from hub.personas.catalogue import default_personas

    pages = {persona.id: persona.widgets for persona in default_personas()}
    for persona, widgets in pages.items():
        assert "next_best_action" in widgets[:2], persona
    for persona in ("partner_owner", "sales_rep", "marketer", "support"):
        assert widgets_include(pages[persona], "points_badges", "leaderboard")
        assert widgets_include(pages[persona], "recognition_feed", "pulse_survey")
    assert widgets_include(pages["channel_manager"], "recognition_budget", "recognition_feed")


def widgets_include(widgets: tuple[str, ...], *names: str) -> bool:
    return all(name in widgets for name in names)


async def test_a_german_reader_gets_the_programs_own_texts_in_german(rig: HomeRig) -> None:
    await rig.sign_in("owner@globex.example")  # the demo gives Greta the "de" locale
    action = (await rig.widget("next_best_action")).text
    assert "Reichen Sie Ihre Rabattrechnung ein" in action
    assert re.search(r"denn Ihr Rabatt von [\d.]+(,\d\d)?\xa0[€$] wartet auf Ihre Rechnung", action)
    assert "because" not in action
    survey = (await rig.widget("pulse_survey")).text
    assert "Wie gut hilft Ihnen der Hub?" in survey
    assert "Was hilft Ihnen am meisten?" in survey
    # The answer keeps its key; only what the reader sees is German.
    assert re.search(r'value="Next best action"[^>]*> Nächster Schritt', survey)
    standing = (await rig.widget("points_badges")).text
    assert re.search(r"Stufe 1: Neuling|Stufe \d: (Mitwirkende|Leistungsträger)", standing)
    status = (await rig.widget("program_status")).text
    assert "<dd>Aktiv</dd>" in status
