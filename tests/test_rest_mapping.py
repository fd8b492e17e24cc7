"""The generic REST adapter: the shipped incentive mapping over recorded answers, auth, paging,
mapping errors, property tests of the mapping, and the incentive sandbox over a socket."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.connectors.base import (
    BackendAuthError,
    ConnectorConfig,
    IncentiveConnector,
    LMSConnector,
    MalformedResponse,
    NotConfigured,
)
from hub.connectors.records import (
    CatalogueItem,
    GoalPoint,
    IncentiveClaim,
    IncentiveGoal,
    Kind,
    Money,
    PartnerRef,
    PersonRef,
    PointsBalance,
)
from hub.connectors.rest import RestConnector, load_mapping
from hub.connectors.rest_mapping import parse_operations
from hub.connectors.sandboxes import incentives as sandbox
from hub.connectors.sandboxes.knobs import Knobs
from tests.live_server import serving

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "incentives"
BASE = "https://incentives.vendor.example/api"
RAJ = PersonRef("rep@acme.example", PartnerRef("acme", "Acme Corporation", "acme.example"))
BEARER = {"method": "bearer"}
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=(FIXTURES / name).read_bytes(), headers=headers)


def platform(seen: list[httpx.Request] | None = None, **overrides: httpx.Response) -> Handler:
    """A fake incentive platform answering from recorded bodies in pages of two."""

    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path, params = request.url.path.removeprefix("/api"), request.url.params
        last = path.rsplit("/", 1)[-1]
        if last in overrides:
            return overrides[last]
        if "nobody" in path:
            return recorded("error_404.json", 404)
        if path == "/v2/participants/rep@acme.example/goals":
            assert params["period"] == "current"
            return recorded(
                "goals_page2.json" if params.get("cursor") == "Mg==" else "goals_page1.json"
            )
        if path.endswith("/spiffs"):
            return recorded(f"spiffs_{params['offset']}.json")
        if path.endswith("/claims"):
            return recorded("claims.json")
        if path == "/v2/participants/rep@acme.example":
            return recorded("participant.json")
        if path == "/v2/me":
            return httpx.Response(200, json={"client": "partner-hub"})
        assert path == "/v2/rewards"
        if params.get("page") == "2":
            return recorded("rewards_page2.json")
        # A relative next link, as RFC 8288 allows.
        return recorded(
            "rewards_page1.json",
            headers={"Link": '</api/v2/rewards?page=2&per_page=2>; rel="next"'},
        )

    return answer


def connector(
    handler: Handler,
    auth: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    **options: Any,
) -> RestConnector:
    config = ConnectorConfig(
        name="incentives",
        kind=Kind.INCENTIVES,
        adapter="rest",
        base_url=BASE,
        auth=BEARER if auth is None else auth,
        secrets={"token": "tok"} if secrets is None else secrets,
        options={"mapping_file": str(sandbox.MAPPING_FILE), "paging": {"limit": 2}, **options},
    )
    return RestConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_the_shipped_mapping_makes_an_incentive_connector() -> None:
    adapter = connector(platform())
    assert isinstance(adapter, IncentiveConnector)
    assert "5 operations" in await adapter.probe()
    with pytest.raises(NotConfigured):
        await adapter.enrolments(RAJ)  # an LMS method the mapping leaves out


async def test_goals_follow_the_cursor_and_take_the_person_email() -> None:
    seen: list[httpx.Request] = []
    goals = await connector(platform(seen)).goals(RAJ)
    assert [r.url.params.get("cursor") for r in seen] == [None, "Mg=="]
    assert seen[0].headers["Authorization"] == "Bearer tok"
    assert goals[0] == IncentiveGoal(
        id="G-202610-REV-rep-acme",
        name="Revenue (Q4 2026)",
        email="rep@acme.example",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        target=Decimal("250000.00"),
        achieved=Decimal("182300.50"),
        unit="USD",
        # The week-by-week series, put in order of its days (the platform sent it unordered).
        progress=(
            GoalPoint(date(2026, 10, 7), Decimal("20400.25")),
            GoalPoint(date(2026, 10, 14), Decimal("61250.00")),
            GoalPoint(date(2026, 10, 21), Decimal("182300.50")),
        ),
    )
    assert [(g.target, g.unit, g.progress) for g in goals[1:]] == [
        (Decimal(8), "units", ()),  # a goal without a series has none
        (Decimal(4000), "points", ()),
    ]


def goals_answer(progress: object) -> httpx.Response:
    goal = json.loads((FIXTURES / "goals_page2.json").read_text())["data"][0]
    return httpx.Response(200, json={"data": [{**goal, "progress": progress}], "meta": {}})


@pytest.mark.parametrize(
    ("progress", "problem"),
    [
        ([{"as_of": "2026-09-30", "achieved": "10"}], "outside the goal's period"),
        ([{"as_of": "2026-10-07", "achieved": "1"}, {"as_of": "2026-10-07", "achieved": "2"}],
         "more than one point"),
        ([{"as_of": "2026-10-07", "achieved": "lots"}], "progress"),
        ([{"achieved": "10"}], "progress"),
    ],
)  # fmt: skip
async def test_a_goal_series_that_does_not_fit_its_goal_is_malformed(
    progress: object, problem: str
) -> None:
    adapter = connector(platform(goals=goals_answer(progress)))
    with pytest.raises(MalformedResponse, match=problem):
        await adapter.goals(RAJ)


async def test_an_empty_or_missing_goal_series_is_no_series() -> None:
    progress: list[object] | None
    for progress in ([], None):
        goals = await connector(platform(goals=goals_answer(progress))).goals(RAJ)
        assert goals[0].progress == ()


async def test_spiffs_page_by_offset_until_the_total_and_are_ordered_by_end() -> None:
    seen: list[httpx.Request] = []
    spiffs = await connector(platform(seen)).spiffs(RAJ)
    assert [(r.url.params["offset"], r.url.params["limit"]) for r in seen] == [
        ("0", "2"),
        ("2", "2"),
    ]
    assert [s.name for s in spiffs] == [
        "EMEA Expansion",
        "Gold Tier Exclusive",
        "Cloud Migration Accelerator",
    ]
    cloud = spiffs[2]
    assert cloud.reward == Money(Decimal("750.00"), "USD")
    assert cloud.requirements == ("Register a cloud migration deal", "Close it this quarter")
    assert (cloud.eligible, cloud.progress) == (True, Decimal("0.5"))
    assert spiffs[1].reward == Money(Decimal(2000), "USD")  # lower-case currency, bare number
    assert spiffs[1].ends == date(2026, 12, 31)  # a date-time cut to its date


async def test_claims_come_newest_first_with_money_and_times() -> None:
    claims = await connector(platform()).claims(RAJ)
    assert claims[0] == IncentiveClaim(
        id="CLM-512077",
        program="Cloud Migration Accelerator",
        amount=Money(Decimal("750.00"), "USD"),
        status="in_review",
        submitted_at=datetime(2026, 11, 18, 9, 5, tzinfo=UTC),
        updated_at=None,
    )
    assert claims[1].updated_at == datetime(2026, 10, 9, 8, tzinfo=UTC)


async def test_points_and_a_participant_the_platform_does_not_know() -> None:
    adapter = connector(platform())
    assert await adapter.points(RAJ) == PointsBalance(
        "rep@acme.example", 18450, datetime(2026, 11, 22, 6, tzinfo=UTC)
    )
    nobody = PersonRef("nobody@acme.example")
    assert await adapter.points(nobody) is None
    assert await adapter.claims(nobody) == []


async def test_the_catalogue_follows_link_headers() -> None:
    seen: list[httpx.Request] = []
    items = await connector(platform(seen)).catalogue()
    assert items == [
        CatalogueItem("RW-100", "Wireless headphones", 12000),
        CatalogueItem("RW-101", "Coffee grinder", 4500),
        CatalogueItem("RW-102", "Weekend hotel voucher", 30000),
    ]
    assert str(seen[-1].url) == f"{BASE}/v2/rewards?page=2&per_page=2"


async def test_a_next_link_to_another_host_is_refused() -> None:
    elsewhere = httpx.Response(
        200, json=[], headers={"Link": '<https://evil.example/x>; rel="next"'}
    )
    rewards = httpx.Response(
        200, json=[{"sku": "a", "title": "b", "cost": {"points": 1}}], headers=elsewhere.headers
    )
    with pytest.raises(MalformedResponse, match="another host"):
        await connector(platform(rewards=rewards)).catalogue()


async def test_endless_cursors_stop_at_max_pages() -> None:
    loop = httpx.Response(200, json={"data": [], "meta": {"next_cursor": "again"}})
    body = {
        "data": [
            {
                "claim_no": "1",
                "program": {"name": "p"},
                "amount": {"value": 1, "currency": "USD"},
                "state": "paid",
                "submitted": "2026-01-01T00:00:00Z",
            }
        ],
        "meta": {"next_cursor": "again"},
    }
    with pytest.raises(MalformedResponse, match="more than 3 pages"):
        await connector(
            platform(claims=httpx.Response(200, json=body)), paging={"limit": 2, "max_pages": 3}
        ).claims(RAJ)
    assert loop.status_code == 200


@pytest.mark.parametrize(
    ("auth", "secrets", "expected"),
    [
        (
            {"method": "basic", "username": "hub"},
            {"password": "pw"},
            "Basic " + base64.b64encode(b"hub:pw").decode(),
        ),
        ({"method": "header", "header": "X-Api-Key"}, {"token": "k3y"}, "k3y"),
        ({"method": "none"}, {}, None),
    ],
)
async def test_auth_methods(
    auth: dict[str, str], secrets: dict[str, str], expected: str | None
) -> None:
    seen: list[httpx.Request] = []
    await connector(platform(seen), auth, secrets).probe()
    header = "X-Api-Key" if auth["method"] == "header" else "Authorization"
    assert seen[0].headers.get(header) == expected


async def test_client_credentials_fetch_a_token_and_refresh_it_once_after_401() -> None:
    issued = iter(["t1", "t2"])
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            assert (
                request.headers["Authorization"]
                == "Basic " + base64.b64encode(b"hub:s3cret").decode()
            )
            assert parse_qs(request.content.decode()) == {
                "grant_type": ["client_credentials"],
                "scope": ["incentives.read"],
            }
            return httpx.Response(
                200, json={"access_token": next(issued), "token_type": "Bearer", "expires_in": 3600}
            )
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(401, json={"error": {"code": "token_expired"}})
        return platform()(request)

    auth = {
        "method": "client_credentials",
        "token_url": "/oauth/token",
        "client_id": "hub",
        "scope": "incentives.read",
    }
    adapter = connector(answer, auth, {"client_secret": "s3cret"})
    assert (await adapter.points(RAJ)) is not None
    assert await adapter.points(RAJ) is not None  # the second read reuses t2
    assert [r.url.path for r in seen] == [
        "/oauth/token",
        "/api/v2/participants/rep@acme.example",
        "/oauth/token",
        "/api/v2/participants/rep@acme.example",
        "/api/v2/participants/rep@acme.example",
    ]


async def test_refused_credentials_are_auth_errors() -> None:
    with pytest.raises(BackendAuthError):
        await connector(platform(me=httpx.Response(403, json={"error": {}}))).probe()


@pytest.mark.parametrize(
    ("options", "auth", "message"),
    [
        ({"operations": {}}, BEARER, "maps no operation"),
        ({"operations": {"bonuses": {"path": "/b"}}}, BEARER, "unknown operation"),
        (
            {
                "operations": {
                    "catalogue": {
                        "path": "/r",
                        "fields": {"id": "sku", "name": "t", "points": "cost[."},
                    }
                }
            },
            BEARER,
            "catalogue.fields.points: not a JMESPath",
        ),
        (
            {"operations": {"catalogue": {"path": "/r", "fields": {"id": "sku", "name": "t"}}}},
            BEARER,
            "no expression for points",
        ),
        (
            {
                "operations": {
                    "catalogue": {
                        "path": "/r",
                        "fields": {"id": "a", "name": "b", "points": "c", "colour": "d"},
                    }
                }
            },
            BEARER,
            "has no such field",
        ),
        ({"operations": {"goals": {"path": "/p/{user}/goals"}}}, BEARER, "unknown variable {user}"),
        (
            {
                "operations": {
                    "catalogue": {
                        "path": "/r",
                        "paging": {"style": "cursor"},
                        "fields": {"id": "a", "name": "b", "points": "c"},
                    }
                }
            },
            BEARER,
            "needs the expression",
        ),
        ({"mapping_file": "/nonexistent/mapping.toml"}, BEARER, "cannot read"),
        ({"mapping_file": str(sandbox.MAPPING_FILE)}, {"method": "kerberos"}, "auth.method"),
        (
            {"mapping_file": str(sandbox.MAPPING_FILE)},
            {"method": "client_credentials", "client_id": "x"},
            "token_url",
        ),
    ],
)
def test_a_bad_mapping_fails_when_the_connector_is_built(
    options: dict[str, Any], auth: dict[str, str], message: str
) -> None:
    config = ConnectorConfig(
        name="x",
        kind=Kind.INCENTIVES,
        adapter="rest",
        base_url=BASE,
        auth=auth,
        secrets={"token": "t"},
        options=options,
    )
    with pytest.raises(ValueError, match=message):
        RestConnector(config, httpx.AsyncClient())


async def test_any_kind_can_be_mapped() -> None:
    mapping = {
        "operations": {
            "completions": {
                "path": "/people/{email}/completions",
                "records": "results",
                "fields": {
                    "course": "{id: course_code, name: course_title}",
                    "completed_at": "finished",
                },
            }
        }
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "results": [{"course_code": 7, "course_title": "Basics", "finished": 1767225600}]
            },
        )

    adapter = RestConnector(
        ConnectorConfig(name="lms", kind=Kind.LMS, adapter="rest", base_url=BASE, options=mapping),
        httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )
    assert isinstance(adapter, LMSConnector)
    (completion,) = await adapter.completions(RAJ)
    assert (completion.course.id, completion.completed_at) == (
        "7",
        datetime(2026, 1, 1, tzinfo=UTC),
    )


# --- properties of the mapping ---------------------------------------------------

OPERATIONS = parse_operations(load_mapping({"mapping_file": str(sandbox.MAPPING_FILE)}))
money_text = st.decimals(
    min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)
NAIVE_BOUNDS = (datetime(2000, 1, 1), datetime(2100, 1, 1))  # noqa: DTZ001 - hypothesis wants naive bounds
moments = st.datetimes(*NAIVE_BOUNDS, timezones=st.just(UTC))
currencies = st.sampled_from(["USD", "EUR", "AUD", "GBP", "JPY"])
names = st.text(min_size=1, max_size=30)


@st.composite
def claims(draw: st.DrawFn) -> tuple[dict[str, Any], IncentiveClaim]:
    amount, currency, submitted = draw(money_text), draw(currencies), draw(moments)
    updated = draw(st.none() | moments)
    ident = draw(st.text(min_size=1, max_size=20) | st.integers(0, 10**9))
    program = draw(names)
    value: str | float = str(amount)
    if amount < 10**6:  # a JSON number holds this exactly enough; larger ones stay strings
        value = draw(st.sampled_from([value, float(amount)]))
    status = draw(st.sampled_from(["submitted", "in_review", "approved", "paid", "rejected"]))
    payload = {
        "claim_no": ident,
        "program": {"id": draw(st.integers()), "name": program},
        "amount": {"value": value, "currency": currency},
        "state": status,
        "submitted": submitted.isoformat(),
        "last_update": updated.isoformat().replace("+00:00", "Z") if updated else None,
    }
    expected = IncentiveClaim(
        id=str(ident),
        program=program,
        amount=Money(Decimal(str(value)), currency),
        status=status,
        submitted_at=submitted,
        updated_at=updated,
    )
    return payload, expected


@settings(max_examples=150, deadline=None)
@given(claims())
def test_any_valid_claim_maps_to_the_record_it_describes(
    case: tuple[dict[str, Any], IncentiveClaim],
) -> None:
    payload, expected = case
    assert OPERATIONS["claims"].to_record(payload, "claims[0]", "rep@acme.example") == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(claims(), max_size=12), st.integers(1, 5))
def test_claims_in_any_number_of_pages_come_back_whole_and_newest_first(
    cases: list[tuple[dict[str, Any], IncentiveClaim]], size: int
) -> None:
    payloads = [payload for payload, _ in cases]

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "0"))
        following = str(start + size) if start + size < len(payloads) else None
        return httpx.Response(
            200, json={"data": payloads[start : start + size], "meta": {"next_cursor": following}}
        )

    found = anyio.run(connector(answer, paging={"limit": size}).claims, RAJ)
    assert sorted(found, key=repr) == sorted((e for _, e in cases), key=repr)
    assert [c.submitted_at for c in found] == sorted((c.submitted_at for c in found), reverse=True)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "data",
                    "meta",
                    "next_cursor",
                    "items",
                    "total",
                    "participant",
                    "balance",
                    "points",
                    "as_of",
                    "claim_no",
                    "amount",
                    "value",
                    "currency",
                    "submitted",
                    "state",
                    "program",
                    "name",
                    "sku",
                    "title",
                    "cost",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


def junk_bodies() -> st.SearchStrategy[bytes]:
    return json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk_bodies(), st.sampled_from(["goals", "spiffs", "claims", "points", "catalogue"]))
def test_junk_is_malformed_or_harmless_never_a_crash(body: bytes, operation: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    adapter = connector(answer, paging={"limit": 2, "max_pages": 3})

    async def read() -> object:
        if operation == "catalogue":
            return await adapter.catalogue()
        method = getattr(adapter, operation)
        return await method(RAJ)

    # Anything but a clean answer or MalformedResponse (another BackendError included) fails.
    with contextlib.suppress(MalformedResponse):
        anyio.run(read)


# --- against the incentive sandbox, over a real socket ------------------------------


async def test_the_adapter_reads_the_sandbox_over_a_socket() -> None:
    knobs = Knobs()
    async with serving(sandbox.create_app(knobs)) as base_url, httpx.AsyncClient() as http:
        config = ConnectorConfig(
            name="incentives",
            kind=Kind.INCENTIVES,
            adapter="rest",
            base_url=base_url,
            auth={
                "method": "client_credentials",
                "token_url": "/oauth/token",
                "client_id": sandbox.DEMO_CLIENT_ID,
            },
            secrets={"client_secret": sandbox.DEMO_CLIENT_SECRET},
            options={"mapping_file": str(sandbox.MAPPING_FILE)},
        )
        adapter = RestConnector(config, http)
        assert "5 operations" in await adapter.probe()
        before = knobs.requests
        claims = await adapter.claims(RAJ)
        assert knobs.requests - before == 3  # 23 claims in pages of ten
        assert len(claims) == 23
        assert {c.amount.currency for c in claims} == {"USD"}
        goals = await adapter.goals(RAJ)
        assert len(goals) == 7
        assert all(g.period_start <= datetime.now(UTC).date() <= g.period_end for g in goals)
        for goal in goals:  # each week so far, then today: the last point is the total
            figures = [point.achieved for point in goal.progress]
            assert figures[-1] == goal.achieved
            assert figures == sorted(figures)
            assert goal.progress[-1].day == datetime.now(UTC).date()
        spiffs = await adapter.spiffs(PersonRef("rep@globex.example"))
        assert len(spiffs) == 14
        assert {s.reward.currency for s in spiffs} == {"EUR"}
        assert any(s.eligible for s in spiffs)
        assert not all(s.eligible for s in spiffs)
        points = await adapter.points(RAJ)
        assert points is not None
        assert points.points > 0
        assert len(await adapter.catalogue()) == 27

        dormant = PersonRef("owner@initech.example")
        assert all(g.achieved == 0 for g in await adapter.goals(dormant))
        assert all(
            datetime.now(UTC) - c.submitted_at > timedelta(days=150)
            for c in await adapter.claims(dormant)
        )
        assert await adapter.points(PersonRef("stranger@acme.example")) is None

        knobs.update({"malformed": True})
        with pytest.raises(MalformedResponse):
            await adapter.claims(RAJ)
