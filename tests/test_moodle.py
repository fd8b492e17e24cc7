"""The Moodle adapter over recorded web-service answers, then against the sandbox over a socket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    BackendUnavailable,
    ConnectorConfig,
    LMSConnector,
    MalformedResponse,
)
from hub.connectors.moodle import MoodleConnector
from hub.connectors.records import Kind, PersonRef
from hub.connectors.sandboxes import moodle as sandbox
from hub.connectors.sandboxes.knobs import Knobs
from hub.connectors.sandboxes.moodle_seed import learners
from tests.live_server import serving

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "moodle"
SITE = "https://academy.vendor.example"
RAJ = PersonRef("rep@acme.example")
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str) -> httpx.Response:
    return httpx.Response(200, content=(FIXTURES / name).read_bytes())


def moodle_site(overrides: dict[str, httpx.Response] | None = None) -> Handler:
    """A fake Moodle answering each wsfunction from its recorded fixture."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        function = request.url.params["wsfunction"]
        assert request.url.path == "/webservice/rest/server.php"
        assert request.url.params["moodlewsrestformat"] == "json"
        assert form["wstoken"] == "t0ken"
        if overrides and function in overrides:
            return overrides[function]
        if function == "core_user_get_users_by_field":
            assert form["field"] == "email"
            if form["values[0]"] != RAJ.email:
                return httpx.Response(200, json=[])
            return recorded("users_by_field.json")
        name = {
            "core_webservice_get_site_info": "site_info.json",
            "core_enrol_get_users_courses": "users_courses.json",
            "core_badges_get_user_badges": "user_badges.json",
        }.get(function)
        if name:
            return recorded(name)
        course = form["courseid"]
        if function == "core_completion_get_course_completion_status":
            return recorded(f"completion_status_{course}.json")
        assert function == "gradereport_user_get_grade_items"
        return recorded(f"grade_items_{course}.json")

    return answer


def connector(handler: Handler, **options: object) -> MoodleConnector:
    config = ConnectorConfig(
        name="academy",
        kind=Kind.LMS,
        adapter="moodle",
        base_url=SITE,
        secrets={"token": "t0ken"},
        options=options,
    )
    return MoodleConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_it_is_an_lms_connector_and_probes_site_info() -> None:
    moodle = connector(moodle_site())
    assert isinstance(moodle, LMSConnector)
    assert await moodle.probe() == (
        "Moodle 4.3.2+ (Build: 20240118) at 'Vendor Partner Academy' as hub-service"
    )


async def test_enrolments_carry_progress_as_a_share_and_a_course_link() -> None:
    enrolments = await connector(moodle_site()).enrolments(RAJ)
    assert [(e.course.name, e.progress) for e in enrolments] == [
        ("Solution Selling", Decimal(1)),
        ("Cloud Migration Playbook", Decimal("0.625")),
        ("Pricing and Licensing", Decimal(0)),
    ]
    assert enrolments[0].course.url == f"{SITE}/course/view.php?id=3"


async def test_completions_take_the_last_criterion_time_and_skip_untracked_courses() -> None:
    completions = await connector(moodle_site()).completions(RAJ)
    assert len(completions) == 1
    assert completions[0].course.id == "3"
    assert completions[0].completed_at == datetime.fromtimestamp(1726358400, UTC)


async def test_a_course_without_completion_tracking_is_not_an_error() -> None:
    overrides = {
        "core_completion_get_course_completion_status": recorded("error_nocompletion.json")
    }
    assert await connector(moodle_site(overrides)).completions(RAJ) == []


async def test_badges_become_certifications_with_a_level_and_expiry() -> None:
    certifications = await connector(moodle_site()).certifications(RAJ)
    assert [(c.name, c.level) for c in certifications] == [
        ("Certified Sales Associate", "Associate"),
        ("Webinar attendee", ""),
    ]
    assert certifications[0].expires_at == datetime.fromtimestamp(1789434000, UTC)
    assert certifications[1].expires_at is None


async def test_quiz_results_are_scaled_and_judged_against_the_pass_mark() -> None:
    results = await connector(moodle_site(), quiz_pass_mark="0.8").quiz_results(RAJ)
    assert [(r.name, r.score, r.passed) for r in results] == [
        ("Cloud Migration Playbook: final quiz", Decimal("0.6"), False),
        ("Solution Selling: final quiz", Decimal("0.85"), True),
    ]
    assert results[0].attempted_at > results[1].attempted_at


async def test_someone_moodle_does_not_know_has_no_learning() -> None:
    assert await connector(moodle_site()).enrolments(PersonRef("nobody@acme.example")) == []


@pytest.mark.parametrize(
    ("fixture", "error"),
    [
        ("error_invalidtoken.json", BackendAuthError),
        ("error_servicenotavailable.json", BackendAuthError),
        ("error_invalidrecord.json", BackendError),
    ],
)
async def test_http_200_exception_bodies_are_errors(fixture: str, error: type[Exception]) -> None:
    overrides = {"core_webservice_get_site_info": recorded(fixture)}
    with pytest.raises(error) as raised:
        await connector(moodle_site(overrides)).probe()
    assert "t0ken" not in str(raised.value)
    if error is BackendError:
        assert not isinstance(raised.value, BackendAuthError)


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id": 3, "fullname": "Solution Sel',  # truncated
        b'{"courses": []}',  # an object where Moodle documents a list
        b'[{"id": "three", "fullname": "Solution Selling"}]',  # wrong type
        b'[{"id": 3}]',  # missing name
        b'[{"id": 3, "fullname": "S", "progress": "lots"}]',
        b"<html>Service Unavailable</html>",
        b"",
    ],
)
async def test_wrong_shapes_are_malformed_responses(body: bytes) -> None:
    overrides = {"core_enrol_get_users_courses": httpx.Response(200, content=body)}
    with pytest.raises(MalformedResponse):
        await connector(moodle_site(overrides)).enrolments(RAJ)


async def test_outages_and_timeouts_are_unavailable() -> None:
    overrides = {"core_webservice_get_site_info": httpx.Response(503, text="down")}
    with pytest.raises(BackendUnavailable):
        await connector(moodle_site(overrides)).probe()

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    with pytest.raises(BackendUnavailable):
        await connector(hang).probe()


async def test_the_token_travels_in_the_body_not_the_url() -> None:
    seen: list[httpx.Request] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return moodle_site()(request)

    await connector(spy).probe()
    assert "t0ken" not in str(seen[0].url)


async def test_a_missing_token_is_an_auth_error() -> None:
    config = ConnectorConfig(name="academy", kind=Kind.LMS, adapter="moodle", base_url=SITE)
    async with httpx.AsyncClient(transport=httpx.MockTransport(moodle_site())) as http:
        with pytest.raises(BackendAuthError):
            await MoodleConnector(config, http).probe()


# --- against the sandbox, over a real socket ----------------------------------


def sandbox_config(base_url: str, token: str = sandbox.DEMO_TOKEN) -> ConnectorConfig:
    return ConnectorConfig(
        name="academy",
        kind=Kind.LMS,
        adapter="moodle",
        base_url=base_url,
        secrets={"token": token},
    )


async def test_the_adapter_reads_the_sandbox_over_a_socket() -> None:
    today = date(2026, 11, 22)
    knobs = Knobs()
    async with (
        serving(sandbox.create_app(knobs, today=today)) as base_url,
        httpx.AsyncClient() as http,
    ):
        moodle = MoodleConnector(sandbox_config(base_url), http)
        assert (await moodle.probe()).startswith("Moodle 4.3")
        enrolments = await moodle.enrolments(RAJ)
        completions = await moodle.completions(RAJ)
        certifications = await moodle.certifications(RAJ)
        quizzes = await moodle.quiz_results(RAJ)
        assert len(enrolments) >= 4
        assert {c.course.id for c in completions} == {
            e.course.id for e in enrolments if e.progress == 1
        }
        assert all(0 <= q.score <= 1 for q in quizzes)
        assert quizzes
        assert certifications == sorted(certifications, key=lambda c: c.issued_at, reverse=True)

        # Initech is dormant: nothing learned for months.
        dormant = await moodle.quiz_results(PersonRef("owner@initech.example"))
        now = datetime(2026, 11, 22, tzinfo=UTC)
        assert dormant
        assert all(now - q.attempted_at > timedelta(days=120) for q in dormant)

        with pytest.raises(BackendAuthError):
            await MoodleConnector(sandbox_config(base_url, "wrong"), http).probe()
        knobs.update({"malformed": True})
        with pytest.raises(MalformedResponse):
            await moodle.probe()
        knobs.update({"malformed": False, "down": True})
        with pytest.raises(BackendUnavailable):
            await moodle.probe()


async def test_the_sandbox_is_deterministic() -> None:
    today = date(2026, 11, 22)
    assert learners(today) == learners(today)
