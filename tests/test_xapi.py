"""The xAPI adapter over recorded LRS answers, then against the sandbox LRS over a socket."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from hub.connectors.base import (
    BackendAuthError,
    BackendUnavailable,
    ConnectorConfig,
    LMSConnector,
    MalformedResponse,
)
from hub.connectors.records import Kind, PersonRef
from hub.connectors.sandboxes import xapi as sandbox
from hub.connectors.sandboxes.knobs import Knobs
from hub.connectors.sandboxes.xapi_seed import LEVEL as SANDBOX_LEVEL
from hub.connectors.xapi import XAPIConnector
from tests.live_server import serving

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "xapi"
LRS = "https://lrs.vendor.example/lrs/xapi"
RAJ = PersonRef("rep@acme.example")
BADGE_TYPE = "http://activitystrea.ms/schema/1.0/badge"
LEVEL = "https://academy.vendor.example/xapi/extensions/level"
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str) -> httpx.Response:
    return httpx.Response(
        200,
        content=(FIXTURES / name).read_bytes(),
        headers={"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"},
    )


def lrs(seen: list[httpx.Request] | None = None, **overrides: httpx.Response) -> Handler:
    """A fake LRS: one recorded answer per verb, the second page of completions via ``more``."""

    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        assert request.headers["X-Experience-API-Version"] == "1.0.3"
        expected = base64.b64encode(b"key:secret").decode()
        assert request.headers["Authorization"] == f"Basic {expected}"
        if request.url.path == "/lrs/xapi/about":
            return overrides.get("about", recorded("about.json"))
        assert request.url.path == "/lrs/xapi/statements"
        params = request.url.params
        if "more" in params:
            assert params["more"] == "c2Vjb25kLXBhZ2U"
            return recorded("completed_page2.json")
        if params.get("limit") == "1":
            return overrides.get("statements", recorded("registered.json"))
        assert json.loads(params["agent"]) == {"mbox": "mailto:rep@acme.example"}
        assert params["since"].endswith("Z")
        verb = params["verb"].rsplit("/", 1)[-1]
        if verb in overrides:
            return overrides[verb]
        return recorded("completed_page1.json" if verb == "completed" else f"{verb}.json")

    return answer


def connector(handler: Handler, **options: object) -> XAPIConnector:
    config = ConnectorConfig(
        name="lrs",
        kind=Kind.LMS,
        adapter="xapi",
        base_url=LRS,
        secrets={"username": "key", "password": "secret"},
        options=options,
    )
    return XAPIConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_it_is_an_lms_connector_and_probes_about_and_credentials() -> None:
    adapter = connector(lrs())
    assert isinstance(adapter, LMSConnector)
    assert (await adapter.probe()).startswith("xAPI LRS (1.0.3")


async def test_completions_follow_more_and_keep_the_first_completion() -> None:
    seen: list[httpx.Request] = []
    completions = await connector(lrs(seen)).completions(RAJ)
    assert [(c.course.name, c.completed_at) for c in completions] == [
        ("Solution Selling", datetime(2024, 9, 15, 16, 45, tzinfo=UTC))
    ]
    # The relative 'more' IRL resolves against the LRS host.
    assert (
        str(seen[-1].url) == "https://lrs.vendor.example/lrs/xapi/statements?more=c2Vjb25kLXBhZ2U"
    )


async def test_enrolments_date_from_registration_with_progress() -> None:
    enrolments = await connector(lrs()).enrolments(RAJ)
    assert [(e.course.name, e.progress) for e in enrolments] == [
        ("Cloud Migration Playbook", Decimal("0.4")),
        ("Solution Selling", Decimal(1)),
    ]
    assert enrolments[1].enrolled_at == datetime(2024, 9, 1, 6, 30, tzinfo=UTC)
    assert enrolments[1].completed_at == datetime(2024, 9, 15, 16, 45, tzinfo=UTC)


async def test_passes_and_failures_are_quiz_results_with_scaled_scores() -> None:
    results = await connector(lrs()).quiz_results(RAJ)
    assert [(r.name, r.score, r.passed) for r in results] == [
        ("Cloud Migration Playbook: final assessment", Decimal("0.6"), False),
        ("Solution Selling: final assessment", Decimal("0.85"), True),
    ]


async def test_certifications_come_from_the_configured_verb_and_activity_type() -> None:
    every = await connector(lrs()).certifications(RAJ)
    assert {c.name for c in every} == {"Certified Sales Associate", "Weekly streak"}
    badges = await connector(
        lrs(), certification_activity_types=[BADGE_TYPE], certification_level_extension=LEVEL
    ).certifications(RAJ)
    assert [(c.name, c.level) for c in badges] == [("Certified Sales Associate", "Associate")]


async def test_more_pointing_to_another_host_is_refused() -> None:
    body = {"statements": [], "more": "https://elsewhere.example/steal?more=1"}
    handler = lrs(completed=httpx.Response(200, json=body))
    with pytest.raises(MalformedResponse, match="another host"):
        await connector(handler).completions(RAJ)


async def test_endless_paging_stops_at_max_pages() -> None:
    body = {"statements": [], "more": "/lrs/xapi/statements?more=c2Vjb25kLXBhZ2U"}

    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    with pytest.raises(MalformedResponse, match="more than 3 pages"):
        await connector(loop, max_pages=3).completions(RAJ)


@pytest.mark.parametrize(
    "body",
    [
        b'{"statements": [{"id": "x", "verb": {"id": "http://adlnet.gov/exp',
        b'{"statements": {"0": {}}, "more": ""}',
        b'{"more": ""}',
        b'{"statements": [{"id": "x", "verb": {}, "object": {"id": "a"}, "timestamp": "2024-01-01T00:00:00Z"}]}',
        b'{"statements": [{"id": "x", "verb": {"id": "v"}, "object": {"id": "a"}, "timestamp": "yesterday"}]}',
        b'{"statements": [{"id": "x", "verb": {"id": "v"}, "object": {"id": "a"}, "timestamp": "2024-01-01T00:00:00"}]}',
        b'{"statements": [{"id": "x", "verb": {"id": "v"}, "object": {"objectType": "Agent", "mbox": "mailto:a@b"}, "timestamp": "2024-01-01T00:00:00Z"}]}',
        b'{"statements": [], "more": 7}',
        b'{"statements": [{"id": "x", "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}, "object": {"id": "a"}, "result": {"score": {"scaled": 3}}, "timestamp": "2024-01-01T00:00:00Z"}]}',
    ],
)
async def test_wrong_shapes_are_malformed_responses(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        await connector(lrs(passed=httpx.Response(200, content=body))).quiz_results(RAJ)


async def test_refused_credentials_and_outages() -> None:
    with pytest.raises(BackendAuthError):
        await connector(lrs(statements=httpx.Response(401, text="Unauthorized"))).probe()
    with pytest.raises(BackendUnavailable):
        await connector(lrs(about=httpx.Response(502, text="Bad gateway"))).probe()
    no_secret = ConnectorConfig(name="lrs", kind=Kind.LMS, adapter="xapi", base_url=LRS)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lrs())) as http:
        with pytest.raises(BackendAuthError):
            await XAPIConnector(no_secret, http).completions(RAJ)


# --- against the sandbox LRS, over a real socket -------------------------------


async def test_the_adapter_reads_the_sandbox_lrs_over_a_socket() -> None:
    knobs = Knobs()
    app = sandbox.create_app(knobs, today=datetime.now(UTC).date(), page_cap=5)
    async with serving(app) as base_url, httpx.AsyncClient() as http:
        config = ConnectorConfig(
            name="lrs",
            kind=Kind.LMS,
            adapter="xapi",
            base_url=f"{base_url}/xapi",
            secrets={"username": sandbox.DEMO_KEY, "password": sandbox.DEMO_SECRET},
            options={"certification_level_extension": SANDBOX_LEVEL},
        )
        adapter = XAPIConnector(config, http)
        assert "1.0.3" in await adapter.probe()
        before = knobs.requests
        enrolments = await adapter.enrolments(RAJ)
        assert knobs.requests - before > 2  # pages of at most five statements
        completions = await adapter.completions(RAJ)
        assert {c.course.id for c in completions} == {
            e.course.id for e in enrolments if e.completed_at
        }
        quizzes = await adapter.quiz_results(RAJ)
        assert quizzes
        assert all(r.passed == (r.score >= Decimal("0.7")) for r in quizzes)
        for certification in await adapter.certifications(PersonRef("owner@globex.example")):
            assert certification.level in {"Associate", "Professional"}

        dormant = await adapter.quiz_results(PersonRef("owner@initech.example"))
        assert dormant
        assert all(datetime.now(UTC) - r.attempted_at > timedelta(days=150) for r in dormant)

        wrong = ConnectorConfig(
            name="lrs",
            kind=Kind.LMS,
            adapter="xapi",
            base_url=f"{base_url}/xapi",
            secrets={"username": "key", "password": "guess"},
        )
        with pytest.raises(BackendAuthError):
            await XAPIConnector(wrong, http).probe()
        knobs.update({"malformed": True})
        with pytest.raises(MalformedResponse):
            await adapter.completions(RAJ)


async def test_the_sandbox_store_is_deterministic() -> None:
    assert sandbox.statements(date(2026, 1, 5)) == sandbox.statements(date(2026, 1, 5))
