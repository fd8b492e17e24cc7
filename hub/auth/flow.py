"""The end of every SSO sign-in: checks, provisioning, session; or a refusal page with its audit entry."""

from __future__ import annotations

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from hub.auth.failures import SignInRefused
from hub.auth.limits import SignInLimiter
from hub.auth.principal import Principal
from hub.auth.profile import Profile
from hub.auth.providers import Provider, ProviderDirectory
from hub.auth.provisioning import provision
from hub.auth.signin import start_session
from hub.middleware.sessions import session_of
from hub.resources import Hub
from hub.services.account_push import push_person
from hub.web.errors import ErrorPages

# Session keys that hold half-finished sign-ins; dropped on any refusal.
PENDING_KEYS = ("oidc_pending",)


# Sign-in changes the backends' copies of a person must follow.
_PUSHED = frozenset({"user_created", "email_change", "org_change", "role_change"})


class SignInFlow:
    """Shared by the OIDC and SAML routes so both end the same way."""

    def __init__(self, hub: Hub, templates: Jinja2Blocks) -> None:
        self.hub = hub
        self.errors = ErrorPages(templates)
        self.providers = ProviderDirectory(hub.settings, hub.db)
        self.limiter = SignInLimiter(
            hub.store,
            per_ip=hub.settings.signin_limit_per_ip,
            per_account=hub.settings.signin_limit_per_account,
        )

    async def finish(self, request: Request, provider: Provider, profile: Profile) -> Principal:
        """Provision the user ``profile`` describes and start their session."""
        await self.limiter.check_account(profile.email)
        provisioned = await provision(self.hub.db, provider, profile)
        for action, target, reason in provisioned.changes:
            await self.hub.audit.record(
                request, actor=f"idp:{provider.name}", action=action, target=target, reason=reason
            )
        actions = {action for action, _target, _reason in provisioned.changes}
        if actions & _PUSHED:
            # The backends that keep people's accounts hear of it (retried if one fails).
            change = "created" if "user_created" in actions else "changed"
            await push_person(self.hub.db, self.hub.backends, provisioned.user.id, change)
        return await start_session(
            request,
            self.hub.db,
            self.hub.audit,
            provisioned.user,
            method=f"{provider.kind}:{provider.name}",
        )

    async def refuse(
        self, request: Request, refusal: SignInRefused, provider: str = "", actor: str = ""
    ) -> Response:
        """The page for a refused sign-in; the attempt leaves no session behind."""
        session = session_of(request)
        for key in PENDING_KEYS:
            session.pop(key, None)
        await self.hub.audit.record(
            request,
            actor=actor or "anonymous",
            action="sign_in",
            target=provider,
            outcome="refused",
            reason=refusal.reason[:1000],
        )
        return self.errors.response(request.scope, refusal.status, refusal.message)
