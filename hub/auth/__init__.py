"""Sign-in (demo, OIDC, SAML), sessions and who the caller is."""
