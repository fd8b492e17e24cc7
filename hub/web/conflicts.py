"""The conflict queue, ``/program/conflicts``, and the policy page, ``/admin/program/conflicts``.

Vendor staff only, as every program page: a partner user gets a 403; a conflict that is
not the caller's (none of its partners theirs, or no such id) is a 404, the same answer
for both. Deciding writes back to the PRM before anything is recorded; a second decision
of the same conflict is a 409, a refused write-back a 502 with the conflict left open.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin, require_principal
from hub.db.types import utcnow
from hub.i18n import N_, translate
from hub.personas.catalogue import roles
from hub.resources import Hub
from hub.services.conflicts import queue
from hub.services.conflicts.policy import (
    SETTING_KEY,
    InvalidConflictPolicy,
    conflict_policy,
    save_conflict_policy,
)
from hub.web.viewer import locale_of

STATE_NAMES = {
    "open": N_("registered, waiting"),
    "approved": N_("approved"),
    "rejected": N_("not approved"),
    "expired": N_("expired"),
    "lost": N_("lost"),
}
DECISION_NAMES = {
    "first": N_("the first registration approved, the other not"),
    "second": N_("the second registration approved, the other not"),
    "both": N_("both approved"),
}
POLICY_NAMES = {
    "first_to_register": N_("First to register wins"),
    "vendor_decides": N_("The vendor decides each one"),
}


def _label(locale: str, names: dict[str, str], key: str) -> str:
    return translate(locale, names[key]) if key in names else key


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def visible(request: Request) -> frozenset[int] | None:
        principal = require_principal(request)
        if principal.persona not in roles().vendor:
            raise HTTPException(
                403,
                translate(locale_of(request), N_("Program insight is for the vendor's staff.")),
            )
        return await queue.visible_to(hub.db, principal.id)

    def render(
        request: Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> Response:
        locale = locale_of(request)
        helpers = {
            "state_name": lambda key: _label(locale, STATE_NAMES, key),
            "match_name": lambda key: _label(locale, queue.MATCH_NAMES, key),
            "decision_name": lambda key: _label(locale, DECISION_NAMES, key),
            "policy_name": lambda key: _label(locale, POLICY_NAMES, key),
            "product_of": lambda source: (
                hub.backends.named(source).config.product  # type: ignore[union-attr]
                if hub.backends.named(source)
                else source
            ),
        }
        return templates.TemplateResponse(
            request,
            name,
            {**helpers, **context},
            status_code=status,
            headers={"Cache-Control": "private, no-store"},
        )

    async def page(request: Request, *, problem: str = "", status: int = 200) -> Response:
        seen = await visible(request)
        policy, conflicts = await queue.conflicts_for(hub.db, seen)
        return render(
            request,
            "program/conflicts.html",
            {
                "policy": policy,
                "waiting": [c for c in conflicts if c.status != "resolved"],
                "decided": [c for c in conflicts if c.status == "resolved"],
                "problem": problem,
                "done": request.query_params.get("done", ""),
            },
            status=status,
        )

    async def overview(request: Request) -> Response:
        return await page(request)

    async def resolve(request: Request) -> Response:
        principal = require_principal(request)
        seen = await visible(request)
        locale = locale_of(request)
        conflict_id = int(request.path_params["id"])
        form = await request.form()
        decision, note = str(form.get("decision", "")), str(form.get("note", ""))
        target = f"conflict:{conflict_id}"
        try:
            await queue.resolve(
                hub.db, hub.backends, conflict_id, decision=decision, note=note,
                by=principal.email, visible=seen, now=utcnow(),
            )  # fmt: skip
        except queue.NotYours:
            raise HTTPException(
                404, translate(locale, N_("There is no such conflict among yours."))
            ) from None
        except queue.BadDecision as bad:
            message = (
                N_(
                    "Accepting both registrations needs a note saying why (at most 1,000 characters)."
                )
                if str(bad) == "note"
                else N_("Choose which registration to approve, or accept both.")
            )
            return await page(request, problem=translate(locale, message), status=422)
        except queue.AlreadyDecided:
            await hub.audit.record(
                request, actor=principal.email, action="conflict_resolved", target=target,
                outcome="refused", reason="already decided by someone else",
            )  # fmt: skip
            return await page(
                request,
                problem=translate(
                    locale,
                    N_(
                        "Someone else decided this conflict a moment ago; the queue shows what they decided."
                    ),
                ),
                status=409,
            )
        except queue.WriteBackFailed as failed:
            await hub.audit.record(
                request, actor=principal.email, action="conflict_resolved", target=target,
                outcome="failed", reason=f"{decision}: write-back failed: {failed}",
            )  # fmt: skip
            return await page(
                request,
                problem=translate(
                    locale,
                    N_(
                        "The PRM did not take the decision, so nothing was recorded and the conflict is still open: %(why)s"
                    ),
                    why=str(failed),
                ),
                status=502,
            )
        await hub.audit.record(
            request, actor=principal.email, action="conflict_resolved", target=target,
            reason=f"{decision}: {note.strip()}" if note.strip() else decision,
        )  # fmt: skip
        return RedirectResponse(f"/program/conflicts?done={conflict_id}", status_code=303)

    async def policy_page(request: Request, *, problem: str = "", status: int = 200) -> Response:
        require_admin(request)
        async with hub.db.session() as session:
            policy = await conflict_policy(session)
        return render(
            request,
            "program/conflict_policy.html",
            {"policy": policy, "problem": problem, "policies": POLICY_NAMES},
            status=status,
        )

    async def policy_get(request: Request) -> Response:
        return await policy_page(request)

    async def policy_save(request: Request) -> Response:
        principal = require_admin(request)
        form = await request.form()
        document = {
            "policy": str(form.get("policy", "")),
            "window_days": str(form.get("window_days", "")).strip(),
            "threshold": str(form.get("threshold", "")).strip(),
        }
        try:
            async with hub.db.transaction() as session:
                saved = await save_conflict_policy(session, document)
        except InvalidConflictPolicy as error:
            return await policy_page(request, problem=str(error), status=422)
        await hub.audit.record(
            request, actor=principal.email, action="conflict_policy_saved", target=SETTING_KEY,
            reason=f"{saved.policy}, {saved.window_days} days, threshold {saved.threshold:g}",
        )  # fmt: skip
        return RedirectResponse("/admin/program/conflicts", status_code=303)

    return [
        Route("/program/conflicts", overview, name="program_conflicts"),
        Route("/program/conflicts/{id:int}/resolve", resolve, methods=["POST"]),
        Route("/admin/program/conflicts", policy_get, name="admin_conflicts"),
        Route("/admin/program/conflicts", policy_save, methods=["POST"]),
    ]
