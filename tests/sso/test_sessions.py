"""Rate limits on sign-in, sign out everywhere, and the CLI for stored identity providers."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from hub.cli import main
from hub.db import Database
from hub.resources import Hub
from tests.helpers import csrf_from
from tests.sso.conftest import ClientFactory, audit_entries
from tests.sso.flows import oidc_sign_in
from tests.sso.oidc_provider import OpenIDProvider
from tests.sso.refusals import assert_refused

pytestmark = pytest.mark.anyio


async def test_too_many_attempts_from_one_ip_get_a_429_page(
    client_with: ClientFactory, hub: Hub
) -> None:
    async with client_with(signin_limit_per_ip=2) as client:
        assert (await client.get("/auth/oidc/login")).status_code == 303
        assert (await client.get("/auth/saml/login")).status_code == 303
        response = await client.get("/auth/oidc/login")
        await assert_refused(client, hub, response, 429, "more than 2 sign-in attempts")
        assert "Too many sign-in attempts" in response.text


async def test_too_many_sign_ins_for_one_account_get_a_429_page(
    client_with: ClientFactory, hub: Hub, op: OpenIDProvider
) -> None:
    async with client_with(signin_limit_per_account=1) as client:
        assert (await oidc_sign_in(client, op, "owner-acme")).status_code == 303
        client.cookies.clear()
        response = await oidc_sign_in(client, op, "owner-acme")
        await assert_refused(
            client,
            hub,
            response,
            429,
            "more than 1 sign-ins for owner@acme.example",
            earlier_sign_ins=1,
        )
        # Someone else is not held back by it.
        assert (await oidc_sign_in(client, op, "rep-globex")).status_code == 303


async def test_sign_out_everywhere_ends_every_session_of_the_user(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider, client_with: ClientFactory
) -> None:
    async with client_with() as laptop, client_with() as phone, client_with() as colleague:
        await oidc_sign_in(laptop, op, "owner-acme")
        await oidc_sign_in(phone, op, "owner-acme")
        await oidc_sign_in(colleague, op, "rep-globex")
        page = await laptop.get("/")
        response = await laptop.post(
            "/auth/logout-everywhere", data={"csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 303
        assert (await laptop.get("/api/me")).status_code == 401
        assert (await phone.get("/api/me")).status_code == 401
        assert (await colleague.get("/api/me")).status_code == 200
    sign_outs = await audit_entries(hub.db, "sign_out")
    assert [entry.reason for entry in sign_outs] == ["signed out everywhere (2 sessions)"]


async def hub_cli(*args: str) -> int:
    # The CLI runs its own event loop, so it gets a thread of its own.
    return await anyio.to_thread.run_sync(main, list(args))


async def test_the_cli_adds_lists_and_removes_providers(
    tmp_path: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("HUB_DEMO", "1")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_DATABASE_URL", db.url)
    metadata = tmp_path / "idp.xml"
    metadata.write_text(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
        ' entityID="https://sts.globex.example/adfs"/>'
    )
    add = (
        "idp",
        "add",
        "globex-adfs",
        "--kind",
        "saml",
        "--metadata-file",
        str(metadata),
        "--org",
        "globex",
        "--domain",
        "globex.example",
        "--claim",
        "name=cn",
        "--group-role",
        "Marketing=marketer",
        "--allow-idp-initiated",
    )
    assert await hub_cli(*add) == 0
    assert await hub_cli(*add) == 2
    assert "is taken" in capsys.readouterr().out
    assert await hub_cli("idp", "list") == 0
    listed = capsys.readouterr().out
    assert "globex-adfs  saml  globex  globex.example  https://sts.globex.example/adfs" in listed
    assert await hub_cli("idp", "add", "bad", "--kind", "oidc", "--issuer", "http://x") == 2
    assert "issuer: an https:// URL" in capsys.readouterr().out
    assert await hub_cli("idp", "remove", "globex-adfs") == 0
    assert await hub_cli("idp", "remove", "globex-adfs") == 1
    actions = [entry.action for entry in await audit_entries(db) if entry.actor == "cli"]
    assert actions == ["idp_added", "idp_removed"]
