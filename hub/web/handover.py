"""A partner's timeline, notes and hand-over, on the partner's page of program insight.

Every route here sits under ``/program/partners/{key}`` and goes through the program's
own access check: vendor staff only (403 for partner users), and a partner that is not
the caller's is a 404. Notes and hand-over notes are vendor-only: no partner-facing page,
widget or API reads the tables they live in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.db.types import utcnow
from hub.i18n import N_, format_amount, translate
from hub.resources import Hub
from hub.services.handover import assignment, notes, timeline
from hub.services.handover.assignment import AssignmentRefused, Inherited
from hub.services.handover.briefing import Briefing, briefing
from hub.services.handover.timeline import Entry
from hub.services.program import views
from hub.services.program.views import PartnerInsight, PartnerPage, Program
from hub.web.program_access import partner_or_404
from hub.web.viewer import Viewer, locale_of

Load = Callable[[Request], Awaitable[tuple[Viewer, Program]]]
Render = Callable[..., Response]

ENTRY_TITLES = {
    "deal_registered": N_("Deal registered for %(customer)s (%(amount)s)"),
    "deal_won": N_("Deal won (%(amount)s)"),
    "meeting_held": N_("Meeting held: %(subject)s"),
    "call_logged": N_("Call, email or task logged: %(subject)s"),
    "partner_joined": N_("Joined the program"),
    "course_completed": N_("Course completed: %(course)s"),
    "quiz_passed": N_("Quiz passed: %(name)s"),
    "campaign_redistributed": N_("Campaign shared (%(channel)s)"),
    "lead_shared": N_("Lead shared with the vendor"),
    "vendor_email_sent": N_("The vendor emailed this partner's people"),
    "vendor_email_opened": N_("A vendor email was opened"),
    "claim_submitted": N_("Incentive claim submitted: %(program)s"),
    "sign_in": N_("Signed in to the hub"),
    "question_asked": N_("Asked the vendor's experts a question"),
    "question_answered": N_("The vendor's experts answered a question"),
    "survey_answered": N_("Answered the pulse survey “%(text)s”"),
    "kudos": N_("Kudos: %(who)s"),
    "reassigned": N_("Handed over from %(from)s to %(to)s by %(who)s"),
    "note": N_("Note by %(who)s"),
    # Entries of the capabilities wired in at merge (playbooks, deal conflicts).
    "playbook": N_("Playbook"),
    "conflict": N_("Deal conflict"),
}
# Kinds whose text is the point (shown under the title, escaped).
WITH_TEXT = {"kudos", "reassigned", "note"}
BRIEFING_NAMES = {"playbooks": N_("Open playbooks"), "conflicts": N_("Deal conflicts waiting")}
SAID = {
    "noted": N_("Your note is saved. Only the vendor's staff can read it."),
    "handed": N_(
        "The partner is handed over. The new manager sees a briefing on first opening it."
    ),
}
REFUSALS = {
    "note_missing": N_("Write a hand-over note for the new manager."),
    "note_too_long": N_("The hand-over note is too long: at most 2,000 characters."),
    "no_such_manager": N_("Choose one of the channel managers."),
    "same_manager": N_("That channel manager already has this partner."),
    "not_yours": N_("Only the partner's channel manager or an administrator may hand it over."),
}


def entry_title(locale: str, entry: Entry) -> str:
    """What one timeline entry says, in the reader's language."""
    detail = entry.detail
    amount = ""
    if "amount" in detail and "currency" in detail:
        try:
            amount = format_amount(Decimal(str(detail["amount"])), locale, str(detail["currency"]))
        except ArithmeticError:
            amount = f"{detail['amount']} {detail['currency']}"
    template = ENTRY_TITLES.get(entry.kind)
    if template is None:
        return entry.kind.replace("_", " ").capitalize()
    values = {key: str(value) for key, value in detail.items()}
    values.setdefault("customer", entry.text)
    return translate(
        locale,
        template,
        **{
            "customer": "", "subject": "", "course": entry.text, "name": entry.text,
            "channel": "", "program": "", "from": "", "to": "",
            **values,
            "amount": amount,
            "text": entry.text,
            "who": entry.who,
        },
    )  # fmt: skip


def shows_text(entry: Entry) -> bool:
    return entry.kind in WITH_TEXT or entry.kind not in ENTRY_TITLES


def _far_future() -> datetime:
    return utcnow() + timedelta(days=3650)  # deals can close in the future


async def first_view(
    hub: Hub, viewer: Viewer, one: PartnerInsight, page: PartnerPage, locale: str
) -> Briefing | None:
    """The briefing, if ``one`` was handed to the caller and they have not opened it yet."""
    change = await assignment.pending_briefing(hub.db, one.org.id, viewer.principal.email)
    if change is None:
        return None
    found = await briefing(hub.db, one, page, change, locale=locale)
    await assignment.mark_read(hub.db, change.id, utcnow())
    return found


async def partner_context(
    hub: Hub, request: Request, viewer: Viewer, one: PartnerInsight
) -> dict[str, Any]:
    """What the partner's page adds: the timeline's first page, the note and hand-over forms."""
    locale = locale_of(request)
    async with hub.db.session() as session:
        managers = await assignment.channel_managers(session)
        current = (await assignment.managers_of(session)).get(one.org.id, [])
    page = await timeline.timeline(
        hub.db, one.org.id, before=_far_future(), locale=locale_of(request)
    )
    return {
        "timeline": page,
        "entry_title": lambda entry: entry_title(locale, entry),
        "shows_text": shows_text,
        "managers": [m for m in managers if m.email not in {e for e, _ in current}],
        "note_max": notes.NOTE_MAX,
        "said": said(request),
    }


def said(request: Request) -> str:
    """What the last change did, from its redirect (only the hub's own sentences)."""
    key = request.query_params.get("said", "")
    return translate(locale_of(request), SAID[key]) if key in SAID else ""


async def inherited(hub: Hub, viewer: Viewer) -> list[Inherited]:
    return await assignment.inherited_unread(hub.db, viewer.principal.email)


def routes(hub: Hub, load: Load, render: Render) -> list[BaseRoute]:
    async def partner_of(request: Request) -> tuple[Viewer, Program, PartnerInsight]:
        viewer, found = await load(request)
        return viewer, found, partner_or_404(found, request.path_params["key"], locale_of(request))

    async def show_timeline(request: Request) -> Response:
        _, found, one = await partner_of(request)
        locale = locale_of(request)
        raw = request.query_params.get("before", "")
        before: datetime | None
        try:
            given = datetime.fromisoformat(raw) if raw else _far_future()
            before = given.astimezone(UTC) if given.tzinfo else None
        except (ValueError, OverflowError):
            before = None
        if before is None:
            raise HTTPException(
                400,
                translate(locale, N_("before: a moment with its time zone, as the page gives it")),
            )
        page = await timeline.timeline(hub.db, one.org.id, before=before, locale=locale_of(request))
        htmx = request.headers.get("hx-request") == "true"
        return render(
            request,
            "program/timeline.html",
            {
                "found": found,
                "p": one,
                "timeline": page,
                "entry_title": lambda entry: entry_title(locale, entry),
                "shows_text": shows_text,
            },
            block="entries" if htmx else None,
        )

    async def add_note(request: Request) -> Response:
        viewer, _, one = await partner_of(request)
        locale = locale_of(request)
        form = await request.form()
        try:
            await notes.add_note(
                hub.db,
                one.org.id,
                str(form.get("body", "")),
                author_email=viewer.principal.email,
                author_name=viewer.principal.name,
                now=utcnow(),
            )
        except notes.NoteRefused as refused:
            message = (
                N_("The note is too long: at most 2,000 characters. Shorten it and save again.")
                if str(refused) == "too_long"
                else N_("The note is empty: write something to save.")
            )
            raise HTTPException(422, translate(locale, message)) from None
        await hub.audit.record(
            request, actor=viewer.principal.email, action="partner_note_added", target=one.slug
        )
        return RedirectResponse(
            f"/program/partners/{one.slug}?said=noted#timeline", status_code=303
        )

    async def reassign(request: Request) -> Response:
        viewer, _, one = await partner_of(request)
        locale = locale_of(request)
        form = await request.form()
        try:
            change = await assignment.reassign(
                hub.db,
                one.org.id,
                to_email=str(form.get("manager", "")),
                note=str(form.get("note", "")),
                by_email=viewer.principal.email,
                by_roles=viewer.principal.roles,
                may_see=True,  # partner_of above: the caller sees this partner
                now=utcnow(),
            )
        except AssignmentRefused as refused:
            raise HTTPException(422, translate(locale, REFUSALS[refused.code])) from None
        await hub.audit.record(
            request,
            actor=viewer.principal.email,
            action="partner_reassigned",
            target=one.slug,
            reason=f"to {change.to_email}",
        )
        _, still = await load(request)
        if any(p.slug == one.slug for p in still.partners):
            return RedirectResponse(f"/program/partners/{one.slug}?said=handed", status_code=303)
        return RedirectResponse("/program?said=handed", status_code=303)

    async def show_briefing(request: Request) -> Response:
        viewer, found, one = await partner_of(request)
        change = await assignment.latest_handover(hub.db, one.org.id, viewer.principal.email)
        if change is None:
            raise HTTPException(
                404, translate(locale_of(request), N_("This partner was not handed over to you."))
            )
        page = await views.partner_page(hub.db, found, one)
        return render(
            request,
            "program/briefing.html",
            {
                "found": found,
                **briefing_context(
                    request,
                    await briefing(hub.db, one, page, change, locale=locale_of(request)),
                ),
            },
        )

    return [
        Route("/program/partners/{key:str}/timeline", show_timeline, name="program_timeline"),
        Route("/program/partners/{key:str}/notes", add_note, methods=["POST"]),
        Route("/program/partners/{key:str}/assign", reassign, methods=["POST"]),
        Route("/program/partners/{key:str}/briefing", show_briefing, name="program_briefing"),
    ]


def briefing_context(request: Request, found: Briefing) -> dict[str, Any]:
    locale = locale_of(request)
    return {
        "b": found,
        "briefing_name": lambda key: (
            translate(locale, BRIEFING_NAMES[key]) if key in BRIEFING_NAMES else key
        ),
    }
