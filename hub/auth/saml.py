"""SAML routes: ``GET /auth/saml/metadata``, ``GET /auth/saml/login``, ``POST /auth/saml/acs``.

The IdP's POST to the ACS is cross-site, so the SameSite=Lax session cookie
does not come with it: the AuthnRequest IDs we issued live in the key-value
store instead, each usable once.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.failures import ProviderUnavailable, SignInRefused
from hub.auth.flow import SignInFlow
from hub.auth.profile import profile_from_claims
from hub.auth.providers import Provider
from hub.auth.redirects import safe_next
from hub.auth.saml_sp import SAMLServiceProvider, decode_response, inspect_response
from hub.i18n import N_

REQUEST_PREFIX = "saml-request:"
ASSERTION_PREFIX = "saml-assertion:"
REQUEST_SECONDS = 600
# Kept at least this long even when an assertion claims a shorter life.
MIN_REPLAY_SECONDS = 300
MAX_REPLAY_SECONDS = 86400


def routes(flow: SignInFlow, sp: SAMLServiceProvider) -> list[BaseRoute]:
    store = flow.hub.store

    async def metadata(request: Request) -> Response:
        return Response(sp.metadata_xml(), media_type="application/samlmetadata+xml")

    async def login(request: Request) -> Response:
        name = request.query_params.get("idp") or "saml"
        target = safe_next(request.query_params.get("next"))
        try:
            await flow.limiter.check_ip(request)
            provider = await flow.providers.get(name, "saml")
            if provider is None:
                raise SignInRefused(
                    f"unknown SAML IdP {name[:64]!r}",
                    N_("That sign-in option does not exist. Go back to the sign-in page."),
                    status=400,
                )
            url, request_id = await sp.login_url(provider, target)
        except SignInRefused as refusal:
            return await flow.refuse(request, refusal, provider=name)
        await store.set(
            REQUEST_PREFIX + request_id,
            json.dumps({"idp": provider.name, "next": target}),
            ttl=REQUEST_SECONDS,
        )
        return RedirectResponse(url, status_code=303)

    async def provider_for_issuer(issuer: str) -> Provider | None:
        for provider in await flow.providers.all():
            if provider.kind != "saml":
                continue
            try:
                idp = await sp.idp_settings(provider)
            except ProviderUnavailable:
                continue  # another IdP being down must not block this one
            if idp.get("entityId") == issuer:
                return provider
        return None

    async def acs(request: Request) -> Response:
        name = ""
        try:
            await flow.limiter.check_ip(request)
            form = await request.form()
            encoded, relay = form.get("SAMLResponse"), form.get("RelayState")
            if not isinstance(encoded, str):
                raise SignInRefused("POST to the ACS without a SAMLResponse", status=400)
            facts = inspect_response(decode_response(encoded))
            if facts.in_response_to is not None:
                key = REQUEST_PREFIX + facts.in_response_to
                raw = await store.get(key)
                # Deleting is the single-use check: only one caller gets 1 back.
                if raw is None or await store.delete(key) != 1:
                    raise SignInRefused(
                        "InResponseTo names no open request of ours (replayed or forged)",
                        N_(
                            "This sign-in was already used or has expired. Start again from the"
                            " sign-in page."
                        ),
                        status=400,
                    )
                pending = json.loads(raw)
                name, target = str(pending["idp"]), safe_next(pending.get("next"))
                provider = await flow.providers.get(name, "saml")
            else:
                provider = await provider_for_issuer(facts.issuer)
                name = provider.name if provider else facts.issuer[:64]
                if provider is not None and not provider.allow_idp_initiated:
                    raise SignInRefused(
                        f"IdP-initiated sign-in is not allowed for {provider.name}",
                        N_(
                            "Start from the hub's sign-in page: this identity provider may not"
                            " start sign-ins on its own."
                        ),
                    )
                target = safe_next(relay if isinstance(relay, str) else None)
            if provider is None:
                raise SignInRefused(f"unknown SAML issuer {facts.issuer[:200]!r}", status=400)

            auth = await sp.auth_for(
                provider,
                "/auth/saml/acs",
                {"SAMLResponse": encoded, "RelayState": str(relay or "")},
            )
            auth.process_response(request_id=facts.in_response_to)
            if auth.get_errors() or not auth.is_authenticated():
                raise SignInRefused(
                    f"SAML response invalid: {auth.get_last_error_reason() or auth.get_errors()}"
                )
            await refuse_replay(provider, auth.get_last_assertion_id(), auth)
            issuer = str((await sp.idp_settings(provider))["entityId"])
            claims: dict[str, object] = dict(auth.get_attributes())
            nameid = str(auth.get_nameid() or "")
            if provider.claim("email") not in claims and "@" in nameid:
                claims[provider.claim("email")] = nameid
            profile = profile_from_claims(provider, issuer, nameid, claims)
            await flow.finish(request, provider, profile)
        except SignInRefused as refusal:
            return await flow.refuse(request, refusal, provider=name)
        return RedirectResponse(target, status_code=303)

    async def refuse_replay(provider: Provider, assertion_id: object, auth: Any) -> None:
        not_on_or_after = auth.get_last_assertion_not_on_or_after()
        lifetime = (
            float(not_on_or_after) - time.time()
            if isinstance(not_on_or_after, int | float)
            else MAX_REPLAY_SECONDS
        )
        ttl = min(max(lifetime + 120, MIN_REPLAY_SECONDS), MAX_REPLAY_SECONDS)
        if not assertion_id or not await store.set_if_absent(
            f"{ASSERTION_PREFIX}{provider.name}:{assertion_id}",
            datetime.now(UTC).isoformat(),
            ttl=ttl,
        ):
            raise SignInRefused(
                "SAML assertion was already used (replay)",
                N_("This sign-in was already used. Start again from the sign-in page."),
            )

    return [
        Route("/auth/saml/metadata", metadata, name="saml_metadata"),
        Route("/auth/saml/login", login, name="saml_login"),
        Route("/auth/saml/acs", acs, methods=["POST"], name="saml_acs"),
    ]
