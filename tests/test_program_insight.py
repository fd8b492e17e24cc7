"""Program insight on hand-built histories with known answers, and the funnel against a count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.services.program import insight
from hub.services.program.config import (
    Activation,
    InvalidProgramConfig,
    ProgramConfig,
    parse_config,
)
from hub.services.program.insight import Agreement, Event, GoalPace, History, Snooze
from hub.widgets.program_words import reason_text

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CONFIG = ProgramConfig()


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def partner(joined_days: float, *events: tuple[str, float], slug: str = "p") -> History:
    made = sorted(
        (
            Event(
                kind,
                days_ago(age),
                object=f"{kind}-{i}",
                amount=Decimal(1000) if kind.startswith("deal") else None,
                currency="USD",
            )
            for i, (kind, age) in enumerate(events)
        ),
        key=lambda e: e.at,
    )
    return History(
        1, slug, slug.title(), "Gold", "EMEA", "Reseller", days_ago(joined_days), tuple(made)
    )


def summary(history: History) -> insight.Summary:
    return insight.summarize(history, CONFIG, NOW)


# --- stages and funnel -----------------------------------------------------------------


def test_a_stage_counts_only_after_the_one_before_and_never_earlier() -> None:
    history = partner(300, ("deal_registered", 250), ("sign_in", 200), ("quiz_passed", 100))
    dates = insight.stage_dates(history, CONFIG.stages)
    assert dates["onboarded"] == days_ago(200)
    assert dates["trained"] == days_ago(100)
    # The deal came before onboarding: the stage is reached when onboarding was, not before.
    assert dates["first_deal_registered"] == days_ago(100)
    assert dates["first_deal_won"] is None
    assert insight.current_stage(dates) == "first_deal_registered"


def test_repeat_business_is_the_second_won_deal() -> None:
    history = partner(
        300, ("sign_in", 290), ("quiz_passed", 280), ("deal_registered", 270),
        ("deal_won", 200), ("deal_won", 50),
    )  # fmt: skip
    assert insight.stage_dates(history, CONFIG.stages)["repeat_business"] == days_ago(50)


stage_kinds = st.sampled_from(
    ["sign_in", "course_completed", "quiz_passed", "deal_registered", "deal_won"]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 500), st.lists(st.tuples(stage_kinds, st.integers(0, 500)), max_size=8)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_funnel_equals_a_brute_force_count(
    raw: list[tuple[int, list[tuple[str, int]]]],
) -> None:
    histories = [partner(joined, *events, slug=f"p{i}") for i, (joined, events) in enumerate(raw)]
    found = insight.funnel(histories, CONFIG.stages)

    def reached(history: History, upto: int) -> bool:
        # Brute force: a partner reached a stage if every stage up to it has its event(s).
        return all(len(history.of(s.kinds)) >= s.nth for s in CONFIG.stages[1 : upto + 1])

    for index in range(len(CONFIG.stages)):
        count = sum(1 for h in histories if reached(h, index))
        step = found.steps[index]
        assert step.reached == count
        if index:
            before = sum(1 for h in histories if reached(h, index - 1))
            assert step.conversion == (count / before if before else None)
    counts = [step.reached for step in found.steps]
    assert counts == sorted(counts, reverse=True)


def test_the_stall_is_the_stage_with_the_lowest_conversion() -> None:
    histories = [
        partner(300, ("sign_in", 290), ("quiz_passed", 280), slug="a"),
        partner(300, ("sign_in", 290), ("quiz_passed", 280), slug="b"),
        partner(300, ("sign_in", 290), ("quiz_passed", 280), ("deal_registered", 100), slug="c"),
        partner(300, ("sign_in", 290), slug="d"),
    ]
    found = insight.funnel(histories, CONFIG.stages)
    # Two of the three trained partners never registered a deal: more than stall anywhere else.
    assert found.stall == "first_deal_registered"
    assert found.steps[2].median_days == 10


# --- activation -------------------------------------------------------------------------


def test_activation_follows_the_configured_kpi() -> None:
    history = partner(400, ("deal_registered", 390), ("deal_won", 300), ("deal_won", 100))
    assert insight.activated_at(history, Activation(kind="first_deal_registered")) == days_ago(390)
    assert insight.activated_at(history, Activation(kind="first_deal_won")) == days_ago(300)
    assert insight.activated_at(history, Activation(kind="deals_won", count=2)) == days_ago(100)
    assert insight.activated_at(history, Activation(kind="deals_won", count=3)) is None
    assert insight.activated_at(history, Activation(kind="revenue", amount=1500)) == days_ago(100)
    # Within 60 days of joining: the first win came 100 days after.
    assert insight.activated_at(history, Activation(kind="first_deal_won", within_days=60)) is None


def test_revenue_in_months_in_a_row_needs_each_month_and_no_gap() -> None:
    def won(*moments: tuple[int, int, int]) -> list[tuple[datetime, Decimal]]:
        return [(datetime(y, m, 1 + d, tzinfo=UTC), Decimal(1000)) for y, m, d in moments]

    kpi = Activation(kind="monthly_revenue", months=3, amount=1500)
    # October has 2,000 (two deals), November only 1,000, so the run breaks there; it starts
    # again in December and completes in February, at the second February deal.
    deals = won(
        (2025, 10, 0), (2025, 10, 3), (2025, 11, 0), (2025, 12, 0), (2025, 12, 9),
        (2026, 1, 0), (2026, 1, 1), (2026, 2, 0), (2026, 2, 5), (2026, 3, 0), (2026, 3, 1),
    )  # fmt: skip
    assert insight.revenue_reached(kpi, deals) == datetime(2026, 2, 6, tzinfo=UTC)
    # A year boundary is no gap; a month without a deal is.
    assert insight.revenue_reached(
        Activation(kind="monthly_revenue", months=2), won((2025, 12, 0), (2026, 1, 0))
    ) == datetime(2026, 1, 1, tzinfo=UTC)
    assert (
        insight.revenue_reached(
            Activation(kind="monthly_revenue", months=2), won((2025, 11, 0), (2026, 1, 0))
        )
        is None
    )
    # Through a partner's history: three wins a month apart.
    history = partner(400, ("deal_won", 95), ("deal_won", 65), ("deal_won", 35))
    assert insight.activated_at(history, Activation(kind="monthly_revenue", months=3)) == days_ago(
        35
    )
    assert insight.activated_at(history, Activation(kind="monthly_revenue", months=4)) is None


def test_the_activation_trend_counts_joined_and_activated_at_each_month_end() -> None:
    histories = [
        partner(400, ("deal_won", 350), slug="a"),
        partner(100, ("deal_won", 5), slug="b"),
        partner(20, slug="c"),
    ]
    trend = insight.activation_trend(histories, Activation(), NOW, months=18)
    assert len(trend) == 18
    assert (trend[-1].joined, trend[-1].activated) == (3, 2)
    assert (trend[-2].joined, trend[-2].activated) == (3, 2)  # b won on 26 November
    assert (trend[-3].joined, trend[-3].activated) == (2, 1)  # at October's end, only a


# --- score ------------------------------------------------------------------------------


def test_the_score_explains_itself_and_a_metric_without_data_is_no_data() -> None:
    busy = partner(
        300,
        *[("campaign_redistributed", d) for d in (1, 5, 9)],
        ("deal_registered", 2),
        slug="busy",
    )
    quiet = partner(300, ("campaign_redistributed", 80), slug="quiet")
    scale = insight.norms([summary(busy), summary(quiet)], CONFIG)
    assert scale.by_metric["meetings"] is None  # no partner has a meeting: no data, not zero
    found = insight.score(summary(busy), CONFIG, scale)
    parts = {part.metric: part for part in found.parts}
    assert parts["meetings"].points is None
    assert parts["leads"].points is None
    assert found.total == pytest.approx(sum(p.points or 0 for p in found.parts), abs=0.1)
    # Only the metrics with data (marketing, selling) share the 100 points, and busy is
    # the program's top partner in both.
    assert found.total == pytest.approx(100, abs=0.1)
    assert parts["marketing"].points == pytest.approx(50, abs=0.1)
    low = insight.score(summary(quiet), CONFIG, scale)
    assert 0 < low.total < found.total
    assert found.why is not None


def test_the_score_moves_with_recent_activity() -> None:
    history = partner(300, ("campaign_redistributed", 2), ("campaign_redistributed", 3), slug="up")
    other = partner(300, ("campaign_redistributed", 40), slug="other")
    scale = insight.norms([summary(history), summary(other)], CONFIG)
    found = insight.score(summary(history), CONFIG, scale)
    assert found.moved > 0
    assert found.why is not None
    assert found.why.metric == "marketing"


def test_older_events_weigh_less_with_the_half_life() -> None:
    recent = [Event("sign_in", days_ago(0))]
    old = [Event("sign_in", days_ago(30))]
    assert insight.decayed(recent, NOW, 90, 30) == pytest.approx(1)
    assert insight.decayed(old, NOW, 90, 30) == pytest.approx(0.5)
    assert insight.decayed([Event("sign_in", days_ago(100))], NOW, 90, 30) == 0


# --- dormancy ---------------------------------------------------------------------------


def test_a_bare_sign_in_is_not_meaningful_activity() -> None:
    history = partner(400, ("deal_registered", 200), ("sign_in", 3), ("quiz_passed", 300))
    found = insight.dormancy(history, CONFIG, NOW)
    assert found.status == "dormant"
    assert found.since == days_ago(200)
    codes = {reason.code: reason for reason in found.reasons}
    assert codes["no_meaningful_activity"].days == 200
    assert codes["no_meaningful_activity"].source == "activity log"
    assert codes["no_deal"].source == "prm"
    assert codes["training_stalled"].days == 300


def test_a_busy_partner_is_active_and_a_falling_one_at_risk() -> None:
    busy = partner(400, ("sign_in", 300), ("quiz_passed", 20), ("deal_registered", 10))
    assert insight.dormancy(busy, CONFIG, NOW).status == "active"
    falling = partner(
        600,
        ("sign_in", 590), ("quiz_passed", 30),
        *[("deal_registered", d) for d in range(100, 460, 40)],
        ("deal_registered", 20),
    )  # fmt: skip
    found = insight.dormancy(falling, CONFIG, NOW)
    assert found.status == "at_risk"
    assert [r.code for r in found.reasons] == ["deals_falling"]
    (reason,) = found.reasons
    words = {
        locale: reason_text(locale, reason.code, reason.days, reason.detail)
        for locale in ("en", "de")
    }
    assert words["en"] == "Deals registered last quarter: 1, against 2.2 in its usual quarter"
    assert words["de"].startswith("Im letzten Quartal registrierte Deals: 1, gegenüber 2,2")


def test_goals_well_behind_the_time_gone_put_a_partner_at_risk() -> None:
    busy = partner(400, ("sign_in", 300), ("quiz_passed", 20), ("deal_registered", 10))

    def with_goals(*goals: tuple[float, float]) -> History:
        paces = tuple(GoalPace(f"g{i}", share, gone) for i, (share, gone) in enumerate(goals))
        return replace(busy, goals=paces)

    behind = insight.dormancy(with_goals((0.1, 0.7), (0.2, 0.7)), CONFIG, NOW)
    assert behind.status == "at_risk"
    assert [(r.code, r.source) for r in behind.reasons] == [("goals_behind_pace", "incentives")]
    assert behind.reasons[0].detail == "0.1500/0.7000"
    # On pace, early in the period, or one goal far over the others' shortfall: no alarm.
    assert insight.dormancy(with_goals((0.5, 0.7)), CONFIG, NOW).status == "active"
    assert insight.dormancy(with_goals((0.0, 0.2)), CONFIG, NOW).status == "active"
    assert insight.dormancy(with_goals((0.1, 0.7), (3.0, 0.7)), CONFIG, NOW).status == "active"


def test_a_lapsed_or_ending_agreement_puts_a_partner_at_risk() -> None:
    busy = partner(400, ("sign_in", 300), ("quiz_passed", 20), ("deal_registered", 10))

    def under(status: str, ends_in: int | None) -> insight.Dormancy:
        ends = NOW.date() + timedelta(days=ends_in) if ends_in is not None else None
        return insight.dormancy(replace(busy, agreement=Agreement(status, ends)), CONFIG, NOW)

    lapsed = under("Expired", -30)
    assert lapsed.status == "at_risk"
    assert [(r.code, r.days, r.source) for r in lapsed.reasons] == [("agreement_lapsed", 30, "prm")]
    # Past its end though the PRM still says active; or expired with no end recorded.
    assert [(r.code, r.days) for r in under("Active", -1).reasons] == [("agreement_lapsed", 1)]
    assert [(r.code, r.days) for r in under("expired", None).reasons] == [
        ("agreement_lapsed", None)
    ]
    ending = under("Active", 45)
    assert [(r.code, r.days) for r in ending.reasons] == [("agreement_ends_soon", 45)]
    assert under("Active", 61).status == "active"  # beyond the 60 days the program watches
    assert under("Active", None).status == "active"
    assert insight.dormancy(busy, CONFIG, NOW).status == "active"  # no snapshot: no claim
    # A quiet partner whose agreement lapsed is dormant, with both reasons.
    quiet = replace(partner(400, ("quiz_passed", 200)), agreement=Agreement("Expired", None))
    found = insight.dormancy(quiet, CONFIG, NOW)
    assert found.status == "dormant"
    assert [r.code for r in found.reasons][:1] == ["no_meaningful_activity"]
    assert "agreement_lapsed" in {r.code for r in found.reasons}


def test_vendor_emails_nobody_opens_put_a_partner_at_risk() -> None:
    base = [("sign_in", 300), ("quiz_passed", 20), ("deal_registered", 10)]
    unread = partner(400, *base, *[("vendor_email_sent", d) for d in (5, 19, 33, 47)])
    found = insight.dormancy(unread, CONFIG, NOW)
    assert found.status == "at_risk"
    assert [(r.code, r.days, r.detail) for r in found.reasons] == [
        ("vendor_emails_unopened", 60, "0/4")
    ]
    one_read = partner(
        400,
        *base,
        *[("vendor_email_sent", d) for d in (5, 19, 33, 47)],
        ("vendor_email_opened", 18),
    )
    assert insight.dormancy(one_read, CONFIG, NOW).status == "active"
    too_few = partner(400, *base, ("vendor_email_sent", 5), ("vendor_email_sent", 19))
    assert insight.dormancy(too_few, CONFIG, NOW).status == "active"
    # Being emailed is not activity: a partner that only receives emails is dormant.
    emailed_only = partner(400, *[("vendor_email_sent", d) for d in range(1, 200, 14)])
    assert insight.dormancy(emailed_only, CONFIG, NOW).reasons[0].code == "no_meaningful_activity"


def test_false_alarms_are_spared_new_seasonal_and_snoozed() -> None:
    new = partner(20)
    assert insight.dormancy(new, CONFIG, NOW).spared == "new"
    assert insight.dormancy(new, CONFIG, NOW).status == "active"
    # Quiet now, quiet at this time last year, and back within two months then.
    seasonal = partner(
        800, ("sign_in", 790), ("quiz_passed", 100), ("deal_registered", 340), ("deal_registered", 70),
        ("campaign_redistributed", 330), ("deal_registered", 420),
    )  # fmt: skip
    found = insight.dormancy(seasonal, CONFIG, NOW)
    assert (found.status, found.spared) == ("active", "seasonal")
    quiet = partner(400, ("deal_registered", 200))
    snooze = Snooze(NOW + timedelta(days=10), "Merger under way", "cam@vendor.example")
    spared = insight.dormancy(quiet, CONFIG, NOW, snooze)
    assert (spared.status, spared.spared, spared.snooze) == ("active", "snoozed", snooze)
    expired = Snooze(NOW - timedelta(days=1), "old", "cam@vendor.example")
    assert insight.dormancy(quiet, CONFIG, NOW, expired).status == "dormant"


def test_value_at_risk_is_open_pipeline_and_last_years_revenue_in_one_currency() -> None:
    history = History(
        1, "p", "P", "Gold", "EMEA", "Reseller", days_ago(800),
        (
            Event("deal_registered", days_ago(500), object="won-old", amount=Decimal(700), currency="EUR"),
            Event("deal_won", days_ago(400), object="won-old", amount=Decimal(700), currency="EUR"),
            Event("deal_registered", days_ago(100), object="won", amount=Decimal(1000), currency="EUR"),
            Event("deal_won", days_ago(50), object="won", amount=Decimal(1000), currency="EUR"),
            Event("deal_registered", days_ago(30), object="open", amount=Decimal(500), currency="EUR"),
            Event("deal_registered", days_ago(20), object="odd", amount=Decimal(9), currency="XYZ"),
        ),
    )  # fmt: skip
    found = insight.value(history, NOW, {"EUR": 2.0})
    assert found.pipeline == Decimal(1000)
    assert found.revenue == Decimal(2000)
    assert found.revenue_before == Decimal(1400)
    assert found.unconverted == ("XYZ",)


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"metrics": [{"id": "m", "kinds": ["sign_in"], "weight": 0, "source": "hub"}]}, "sum to nothing"),
        ({"metrics": [{"id": "m", "kinds": ["telepathy"], "weight": 1, "source": "hub"}]}, "telepathy"),
        ({"stages": [{"id": "recruited"}, {"id": "won", "kinds": ["deal_won"]}, {"id": "won", "kinds": ["deal_won"]}]}, "cycle"),
        ({"stages": [{"id": "first", "kinds": ["sign_in"]}, {"id": "b", "kinds": ["deal_won"]}]}, "joining"),
        ({"activation": {"kind": "vibes"}}, "activation"),
        ({"window_days": "ninety"}, "window_days"),
        ({"rates": {"EUR": 0}}, "rates"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_saying_what_is_wrong(
    change: dict[str, object], said: str
) -> None:
    with pytest.raises(InvalidProgramConfig, match=said):
        parse_config(change)


def test_the_defaults_round_trip() -> None:
    assert parse_config(ProgramConfig().model_dump(mode="json")) == ProgramConfig()
