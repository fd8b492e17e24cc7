"""The hub as a SAML 2.0 service provider, on python3-saml in strict mode, plus our own XML checks.

python3-saml checks signatures, audience, recipient, destination, validity
window, issuer and ``InResponseTo``. Before it runs, :func:`inspect_response`
refuses shapes that signature-wrapping and comment-injection attacks need:
more than one assertion, an assertion not directly under the response, a
signature that does not cover the assertion, duplicate IDs, any XML comment.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from hub.auth.failures import ProviderUnavailable, SignInRefused
from hub.auth.providers import Provider
from hub.settings import Settings

NS = {"samlp": Saml.NS_SAMLP, "saml": Saml.NS_SAML, "ds": Saml.NS_DS}
METADATA_TTL = 3600
MAX_RESPONSE_BYTES = 256 * 1024
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=False, huge_tree=False
)


@dataclass(frozen=True)
class ResponseFacts:
    """What the hub reads from a SAML response before trusting it, to pick the IdP and request."""

    xml: bytes
    issuer: str
    in_response_to: str | None


def decode_response(encoded: str) -> bytes:
    """The XML inside an HTTP-POST ``SAMLResponse`` field."""
    if len(encoded) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise SignInRefused("SAML response is too large", status=400)
    try:
        return base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raise SignInRefused("SAML response is not base64", status=400) from None


def inspect_response(xml: bytes) -> ResponseFacts:
    """Refuse wrapped, commented or oddly shaped responses; else the issuer and InResponseTo."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise SignInRefused("SAML response carries a DOCTYPE", status=400)
    try:
        root = etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError:
        raise SignInRefused("SAML response is not well-formed XML", status=400) from None
    if root.tag != f"{{{Saml.NS_SAMLP}}}Response":
        raise SignInRefused("SAML message is not a Response", status=400)
    if root.xpath("//comment()"):
        # Signatures are computed without comments, so a comment can split a
        # NameID or attribute value while the signature still checks out.
        raise SignInRefused("SAML response contains XML comments")
    assertions = root.xpath("//saml:Assertion | //saml:EncryptedAssertion", namespaces=NS)
    if len(assertions) != 1:
        raise SignInRefused(f"SAML response holds {len(assertions)} assertions, not exactly one")
    assertion = assertions[0]
    if assertion.getparent() is not root or assertion.tag != f"{{{Saml.NS_SAML}}}Assertion":
        raise SignInRefused("SAML assertion is not a plain child of the response")
    ids = [node.get("ID") for node in root.iter() if node.get("ID") is not None]
    if len(ids) != len(set(ids)):
        raise SignInRefused("SAML response repeats an element ID")
    signatures = assertion.xpath("ds:Signature", namespaces=NS)
    references = assertion.xpath("ds:Signature/ds:SignedInfo/ds:Reference", namespaces=NS)
    if len(signatures) != 1 or len(references) != 1:
        raise SignInRefused("SAML assertion is not signed exactly once")
    if references[0].get("URI") != f"#{assertion.get('ID')}":
        raise SignInRefused("SAML assertion signature does not cover the assertion")
    issuer = root.findtext(f"{{{Saml.NS_SAML}}}Issuer") or assertion.findtext(
        f"{{{Saml.NS_SAML}}}Issuer"
    )
    if not issuer:
        raise SignInRefused("SAML response names no issuer")
    return ResponseFacts(xml=xml, issuer=issuer.strip(), in_response_to=root.get("InResponseTo"))


class SAMLServiceProvider:
    """Builds python3-saml settings per IdP; caches each IdP's parsed metadata."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.entity_id = f"{settings.base_url}/auth/saml/metadata"
        self.acs_url = f"{settings.base_url}/auth/saml/acs"
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self._sp_keys: tuple[str, str] | None = None

    def sp_keys(self) -> tuple[str, str]:
        """Our PEM key and certificate: configured, made once per data folder in demo, or none."""
        if self._sp_keys is None:
            key_file, cert_file = self.settings.saml_sp_key_file, self.settings.saml_sp_cert_file
            if key_file is None and cert_file is None and self.settings.demo:
                key_file, cert_file = demo_sp_keys(self.settings.data_dir)
            if key_file is None or cert_file is None:
                self._sp_keys = ("", "")
            else:
                self._sp_keys = (key_file.read_text(), cert_file.read_text())
        return self._sp_keys

    def sp_settings(self) -> dict[str, Any]:
        """Our side of the python3-saml settings: strict, signed assertions, SHA-256."""
        sp_key, sp_cert = self.sp_keys()
        return {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": self.entity_id,
                "assertionConsumerService": {
                    "url": self.acs_url,
                    "binding": Saml.BINDING_HTTP_POST,
                },
                "NameIDFormat": Saml.NAMEID_UNSPECIFIED,
                "x509cert": sp_cert,
                "privateKey": sp_key,
            },
            "security": {
                "authnRequestsSigned": bool(sp_key),
                "wantAssertionsSigned": True,
                "wantMessagesSigned": False,
                "wantNameId": True,
                "wantAssertionsEncrypted": False,
                "rejectDeprecatedAlgorithm": True,
                "rejectUnsolicitedResponsesWithInResponseTo": True,
                "signatureAlgorithm": Saml.RSA_SHA256,
                "digestAlgorithm": Saml.SHA256,
                "requestedAuthnContext": False,
            },
        }

    def metadata_xml(self) -> str:
        """The SP metadata document for IdP administrators."""
        saml_settings = OneLogin_Saml2_Settings(self.sp_settings(), sp_validation_only=True)
        metadata = saml_settings.get_sp_metadata()
        return metadata.decode() if isinstance(metadata, bytes) else str(metadata)

    async def idp_settings(self, provider: Provider) -> dict[str, Any]:
        """The IdP's part of the settings, parsed from its metadata (URL, file or stored XML)."""
        cached = self._metadata.get(provider.name)
        if cached and time.time() - cached[0] < METADATA_TTL:
            return cached[1]
        if provider.metadata_xml:
            xml = provider.metadata_xml
        elif provider.metadata_file is not None:
            xml = provider.metadata_file.read_text()
        else:
            try:
                response = await self.http.get(provider.metadata_url)
            except httpx.HTTPError as exc:
                raise ProviderUnavailable(f"IdP metadata: {type(exc).__name__}") from None
            if response.status_code != 200:
                raise ProviderUnavailable(f"IdP metadata answered HTTP {response.status_code}")
            xml = response.text
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)
        except (OneLogin_Saml2_Error, etree.XMLSyntaxError, ValueError, TypeError) as exc:
            raise ProviderUnavailable(f"IdP metadata unreadable: {type(exc).__name__}") from None
        idp = dict(parsed.get("idp") or {})
        if not idp.get("entityId") or not idp.get("singleSignOnService"):
            raise ProviderUnavailable("IdP metadata names no entityID or SSO service")
        self._metadata[provider.name] = (time.time(), idp)
        return idp

    def _request_data(self, path: str, post: dict[str, str] | None = None) -> dict[str, Any]:
        # Built from HUB_BASE_URL, not the Host header: Destination and
        # Recipient must name the hub's public address.
        base = urlsplit(self.settings.base_url)
        return {
            "https": "on" if base.scheme == "https" else "off",
            "http_host": base.netloc,
            "script_name": path,
            "get_data": {},
            "post_data": post or {},
        }

    async def auth_for(
        self, provider: Provider, path: str, post: dict[str, str] | None = None
    ) -> OneLogin_Saml2_Auth:
        settings = {**self.sp_settings(), "idp": await self.idp_settings(provider)}
        try:
            return OneLogin_Saml2_Auth(self._request_data(path, post), old_settings=settings)
        except OneLogin_Saml2_Error as exc:
            raise ProviderUnavailable(f"SAML settings invalid: {exc}") from None

    async def login_url(self, provider: Provider, relay_state: str) -> tuple[str, str]:
        """The IdP's HTTP-Redirect URL carrying our AuthnRequest, and that request's ID."""
        auth = await self.auth_for(provider, "/auth/saml/login")
        url = auth.login(return_to=relay_state)
        return str(url), str(auth.get_last_request_id())


def demo_sp_keys(data_dir: Path) -> tuple[Path, Path]:
    """A self-signed SP key and certificate in ``data_dir``, made on first use (demo mode only)."""
    key_file, cert_file = data_dir / "saml-sp-key.pem", data_dir / "saml-sp-cert.pem"
    if key_file.exists() and cert_file.exists():
        return key_file, cert_file
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner-hub demo SP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # The key is created readable by its owner only, before any byte is written.
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file
