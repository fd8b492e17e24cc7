"""An expert's published answer becomes a library item for the partners it is meant for."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from hub.db.questions import Question
from hub.demo.questions import seed_demo_questions
from hub.resources import Hub
from hub.services.content.index import refresh_answers
from tests.helpers import csrf_from, demo_sign_in

pytestmark = pytest.mark.anyio
ACME_REP = "rep@acme.example"
GLOBEX_OWNER = "owner@globex.example"
ITEM = re.compile(r'href="/content/(\d+)"')


async def test_published_answers_are_found_by_their_audience_and_go_when_withdrawn(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    await seed_demo_questions(seeded.db)
    assert await refresh_answers(seeded.db) == 3, "the demo's three published answers"

    await demo_sign_in(client, GLOBEX_OWNER)
    german = await client.get("/content", params={"q": "geschützt", "type": "answer"})
    assert "Wie lange ist ein registrierter Deal" in german.text, "published to Globex's segment"
    (item,) = ITEM.findall(german.text)
    opened = await client.get(f"/content/{item}/open")
    assert opened.status_code in {302, 303, 307}
    assert re.fullmatch(r"/questions/\d+", opened.headers["location"])
    assert (await client.get(opened.headers["location"])).status_code == 200

    client.cookies.clear()
    await demo_sign_in(client, ACME_REP)
    other = await client.get("/content", params={"q": "geschützt"})
    assert "Wie lange ist ein registrierter Deal" not in other.text, "not Acme's segment"
    assert (await client.get(f"/content/{item}")).status_code == 404
    mine = await client.get("/content", params={"q": "integration"})
    assert "Which API version should a new" in mine.text

    # The expert withdraws it: it leaves the library at once.
    async with seeded.db.session() as session:
        question_id = await session.scalar(
            select(Question.id).where(Question.title.like("Which API version%"))
        )
    client.cookies.clear()
    token = await demo_sign_in(client, "expert@vendor.example")
    page = await client.get(f"/experts/questions/{question_id}")
    withdrawn = await client.post(
        f"/experts/questions/{question_id}/publish",
        data={"scope": "", "summary": "", "csrf_token": csrf_from(page.text) or token},
    )
    assert withdrawn.status_code == 303
    client.cookies.clear()
    await demo_sign_in(client, ACME_REP)
    gone = await client.get("/content", params={"q": "integration"})
    assert "Which API version should a new" not in gone.text
