"""Charts in the homepage widgets, through the ASGI app over the fake connectors.

Each chart's table must say what the widget's own text says, a chart without figures
shows its empty state (never a row of zeros), names from a backend are escaped in the
SVG, and nothing needs inline style or script.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from hub.connectors.records import (
    FundClaim,
    FundType,
    GoalPoint,
    IncentiveClaim,
    IncentiveGoal,
    Kind,
    Money,
)
from hub.db import Database
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

OWNER = "owner@acme.example"
REP = "rep@acme.example"
EMPTY_CHART = "No figures for this chart yet."


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


def figures(text: str) -> list[str]:
    """The figure element(s) of a widget, each from ``<figure`` to ``</figure>``."""
    return re.findall(r"<figure class=\"chart.*?</figure>", text, re.S)


def table(figure: str) -> dict[str, list[str]]:
    """A chart's screen-reader table: row label -> its cells, as the reader hears them."""
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', figure, re.S)
    return {
        html.unescape(label): [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", cells)]
        for label, cells in rows
    }


def only_chart(text: str) -> str:
    found = figures(text)
    assert len(found) == 1, found
    return found[0]


def assert_csp_safe(text: str) -> None:
    assert "style=" not in text
    assert "<style" not in text
    assert "<script" not in text
    assert not re.search(r"\son\w+=", text)  # no inline event handlers


def current_quarter(today: date) -> tuple[date, date]:
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    following = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, following - timedelta(days=1)


async def test_progress_to_goal_charts_the_goals_it_lists_and_names_the_quarter(
    rig: HomeRig,
) -> None:
    today = datetime.now(UTC).date()
    start, end = current_quarter(today)
    goals = [
        IncentiveGoal("r", "Revenue", REP, start, end, Decimal(250_000), Decimal("91234.5"), "USD"),
        IncentiveGoal("n", "New logos", REP, start, end, Decimal(12), Decimal(15), "units"),
    ]
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: goals}
    await rig.sign_in(REP)
    text = (await rig.widget("progress_to_goal")).text
    chart = only_chart(text)
    quarter = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    assert f'<span class="chart-caption">{quarter}</span>' in chart
    rows = table(chart)
    assert list(rows) == ["Revenue", "New logos"]
    for name, (achieved, target, share, gone) in rows.items():
        # The line under the goal's name prints the same four figures.
        line = text[text.index(f"<strong>{name}</strong>") :].split("</li>")[0]
        unit = " units" if name == "New logos" else ""
        assert f"{achieved} of {target}{unit} · {share} · {gone} of the period gone" in line
    assert rows["Revenue"][:3] == ["$91,234", "$250,000", "36%"]
    assert rows["New logos"][2] == "125%"  # over target, not capped
    # Both bars carry a target line and a pace mark.
    assert chart.count('class="chart-target"') == 2 + 1  # and one in the legend
    assert chart.count('class="chart-pace"') == 2 + 1
    assert_csp_safe(text)


def weekly(start: date, today: date, total: Decimal, step: Decimal) -> tuple[GoalPoint, ...]:
    """A goal's series as a platform reports it: each week's end so far, then today's total."""
    days = [start + timedelta(days=6 + 7 * n) for n in range((today - start).days // 7 + 1)]
    days = [day for day in days if day < today] + [today]
    return tuple(
        GoalPoint(
            day, total if day == today else (total * (n + 1) / (len(days) + 2)).quantize(step)
        )
        for n, day in enumerate(days)
    )


def rep_goals(today: date, *, revenue_total: Decimal | None = None) -> list[IncentiveGoal]:
    start, end = current_quarter(today)
    revenue = Decimal("91234.5")
    return [
        IncentiveGoal(
            "r", "Revenue", REP, start, end, Decimal(250_000), revenue, "USD",
            weekly(start, today, revenue if revenue_total is None else revenue_total, Decimal("0.01")),
        ),
        IncentiveGoal(
            "n", "New logos", REP, start, end, Decimal(12), Decimal(15), "units",
            weekly(start, today, Decimal(15), Decimal(1)),
        ),
    ]  # fmt: skip


async def test_progress_to_goal_draws_the_first_goals_trend_against_its_pace(
    rig: HomeRig,
) -> None:
    today = datetime.now(UTC).date()
    start, end = current_quarter(today)
    goals = rep_goals(today)
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: goals}
    await rig.sign_in(REP)
    text = (await rig.widget("progress_to_goal")).text
    bars, trend = figures(text)
    quarter = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    assert "Revenue against the pace to its target" in trend
    assert f'<span class="chart-caption">{quarter}</span>' in trend
    rows = table(trend)
    assert rows.pop("Target") == []  # the table's foot, the target across its columns:
    assert '<th scope="row">Target</th><td colspan="3">$250,000</td>' in trend
    series = goals[0].progress
    days = (end - start).days + 1
    # One row per point of the series, each with its figure, the pace line that day and
    # the share of the target; the last row is the total the widget prints.
    assert len(rows) == len(series)
    for point, cells in zip(series, rows.values(), strict=True):
        pace = (Decimal(250_000) * ((point.day - start).days + 1) / days).quantize(Decimal("0.01"))
        assert cells[0] == money(point.achieved)
        assert cells[1] == money(pace)
    last = list(rows.values())[-1]
    assert last[0] == "$91,234" == table(bars)["Revenue"][0]
    assert last[2] == "36%" == table(bars)["Revenue"][2]
    # The line, the dashed pace line and the solid target line, each also in the legend.
    assert trend.count('class="chart-pace"') == 1 + 1
    assert trend.count('class="chart-target"') == 1 + 1
    assert trend.count('class="chart-mark chart-s0"') == len(series) + 1
    assert "Over target" not in text  # revenue is behind its target
    assert_csp_safe(text)


def money(amount: Decimal) -> str:
    """An amount of dollars as the hub writes it (cents under 10,000 unless whole)."""
    if amount == amount.to_integral_value() or amount >= 10_000:
        return f"${amount.quantize(Decimal(1)):,}"
    return f"${amount:,.2f}"


async def test_an_over_achieved_goals_trend_rises_past_its_target_and_says_so(
    rig: HomeRig,
) -> None:
    today = datetime.now(UTC).date()
    logos = rep_goals(today)[1]
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: [logos]}
    await rig.sign_in(REP)
    text = (await rig.widget("progress_to_goal")).text
    trend = figures(text)[1]
    rows = list(table(trend).values())[:-1]  # the foot holds the target
    assert rows[-1][0] == "15"
    assert rows[-1][2] == "125%"
    assert "Over target" in text
    assert "125% of target: 3 units past it" in text
    # The scale reaches past the target, so the line is drawn above the target line.
    ticks = [int(t) for t in re.findall(r'class="chart-axis"[^>]*text-anchor="end">(\d+)<', trend)]
    assert max(ticks) >= 15


async def test_without_a_series_or_with_one_that_disagrees_the_widget_draws_no_trend(
    rig: HomeRig,
) -> None:
    today = datetime.now(UTC).date()
    # The revenue series ends below the total: drawing it would contradict the figure.
    revenue, logos = rep_goals(today, revenue_total=Decimal(90_000))
    bare = IncentiveGoal(
        "b", "Bare", REP, revenue.period_start, revenue.period_end, Decimal(10), Decimal(4), "units"
    )
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: [revenue, bare]}
    await rig.sign_in(REP)
    text = (await rig.widget("progress_to_goal")).text
    assert len(figures(text)) == 1  # the bars only
    assert "against the pace" not in text
    # With a good series behind a disagreeing one, that goal's trend is drawn.
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: [revenue, logos]}
    text = (await rig.widget("progress_to_goal", refresh="1")).text
    assert "New logos against the pace to its target" in figures(text)[1]


async def test_a_goals_trend_reads_in_german(rig: HomeRig) -> None:
    today = datetime.now(UTC).date()
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: rep_goals(today)[1:]}
    token = await rig.sign_in(REP)
    await rig.client.post("/profile/language", data={"locale": "de", "csrf_token": token})
    text = (await rig.widget("progress_to_goal")).text
    trend = figures(text)[1]
    assert "New logos gegenüber dem Tempo zum Ziel" in trend
    assert "Zahlen als Tabelle" in trend
    for english in ("By the end of", "Pace to target", "Over target", "of target:"):
        assert english not in text
    assert "Über dem Ziel" in text
    assert "125\xa0% des Ziels: 3 units darüber" in text


async def test_goal_names_from_the_backend_are_escaped_in_the_svg(rig: HomeRig) -> None:
    today = datetime.now(UTC).date()
    name = '<script>alert("x")</script> & Co'
    goal = IncentiveGoal(
        "x", name, REP, today - timedelta(days=5), today + timedelta(days=5),
        Decimal(10), Decimal(3), "units",
    )  # fmt: skip
    rig.connectors[Kind.INCENTIVES].given["goals"] = {REP: [goal]}
    await rig.sign_in(REP)
    text = (await rig.widget("progress_to_goal")).text
    chart = only_chart(text)
    svg = chart[chart.index('<svg class="chart-svg"') : chart.index("</svg>")]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in svg
    assert list(table(chart)) == [name]
    assert_csp_safe(text)


async def test_mdf_available_charts_allocated_requested_and_available(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    text = (await rig.widget("mdf_available")).text
    rows = table(only_chart(text))
    assert rows == {
        "Allocated": ["$20,000"],
        "Requested or approved": ["$5,000"],
        "Available": ["$15,000"],
    }
    assert f"Allocated: {rows['Allocated'][0]}" in text
    assert f"Requested or approved: {rows['Requested or approved'][0]}" in text
    assert f'<span class="stat-value">{rows["Available"][0]}</span>' in text
    assert_csp_safe(text)


async def test_mdf_spent_charts_spent_and_in_review(rig: HomeRig) -> None:
    now = datetime.now(UTC)
    prm = rig.connectors[Kind.PRM]
    prm.given["fund_claims"] = {
        "acme": [
            FundClaim("c1", FundType.MDF, "Webinar", Money(Decimal(3000), "USD"), "paid", now, None),
            FundClaim("c2", FundType.MDF, "Event", Money(Decimal("1250.75"), "USD"), "approved", now, None),
            FundClaim("c3", FundType.MDF, "Ads", Money(Decimal(900), "USD"), "submitted", now, None),
        ]
    }  # fmt: skip
    await rig.sign_in(OWNER)
    text = (await rig.widget("mdf_spent")).text
    rows = table(only_chart(text))
    assert rows == {"Spent": ["$4,250.75"], "In review": ["$900"]}
    assert f'<span class="stat-value">{rows["Spent"][0]}</span>' in text
    assert f"In review: {rows['In review'][0]}" in text
    assert_csp_safe(text)


async def test_mdf_claims_with_nothing_spent_or_in_review_show_the_empty_chart(
    rig: HomeRig,
) -> None:
    now = datetime.now(UTC)
    rig.connectors[Kind.PRM].given["fund_claims"] = {
        "acme": [FundClaim("d", FundType.MDF, "Draft", Money(Decimal(500), "USD"), "draft", now, None)]
    }  # fmt: skip
    await rig.sign_in(OWNER)
    text = (await rig.widget("mdf_spent")).text
    chart = only_chart(text)
    assert EMPTY_CHART in chart
    assert "<svg" not in chart
    assert "$0" not in chart  # the text may say $0; the chart draws no zeros


async def test_mdf_in_two_currencies_is_one_chart_each(rig: HomeRig) -> None:
    now = datetime.now(UTC)
    rig.connectors[Kind.PRM].given["fund_claims"] = {
        "acme": [
            FundClaim("u", FundType.MDF, "A", Money(Decimal(3000), "USD"), "paid", now, None),
            FundClaim("e", FundType.MDF, "B", Money(Decimal(700), "EUR"), "submitted", now, None),
        ]
    }
    await rig.sign_in(OWNER)
    text = (await rig.widget("mdf_spent")).text
    usd, eur = (table(f) for f in figures(text))
    assert usd == {"Spent": ["$3,000"], "In review": ["$0"]}
    assert eur == {"Spent": ["€0"], "In review": ["€700"]}


async def test_claim_status_charts_the_counts_it_tags(rig: HomeRig) -> None:
    now = datetime.now(UTC)
    claims = [
        IncentiveClaim(f"k{i}", "SPIF", Money(Decimal(100), "USD"), status, now)
        for i, status in enumerate(["paid", "paid", "paid", "in_review", "rejected"])
    ]
    rig.connectors[Kind.INCENTIVES].given["claims"] = {REP: claims}
    await rig.sign_in(REP)
    text = (await rig.widget("claim_status")).text
    rows = table(only_chart(text))
    assert rows == {"In review": ["1"], "Paid": ["3"], "Rejected": ["1"]}
    for status, (count,) in rows.items():
        assert f"{status}: {count}</li>" in text
    assert_csp_safe(text)


async def test_claims_of_no_known_status_show_the_empty_chart(rig: HomeRig) -> None:
    claim = IncentiveClaim(
        "k", "<b>SPIF</b>", Money(Decimal(5), "USD"), "on_hold", datetime.now(UTC)
    )
    rig.connectors[Kind.INCENTIVES].given["claims"] = {REP: [claim]}
    await rig.sign_in(REP)
    text = (await rig.widget("claim_status")).text
    assert EMPTY_CHART in only_chart(text)
    assert "<b>SPIF</b>" not in text
    assert "&lt;b&gt;SPIF&lt;/b&gt;" in text


async def test_program_status_charts_the_standing_against_the_next_tier(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    text = (await rig.widget("program_status")).text
    chart = only_chart(text)
    assert "This year against Gold" in chart
    rows = table(chart)
    assert rows["Closed-won revenue"] == ["$60,000", "$500,000", "12%"]
    assert rows["Won deals"] == ["3", "15", "20%"]

    def amount(figure: str) -> Decimal:
        return Decimal(figure.strip("$").replace(",", ""))

    won, needed, _ = rows["Closed-won revenue"]
    missing = amount(needed) - amount(won)
    assert f"${missing:,.0f} more closed-won revenue" in text
    assert f"{int(rows['Won deals'][1]) - int(rows['Won deals'][0])} more won deals" in text
    assert_csp_safe(text)


async def test_program_status_at_the_top_tier_has_no_chart(rig: HomeRig) -> None:
    from hub.connectors.records import PartnerAccount

    today = datetime.now(UTC).date()
    account = PartnerAccount(
        "A", "Acme", "Platinum", "active", "active", today, today + timedelta(days=300)
    )
    rig.connectors[Kind.PRM].given["partner_account"] = {"acme": [account]}
    await rig.sign_in(OWNER)
    text = (await rig.widget("program_status")).text
    assert figures(text) == []
    assert "top tier" in text


async def test_german_charts_format_their_figures_in_german(rig: HomeRig) -> None:
    await rig.sign_in("owner@globex.example")  # the demo gives Greta the "de" locale
    text = (await rig.widget("mdf_available")).text
    chart = only_chart(text)
    assert "Zahlen als Tabelle" in chart
    assert ["20.000\xa0$"] in table(chart).values()
    assert "Zugeteilt: 20.000\xa0$" in text
