"""The library's pages: search, filters, htmx results, an item's page and opening it; a partner
user never reaches an item not meant for their org, whatever the route."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from hub.db import ActivityEvent
from hub.resources import Hub
from tests.content_corpus import load_catalogue
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio
ACME_OWNER = "owner@acme.example"  # Gold
GLOBEX_OWNER = "owner@globex.example"  # Silver


async def test_search_page_finds_what_is_meant_for_the_caller(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    await load_catalogue(seeded.db)
    await demo_sign_in(client, ACME_OWNER)
    page = await client.get("/content")
    assert page.status_code == 200
    assert "Gold rebate schedule" in page.text
    assert "Silver onboarding guide" not in page.text  # another tier's
    assert "Support escalation handbook" not in page.text  # another persona's
    assert "Old launch kit" not in page.text  # superseded
    found = await client.get("/content", params={"q": "rebates"})
    assert "<mark>rebate</mark>" in found.text
    german = await client.get("/content", params={"q": "Preislisten", "language": "de"})
    assert "Preisliste" in german.text
    assert "Price list for everyone" not in german.text
    short = await client.get("/content", params={"short": "1"})
    assert "Launch in three minutes" in short.text
    assert "Gold rebate schedule" not in short.text


async def test_htmx_gets_the_results_block_and_bad_searches_answer(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    await load_catalogue(seeded.db)
    await demo_sign_in(client, ACME_OWNER)
    partial = await client.get("/content", params={"q": "price"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<form" not in partial.text
    assert "list for everyone" in partial.text
    for words in ("x" * 10_000, '"open quote', "-", "<script>alert(1)</script>", "a\x00b"):
        response = await client.get("/content", params={"q": words, "type": "nonsense"})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.text
    long = await client.get("/content", params={"q": "price " * 2000})
    assert "only its first 200 characters were used" in long.text


async def test_item_routes_refuse_items_not_meant_for_the_caller(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    ids = await load_catalogue(seeded.db)
    await demo_sign_in(client, GLOBEX_OWNER)
    for path in (f"/content/{ids['gold']}", f"/content/{ids['gold']}/open", "/content/999999"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Gold rebate" not in response.text
    search = await client.get("/content", params={"q": "gold rebate"})
    assert "Gold rebate schedule" not in search.text
    async with seeded.db.session() as session:
        events = list(await session.scalars(select(ActivityEvent.kind)))
    assert not any(kind.startswith("content_") for kind in events)


async def test_opening_records_use_and_redirects_only_to_the_indexed_link(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    ids = await load_catalogue(seeded.db)
    await demo_sign_in(client, ACME_OWNER)
    page = await client.get(f"/content/{ids['gold']}")
    assert page.status_code == 200
    assert f'href="/content/{ids["gold"]}/open"' in page.text
    opened = await client.get(
        f"/content/{ids['gold']}/open", params={"next": "https://evil.example/"}
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == "https://files.example/gold"
    evil = await client.get(f"/content/{ids['evil']}/open")
    assert evil.status_code == 404  # a link that would leave for another host is refused
    async with seeded.db.session() as session:
        events = list(
            await session.execute(
                select(ActivityEvent.kind, ActivityEvent.object).where(
                    ActivityEvent.kind.like("content_%")
                )
            )
        )
    assert sorted(events) == [
        ("content_opened", f"content:{ids['gold']}"),
        ("content_viewed", f"content:{ids['gold']}"),
    ]
    old = await client.get(f"/content/{ids['old']}")
    assert "There is a newer version of this item" in old.text


async def test_signed_out_callers_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/content")
    assert response.status_code in (401, 303)


async def test_administrators_publish_announcements_and_see_use_by_segment(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    ids = await load_catalogue(seeded.db)
    await demo_sign_in(client, ACME_OWNER)
    assert (await client.get("/admin/content")).status_code == 403
    await client.get(f"/content/{ids['gold']}/open")
    token = await demo_sign_in(client, "admin@vendor.example")
    page = await client.get("/admin/content")
    assert page.status_code == 200
    assert "Gold rebate schedule" in page.text
    assert "Gold: 1" in page.text
    by_region = await client.get("/admin/content?by=region")
    assert "North America: 1" in by_region.text
    assert "By region" in by_region.text
    assert "Reseller: 1" in (await client.get("/admin/content?by=type")).text
    wrong = await client.get("/admin/content?by=revenue")
    assert wrong.status_code == 400
    assert "tier, region or partner type" in wrong.text
    no_token = await client.post("/admin/content/announcements", data={"title": "x"})
    assert no_token.status_code == 403
    for bad in (
        {"title": ""},
        {"title": "ok", "link": "javascript:alert(1)"},
        {"title": "ok", "link": "//evil.example"},
        {"title": "ok", "pin_days": "900"},
        {"title": "ok", "persona": "emperor"},
    ):
        response = await client.post(
            "/admin/content/announcements", data={**bad, "csrf_token": token}
        )
        assert response.status_code == 422, bad
    published = await client.post(
        "/admin/content/announcements",
        data={
            "title": "Partner summit <b>2027</b>",
            "summary": "Join us in Berlin.",
            "persona": "support",
            "tiers": "Gold",
            "pin_days": "7",
            "csrf_token": token,
        },
    )
    assert published.status_code == 303
    await demo_sign_in(client, "support@acme.example")
    widget = await client.get("/widgets/content_for_you")
    assert "Partner summit &lt;b&gt;2027&lt;/b&gt;" in widget.text
    await demo_sign_in(client, ACME_OWNER)  # Gold, but not support
    assert "Partner summit" not in (await client.get("/content")).text


async def test_the_library_speaks_german(seeded: Hub, client: httpx.AsyncClient) -> None:
    ids = await load_catalogue(seeded.db)
    await demo_sign_in(client, "dana@vendor.example")  # locale de
    page = await client.get("/content", params={"q": "Preislisten"})
    assert "Inhaltsbibliothek" in page.text
    assert "der beste zuerst" in page.text
    item = await client.get(f"/content/{ids['german']}")
    assert "In " in item.text
    assert "öffnen" in item.text
