"""A Moodle site's web services REST endpoint, seeded from the demo cast.

Speaks ``/webservice/rest/server.php`` (GET or POST; ``wstoken``,
``wsfunction``, ``moodlewsrestformat=json``) for the functions the hub's
Moodle adapter calls, with Moodle's own answer shapes and its habit of
reporting errors as HTTP 200 with an exception body. Figures are
deterministic: each person's courses, progress, grades and badges are drawn
from a random generator seeded with their email, and times are counted back
from ``today``. Initech's people last learned anything months ago.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from hub.connectors.sandboxes.content_seed import MOODLE_RESOURCES
from hub.connectors.sandboxes.content_seed import moment as content_moment
from hub.connectors.sandboxes.knobs import Knobs, with_knobs
from hub.connectors.sandboxes.moodle_seed import (
    BADGES,
    COURSE_NAMES,
    COURSES,
    Enrolment,
    Learner,
    learners,
)

DEMO_TOKEN = "sandbox-moodle-token"  # noqa: S105 - a public demo credential, not a secret
RELEASE = "4.3.2+ (Build: 20240118)"


def create_app(
    knobs: Knobs | None = None, *, token: str = DEMO_TOKEN, today: date | None = None
) -> ASGIApp:
    """The sandbox as an ASGI app; ``knobs`` (shared, mutable) dial in faults."""
    day = today or datetime.now(UTC).date()
    site = _Site(learners(day), token, day)
    app = Starlette(
        routes=[Route("/webservice/rest/server.php", site.serve, methods=["GET", "POST"])]
    )
    return with_knobs(app, knobs or Knobs())


class _Site:
    def __init__(self, people: dict[str, Learner], token: str, today: date) -> None:
        self.people = people
        self.today = today
        self.by_id = {learner.id: learner for learner in people.values()}
        self.token = token
        # Accounts the hub suspended or created (core_user_update_users / create_users).
        self.suspended: set[int] = set()

    async def serve(self, request: Request) -> JSONResponse:
        values: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            values.update({key: value for key, value in form.items() if isinstance(value, str)})
        if values.get("moodlewsrestformat") != "json":
            # Real Moodle would answer XML; the hub always asks for JSON.
            return _exception("invalid_parameter_exception", "invalidparameter", "Only JSON here")
        if values.get("wstoken") != self.token:
            return _exception("moodle_exception", "invalidtoken", "Invalid token - token not found")
        handler = {
            "core_webservice_get_site_info": self._site_info,
            "core_user_get_users_by_field": self._users_by_field,
            "core_enrol_get_users_courses": self._users_courses,
            "core_completion_get_course_completion_status": self._completion_status,
            "core_badges_get_user_badges": self._user_badges,
            "gradereport_user_get_grade_items": self._grade_items,
            "core_course_get_courses_by_field": self._courses,
            "mod_resource_get_resources_by_courses": self._resources,
            "core_user_update_users": self._update_users,
            "core_user_create_users": self._create_users,
        }.get(values.get("wsfunction", ""))
        if handler is None:
            return _exception(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table external_functions.",
            )
        try:
            return JSONResponse(handler(values, str(request.base_url).rstrip("/")))
        except (KeyError, ValueError):
            return _exception(
                "invalid_parameter_exception",
                "invalidparameter",
                "Invalid parameter value detected",
            )

    def _courses(self, values: dict[str, str], site: str) -> dict[str, Any]:
        courses = {item.collection for item in MOODLE_RESOURCES}
        return {
            "courses": [
                {"id": course_id, "shortname": short, "fullname": name, "lang": ""}
                for course_id, short, name in COURSES
                if name in courses
            ],
            "warnings": [],
        }

    def _resources(self, values: dict[str, str], site: str) -> dict[str, Any]:
        """Every course's file resources (no ``courseids``: all the service can see)."""
        ids = {name: course_id for course_id, _, name in COURSES}
        today = self.today
        resources = []
        for item in MOODLE_RESOURCES:
            changed = _unix(content_moment(today, item.age_days))
            video = item.kind == "video"
            filename = f"resource-{item.number}.{'mp4' if video else 'pdf'}"
            resources.append(
                {
                    "id": item.number,
                    "coursemodule": 500 + item.number,
                    "course": ids[item.collection],
                    "name": item.title,
                    "intro": f"<p>{item.summary}</p>",
                    "introformat": 1,
                    "lang": item.language,
                    "contentfiles": [
                        {
                            "filename": filename,
                            "filepath": "/",
                            "filesize": 48_000_000 if video else 900_000,
                            "fileurl": f"{site}/webservice/pluginfile.php/{item.number}/"
                            f"mod_resource/content/1/{filename}",
                            "timemodified": changed,
                            "mimetype": "video/mp4" if video else "application/pdf",
                        }
                    ],
                    "timemodified": changed,
                    "visible": True,
                }
            )
        return {"resources": resources, "warnings": []}

    def _learner(self, values: dict[str, str]) -> Learner:
        learner = self.by_id.get(int(values["userid"]))
        if learner is None:
            raise KeyError("userid")
        return learner

    def _site_info(self, values: dict[str, str], site: str) -> dict[str, Any]:
        return {
            "sitename": "Partner Academy (sandbox)",
            "username": "hub-service",
            "firstname": "Partner",
            "lastname": "Hub",
            "fullname": "Partner Hub",
            "lang": "en",
            "userid": 2,
            "siteurl": site,
            "userpictureurl": f"{site}/theme/image.php/boost/core/1/u/f1",
            "functions": [
                {"name": name, "version": "2023100900"}
                for name in (
                    "core_webservice_get_site_info",
                    "core_user_get_users_by_field",
                    "core_enrol_get_users_courses",
                    "core_completion_get_course_completion_status",
                    "core_badges_get_user_badges",
                    "gradereport_user_get_grade_items",
                    "core_course_get_courses_by_field",
                    "mod_resource_get_resources_by_courses",
                    "core_user_update_users",
                    "core_user_create_users",
                )
            ],
            "downloadfiles": 0,
            "uploadfiles": 0,
            "release": RELEASE,
            "version": "2023100902.03",
            "mobilecssurl": "",
            "advancedfeatures": [{"name": "enablebadges", "value": 1}],
            "usercanmanageownfiles": True,
            "userquota": 0,
            "usermaxuploadfilesize": -1,
            "userhomepage": 1,
            "siteid": 1,
            "sitecalendartype": "gregorian",
            "usercalendartype": "gregorian",
            "theme": "boost",
        }

    def _users_by_field(self, values: dict[str, str], site: str) -> list[dict[str, Any]]:
        if values.get("field") != "email":
            raise ValueError("field")
        wanted = {v.lower() for k, v in values.items() if k.startswith("values[")}
        return [
            {
                "id": learner.id,
                "username": learner.email.replace("@", "."),
                "firstname": learner.first,
                "lastname": learner.last,
                "fullname": f"{learner.first} {learner.last}",
                "email": learner.email,
                "department": "",
                "firstaccess": _unix(learner.enrolments[0].started) if learner.enrolments else 0,
                "lastaccess": _unix(learner.last_access),
                "auth": "manual",
                "suspended": learner.id in self.suspended,
                "confirmed": True,
                "lang": "en",
                "theme": "",
                "timezone": "99",
                "mailformat": 1,
                "description": "",
                "descriptionformat": 1,
                "profileimageurlsmall": f"{site}/theme/image.php/boost/core/1/u/f2",
                "profileimageurl": f"{site}/theme/image.php/boost/core/1/u/f1",
            }
            for learner in self.people.values()
            if learner.email.lower() in wanted
        ]

    def _update_users(self, values: dict[str, str], site: str) -> dict[str, Any]:
        learner = self.by_id.get(int(values["users[0][id]"]))
        if learner is None:
            raise KeyError("users[0][id]")
        suspended = values.get("users[0][suspended]")
        if suspended is not None:
            (self.suspended.add if suspended == "1" else self.suspended.discard)(learner.id)
        first, last = values.get("users[0][firstname]"), values.get("users[0][lastname]")
        if first or last:
            renamed = replace(learner, first=first or learner.first, last=last or learner.last)
            self.people[learner.email] = self.by_id[learner.id] = renamed
        return {"warnings": []}

    def _create_users(self, values: dict[str, str], site: str) -> list[dict[str, Any]]:
        email = values["users[0][email]"].lower()
        if email in self.people:
            raise ValueError("email")
        learner = Learner(
            id=max(self.by_id, default=1) + 1,
            email=email,
            first=values["users[0][firstname]"],
            last=values["users[0][lastname]"],
            last_access=datetime.now(UTC),
            enrolments=(),
        )
        self.people[email] = self.by_id[learner.id] = learner
        return [{"id": learner.id, "username": values["users[0][username]"]}]

    def _users_courses(self, values: dict[str, str], site: str) -> list[dict[str, Any]]:
        learner = self._learner(values)
        names = {course_id: (short, full) for course_id, short, full in COURSES}
        return [
            {
                "id": e.course_id,
                "shortname": names[e.course_id][0],
                "fullname": names[e.course_id][1],
                "displayname": names[e.course_id][1],
                "enrolledusercount": 40 + e.course_id * 7,
                "idnumber": "",
                "visible": 1,
                "summary": f"<p>{names[e.course_id][1]} for partners.</p>",
                "summaryformat": 1,
                "format": "topics",
                "showgrades": True,
                "lang": "",
                "enablecompletion": True,
                "completionhascriteria": True,
                "completionusertracked": True,
                "category": 1,
                "progress": e.progress,
                "completed": e.completed is not None,
                "startdate": _unix(e.started),
                "enddate": 0,
                "marker": 0,
                "lastaccess": _unix(learner.last_access),
                "isfavourite": False,
                "hidden": False,
                "overviewfiles": [],
                "showactivitydates": True,
                "showcompletionconditions": True,
                "timemodified": _unix(e.started),
            }
            for e in learner.enrolments
        ]

    def _enrolment(self, values: dict[str, str]) -> Enrolment:
        course_id = int(values["courseid"])
        for enrolment in self._learner(values).enrolments:
            if enrolment.course_id == course_id:
                return enrolment
        raise KeyError("courseid")

    def _completion_status(self, values: dict[str, str], site: str) -> dict[str, Any]:
        e = self._enrolment(values)
        return {
            "completionstatus": {
                "completed": e.completed is not None,
                "aggregation": 1,
                "completions": [
                    {
                        "type": 4,
                        "title": "Activity completion",
                        "status": "Yes" if e.completed else "No",
                        "complete": e.completed is not None,
                        "timecompleted": _unix(e.completed) if e.completed else None,
                        "details": {
                            "type": "Activity completion",
                            "criteria": "Final quiz",
                            "requirement": "Marking yourself complete",
                            "status": "",
                        },
                    }
                ],
            },
            "warnings": [],
        }

    def _user_badges(self, values: dict[str, str], site: str) -> dict[str, Any]:
        learner = self._learner(values)
        done = {e.course_id: e.completed for e in learner.enrolments if e.completed}
        badges = []
        for badge_id, name, needs in BADGES:
            if not all(course in done for course in needs):
                continue
            issued = max(done[course] for course in needs if done[course]) + timedelta(hours=1)
            expires = issued + timedelta(days=730)
            badges.append(
                {
                    "id": badge_id,
                    "name": name,
                    "description": f"Awarded for completing the {name} path.",
                    "timecreated": _unix(issued) - 86_400 * 400,
                    "timemodified": _unix(issued) - 86_400 * 30,
                    "usercreated": 2,
                    "usermodified": 2,
                    "issuername": "Vendor Partner Academy",
                    "issuerurl": site,
                    "issuercontact": "academy@vendor.example",
                    "expiredate": None,
                    "expireperiod": 730 * 86_400,
                    "type": 1,
                    "courseid": None,
                    "message": "Congratulations!",
                    "messagesubject": "You earned a badge",
                    "attachment": 1,
                    "notification": 1,
                    "nextcron": None,
                    "status": 3,
                    "issuedid": badge_id * 1000 + learner.id,
                    "uniquehash": f"{badge_id:04x}{learner.id:08x}{'0' * 28}",
                    "dateissued": _unix(issued),
                    "dateexpire": _unix(expires),
                    "visible": 1,
                    "email": learner.email,
                    "version": "1.0",
                    "language": "en",
                    "badgeurl": f"{site}/pluginfile.php/1/badges/badgeimage/{badge_id}/f3",
                }
            )
        return {"badges": badges, "warnings": []}

    def _grade_items(self, values: dict[str, str], site: str) -> dict[str, Any]:
        learner = self._learner(values)
        e = self._enrolment(values)
        items: list[dict[str, Any]] = [
            {
                "id": e.course_id * 10,
                "itemname": f"{COURSE_NAMES[e.course_id]}: final quiz",
                "itemtype": "mod",
                "itemmodule": "quiz",
                "iteminstance": e.course_id * 3,
                "itemnumber": 0,
                "idnumber": "",
                "categoryid": e.course_id,
                "outcomeid": None,
                "scaleid": None,
                "locked": False,
                "cmid": e.course_id * 11,
                "weightraw": 1,
                "weightformatted": "100.00 %",
                "graderaw": e.quiz_grade,
                "gradedatesubmitted": _unix(e.quiz_graded) if e.quiz_graded else None,
                "gradedategraded": _unix(e.quiz_graded) if e.quiz_graded else None,
                "gradehiddenbydate": False,
                "gradeneedsupdate": False,
                "gradeishidden": False,
                "gradeislocked": False,
                "gradeisoverridden": False,
                "gradeformatted": f"{e.quiz_grade:.2f}" if e.quiz_grade is not None else "-",
                "grademin": 0,
                "grademax": 10,
                "rangeformatted": "0.00&ndash;10.00",
                "percentageformatted": f"{e.quiz_grade * 10:.2f} %" if e.quiz_grade else "-",
                "feedback": "",
                "feedbackformat": 0,
            },
            {
                "id": e.course_id * 10 + 1,
                "itemname": None,
                "itemtype": "course",
                "itemmodule": None,
                "iteminstance": e.course_id,
                "itemnumber": None,
                "idnumber": "",
                "categoryid": None,
                "outcomeid": None,
                "scaleid": None,
                "locked": False,
                "graderaw": e.quiz_grade * 10 if e.quiz_grade is not None else None,
                "gradedatesubmitted": None,
                "gradedategraded": _unix(e.quiz_graded) if e.quiz_graded else None,
                "grademin": 0,
                "grademax": 100,
                "feedback": "",
                "feedbackformat": 0,
            },
        ]
        return {
            "usergrades": [
                {
                    "courseid": e.course_id,
                    "courseidnumber": "",
                    "userid": learner.id,
                    "userfullname": f"{learner.first} {learner.last}",
                    "useridnumber": "",
                    "maxdepth": 2,
                    "gradeitems": items,
                }
            ],
            "warnings": [],
        }


def _exception(exception: str, errorcode: str, message: str) -> JSONResponse:
    # Moodle reports web service errors with HTTP 200; the body says what went wrong.
    return JSONResponse({"exception": exception, "errorcode": errorcode, "message": message})


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())
