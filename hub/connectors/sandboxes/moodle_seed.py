"""The Moodle sandbox's learners: courses, progress, quiz grades and badge rules per demo person.

Each person's courses, progress and grades come from a generator seeded
with their email; times count back from ``today``. Initech's people last
learned anything months ago. The population's people start courses when their
org's story says (:mod:`hub.demo.population`): a stalled org's never finish.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hub.demo.cast import ORGS, USERS, DemoOrg, DemoUser
from hub.demo.population import Channel, Story, history_end, moments, population

COURSES = (
    (2, "PF101", "Product Fundamentals"),
    (3, "SS201", "Solution Selling"),
    (4, "IS301", "Implementation Specialist"),
    (5, "AT302", "Advanced Troubleshooting"),
    (6, "SE110", "Security Essentials"),
    (7, "CM220", "Cloud Migration Playbook"),
    (8, "PO100", "Partner Onboarding"),
    (9, "PL130", "Pricing and Licensing"),
)
COURSE_NAMES = {course_id: name for course_id, _, name in COURSES}
BADGES = (
    (11, "Certified Sales Associate", (3, 9)),
    (12, "Certified Implementation Professional", (4, 6)),
    (13, "Certified Support Expert", (4, 5)),
    (14, "Product Fundamentals Associate", (2,)),
)


@dataclass(frozen=True)
class Enrolment:
    course_id: int
    progress: float
    started: datetime
    completed: datetime | None
    quiz_grade: float | None
    quiz_graded: datetime | None


@dataclass(frozen=True)
class Learner:
    id: int
    email: str
    first: str
    last: str
    last_access: datetime
    enrolments: tuple[Enrolment, ...]


def learners(today: date) -> dict[str, Learner]:
    """Every partner person's learning record, keyed by email."""
    now = history_end(today)
    dormant = {org.slug for org in ORGS if org.dormant}
    people = {}
    for index, user in enumerate(u for u in USERS if u.org is not None):
        draw = random.Random(f"moodle:{user.email}")  # noqa: S311 - seeded demo figures
        # Dormant partners' learning stopped months ago: shift their whole history back.
        offset = timedelta(days=150) if user.org in dormant else timedelta(0)
        chosen = draw.sample(COURSES, draw.randint(4, 7))
        enrolments = []
        for course_id, _, _ in chosen:
            started = now - offset - timedelta(days=draw.randint(20, 300))
            progress = draw.choice((100.0, 100.0, 100.0, 80.0, 62.5, 40.0, 25.0, 0.0))
            finished = (
                started + timedelta(days=draw.randint(3, 18), hours=draw.randint(0, 7))
                if progress == 100.0
                else None
            )
            if finished is not None and finished > now - offset:
                finished = now - offset - timedelta(days=1)
            graded = finished or (started + timedelta(days=2) if progress >= 40 else None)
            grade = round(draw.uniform(5.2, 10.0), 2) if graded else None
            enrolments.append(Enrolment(course_id, progress, started, finished, grade, graded))
        first, _, last = user.name.partition(" ")
        people[user.email] = Learner(
            id=100 + index,
            email=user.email,
            first=first,
            last=last,
            last_access=now - offset - timedelta(hours=draw.randint(2, 200)),
            enrolments=tuple(enrolments),
        )
    crowd = population(today)
    orgs = {org.slug: org for org in crowd.orgs}
    for index, user in enumerate(crowd.users, start=100 + len(people)):
        assert user.org is not None  # noqa: S101 - the population is partner people
        people[user.email] = _story_learner(index, user, orgs[user.org], today, now)
    return people


def _story_learner(index: int, user: DemoUser, org: DemoOrg, today: date, now: datetime) -> Learner:
    """A population person's courses: started at the story's moments, finished unless stalled."""
    assert org.plan is not None  # noqa: S101
    draw = random.Random(f"moodle:{user.email}")  # noqa: S311 - seeded demo figures
    stalled = org.plan.story == Story.STALLED_TRAINING
    starts = moments(org.plan, Channel.TRAINING, today, draw)
    enrolments = []
    for started, (course_id, _, _) in zip(starts, draw.sample(COURSES, len(COURSES)), strict=False):
        progress = (
            draw.choice((25.0, 40.0, 62.5, 80.0))
            if stalled
            else draw.choice((100.0, 100.0, 100.0, 80.0, 40.0))
        )
        finished = None
        if progress == 100.0:
            finished = min(started + timedelta(days=draw.randint(3, 18)), now - timedelta(hours=2))
        graded = finished or (started + timedelta(days=2) if progress >= 40 else None)
        # A stalled learner sits the quiz and fails it; the others mostly pass.
        grade = None
        if graded is not None:
            grade = round(draw.uniform(3.0, 5.9) if stalled else draw.uniform(5.2, 10.0), 2)
        enrolments.append(
            Enrolment(
                course_id, progress, started, finished, grade, min(graded, now) if graded else None
            )
        )
    first, _, last = user.name.partition(" ")
    seen = [e.started for e in enrolments] or [datetime.combine(org.plan.joined, time(9), UTC)]
    return Learner(index, user.email, first, last, max(seen), tuple(enrolments))
