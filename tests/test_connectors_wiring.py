"""The hub's connectors from settings: demo sandboxes in-process, a connectors file, hub check."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hub.checks import run_checks
from hub.connectors.config import ConnectorsError
from hub.connectors.demo import demo_backends, demo_setup, sandbox_app
from hub.connectors.health import connector_metrics
from hub.connectors.records import Kind, PartnerRef, PersonRef
from hub.connectors.registry import adapters, build_backends
from hub.connectors.sandboxes.knobs import Knobs
from hub.db import Database
from hub.resources import Hub
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.conftest import make_settings
from tests.live_server import serving

pytestmark = pytest.mark.anyio

ACME = PartnerRef("acme", "Acme Corporation", "acme.example")


async def test_demo_mode_mounts_every_sandbox_in_process(tmp_path: Path, database_url: str) -> None:
    hub = Hub.from_settings(make_settings(tmp_path, database_url))
    try:
        names = {c.config.name for c in hub.backends.all()}
        assert "salesforce" in names
        assert names <= {b.name for b in demo_backends()}
        deals = await hub.backends.prm.deals(ACME)
        assert deals.sources == ("salesforce",)
        assert len(deals.value) == 24  # with the Umbrella registration the conflict demo needs
        if hub.backends.has(Kind.LMS):
            learning = await hub.backends.lms.enrolments(PersonRef("rep@acme.example", ACME))
            assert learning.value
        results = {r.name: r for r in await run_checks(hub)}
        row = results["connector salesforce (prm, salesforce)"]
        assert row.ok, row.detail
        assert "breaker closed" in row.detail
        (salesforce,) = [m for m in connector_metrics(hub.backends) if m.connector == "salesforce"]
        assert salesforce.calls == 1
    finally:
        await hub.close()


async def test_a_connectors_file_at_a_standalone_sandbox_gives_the_same_figures(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = next(b for b in demo_backends() if b.name == "salesforce")
    app = sandbox_app(backend, Knobs())
    assert app is not None
    in_process = Hub.from_settings(make_settings(tmp_path, database_url))
    async with serving(app) as url:
        connectors = tmp_path / "connectors.toml"
        connectors.write_text(
            f"""
[connectors.salesforce]
kind = "prm"
adapter = "salesforce"
base_url = "{url}"
[connectors.salesforce.auth]
client_id = "sandbox-salesforce-client"
client_secret_env = "HUB_TEST_SF_SECRET"
"""
        )
        monkeypatch.setenv("HUB_TEST_SF_SECRET", "sandbox-salesforce-secret")
        over_socket = Hub.from_settings(
            make_settings(tmp_path, database_url, connectors_file=connectors)
        )
        try:
            assert [c.config.name for c in over_socket.backends.all()] == ["salesforce"]
            remote = await over_socket.backends.prm.rebates(ACME)
            local = await in_process.backends.prm.rebates(ACME)
            assert remote.value == local.value
            assert remote.value
        finally:
            await over_socket.close()
            await in_process.close()


async def test_a_bad_connectors_file_stops_start_up(tmp_path: Path, database_url: str) -> None:
    connectors = tmp_path / "connectors.toml"
    connectors.write_text('[connectors.prm]\nkind = "prm"\nadapter = "salesforce"\n')
    settings = make_settings(tmp_path, database_url, connectors_file=connectors)
    with pytest.raises(
        ConnectorsError, match=r"connectors.toml:1: connector 'prm', key 'base_url'"
    ):
        Hub.from_settings(settings)


async def test_two_orgs_reading_through_the_demo_never_see_each_others_deals(
    tmp_path: Path, database_url: str
) -> None:
    hub = Hub.from_settings(make_settings(tmp_path, database_url))
    try:
        acme = await hub.backends.prm.deals(ACME)
        globex = await hub.backends.prm.deals(PartnerRef("globex", "Globex"))
        acme_again = await hub.backends.prm.deals(ACME)
        assert len(acme.value) == 24
        assert len(globex.value) == 17  # with the conflict story: Umbrella and two Nakatomi deals
        assert acme_again.value == acme.value
        assert {d.partner_account_id for d in acme.value}.isdisjoint(
            {d.partner_account_id for d in globex.value}
        )
    finally:
        await hub.close()


def test_the_sandbox_command_prints_a_connectors_table() -> None:
    from hub.cli import build_parser
    from hub.connectors.sandboxes.cli import _stanza

    args = build_parser().parse_args(
        ["sandbox", "salesforce", "--port", "8101", "--latency-ms", "5"]
    )
    assert (args.name, args.port, args.latency_ms) == ("salesforce", 8101, 5.0)
    backend = next(b for b in demo_backends() if b.name == "salesforce")
    table = _stanza(backend, "http://127.0.0.1:8101")
    assert '# base_url = "http://127.0.0.1:8101"' in table
    assert '# client_secret_env = "SALESFORCE_CLIENT_SECRET"' in table


async def test_hub_check_reports_a_connector_that_is_down(
    settings: Settings, db: Database, store: KeyValueStore
) -> None:
    setup = demo_setup(adapters())
    async with httpx.AsyncClient(mounts=setup.mounts) as http:
        backends = build_backends(setup.configs, http, store)
        hub = Hub(settings=settings, db=db, store=store, http=http, backends=backends)
        setup.knobs["salesforce"].update({"down": True})
        rows = {row.name: row for row in await run_checks(hub)}
        salesforce = rows["connector salesforce (prm, salesforce)"]
        assert not salesforce.ok
        assert "BackendUnavailable" in salesforce.detail
        assert "503" in salesforce.detail
        others = [row for name, row in rows.items() if name.startswith("connector ")]
        assert sum(row.ok for row in others) == len(others) - 1
        await backends.close()
