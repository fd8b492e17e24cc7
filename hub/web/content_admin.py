"""Administrators' side of the library: who used which item, by segment, announcements, rules.

``GET /admin/content`` lists the most used items with how many partner orgs viewed,
opened or finished each, by tier, region or partner type (``?by=``); its form writes an announcement (targeting by
persona, tier and region, optionally pinned for a number of days), audited. Its
targeting rules (``POST /admin/content/rules``, ``…/rules/<id>/delete``) narrow a whole
source, one collection or one item to some personas and segments, pin an item or mark
it superseded (:mod:`hub.services.content.rules`), audited too.
"""

from __future__ import annotations

from datetime import timedelta

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.db.types import utcnow
from hub.i18n import N_, translate
from hub.personas.audience import Audience
from hub.personas.catalogue import default_personas, roles
from hub.resources import Hub
from hub.services.content import rules as content_rules
from hub.services.content import usage
from hub.services.content.announcements import Announcement, publish
from hub.web.content import KIND_WORDS, product_names, safe_link
from hub.web.viewer import locale_of

MAX_PIN_DAYS = 90

# ``?by=`` of the usage table: the segment and the column heading it gets.
SEGMENT_WORDS = {"tier": N_("By tier"), "region": N_("By region"), "type": N_("By partner type")}


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def overview(request: Request) -> Response:
        require_admin(request)
        segment = request.query_params.get("by", "tier")
        if segment not in usage.SEGMENTS:
            raise HTTPException(
                400,
                translate(
                    locale_of(request), N_("Break the use down by tier, region or partner type.")
                ),
            )
        async with hub.db.session() as session:
            used = await usage.usage(session, segment)
            rules = await content_rules.all_rules(session)
            sources = await content_rules.sources(session)
        return templates.TemplateResponse(
            request,
            "content/admin.html",
            {
                "used": used,
                "segment": segment,
                "segments": SEGMENT_WORDS,
                "kinds": KIND_WORDS,
                "personas": [
                    (p.id, p.title) for p in default_personas() if p.audience is Audience.PARTNER
                ],
                "published": request.query_params.get("published") == "1",
                "rules": rules,
                "sources": sources,
                "products": product_names(hub),
                "said": {
                    "saved": N_("The rule is saved; the library follows it now."),
                    "deleted": N_("The rule is gone; the library follows the rest."),
                }.get(request.query_params.get("rule", "")),
            },
            headers={"Cache-Control": "private, no-store"},
        )

    async def announce(request: Request) -> Response:
        principal = require_admin(request)
        locale = locale_of(request)
        form = await request.form()

        def refuse(message: str) -> HTTPException:
            return HTTPException(422, translate(locale, message))

        title = str(form.get("title") or "").strip()
        summary = str(form.get("summary") or "").strip()
        link = str(form.get("link") or "").strip()
        language = str(form.get("language") or "en")
        if not title or len(title) > 200:
            raise refuse(N_("An announcement needs a title of at most 200 characters."))
        if len(summary) > 2000:
            raise refuse(N_("The text may have at most 2,000 characters."))
        if link and not safe_link(link):
            raise refuse(N_("The link must start with https:// or be a path of the hub."))
        if language not in {"en", "de"}:
            raise refuse(N_("That language is not offered."))
        personas = tuple(str(p) for p in form.getlist("persona"))
        if any(p not in roles().known for p in personas):
            raise refuse(N_("That role does not exist."))
        try:
            days = int(str(form.get("pin_days") or "0"))
        except ValueError:
            days = -1
        if not 0 <= days <= MAX_PIN_DAYS:
            raise refuse(N_("Pin for between 0 and 90 days."))
        now = utcnow()
        words = str(form.get("tiers") or "") + "," + str(form.get("regions") or "")
        if len(words) > 400:
            raise refuse(N_("Name at most a few tiers and regions."))
        announcement = Announcement(
            title=title,
            summary=summary,
            language=language,
            link=link,
            personas=personas,
            tiers=_listed(form.get("tiers")),
            regions=_listed(form.get("regions")),
            pinned_until=now + timedelta(days=days) if days else None,
        )
        item_id = await publish(hub.db, announcement, author=principal.email, now=now)
        await hub.audit.record(
            request,
            actor=principal.email,
            action="content_announcement",
            target=f"content:{item_id}",
            reason=f"pinned {days} days" if days else "",
        )
        return RedirectResponse("/admin/content?published=1", status_code=303)

    async def save_rule(request: Request) -> Response:
        principal = require_admin(request)
        locale = locale_of(request)
        form = await request.form()
        try:
            days = int(str(form.get("pin_days") or "0"))
        except ValueError:
            days = -1
        if not 0 <= days <= MAX_PIN_DAYS:
            raise HTTPException(422, translate(locale, N_("Pin for between 0 and 90 days.")))
        now = utcnow()
        spec = content_rules.RuleSpec(
            scope=str(form.get("scope") or ""),
            source=str(form.get("source") or "")[:64],
            collection=str(form.get("collection") or "").strip()[:200],
            external_id=str(form.get("external_id") or "").strip()[:200],
            personas=tuple(str(p) for p in form.getlist("persona")),
            partner_types=_listed(form.get("partner_types")),
            tiers=_listed(form.get("tiers")),
            regions=_listed(form.get("regions")),
            languages=tuple(str(code) for code in form.getlist("language")),
            pinned_until=now + timedelta(days=days) if days else None,
            superseded_by=str(form.get("superseded_by") or "").strip()[:200],
        )
        try:
            rule_id = await content_rules.save_rule(
                hub.db, spec, known_personas=sorted(roles().known), by=principal.email, now=now
            )
        except content_rules.RuleRefused as refused:
            raise HTTPException(
                422, translate(locale, refused.message, **refused.variables)
            ) from None
        target = spec.external_id or spec.collection or "*"
        await hub.audit.record(
            request, actor=principal.email, action="content_rule",
            target=f"content-rule:{rule_id}", reason=f"{spec.scope} {spec.source}/{target}",
        )  # fmt: skip
        return RedirectResponse("/admin/content?rule=saved#rules", status_code=303)

    async def delete_rule(request: Request) -> Response:
        principal = require_admin(request)
        rule_id = int(request.path_params["id"])
        if not await content_rules.delete_rule(hub.db, rule_id):
            raise HTTPException(404, translate(locale_of(request), N_("There is no such rule.")))
        await hub.audit.record(
            request, actor=principal.email, action="content_rule_deleted",
            target=f"content-rule:{rule_id}",
        )  # fmt: skip
        return RedirectResponse("/admin/content?rule=deleted#rules", status_code=303)

    return [
        Route("/admin/content", overview, name="admin_content"),
        Route("/admin/content/announcements", announce, methods=["POST"]),
        Route("/admin/content/rules", save_rule, methods=["POST"]),
        Route("/admin/content/rules/{id:int}/delete", delete_rule, methods=["POST"]),
    ]


def _listed(value: object) -> tuple[str, ...]:
    """Comma-separated words as a tuple, blanks dropped."""
    return tuple(word.strip() for word in str(value or "").split(",") if word.strip())
