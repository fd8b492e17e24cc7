"""Any xAPI 1.0.3 Learning Record Store, through its statements API.

The hub asks ``GET {base_url}/statements`` for one person's statements
(``agent={"mbox": "mailto:…"}``) with one ``verb`` at a time and a ``since``
bound, following the ``more`` link (an IRL relative to the LRS host) until
it is empty. Every request carries ``X-Experience-API-Version: 1.0.3`` and
HTTP Basic credentials (``username`` and ``password`` secrets: the LRS's
key and secret).

For the content library, ``completed`` statements are also read by activity
(``activity=<id>``): who finished a video or course the library links to. The
library's items are the videos, courses and assessments statements referenced in
the last ``library_days`` (default 90), with their definitions from the Activities
resource (:mod:`hub.connectors.xapi_library`).

Verbs (ADL vocabulary): ``registered``/``attempted`` → enrolment,
``completed`` → completion, ``passed``/``failed`` → quiz result. A
certification is a statement whose verb is one of ``certification_verbs``
(default ``http://id.tincanapi.com/verb/earned``) and, when
``certification_activity_types`` is set, whose activity has one of those
types; its level is read from the activity definition extension named by
``certification_level_extension``, if any. Other options: ``lookback_days``
(default 730), ``library_days`` (default 90), ``library_tags_extension`` (the
definition extension whose strings are an activity's library tags, such as
``tier:Gold``; none by default), ``page_size`` (default 100), ``max_pages``
(default 50).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from hub.connectors import shapes
from hub.connectors.base import BackendAuthError, ConnectorConfig, MalformedResponse
from hub.connectors.content import ContentRecord
from hub.connectors.records import (
    Certification,
    Completion,
    Course,
    Enrolment,
    PersonRef,
    QuizResult,
)
from hub.connectors.wire import json_body, raise_for_status, send
from hub.connectors.xapi_library import library

VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi/verbs/"
REGISTERED, ATTEMPTED = ADL + "registered", ADL + "attempted"
COMPLETED, PASSED, FAILED = ADL + "completed", ADL + "passed", ADL + "failed"
EARNED = "http://id.tincanapi.com/verb/earned"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


@dataclass(frozen=True, slots=True)
class Statement:
    """The parts of an xAPI statement the hub reads."""

    id: str
    verb: str
    activity_id: str
    activity_name: str
    activity_type: str | None
    extensions: Mapping[str, Any]
    result: Mapping[str, Any]
    timestamp: datetime
    actor_email: str = ""  # from the actor's ``mbox``, where it has one


class XAPIConnector:
    """An LMS connector for one xAPI 1.0.3 LRS."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self.base = httpx.URL(config.base_url.rstrip("/") + "/")
        options = config.options
        self._certification_verbs = frozenset(options.get("certification_verbs", (EARNED,)))
        self._certification_types = frozenset(options.get("certification_activity_types", ()))
        self._level_extension: str | None = options.get("certification_level_extension")
        self._lookback = timedelta(days=int(options.get("lookback_days", 730)))
        self.library_window = timedelta(days=int(options.get("library_days", 90)))
        self.tags_extension = str(options.get("library_tags_extension") or "")
        self.page_size = int(options.get("page_size", 100))
        self._max_pages = int(options.get("max_pages", 50))

    async def probe(self) -> str:
        about = shapes.obj(await self.get(self.base.join("about"), {}), "about")
        versions = shapes.arr(shapes.member(about, "version", "about"), "about.version")
        if not any(isinstance(v, str) and v.startswith("1.0") for v in versions):
            raise MalformedResponse(f"{self.config.name}: the LRS speaks no xAPI 1.0.x version")
        await self.get(self.base.join("statements"), {"limit": "1"})  # checks the credentials
        return f"xAPI LRS ({', '.join(str(v) for v in versions)})"

    async def enrolments(self, person: PersonRef) -> list[Enrolment]:
        started, done = await asyncio.gather(
            self._statements(person, REGISTERED, ATTEMPTED), self._statements(person, COMPLETED)
        )
        completed_at = _first_time_per_activity(done)
        enrolled: dict[str, Enrolment] = {}
        # Oldest first, so the first statement about an activity dates the enrolment.
        for statement in sorted(started, key=lambda s: s.timestamp):
            if statement.activity_id in enrolled:
                continue
            finished = completed_at.get(statement.activity_id)
            enrolled[statement.activity_id] = Enrolment(
                course=_course(statement),
                email=person.email,
                progress=Decimal(1) if finished else self._progress(started, statement.activity_id),
                enrolled_at=statement.timestamp,
                completed_at=finished,
            )
        return list(reversed(enrolled.values()))  # newest enrolment first

    async def completions(self, person: PersonRef) -> list[Completion]:
        done = await self._statements(person, COMPLETED)
        first = _first_time_per_activity(done)
        courses = {s.activity_id: _course(s) for s in done}
        found = [
            Completion(course=courses[a], email=person.email, completed_at=at, source="xapi")
            for a, at in first.items()
        ]
        return sorted(found, key=lambda c: c.completed_at, reverse=True)

    async def certifications(self, person: PersonRef) -> list[Certification]:
        earned = await self._statements(person, *sorted(self._certification_verbs))
        held = {}
        for statement in sorted(earned, key=lambda s: s.timestamp):
            if (
                self._certification_types
                and statement.activity_type not in self._certification_types
            ):
                continue
            level = statement.extensions.get(self._level_extension or "")
            held[statement.activity_id] = Certification(
                id=statement.activity_id,
                name=statement.activity_name,
                level=level if isinstance(level, str) else "",
                email=person.email,
                issued_at=statement.timestamp,
            )
        return sorted(held.values(), key=lambda c: c.issued_at, reverse=True)

    async def quiz_results(self, person: PersonRef) -> list[QuizResult]:
        attempts = await self._statements(person, PASSED, FAILED)
        results = [
            QuizResult(
                activity_id=s.activity_id,
                name=s.activity_name,
                email=person.email,
                score=_scaled_score(s),
                passed=s.verb == PASSED,
                attempted_at=s.timestamp,
            )
            for s in attempts
        ]
        return sorted(results, key=lambda r: r.attempted_at, reverse=True)

    async def content(self) -> list[ContentRecord]:
        """The videos, courses and assessments statements referenced lately, as library items."""
        return await library(self)

    # --- the statements API ---------------------------------------------------

    async def completed_by(self, activity_id: str) -> list[tuple[str, datetime]]:
        """Who completed the activity (by email), and when: ``completed`` statements for it."""
        since = (datetime.now(UTC) - self._lookback).isoformat().replace("+00:00", "Z")
        found = await self._all_pages(
            {"activity": activity_id, "verb": COMPLETED, "since": since,
             "limit": str(self.page_size)}
        )  # fmt: skip
        return [(s.actor_email, s.timestamp) for s in found if s.actor_email]

    async def _statements(self, person: PersonRef, *verbs: str) -> list[Statement]:
        since = (datetime.now(UTC) - self._lookback).isoformat().replace("+00:00", "Z")
        agent = json.dumps({"mbox": f"mailto:{person.email}"}, separators=(",", ":"))
        batches = await asyncio.gather(
            *(
                self._all_pages(
                    {"agent": agent, "verb": verb, "since": since, "limit": str(self.page_size)}
                )
                for verb in verbs
            )
        )
        return [statement for batch in batches for statement in batch]

    async def _all_pages(self, query: dict[str, str]) -> list[Statement]:
        return [
            _statement(raw, f"page {n + 1} statements[{i}]")
            for n, page in enumerate(await self.pages(query))
            for i, raw in enumerate(page)
        ]

    async def pages(self, query: dict[str, str]) -> list[list[Any]]:
        """Every page of ``GET /statements?<query>``, following ``more``: raw statements."""
        url: httpx.URL = self.base.join("statements")
        params: dict[str, str] | None = query
        pages: list[list[Any]] = []
        for _ in range(self._max_pages):
            result = shapes.obj(await self.get(url, params), "StatementResult")
            pages.append(
                shapes.arr(shapes.member(result, "statements", "StatementResult"), "statements")
            )
            more = result.get("more") or ""
            if not isinstance(more, str):
                raise MalformedResponse(f"{self.config.name}: 'more' is not an IRL")
            if not more:
                return pages
            # The more IRL carries its own query; sending params would replace it.
            url, params = self._follow(more), None
        raise MalformedResponse(
            f"{self.config.name}: more than {self._max_pages} pages of statements"
        )

    def _follow(self, more: str) -> httpx.URL:
        target = self.base.join(more)
        # The credentials go with every request: never follow 'more' to another host.
        if (target.scheme, target.host, target.port) != (
            self.base.scheme,
            self.base.host,
            self.base.port,
        ):
            raise MalformedResponse(f"{self.config.name}: 'more' points to another host")
        return target

    async def get(self, url: httpx.URL, params: Mapping[str, str] | None) -> Any:
        """One request to the LRS, with its version header and credentials; the JSON."""
        username = self.config.secrets.get("username") or self.config.auth.get("username")
        password = self.config.secrets.get("password")
        if not username or password is None:
            raise BackendAuthError(f"{self.config.name}: no LRS key and secret are configured")
        response = await send(
            self._http,
            self.config.name,
            "GET",
            str(url),
            time_limit=self.config.timeout,
            params=params,
            auth=httpx.BasicAuth(username, password),
            headers={"X-Experience-API-Version": VERSION, "Accept": "application/json"},
        )
        raise_for_status(response, self.config.name)
        return json_body(response, self.config.name)

    def _progress(self, started: Sequence[Statement], activity: str) -> Decimal:
        shares = [
            shapes.as_decimal(s.result["extensions"][CMI5_PROGRESS], "progress") / 100
            for s in started
            if s.activity_id == activity
            and isinstance(s.result.get("extensions"), dict)
            and CMI5_PROGRESS in s.result["extensions"]
        ]
        return min(Decimal(1), max([Decimal(0), *shares]))


def _statement(raw: Any, where: str) -> Statement:
    statement = shapes.obj(raw, where)
    verb = shapes.obj(shapes.member(statement, "verb", where), f"{where}.verb")
    target = shapes.obj(shapes.member(statement, "object", where), f"{where}.object")
    object_type = target.get("objectType", "Activity")
    if object_type != "Activity":
        raise MalformedResponse(f"{where}.object: expected an Activity, got {object_type!r}")
    definition = shapes.obj(target.get("definition") or {}, f"{where}.object.definition")
    activity_id = shapes.text(target, "id", f"{where}.object")
    when = statement.get("timestamp") or shapes.member(statement, "stored", where)
    return Statement(
        id=shapes.text(statement, "id", where),
        verb=shapes.text(verb, "id", f"{where}.verb"),
        activity_id=activity_id,
        activity_name=_language_map(definition.get("name"), f"{where}.object.definition.name")
        or activity_id,
        activity_type=shapes.optional_text(definition, "type", f"{where}.object.definition"),
        extensions=shapes.obj(definition.get("extensions") or {}, f"{where}.object.definition"),
        result=shapes.obj(statement.get("result") or {}, f"{where}.result"),
        timestamp=shapes.iso_datetime(when, f"{where}.timestamp"),
        actor_email=_email_of(statement.get("actor")),
    )


def _email_of(actor: Any) -> str:
    mbox = actor.get("mbox") if isinstance(actor, dict) else None
    return mbox.removeprefix("mailto:").lower() if isinstance(mbox, str) else ""


def _language_map(value: Any, where: str) -> str | None:
    """The English entry of an xAPI language map, else its first entry."""
    if value is None:
        return None
    names = shapes.obj(value, where)
    for tag in ("en-US", "en-GB", "en", *names):
        name = names.get(tag)
        if isinstance(name, str) and name:
            return name
    return None


def _course(statement: Statement) -> Course:
    url = statement.activity_id if statement.activity_id.startswith("http") else None
    return Course(id=statement.activity_id, name=statement.activity_name, url=url)


def _first_time_per_activity(statements: Sequence[Statement]) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for statement in statements:
        known = first.get(statement.activity_id)
        if known is None or statement.timestamp < known:
            first[statement.activity_id] = statement.timestamp
    return first


def _scaled_score(statement: Statement) -> Decimal:
    """``result.score.scaled`` when given, else raw within min..max, else pass 1 / fail 0."""
    where = f"statement {statement.id} result.score"
    score = shapes.obj(statement.result.get("score") or {}, where)
    if score.get("scaled") is not None:
        scaled = shapes.as_decimal(score["scaled"], f"{where}.scaled")
    elif score.get("raw") is not None and score.get("max") is not None:
        low = shapes.as_decimal(score.get("min", 0), f"{where}.min")
        high = shapes.as_decimal(score["max"], f"{where}.max")
        if high <= low:
            raise MalformedResponse(f"{where}: max is not above min")
        scaled = (shapes.as_decimal(score["raw"], f"{where}.raw") - low) / (high - low)
    else:
        scaled = Decimal(1 if statement.verb == PASSED else 0)
    if not Decimal(-1) <= scaled <= Decimal(1):
        raise MalformedResponse(f"{where}: scaled score outside -1..1")
    return max(Decimal(0), scaled).quantize(Decimal("0.0001"))
