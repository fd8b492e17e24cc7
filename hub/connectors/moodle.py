"""Moodle, over its web services REST protocol (``/webservice/rest/server.php``).

Every call is a ``POST`` of ``wstoken``, ``wsfunction`` and the function's
parameters, with ``moodlewsrestformat=json``. Moodle answers errors with
HTTP 200 and a body ``{"exception", "errorcode", "message"}``; those become
:class:`BackendAuthError` for token and capability problems and
:class:`BackendError` otherwise. The token is sent in the body, never the
query string, so it stays out of access logs.

Functions used (the web service must allow them): ``core_webservice_get_site_info``,
``core_user_get_users_by_field``, ``core_enrol_get_users_courses``,
``core_completion_get_course_completion_status``, ``core_badges_get_user_badges``,
``gradereport_user_get_grade_items`` and, for the content library,
``core_course_get_courses_by_field`` and ``mod_resource_get_resources_by_courses``
(every file resource of the courses the service can see; a video file makes a
video item, the course is its collection, and the resource's page is both where
it opens and the xAPI activity id a Moodle LRS plugin reports it under).

Options: ``certification_levels`` (words looked for in a badge's name to
give the certification's level, first match wins; default Expert,
Professional, Associate), ``quiz_pass_mark`` (share of the grade range that
passes a quiz, default 0.7; Moodle's grade report does not say), and
``max_parallel`` (calls per person in flight at once, default 4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from markupsafe import Markup

from hub.connectors import shapes
from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    ConnectorConfig,
    MalformedResponse,
)
from hub.connectors.content import ContentKind, ContentRecord
from hub.connectors.records import (
    Certification,
    Completion,
    Course,
    Enrolment,
    PersonRef,
    QuizResult,
)
from hub.connectors.wire import json_body, raise_for_status, send
from hub.connectors.writes import PersonAccount

log = logging.getLogger("hub.connectors.moodle")

ENDPOINT = "/webservice/rest/server.php"
# Error codes meaning "these credentials may not do this", as opposed to a bad call.
AUTH_ERROR_CODES = frozenset(
    {"invalidtoken", "accessexception", "usernotfullysetup", "requireloginerror", "nopermissions"}
)
# A course without completion tracking answers the status call with one of these.
NO_COMPLETION_CODES = frozenset({"err_nocompletion", "nocriteriaset", "completionnotenabled"})


class MoodleError(BackendError):
    """Moodle answered with an exception body; ``errorcode`` is Moodle's own code."""

    def __init__(self, message: str, errorcode: str) -> None:
        super().__init__(message)
        self.errorcode = errorcode


class MoodleConnector:
    """An LMS connector for one Moodle site."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._endpoint = config.base_url.rstrip("/") + ENDPOINT
        options = config.options
        self._levels: tuple[str, ...] = tuple(
            options.get("certification_levels", ("Expert", "Professional", "Associate"))
        )
        self._pass_mark = Decimal(str(options.get("quiz_pass_mark", "0.7")))
        self._parallel = asyncio.Semaphore(int(options.get("max_parallel", 4)))

    # --- the LMS interface ----------------------------------------------------

    async def probe(self) -> str:
        site = shapes.obj(await self._call("core_webservice_get_site_info"), "site info")
        return (
            f"Moodle {shapes.optional_text(site, 'release', 'site info') or '?'} at "
            f"{shapes.text(site, 'sitename', 'site info')!r} as "
            f"{shapes.text(site, 'username', 'site info')}"
        )

    async def enrolments(self, person: PersonRef) -> list[Enrolment]:
        user_id = await self._user_id(person.email)
        if user_id is None:
            return []
        return [
            Enrolment(
                course=course.course,
                email=person.email,
                progress=course.progress,
                completed_at=None,
            )
            for course in await self._courses(user_id)
        ]

    async def completions(self, person: PersonRef) -> list[Completion]:
        user_id = await self._user_id(person.email)
        if user_id is None:
            return []
        courses = [c for c in await self._courses(user_id) if c.tracks_completion]
        statuses = await asyncio.gather(*(self._completed_at(c, user_id) for c in courses))
        found = [
            Completion(course=c.course, email=person.email, completed_at=at, source="moodle")
            for c, at in zip(courses, statuses, strict=True)
            if at is not None
        ]
        return sorted(found, key=lambda completion: completion.completed_at, reverse=True)

    async def certifications(self, person: PersonRef) -> list[Certification]:
        user_id = await self._user_id(person.email)
        if user_id is None:
            return []
        answer = shapes.obj(
            await self._call("core_badges_get_user_badges", userid=user_id), "badges"
        )
        held = []
        for index, raw in enumerate(
            shapes.arr(shapes.member(answer, "badges", "badges"), "badges")
        ):
            where = f"badges[{index}]"
            badge = shapes.obj(raw, where)
            issued = shapes.unix_time(shapes.member(badge, "dateissued", where), where)
            if issued is None:
                continue
            name = shapes.text(badge, "name", where)
            held.append(
                Certification(
                    id=shapes.optional_text(badge, "uniquehash", where)
                    or str(shapes.integer(badge, "id", where)),
                    name=name,
                    level=self._level_of(name),
                    email=person.email,
                    issued_at=issued,
                    expires_at=shapes.unix_time(badge.get("dateexpire"), f"{where}.dateexpire"),
                )
            )
        return sorted(held, key=lambda certification: certification.issued_at, reverse=True)

    async def quiz_results(self, person: PersonRef) -> list[QuizResult]:
        user_id = await self._user_id(person.email)
        if user_id is None:
            return []
        courses = await self._courses(user_id)
        per_course = await asyncio.gather(
            *(self._quiz_grades(c.course, user_id, person.email) for c in courses)
        )
        results = [result for grades in per_course for result in grades]
        return sorted(results, key=lambda result: result.attempted_at, reverse=True)

    async def content(self) -> list[ContentRecord]:
        """File resources of every course, as library items."""
        courses = shapes.arr(
            shapes.member(
                shapes.obj(await self._call("core_course_get_courses_by_field"), "courses"),
                "courses",
                "answer",
            ),
            "courses",
        )
        names = {}
        for index, raw in enumerate(courses):
            course = shapes.obj(raw, f"courses[{index}]")
            names[shapes.integer(course, "id", f"courses[{index}]")] = shapes.text(
                course, "fullname", f"courses[{index}]"
            )
        answer = shapes.obj(await self._call("mod_resource_get_resources_by_courses"), "answer")
        found = []
        for index, raw in enumerate(
            shapes.arr(shapes.member(answer, "resources", "answer"), "resources")
        ):
            where = f"resources[{index}]"
            resource = shapes.obj(raw, where)
            if resource.get("visible") is False:
                continue
            files = shapes.arr(resource.get("contentfiles") or [], f"{where}.contentfiles")
            first = shapes.obj(files[0], f"{where}.contentfiles[0]") if files else {}
            mimetype = str(first.get("mimetype") or "")
            changed = datetime.fromtimestamp(
                shapes.integer(resource, "timemodified", where), tz=UTC
            )
            module = shapes.integer(resource, "coursemodule", where)
            url = f"{self._portal()}/mod/resource/view.php?id={module}"
            found.append(
                ContentRecord(
                    external_id=str(module),
                    title=shapes.text(resource, "name", where),
                    summary=_plain(shapes.optional_text(resource, "intro", where) or ""),
                    kind=ContentKind.VIDEO
                    if mimetype.startswith("video/")
                    else ContentKind.DOCUMENT,
                    language=(shapes.optional_text(resource, "lang", where) or "en")[:2] or "en",
                    url=url,
                    published_at=changed,
                    updated_at=changed,
                    collection=names.get(shapes.integer(resource, "course", where), ""),
                    activity_id=url,
                )
            )
        return found

    # --- Moodle calls ---------------------------------------------------------

    async def _call(self, function: str, **parameters: Any) -> Any:
        token = self.config.secrets.get("token")
        if not token:
            raise BackendAuthError(f"{self.config.name}: no web service token is configured")
        form = {"wstoken": token, **_flatten(parameters)}
        async with self._parallel:
            response = await send(
                self._http,
                self.config.name,
                "POST",
                self._endpoint,
                time_limit=self.config.timeout,
                params={"wsfunction": function, "moodlewsrestformat": "json"},
                data=form,
            )
        raise_for_status(response, self.config.name)
        answer = json_body(response, self.config.name)
        if isinstance(answer, dict) and "exception" in answer:
            raise self._error(function, answer)
        return answer

    def _error(self, function: str, answer: Mapping[str, Any]) -> BackendError:
        code = answer.get("errorcode")
        code = code if isinstance(code, str) else "unknown"
        message = f"{self.config.name}: {function} failed with Moodle error {code!r}"
        if code in AUTH_ERROR_CODES:
            return BackendAuthError(message)
        return MoodleError(message, code)

    async def _user_id(self, email: str) -> int | None:
        answer = await self._call("core_user_get_users_by_field", field="email", values=[email])
        users = shapes.arr(answer, "users")
        for index, raw in enumerate(users):
            user = shapes.obj(raw, f"users[{index}]")
            found = shapes.optional_text(user, "email", f"users[{index}]")
            if found is not None and found.lower() == email.lower():
                return shapes.integer(user, "id", f"users[{index}]")
        return None

    async def _courses(self, user_id: int) -> list[_EnrolledCourse]:
        answer = await self._call("core_enrol_get_users_courses", userid=user_id)
        courses = []
        for index, raw in enumerate(shapes.arr(answer, "courses")):
            where = f"courses[{index}]"
            course = shapes.obj(raw, where)
            course_id = shapes.integer(course, "id", where)
            progress = course.get("progress")
            share = (
                Decimal(0)
                if progress is None
                else min(Decimal(1), max(Decimal(0), shapes.as_decimal(progress, where) / 100))
            )
            if course.get("completed") is True:
                share = Decimal(1)
            courses.append(
                _EnrolledCourse(
                    course=Course(
                        id=str(course_id),
                        name=shapes.text(course, "fullname", where),
                        url=f"{self._portal()}/course/view.php?id={course_id}",
                    ),
                    progress=share,
                    tracks_completion=shapes.as_bool(course.get("enablecompletion", True), where),
                )
            )
        return courses

    async def _completed_at(self, course: _EnrolledCourse, user_id: int) -> datetime | None:
        try:
            answer = await self._call(
                "core_completion_get_course_completion_status",
                courseid=int(course.course.id),
                userid=user_id,
            )
        except MoodleError as exc:
            if exc.errorcode in NO_COMPLETION_CODES:
                return None
            raise
        where = "completion status"
        status = shapes.obj(
            shapes.member(shapes.obj(answer, where), "completionstatus", where), where
        )
        if not shapes.as_bool(shapes.member(status, "completed", where), f"{where}.completed"):
            return None
        times = [
            shapes.unix_time(shapes.obj(c, f"{where}.completions").get("timecompleted"), where)
            for c in shapes.arr(status.get("completions", []), f"{where}.completions")
        ]
        known = [moment for moment in times if moment is not None]
        # Moodle marks a course complete only once every criterion is; the last one's time is the course's.
        return max(known) if known else None

    async def _quiz_grades(self, course: Course, user_id: int, email: str) -> list[QuizResult]:
        answer = shapes.obj(
            await self._call(
                "gradereport_user_get_grade_items", courseid=int(course.id), userid=user_id
            ),
            "grade items",
        )
        results = []
        for grades in shapes.arr(shapes.member(answer, "usergrades", "grade items"), "usergrades"):
            items = shapes.member(shapes.obj(grades, "usergrades[]"), "gradeitems", "usergrades[]")
            for index, raw in enumerate(shapes.arr(items, "gradeitems")):
                where = f"gradeitems[{index}]"
                item = shapes.obj(raw, where)
                if item.get("itemmodule") != "quiz" or item.get("graderaw") is None:
                    continue
                raw_grade = shapes.as_decimal(item["graderaw"], f"{where}.graderaw")
                low = shapes.as_decimal(shapes.member(item, "grademin", where), f"{where}.grademin")
                high = shapes.as_decimal(
                    shapes.member(item, "grademax", where), f"{where}.grademax"
                )
                if high <= low:
                    raise MalformedResponse(f"{where}: grademax is not above grademin")
                score = min(Decimal(1), max(Decimal(0), (raw_grade - low) / (high - low)))
                graded = shapes.unix_time(item.get("gradedategraded"), f"{where}.gradedategraded")
                graded = graded or shapes.unix_time(
                    item.get("gradedatesubmitted"), f"{where}.gradedatesubmitted"
                )
                if graded is None:
                    continue
                results.append(
                    QuizResult(
                        activity_id=f"{course.id}:quiz:{shapes.integer(item, 'iteminstance', where)}",
                        name=shapes.optional_text(item, "itemname", where) or "Quiz",
                        email=email,
                        score=score.quantize(Decimal("0.0001")),
                        passed=score >= self._pass_mark,
                        attempted_at=graded,
                    )
                )
        return results

    def _level_of(self, badge_name: str) -> str:
        lowered = badge_name.lower()
        return next((level for level in self._levels if level.lower() in lowered), "")

    async def provision_person(self, person: PersonRef, account: PersonAccount) -> str:
        """``core_user_update_users`` (``suspended`` 0/1), ``core_user_create_users`` if new."""
        user_id = await self._user_id(person.email)
        if user_id is None:
            if not account.active:
                return ""  # nobody to suspend
            created = await self._call(
                "core_user_create_users",
                **_records(
                    "users",
                    {
                        "username": account.email.lower(),
                        "email": account.email,
                        "firstname": account.first_name or account.email.split("@")[0],
                        "lastname": account.last_name or "-",
                        "auth": self.config.options.get("auth", "oauth2"),
                    },
                ),
            )
            # Moodle answers a list of {"id", "username"}, one per created user.
            if not isinstance(created, list) or not created:
                raise MalformedResponse(f"{self.config.name}: core_user_create_users said nothing")
            return str(shapes.integer(shapes.obj(created[0], "[0]"), "id", "[0]"))
        fields: dict[str, object] = {"id": user_id, "suspended": 0 if account.active else 1}
        if account.first_name:
            fields["firstname"] = account.first_name
        if account.last_name:
            fields["lastname"] = account.last_name
        await self._call("core_user_update_users", **_records("users", fields))
        return str(user_id)

    def _portal(self) -> str:
        return (self.config.portal_url or self.config.base_url).rstrip("/")


@dataclass(frozen=True, slots=True)
class _EnrolledCourse:
    course: Course
    progress: Decimal
    tracks_completion: bool


def _flatten(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Moodle's REST encoding of arrays: ``values[0]=…``, ``values[1]=…``."""
    form: dict[str, str] = {}
    for name, value in parameters.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            for index, element in enumerate(value):
                form[f"{name}[{index}]"] = str(element)
        else:
            form[name] = str(value)
    return form


def _plain(html: str) -> str:
    """The text of a Moodle intro (HTML): tags dropped, entities read, whitespace folded."""
    # Markup only to read the HTML; the plain text it gives back is escaped where shown.
    return Markup(html).striptags()  # noqa: S704


def _records(name: str, record: Mapping[str, object]) -> dict[str, object]:
    """One record of a Moodle array-of-structures parameter: ``users[0][email]=…``."""
    return {f"{name}[0][{key}]": value for key, value in record.items()}
