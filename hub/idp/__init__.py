"""The hub as identity provider toward the backend portals: OpenID Provider and SAML IdP."""
