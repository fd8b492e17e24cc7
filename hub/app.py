"""The app factory: wires routes, middleware and the lifespan. No domain logic here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from hub import scheduler
from hub.auth import routes as auth_routes
from hub.db.callers import watch_callers
from hub.idp import oidc_routes, saml_routes
from hub.idp.keys import SigningKeys
from hub.idp.portals import PortalRegistry
from hub.idp.saml_idp import SAMLIdentityProvider
from hub.middleware.body_limit import BodyLimitMiddleware
from hub.middleware.crash_guard import CrashGuardMiddleware
from hub.middleware.csrf import CSRFMiddleware
from hub.middleware.request_id import RequestIdMiddleware
from hub.middleware.security_headers import SecurityHeadersMiddleware
from hub.middleware.sessions import SessionMiddleware
from hub.paths import STATIC
from hub.personas.catalogue import PersonaBook, default_personas, roles
from hub.resources import Hub
from hub.settings import Settings
from hub.web import (
    admin,
    admin_layouts,
    admin_people,
    admin_questions,
    admin_rules,
    api,
    conflicts,
    content,
    content_admin,
    engagement,
    expert_questions,
    health,
    home,
    playbooks,
    profile,
    program,
    questions,
    scim,
    webhooks,
    widgets,
)
from hub.web.errors import ErrorPages
from hub.web.page_cache import ChangeMiddleware, PageCache
from hub.web.templating import make_templates
from hub.widgets.catalogue import build_registry

# Paths whose requests prove themselves (signed SAML responses, signed webhooks).
# The OP's token and userinfo endpoints authenticate the portal calling them instead,
# and SCIM its bearer tokens (/scim/v2 never reads the session cookie, so a forged
# request has no credential to ride on). The demo portals' SAML ACS takes a signed
# response, as the hub's own does.
CSRF_EXEMPT = (
    "/auth/saml/acs",
    "/webhooks/",
    "/idp/oidc/token",
    "/idp/oidc/userinfo",
    "/scim/v2/",
    "/demo/saml-acs/",
)


def create_app(settings: Settings, hub: Hub | None = None) -> Starlette:
    """Build the ASGI app for ``settings``; ``hub`` lets tests hand in their own resources."""
    hub = hub or Hub.from_settings(settings)
    templates = make_templates(settings)
    errors = ErrorPages(templates)
    # Each shared object once: the personas, the kept pages, the widget renderer.
    book = PersonaBook(default_personas(), build_registry())  # a start-up error if they disagree
    pages = PageCache(hub.store, settings.signing_key)
    renderer = widgets.WidgetRenderer(hub, templates, pages, book)
    # The header names the portals by product and links the pages the person's role has.
    templates.env.globals["portals"] = hub.backends.portals
    templates.env.globals["vendor_personas"] = roles().vendor
    portals = PortalRegistry(hub.backends, settings.base_url)
    signing_keys = SigningKeys(hub.db, settings.signing_key)

    routes: list[BaseRoute] = [
        *health.routes(hub),
        *api.routes(hub),
        *home.routes(hub, templates, book, renderer),
        *widgets.routes(hub, templates, book, renderer),
        *auth_routes.routes(hub, templates, portals),
        *oidc_routes.routes(hub, portals, signing_keys),
        *saml_routes.routes(
            hub,
            templates,
            SAMLIdentityProvider(signing_keys, portals, hub.store, settings.base_url),
        ),
        *webhooks.routes(hub),
        *scim.routes(hub),
        *admin.routes(hub, templates),
        *admin_people.routes(hub, templates),
        *admin_layouts.routes(hub, templates, book),
        *admin_rules.routes(hub, templates, book),
        *engagement.routes(hub, book, renderer),
        *program.routes(hub, templates),
        *conflicts.routes(hub, templates),
        *playbooks.routes(hub, templates, book),
        *questions.routes(hub, templates),
        *expert_questions.routes(hub, templates),
        *admin_questions.routes(hub, templates),
        *profile.routes(hub, templates, book),
        *content.routes(hub, templates),
        *content_admin.routes(hub, templates),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    loopback = None
    if settings.demo:
        # Demo sign-in and its cast are demo code: never imported by a production process.
        from hub.auth import demo as demo_auth
        from hub.demo import portals as demo_portals
        from hub.web import demo_mailbox

        loopback = demo_portals.Loopback(settings.base_url)
        routes += demo_auth.routes(hub, templates)
        routes += demo_mailbox.routes(hub, templates)
        routes += demo_portals.routes(hub, templates, loopback)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with scheduler.in_process(hub), watch_callers(hub.db.url, hub.db.callers):
                yield
        finally:
            await hub.close()

    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies),
        Middleware(CrashGuardMiddleware, error=errors.response),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, error=errors.response),
        Middleware(
            SessionMiddleware,
            store=hub.store,
            secure=settings.secure_cookies,
            idle=settings.session_idle_minutes * 60,
            absolute=settings.session_absolute_hours * 3600,
        ),
        Middleware(
            CSRFMiddleware,
            base_url=settings.base_url,
            exempt_prefixes=CSRF_EXEMPT,
            error=errors.response,
        ),
        Middleware(ChangeMiddleware, cache=pages),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: errors.http_exception},
        lifespan=lifespan,
    )
    if loopback is not None:
        loopback.bind(app)
    return app
