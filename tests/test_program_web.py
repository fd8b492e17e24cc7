"""The program pages through the ASGI app: who may see what, filters, CSV, snooze, settings."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import delete, func, select

from hub.app import create_app
from hub.db import ActivityEvent, PartnerOrg, User
from hub.db.engagement import ProgramSetting
from hub.db.models import FieldContact
from hub.db.types import utcnow
from hub.resources import Hub
from hub.services import activity
from hub.services.activity import Activity
from hub.services.program import summaries, views
from hub.services.program.config import program_config
from hub.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio
ROUTES = ("/program", "/program/partners", "/program/partners?format=csv", "/program/partners/acme")


@pytest.fixture
async def web(settings: Settings, seeded: Hub) -> AsyncIterator[httpx.AsyncClient]:
    """Acme busy, globex steady, initech quiet for half a year, from the activity log."""
    now = utcnow()
    async with seeded.db.transaction() as session:
        orgs = {o.slug: o.id for o in (await session.scalars(select(PartnerOrg))).all()}
        events = []
        for slug, ages in {
            "acme": (2, 5, 9, 20),
            "globex": (15, 40),
            "initech": (190, 400),
        }.items():
            for age in ages:
                for kind in ("campaign_redistributed", "deal_registered", "quiz_passed"):
                    events.append(
                        Activity(
                            key=f"{slug}:{kind}:{age}",
                            kind=kind,
                            occurred_at=now - timedelta(days=age),
                            partner_org_id=orgs[slug],
                            object=f"{slug}-{age}",
                            payload={"amount": "1000", "currency": "USD"},
                        )
                    )
        # Globex also shares many campaigns: marketing weighs more in its score.
        events += [
            Activity(
                key=f"globex:extra:{age}",
                kind="campaign_redistributed",
                occurred_at=now - timedelta(days=age),
                partner_org_id=orgs["globex"],
            )
            for age in (1, 3, 4, 6, 8)
        ]
        await activity.record_all(session, events)
    transport = httpx.ASGITransport(app=create_app(settings, seeded), client=("203.0.113.5", 1))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_partner_users_are_refused_on_every_program_route(web: httpx.AsyncClient) -> None:
    token = await demo_sign_in(web, "owner@acme.example")
    for path in ROUTES:
        assert (await web.get(path)).status_code == 403, path
    snooze = await web.post(
        "/program/partners/acme/snooze",
        data={"days": "30", "reason": "x", "csrf_token": token},
    )
    assert snooze.status_code == 403
    assert (await web.get("/admin/program")).status_code == 403


async def test_the_channel_manager_finds_initech_first_with_its_reasons(
    web: httpx.AsyncClient,
) -> None:
    await demo_sign_in(web, "cam@vendor.example")
    overview = await web.get("/program")
    assert overview.status_code == 200
    needs = overview.text.split('id="needs-title"')[1].split("</section>")[0]
    assert "Initech" in needs
    assert "Acme" not in needs
    assert "No meaningful activity for 190 days" in needs
    assert "Journey funnel" in overview.text
    listing = await web.get("/program/partners")
    assert listing.text.index("Initech") < listing.text.index("Acme Corporation")
    exported = await web.get("/program/partners?format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = rows_of(exported.text)
    assert rows[0]["key"] == "initech"
    assert rows[0]["status"] == "dormant"
    assert "190 days" in rows[0]["reasons"]
    assert (await web.get("/program/partners/initech")).status_code == 200


def counts_of(text: str) -> dict[str, int]:
    """The overview's counts ("17 dormant") or the My Partners widget's tags ("Dormant: 17")."""
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
    found = {}
    for state, words in {"dormant": "dormant", "at_risk": "at risk", "active": "active"}.items():
        tag = re.search(rf"{words}: (\d+)", plain, re.IGNORECASE)
        count = re.search(rf"(\d+) {words}\b", plain)
        if tag or count:
            found[state] = int((tag or count).group(1))  # type: ignore[union-attr]
    return found


async def test_the_homepage_widgets_count_what_the_program_pages_count(
    web: httpx.AsyncClient,
) -> None:
    await demo_sign_in(web, "cam@vendor.example")
    overview = counts_of((await web.get("/program")).text.split('id="needs-title"')[0])
    mine = await web.get("/widgets/my_partners", headers={"HX-Request": "true"})
    assert counts_of(mine.text) == overview == {"dormant": 1, "at_risk": 0, "active": 2}
    assert mine.text.index("Initech") < mine.text.index("Acme Corporation")
    assert "No meaningful activity for 190 days" in mine.text
    assert 'href="/program/partners/initech"' in mine.text
    dormant = await web.get("/widgets/quiet_partners", headers={"HX-Request": "true"})
    assert "Initech" in dormant.text
    assert "No meaningful activity for 190 days" in dormant.text
    assert "Acme" not in dormant.text
    assert "Globex" not in dormant.text


async def test_the_csv_is_exactly_the_filtered_list(web: httpx.AsyncClient) -> None:
    await demo_sign_in(web, "cam@vendor.example")
    dormant = rows_of((await web.get("/program/partners?status=dormant&format=csv")).text)
    assert [row["key"] for row in dormant] == ["initech"]
    by_name = rows_of((await web.get("/program/partners?sort=name&dir=asc&format=csv")).text)
    assert [row["key"] for row in by_name] == ["acme", "globex", "initech"]
    nothing = await web.get("/program/partners?q=zzz&format=csv")
    assert nothing.status_code == 200
    assert nothing.text.strip().startswith("partner,key")
    assert rows_of(nothing.text) == []
    page = await web.get("/program/partners?q=zzz")
    assert "No partner matches these filters." in page.text


@pytest.mark.parametrize(
    "query", ["status=sleepy", "sort=password", "stage=heaven", "page=two", "tier=Unobtainium"]
)
async def test_a_bad_filter_is_a_400(web: httpx.AsyncClient, query: str) -> None:
    await demo_sign_in(web, "cam@vendor.example")
    assert (await web.get(f"/program/partners?{query}")).status_code == 400


async def test_a_manager_sees_only_their_own_partners(web: httpx.AsyncClient, seeded: Hub) -> None:
    async with seeded.db.transaction() as session:
        acme = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == "acme"))
        await session.execute(
            delete(FieldContact).where(FieldContact.email == "cam@vendor.example")
        )
        session.add(
            FieldContact(
                partner_org_id=acme, role="channel_manager", name="Casey Morgan",
                email="cam@vendor.example",
            )
        )  # fmt: skip
    await demo_sign_in(web, "cam@vendor.example")
    rows = rows_of((await web.get("/program/partners?format=csv")).text)
    assert [row["key"] for row in rows] == ["acme"]
    for other in ("globex", "initech", "no-such-partner"):
        assert (await web.get(f"/program/partners/{other}")).status_code == 404
    assert "Initech" not in (await web.get("/program")).text
    for widget in ("my_partners", "quiet_partners"):
        shown = await web.get(f"/widgets/{widget}", headers={"HX-Request": "true"})
        assert "Initech" not in shown.text, widget
        assert "Globex" not in shown.text, widget
    await demo_sign_in(web, "admin@vendor.example")
    everyone = rows_of((await web.get("/program/partners?format=csv")).text)
    assert len(everyone) == 3


async def test_a_snooze_spares_a_partner_and_bad_input_writes_nothing(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    for bad in ({"days": "0", "reason": "x"}, {"days": "30", "reason": " "}, {"days": "x"}):
        refused = await web.post(
            "/program/partners/initech/snooze", data={**bad, "csrf_token": token}
        )
        assert refused.status_code == 422
    async with seeded.db.session() as session:
        assert await session.get(ProgramSetting, "program_snoozes") is None
    assert (
        await web.post(
            "/program/partners/globex-of-someone-else/snooze",
            data={"days": "30", "reason": "x", "csrf_token": token},
        )
    ).status_code == 404
    done = await web.post(
        "/program/partners/initech/snooze",
        data={"days": "30", "reason": "Office move until January", "csrf_token": token},
    )
    assert done.status_code == 303
    page = await web.get("/program/partners/initech")
    assert "Office move until January" in page.text
    dormant = rows_of((await web.get("/program/partners?status=dormant&format=csv")).text)
    assert dormant == []


async def test_an_administrator_changes_the_kpi_and_a_weight_and_the_figures_change(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "admin@vendor.example")
    await summaries.refresh(seeded.db)
    before = {r["key"]: r for r in rows_of((await web.get("/program/partners?format=csv")).text)}
    page = await web.get("/admin/program")
    assert page.status_code == 200
    assert "3 of 3 partners" in page.text
    refused = await web.post(
        "/admin/program",
        data={"weight_marketing": "0", "weight_selling": "0", "weight_leads": "0",
              "weight_meetings": "0", "weight_sign_ins": "0", "weight_content": "0",
              "csrf_token": token},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "sum to nothing" in refused.text
    async with seeded.db.session() as session:
        assert await session.get(ProgramSetting, "program_insight") is None
    admin = await _admin_id(seeded)
    activated = [
        p.summary.activated_at for p in (await views.program(seeded.db, admin, utcnow())).partners
    ]
    assert activated == [None, None, None]  # nobody has won a deal
    saved = await web.post(
        "/admin/program",
        data={"weight_marketing": "0", "activation_kind": "first_deal_registered",
              "csrf_token": token},
    )  # fmt: skip
    assert saved.status_code == 303
    # A weight applies at once: the stored metric values are weighed anew.
    now_scores = {
        r["key"]: r for r in rows_of((await web.get("/program/partners?format=csv")).text)
    }
    assert now_scores["globex"]["score"] != before["globex"]["score"]
    # What counts (here the KPI) waits for the recompute, and the pages say so.
    assert "predate the latest program settings" in (await web.get("/program")).text
    found = await views.program(seeded.db, admin, utcnow())
    assert [p.summary.activated_at for p in found.partners] == [None, None, None]
    assert (await summaries.refresh(seeded.db)).full
    found = await views.program(seeded.db, admin, utcnow())
    assert all(p.summary.activated_at is not None for p in found.partners)
    assert "predate the latest program settings" not in (await web.get("/program")).text
    overview = await web.get("/program")
    assert "Activation" in overview.text
    async with seeded.db.session() as session:
        stored = await session.get(ProgramSetting, "program_insight")
        assert stored is not None
        assert stored.value["activation"]["kind"] == "first_deal_registered"
        assert (await session.scalar(select(func.count(ActivityEvent.id))) or 0) > 0


async def test_revenue_in_months_in_a_row_is_a_kpi_the_form_sets(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "admin@vendor.example")
    page = await web.get("/admin/program")
    assert 'value="monthly_revenue"' in page.text
    assert 'name="activation_months"' in page.text
    refused = await web.post(
        "/admin/program",
        data={"activation_kind": "monthly_revenue", "activation_months": "0", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "months" in refused.text
    saved = await web.post(
        "/admin/program",
        data={"activation_kind": "monthly_revenue", "activation_months": "4",
              "activation_amount": "2500", "csrf_token": token},
    )  # fmt: skip
    assert saved.status_code == 303
    async with seeded.db.session() as session:
        stored = await session.get(ProgramSetting, "program_insight")
        assert stored is not None
        assert stored.value["activation"] | {"within_days": None} == {
            "kind": "monthly_revenue", "count": 1, "amount": 2500.0, "months": 4,
            "within_days": None,
        }  # fmt: skip
    assert 'value="4"' in (await web.get("/admin/program")).text


async def test_csv_cells_cannot_run_as_spreadsheet_formulas(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    async with seeded.db.transaction() as session:
        org = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "globex"))
        assert org is not None
        org.name = '=HYPERLINK("http://evil.example")'
    await demo_sign_in(web, "cam@vendor.example")
    rows = rows_of((await web.get("/program/partners?format=csv")).text)
    names = {row["key"]: row["partner"] for row in rows}
    assert names["globex"].startswith("'=")
    assert Decimal(rows[0]["value_at_risk_USD"]) >= 0


async def _admin_id(hub: Hub) -> int:
    async with hub.db.session() as session:
        found = await session.scalar(select(User.id).where(User.email == "admin@vendor.example"))
    assert found is not None
    return found


async def test_a_partners_page_scores_each_person_from_their_own_events(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    async with seeded.db.transaction() as session:
        rep = await session.scalar(select(User).where(User.email == "rep@acme.example"))
        assert rep is not None
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"rep:deal:{age}",
                    kind="deal_registered",
                    occurred_at=utcnow() - timedelta(days=age),
                    user_id=rep.id,
                    partner_org_id=rep.partner_org_id,
                    object=f"rep-deal-{age}",
                )
                for age in (1, 4, 8)
            ],
        )
    await demo_sign_in(web, "cam@vendor.example")
    page = await web.get("/program/partners/acme")
    people = page.text.split('id="people-title"')[1].split("</section>")[0]
    row = {
        cells[0]: cells[1:]
        for line in people.split("<tr>")[2:]
        if (cells := [part.split("<")[0] for part in line.split(">")[1::2]])
    }
    assert float(row["Raj Patel"][0]) > 0  # his own three deals
    assert row["Alice Archer"][0] == "0.0"  # nothing of her own
    assert row["Raj Patel"][1] == "3"


async def test_an_administrator_sets_how_early_an_ending_agreement_counts(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "admin@vendor.example")
    assert 'name="renewal_days"' in (await web.get("/admin/program")).text
    too_far = await web.post("/admin/program", data={"renewal_days": "400", "csrf_token": token})
    assert too_far.status_code == 422
    async with seeded.db.session() as session:
        assert await session.get(ProgramSetting, "program_insight") is None
    saved = await web.post("/admin/program", data={"renewal_days": "90", "csrf_token": token})
    assert saved.status_code == 303
    async with seeded.db.session() as session:
        assert (await program_config(session)).dormancy.renewal_days == 90


async def test_a_partners_page_title_is_plain_text(web: httpx.AsyncClient) -> None:
    await demo_sign_in(web, "cam@vendor.example")
    page = (await web.get("/program/partners/initech")).text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None
    assert title.group(1).strip() == "Initech · Program insight · Partner Hub"
    assert page.count('id="timeline-title"') == 1


@pytest.mark.parametrize(
    "path",
    [
        "/program",
        "/program/partners",
        "/program/partners/initech",
        "/program/conflicts",
        "/program/playbooks",
    ],
)
async def test_every_program_page_names_each_id_once(web: httpx.AsyncClient, path: str) -> None:
    # A duplicate id breaks what screen readers read for a chart or a section.
    await demo_sign_in(web, "cam@vendor.example")
    page = await web.get(path)
    assert page.status_code == 200
    ids = re.findall(r'\sid="([^"]+)"', page.text)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
