"""Demo sign-in: pick a seeded person and become them. Mounted only in demo mode."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2_fragments.starlette import Jinja2Blocks
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.redirects import safe_next
from hub.auth.signin import start_session
from hub.db import User
from hub.demo.cast import USERS
from hub.demo.population import all_users
from hub.resources import Hub
from hub.services.users import user_by_email

DEMO_EMAILS = tuple(person.email for person in USERS)


def demo_person(email: str) -> bool:
    """Whether ``email`` is one of the demo's people: the cast listed on the page, or one of
    the population's (not listed; benchmarks and curious visitors sign in as them by email)."""
    day = datetime.now(UTC).date()
    return email in DEMO_EMAILS or any(person.email == email for person in all_users(day))


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def demo_page(request: Request) -> Response:
        async with hub.db.session() as session:
            users = (
                await session.scalars(
                    select(User)
                    .where(User.email.in_(DEMO_EMAILS))
                    .options(selectinload(User.partner_org))
                )
            ).all()
        ordered = sorted(users, key=lambda user: DEMO_EMAILS.index(user.email))
        return templates.TemplateResponse(
            request,
            "demo_signin.html",
            {"users": ordered, "next": safe_next(request.query_params.get("next"))},
        )

    async def demo_sign_in(request: Request) -> Response:
        form = await request.form()
        email = form.get("email")
        if not isinstance(email, str) or not demo_person(email):
            raise HTTPException(400, "Choose one of the demo people listed on this page.")
        async with hub.db.session() as session:
            user = await user_by_email(session, email)
        if user is None:
            raise HTTPException(400, "The demo data is not seeded; run `hub seed-demo`.")
        await start_session(request, hub.db, hub.audit, user, method="demo")
        target = form.get("next")
        return RedirectResponse(
            safe_next(target if isinstance(target, str) else None), status_code=303
        )

    return [
        Route("/auth/demo", demo_page, name="demo_signin"),
        Route("/auth/demo", demo_sign_in, methods=["POST"]),
    ]
