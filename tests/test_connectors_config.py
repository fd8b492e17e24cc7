"""The connectors file: what it accepts, and errors that name the line, connector and key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hub.connectors.config import ConnectorsError, load_connectors, parse_connectors
from hub.connectors.records import Kind
from hub.connectors.registry import adapters, build_connectors

GOOD = """
# PRM first
[connectors.salesforce]
kind = "prm"
adapter = "salesforce"
base_url = "https://example.my.salesforce.com/"
portal_url = "https://example.my.site.com/partners"
timeout = 4
cache_ttl = 60
stale_ttl = 3600
retries = 1

[connectors.salesforce.auth]
method = "client_credentials"
client_id = "3MVG9-consumer-key"
client_secret_env = "SF_SECRET"

[connectors.salesforce.options]
tier_field = "Tier__c"

[connectors.moodle]
kind = "lms"
adapter = "moodle"
base_url = "https://learn.example.com"
"""
ENV = {"SF_SECRET": "s3cret-value"}


def test_a_good_file_gives_configs_with_secrets_from_the_environment() -> None:
    salesforce, moodle = parse_connectors(GOOD, "connectors.toml", ENV)
    assert salesforce.name == "salesforce"
    assert salesforce.kind is Kind.PRM
    assert salesforce.base_url == "https://example.my.salesforce.com"
    assert salesforce.portal_url == "https://example.my.site.com/partners"
    assert (salesforce.timeout, salesforce.cache_ttl, salesforce.stale_ttl) == (4.0, 60.0, 3600.0)
    assert salesforce.retries == 1
    assert dict(salesforce.auth) == {
        "method": "client_credentials",
        "client_id": "3MVG9-consumer-key",
    }
    assert dict(salesforce.secrets) == {"client_secret": "s3cret-value"}
    assert dict(salesforce.options) == {"tier_field": "Tier__c"}
    assert "s3cret-value" not in repr(salesforce)
    assert moodle.kind is Kind.LMS
    assert moodle.cache_ttl == 300.0


def test_a_missing_environment_variable_is_named() -> None:
    with pytest.raises(ConnectorsError) as caught:
        parse_connectors(GOOD, "connectors.toml", {})
    message = str(caught.value)
    assert "connectors.toml:3" in message
    assert "'salesforce'" in message
    assert "auth.client_secret_env" in message
    assert "SF_SECRET" in message


def test_a_toml_syntax_error_gives_its_line() -> None:
    broken = GOOD.replace('kind = "lms"', 'kind = "lms')
    with pytest.raises(ConnectorsError, match=r"invalid TOML.*line 22"):
        parse_connectors(broken, "connectors.toml", ENV)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (('kind = "prm"', 'kind = "crm"'), "kind", "expected one of prm, lms"),
        (("timeout = 4", "timeout = -1"), "timeout", ">= 0.001"),
        (("timeout = 4", 'timeout = "4s"'), "timeout", "number of seconds"),
        (('base_url = "https://example.my', 'base_url = "ftp://example.my'), "base_url", "http(s)"),
        (("retries = 1", "retries = 99"), "retries", "0..10"),
        (("stale_ttl = 3600", "stale_ttl = 10"), "stale_ttl", "at least cache_ttl"),
        (("retries = 1", 'retries = 1\ncolour = "red"'), "colour", "unknown key"),
        (('adapter = "salesforce"\n', ""), "adapter", "required"),
    ],
)
def test_semantic_errors_name_the_connector_and_key(
    change: tuple[str, str], key: str, problem: str
) -> None:
    with pytest.raises(ConnectorsError) as caught:
        parse_connectors(GOOD.replace(*change, 1), "c.toml", ENV)
    message = str(caught.value)
    assert message.startswith("c.toml:3: connector 'salesforce'")
    assert f"key {key!r}" in message
    assert problem in message


def test_an_unreadable_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConnectorsError, match="cannot read"):
        load_connectors(tmp_path / "absent.toml", ENV)
    written = tmp_path / "connectors.toml"
    written.write_text(GOOD)
    assert [c.name for c in load_connectors(written, ENV)] == ["salesforce", "moodle"]


async def test_an_unknown_adapter_is_refused_with_what_is_installed() -> None:
    configs = parse_connectors(
        GOOD.replace('adapter = "moodle"', 'adapter = "blackboard"'), "c", ENV
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(
            ConnectorsError, match=r"'moodle'.*unknown adapter 'blackboard'.*salesforce"
        ):
            build_connectors(configs, http)


async def test_an_adapter_of_another_kind_is_refused() -> None:
    configs = parse_connectors(GOOD.replace('kind = "lms"', 'kind = "prm"'), "c", ENV)
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConnectorsError, match="not a prm connector"):
            build_connectors(configs, http)


def test_the_registry_knows_the_salesforce_adapter() -> None:
    assert adapters()["salesforce"].__name__ == "SalesforceConnector"


pytestmark = pytest.mark.anyio


def test_a_connector_is_shown_by_its_display_name_or_its_adapters() -> None:
    named = GOOD.replace('adapter = "salesforce"', 'adapter = "salesforce"\ndisplay_name = "Deals"')
    salesforce, moodle = parse_connectors(named, "connectors.toml", ENV)
    assert (salesforce.display_name, salesforce.product) == ("Deals", "Deals")
    assert (moodle.display_name, moodle.product) == (None, "Moodle")
    rewards = GOOD.replace(
        'kind = "lms"\nadapter = "moodle"', 'kind = "incentives"\nadapter = "rest"'
    )
    assert parse_connectors(rewards, "connectors.toml", ENV)[1].product == "Rewards"
    with pytest.raises(ConnectorsError, match="display_name"):
        parse_connectors(GOOD.replace("timeout = 4", 'display_name = ""'), "c.toml", ENV)


def test_a_portal_registers_as_oidc_client() -> None:
    source = """
[connectors.sf]
kind = "prm"
adapter = "salesforce"
base_url = "https://sf.example"
[connectors.sf.sso]
protocol = "oidc"
client_id = "sf-portal"
client_secret_env = "SF_PORTAL"
redirect_uris = ["https://sf.example/cb"]
identifier = "federation_id"
roles = ["partner_owner"]
"""
    (config,) = parse_connectors(source, "c.toml", {"SF_PORTAL": "s3cret"})
    assert config.sign_on is not None
    assert config.sign_on.client_secret == "s3cret"
    assert "s3cret" not in repr(config.sign_on)
    with pytest.raises(ConnectorsError, match=r"sso\.redirect_uris"):
        parse_connectors(
            source.replace("https://sf.example/cb", "sf.example/cb"), "c", {"SF_PORTAL": "x"}
        )
    with pytest.raises(ConnectorsError, match="SF_PORTAL"):
        parse_connectors(source, "c.toml", {})
    with pytest.raises(ConnectorsError, match=r"sso\.roles"):
        parse_connectors(
            source.replace('roles = ["partner_owner"]', "roles = []"), "c", {"SF_PORTAL": "x"}
        )
