"""A SAML 2.0 identity provider for tests: metadata, and responses signed with xmlsec.

Responses are built the way real IdPs build them (a signed assertion,
exclusive C14N, RSA-SHA256, the certificate in KeyInfo); keyword arguments
let a test make each one hostile in a single, named way.
"""

from __future__ import annotations

import base64
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


@dataclass(frozen=True)
class KeyPair:
    key_pem: bytes
    cert_pem: bytes

    @property
    def cert_base64(self) -> str:
        return "".join(self.cert_pem.decode().strip().splitlines()[1:-1])


def make_key_pair(common_name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_id_from(redirect_url: str) -> str:
    """The ID of the AuthnRequest carried in an HTTP-Redirect URL."""
    encoded = parse_qs(urlsplit(redirect_url).query)["SAMLRequest"][0]
    xml = zlib.decompress(base64.b64decode(encoded), -15)
    request_id = etree.fromstring(xml).get("ID")
    assert request_id
    return str(request_id)


class SAMLIdentityProvider:
    """One IdP: an entity ID, a signing key and the SP it answers."""

    def __init__(self, entity_id: str, sp_entity_id: str, acs_url: str) -> None:
        self.entity_id = entity_id
        self.sso_url = entity_id.rsplit("/", 1)[0] + "/sso"
        self.sp_entity_id = sp_entity_id
        self.acs_url = acs_url
        self.keys = make_key_pair("test-idp")

    def metadata(self) -> str:
        return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID={quoteattr(self.entity_id)}>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{self.keys.cert_base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location={quoteattr(self.sso_url)}/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

    def response_xml(
        self,
        *,
        name_id: str,
        attributes: dict[str, list[str]],
        in_response_to: str | None,
        audience: str | None = None,
        destination: str | None = None,
        not_before: datetime | None = None,
        not_on_or_after: datetime | None = None,
        issuer: str | None = None,
        sign: bool = True,
        signing_keys: KeyPair | None = None,
    ) -> etree._Element:
        """A ``samlp:Response`` with one assertion, signed unless ``sign`` is false."""
        now = datetime.now(UTC)
        not_before = not_before or now - timedelta(minutes=1)
        not_on_or_after = not_on_or_after or now + timedelta(minutes=5)
        issuer = issuer or self.entity_id
        destination = destination or self.acs_url
        audience = audience or self.sp_entity_id
        reply = f' InResponseTo="{in_response_to}"' if in_response_to else ""
        assertion_id, response_id = f"_a{uuid.uuid4().hex}", f"_r{uuid.uuid4().hex}"
        attribute_xml = "".join(
            f"<saml:Attribute Name={quoteattr(key)}>"
            + "".join(
                f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue>" for value in values
            )
            + "</saml:Attribute>"
            for key, values in attributes.items()
        )
        xml = f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{response_id}" Version="2.0" IssueInstant="{_instant(now)}" Destination={quoteattr(destination)}{reply}>
<saml:Issuer>{escape(issuer)}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{_instant(now)}">
<saml:Issuer>{escape(issuer)}</saml:Issuer>
<saml:Subject>
<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{escape(name_id)}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{_instant(not_on_or_after)}" Recipient={quoteattr(destination)}{reply}/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{_instant(not_before)}" NotOnOrAfter="{_instant(not_on_or_after)}">
<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience></saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_s{uuid.uuid4().hex}">
<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
</saml:AuthnStatement>
<saml:AttributeStatement>{attribute_xml}</saml:AttributeStatement>
</saml:Assertion>
</samlp:Response>"""
        root = etree.fromstring(xml.encode())
        if sign:
            self.sign_assertion(root, signing_keys or self.keys)
        return root

    @staticmethod
    def sign_assertion(root: etree._Element, keys: KeyPair) -> None:
        """Sign the response's assertion in place (enveloped, after its Issuer)."""
        assertion = root.find(f"{{{SAML}}}Assertion")
        assert assertion is not None
        signature = xmlsec.template.create(
            assertion,
            xmlsec.constants.TransformExclC14N,
            xmlsec.constants.TransformRsaSha256,
            ns="ds",
        )
        assertion.insert(1, signature)
        reference = xmlsec.template.add_reference(
            signature, xmlsec.constants.TransformSha256, uri=f"#{assertion.get('ID')}"
        )
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
        context = xmlsec.SignatureContext()
        key = xmlsec.Key.from_memory(keys.key_pem, xmlsec.constants.KeyDataFormatPem)
        key.load_cert_from_memory(keys.cert_pem, xmlsec.constants.KeyDataFormatPem)
        context.key = key
        xmlsec.tree.add_ids(assertion, ["ID"])
        context.sign(signature)


def encode(root: etree._Element | bytes) -> str:
    """The ``SAMLResponse`` form value for an HTTP-POST."""
    xml = root if isinstance(root, bytes) else etree.tostring(root)
    return base64.b64encode(xml).decode()
