"""The LRS's activities as library items: over recorded xAPI answers, then the sandbox LRS."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from hub.connectors.base import ConnectorConfig, MalformedResponse
from hub.connectors.content import CompletionSource, ContentKind, ContentSource
from hub.connectors.records import Kind
from hub.connectors.sandboxes import xapi as sandbox
from hub.connectors.xapi import XAPIConnector

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "xapi"
LRS = "https://lrs.vendor.example/lrs/xapi"
ACTIVITIES = "https://academy.vendor.example/xapi/activities/"
VIDEO = ACTIVITIES + "video/restore-a-server"
COURSE = ACTIVITIES + "course/solution-selling"
TAGS = "https://academy.vendor.example/xapi/extensions/library-tags"
Handler = Callable[[httpx.Request], httpx.Response]
DEFINITIONS = {
    VIDEO: "activity_video.json",
    COURSE: "activity_course.json",
    ACTIVITIES + "badge/certified-sales-associate": "activity_badge.json",
    "urn:academy:quiz:solution-selling:question-3": "activity_question.json",
}


def recorded(name: str) -> httpx.Response:
    return httpx.Response(
        200,
        content=(FIXTURES / name).read_bytes(),
        headers={"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"},
    )


def lrs(seen: list[httpx.Request], **overrides: httpx.Response) -> Handler:
    """A fake LRS: two pages of statements, the Activities resource, oldest statements."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.headers["X-Experience-API-Version"] == "1.0.3"
        assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"k:s").decode()
        params = request.url.params
        if request.url.path == "/lrs/xapi/activities":
            activity_id = params["activityId"]
            return overrides.get(activity_id, recorded(DEFINITIONS[activity_id]))
        assert request.url.path == "/lrs/xapi/statements"
        if params.get("more") == "bGlicmFyeS0y":
            return recorded("library_page2.json")
        if "activity" in params:
            assert (params["ascending"], params["limit"]) == ("true", "1")
            return recorded(
                "first_video.json" if params["activity"] == VIDEO else "first_course.json"
            )
        assert params["format"] == "ids"
        assert params["since"].endswith("Z")
        return recorded("library_page1.json")

    return answer


def connector(handler: Handler, **options: object) -> XAPIConnector:
    config = ConnectorConfig(
        name="lrs",
        kind=Kind.LMS,
        adapter="xapi",
        base_url=LRS,
        secrets={"username": "k", "password": "s"},
        options=options,
    )
    return XAPIConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_it_is_a_content_source_as_well_as_a_completion_source() -> None:
    adapter = connector(lrs([]))
    assert isinstance(adapter, ContentSource)
    assert isinstance(adapter, CompletionSource)


async def test_activities_statements_referenced_become_items_per_language() -> None:
    seen: list[httpx.Request] = []
    records = await connector(lrs(seen), library_days=30).content()
    by_key = {(r.activity_id, r.language): r for r in records}
    assert set(by_key) == {(VIDEO, "en"), (VIDEO, "de"), (COURSE, "en")}  # no badge, no urn

    video = by_key[(VIDEO, "de")]
    assert video.title == "Einen Server in vier Minuten wiederherstellen"
    assert video.summary == "Ein ganzer Server aus seiner Cloud-Sicherung zurück."
    assert (video.kind, video.duration_seconds) == (ContentKind.VIDEO, 238)
    assert video.url == "https://academy.vendor.example/watch/restore-a-server"  # moreInfo
    assert video.published_at == datetime(2026, 11, 2, 9, tzinfo=UTC)  # its first statement
    assert by_key[(VIDEO, "en")].external_id != video.external_id
    assert video.tags == ()  # no tags extension configured

    course = by_key[(COURSE, "en")]
    assert (course.kind, course.title, course.url) == (
        ContentKind.COURSE,
        "Solution Selling",
        COURSE,
    )
    assert course.summary == "Selling the outcome, not the product."  # en-US for en-GB's name
    assert course.duration_seconds is None
    assert course.published_at == datetime(2025, 3, 10, 8, 0, 1, tzinfo=UTC)  # stored, no timestamp

    since = datetime.fromisoformat(seen[0].url.params["since"].replace("Z", "+00:00"))
    assert timedelta(days=29) < datetime.now(UTC) - since < timedelta(days=31)
    asked = [r.url.params["activityId"] for r in seen if r.url.path.endswith("/activities")]
    assert sorted(asked) == sorted(DEFINITIONS)  # each activity once, though named twice


@pytest.mark.parametrize(
    "definition",
    [
        {"name": {"en-US": "Clip"}, "type": "https://w3id.org/xapi/video/activity-type/video",
         "extensions": {"https://w3id.org/xapi/video/extensions/length": "four minutes"}},
        {"name": {"en-US": "Clip"}, "type": "https://w3id.org/xapi/video/activity-type/video",
         "extensions": {"https://w3id.org/xapi/video/extensions/length": -3}},
        {"name": "Clip", "type": "http://adlnet.gov/expapi/activities/course"},
        {"name": {"en-US": "Clip"}, "type": "http://adlnet.gov/expapi/activities/course",
         "moreInfo": 7},
    ],
)  # fmt: skip
async def test_wrong_definitions_are_malformed_responses(definition: dict[str, object]) -> None:
    body = json.dumps({"objectType": "Activity", "id": VIDEO, "definition": definition})
    wrong = httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(MalformedResponse):
        await connector(lrs([], **{VIDEO: wrong})).content()


async def test_tags_come_from_the_configured_definition_extension() -> None:
    records = await connector(lrs([]), library_tags_extension=TAGS).content()
    assert {r.tags for r in records if r.activity_id == VIDEO} == {("tier:Gold", "region:EMEA")}
    assert {r.tags for r in records if r.activity_id == COURSE} == {()}  # it has none
    numbers = httpx.Response(200, json={"objectType": "Activity", "id": VIDEO, "definition": {
        "name": {"en-US": "Clip"}, "type": "http://adlnet.gov/expapi/activities/media",
        "extensions": {TAGS: [1, 2]}}})  # fmt: skip
    with pytest.raises(MalformedResponse):
        await connector(lrs([], **{VIDEO: numbers}), library_tags_extension=TAGS).content()


async def test_an_answer_about_another_activity_is_refused() -> None:
    other = httpx.Response(200, json={"objectType": "Activity", "id": COURSE})
    with pytest.raises(MalformedResponse):
        await connector(lrs([], **{VIDEO: other})).content()


async def test_an_activity_with_nowhere_to_open_stays_out() -> None:
    nowhere = httpx.Response(
        200,
        json={"objectType": "Activity", "id": VIDEO, "definition": {
            "name": {"en-US": "Clip"}, "type": "http://adlnet.gov/expapi/activities/media",
            "moreInfo": "javascript:alert(1)"}},
    )  # fmt: skip
    records = await connector(lrs([], **{VIDEO: nowhere})).content()
    assert {r.activity_id for r in records} == {COURSE}


async def test_the_sandbox_lrs_offers_short_videos_in_english_and_german() -> None:
    app = sandbox.create_app(today=datetime.now(UTC).date())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as http:
        config = ConnectorConfig(
            name="lrs",
            kind=Kind.LMS,
            adapter="xapi",
            base_url="http://lrs.test/xapi",
            secrets={"username": sandbox.DEMO_KEY, "password": sandbox.DEMO_SECRET},
        )
        records = await XAPIConnector(config, http).content()
    videos = {r.language: r for r in records if "restore-a-server" in (r.activity_id or "")}
    assert videos["en"].title == "Restoring a server in four minutes"
    assert videos["de"].title == "Einen Server in vier Minuten wiederherstellen"
    assert {r.duration_seconds for r in videos.values()} == {238}  # under five minutes
    assert all(r.kind == ContentKind.VIDEO for r in videos.values())
    kinds = {r.kind for r in records}
    assert kinds == {ContentKind.VIDEO, ContentKind.COURSE, ContentKind.ASSESSMENT}  # no badges
    assert all(r.url.startswith("https://academy.vendor.example/") for r in records)
    assert len({r.external_id for r in records}) == len(records)
