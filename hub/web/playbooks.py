"""Reactivation playbooks on the vendor's side: start them, follow their runs, see what worked.

``/program/playbooks`` (what worked), ``POST /program/playbooks/start`` (from the dormant
list, one row or the rows ticked, and from a partner's page), a run's page with its steps
and what a manager does there (retry a failed step, mark the expert session held, stop
the run), and ``/admin/playbooks`` where administrators define them. Partner users get a
403 everywhere; a partner or run that is not the caller's is a 404, the same answer as
one that does not exist, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin, require_principal
from hub.charts import Series, bar_chart
from hub.db.types import utcnow
from hub.i18n import N_, format_percent, translate
from hub.personas.catalogue import PersonaBook, roles
from hub.resources import Hub
from hub.services.playbooks import catalogue, results, runs
from hub.services.playbooks.definition import InvalidPlaybook
from hub.services.playbooks.outcomes import MIN_DECIDED
from hub.services.playbooks.runs import PlaybookNotFound, RunSummary, Target
from hub.services.playbooks.steps import Executor, StepNotFound, end_runs
from hub.services.program import views
from hub.web.playbook_form import KIND_NAMES, PlaybookForm, problems_by_field
from hub.web.rule_forms import readable
from hub.web.viewer import Viewer, load_viewer, locale_of

NOT_YOURS = N_("There is no such partner among yours.")
NO_RUN = N_("There is no such playbook run among your partners'.")
MAX_BULK = 200
INLINE_RUNS = 5
STATUS_NAMES = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Being sent"),
    "done": N_("Done"),
    "failed": N_("Failed"),
    "open": N_("To do: yours"),
    "running": N_("Running"),
    "finished": N_("Window over"),
    "stopped": N_("Stopped"),
}
VERDICTS = {
    "too_few": N_(
        "Too few runs to conclude: at least %(n)s decided on each side are needed before a "
        "difference means anything."
    ),
    "better": N_("More partners came back with the playbook than without, beyond chance (95 %%)."),
    "worse": N_("Fewer partners came back with the playbook than without, beyond chance (95 %%)."),
    "no_difference": N_(
        "No difference beyond chance yet: partners came back about as often without it."
    ),
}


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    partner_personas = [book[p] for p in book if p not in roles().vendor]

    async def vendor(request: Request) -> Viewer:
        principal = require_principal(request)
        locale = locale_of(request)
        if principal.persona not in roles().vendor:
            raise HTTPException(
                403, translate(locale, N_("Program insight is for the vendor's staff."))
            )
        return await load_viewer(hub.db, principal, locale)

    async def visible(viewer: Viewer) -> frozenset[int] | None:
        async with hub.db.session() as session:
            return await views.visible_orgs(session, viewer.principal.id)

    def render(
        request: Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> Response:
        return templates.TemplateResponse(
            request,
            name,
            {**helpers(locale_of(request)), **context},
            status_code=status,
            headers={"Cache-Control": "private, no-store"},
        )

    def executor() -> Executor:
        return Executor(hub.db, hub.backends, hub.settings)

    # --- what worked --------------------------------------------------------------------

    async def overview(request: Request) -> Response:
        viewer = await vendor(request)
        locale = locale_of(request)
        shown = await visible(viewer)
        now = utcnow()
        async with hub.db.session() as session:
            found = await results.results(session, now, shown)
        chart = bar_chart(
            translate(locale, N_("Partners that came back within the window")),
            [r.playbook.definition.name for r in found],
            [
                Series(
                    translate(locale, N_("With the playbook")),
                    tuple(_pct(r.treated.share) for r in found),
                ),
                Series(
                    translate(locale, N_("Held out (no steps)")),
                    tuple(_pct(r.holdout.share) for r in found),
                ),
            ],
            unit="%",
        )
        verdicts = {
            r.playbook.slug: translate(locale, VERDICTS[r.verdict.code], n=MIN_DECIDED)
            for r in found
        }
        return render(
            request,
            "program/playbooks.html",
            {"results": found, "reactivation_chart": chart, "verdicts": verdicts, "now": now},
        )

    # --- starting -----------------------------------------------------------------------

    async def start(request: Request) -> Response:
        viewer = await vendor(request)
        locale = locale_of(request)
        form = await request.form()
        keys = _keys(form)
        if not keys:
            raise HTTPException(
                400, translate(locale, N_("Choose at least one partner to start a playbook for."))
            )
        if len(keys) > MAX_BULK:
            raise HTTPException(
                400, translate(locale, N_("At most %(n)s partners at once."), n=MAX_BULK)
            )
        program = await views.program(hub.db, viewer.principal.id, utcnow())
        targets = []
        for key in keys:
            try:
                one = views.partner_of(program, key)
            except views.NotYours:
                raise HTTPException(404, translate(locale, NOT_YOURS)) from None
            targets.append(Target(one.org.id, one.slug, one.org.name))
        slug = str(form.get("playbook", ""))
        now = utcnow()
        try:
            report = await runs.start(hub.db, slug, targets, by=viewer.person.email, now=now)
        except PlaybookNotFound:
            raise HTTPException(
                400, translate(locale, N_("Choose one of the playbooks offered."))
            ) from None
        await hub.audit.record(
            request,
            actor=viewer.person.email,
            action="playbook_started",
            target=_audit_target(slug, [s.target.slug for s in report.started]),
        )
        # A few runs' steps are carried out now, each within its backend's timeout; what
        # fails shows with its reason. A larger start is the worker's (within a minute), so
        # the request does not wait on hundreds of backend calls.
        if len(report.run_ids) <= INLINE_RUNS:
            await executor().run_pending(now, report.run_ids)
        async with hub.db.session() as session:
            started = await runs.runs(
                session, run_ids=[s.run_id for s in report.started], with_steps=True
            )
        status = 409 if report.skipped and not report.started else 200
        return render(
            request,
            "program/playbook_started.html",
            {"report": report, "runs": started, "back": _back(form)},
            status=status,
        )

    # --- one run ------------------------------------------------------------------------

    async def load_run(request: Request) -> tuple[Viewer, RunSummary]:
        viewer = await vendor(request)
        shown = await visible(viewer)
        async with hub.db.session() as session:
            found = await runs.runs(
                session, run_ids=[request.path_params["run_id"]], with_steps=True
            )
        if not found or (shown is not None and found[0].org_id not in shown):
            raise HTTPException(404, translate(locale_of(request), NO_RUN))
        return viewer, found[0]

    async def run_page(request: Request) -> Response:
        _, run = await load_run(request)
        async with hub.db.session() as session:
            found = await results.tracked(session, [run], utcnow())
        tracked = found[0] if found else None
        return render(request, "program/playbook_run.html", {"run": run, "tracked": tracked})

    async def retry(request: Request) -> Response:
        viewer, run = await load_run(request)
        position = request.path_params["position"]
        try:
            await executor().retry(run.id, position, utcnow())
        except StepNotFound:
            raise HTTPException(
                409,
                translate(
                    locale_of(request), N_("Only a failed step of a running playbook is retried.")
                ),
            ) from None
        await hub.audit.record(
            request, actor=viewer.person.email, action="playbook_step_retried",
            target=f"run {run.id} step {position}",
        )  # fmt: skip
        return RedirectResponse(f"/program/playbooks/runs/{run.id}", status_code=303)

    async def task_done(request: Request) -> Response:
        viewer, run = await load_run(request)
        position = request.path_params["position"]
        form = await request.form()
        note = str(form.get("note", "")).strip()[:500]
        try:
            await executor().complete_task(run.id, position, note, utcnow())
        except StepNotFound:
            raise HTTPException(
                409, translate(locale_of(request), N_("That task is not open any more."))
            ) from None
        await hub.audit.record(
            request, actor=viewer.person.email, action="playbook_task_done",
            target=f"run {run.id} step {position}",
        )  # fmt: skip
        return RedirectResponse(f"/program/playbooks/runs/{run.id}", status_code=303)

    async def stop(request: Request) -> Response:
        viewer, run = await load_run(request)
        if not await end_runs(hub.db, [run.id], "stopped", utcnow()):
            raise HTTPException(
                409, translate(locale_of(request), N_("This playbook is not running any more."))
            )
        await hub.audit.record(
            request, actor=viewer.person.email, action="playbook_stopped", target=str(run.id)
        )
        return RedirectResponse(f"/program/playbooks/runs/{run.id}", status_code=303)

    # --- administrators -----------------------------------------------------------------

    async def admin_page(
        request: Request,
        form: PlaybookForm | None = None,
        *,
        problems: Mapping[str, str] | None = None,
    ) -> Response:
        async with hub.db.session() as session:
            found = await catalogue.playbooks(session)
        locale = locale_of(request)
        return render(
            request,
            "admin_playbooks.html",
            {
                "playbooks": found,
                "form": form,
                "problems": {
                    k: readable(locale, v.removeprefix("Value error, "))
                    for k, v in (problems or {}).items()
                },
                "personas": partner_personas,
                "kinds": list(KIND_NAMES),
            },
            status=422 if problems else 200,
        )

    async def admin_list(request: Request) -> Response:
        require_admin(request)
        return await admin_page(request)

    async def admin_new(request: Request) -> Response:
        require_admin(request)
        return await admin_page(request, PlaybookForm())

    async def admin_edit(request: Request) -> Response:
        require_admin(request)
        async with hub.db.session() as session:
            found = await catalogue.playbook(session, request.path_params["slug"])
        if found is None:
            raise HTTPException(404)
        return await admin_page(
            request, PlaybookForm.of(found.slug, found.definition, active=found.active)
        )

    async def admin_save(request: Request) -> Response:
        principal = require_admin(request)
        form = PlaybookForm.read(await request.form())
        values, problems = form.definition()
        if slug_problem := form.problem_for_slug():
            problems["slug"] = slug_problem
        if problems:
            return await admin_page(request, form, problems=problems)
        try:
            async with hub.db.transaction() as session:
                await catalogue.save_playbook(
                    session, form.slug, values, active=form.active, by=principal.email,
                    new=form.new,
                )  # fmt: skip
        except InvalidPlaybook as invalid:
            return await admin_page(
                request, form, problems=problems_by_field(form, invalid.problems)
            )
        except LookupError:
            raise HTTPException(404) from None
        await hub.audit.record(
            request, actor=principal.email, action="playbook_saved", target=form.slug
        )
        return RedirectResponse(f"/admin/playbooks#playbook-{form.slug}", status_code=303)

    return [
        Route("/program/playbooks", overview, name="program_playbooks"),
        Route("/program/playbooks/start", start, methods=["POST"]),
        Route("/program/playbooks/runs/{run_id:int}", run_page),
        Route("/program/playbooks/runs/{run_id:int}/steps/{position:int}/retry", retry,
              methods=["POST"]),
        Route("/program/playbooks/runs/{run_id:int}/steps/{position:int}/done", task_done,
              methods=["POST"]),
        Route("/program/playbooks/runs/{run_id:int}/stop", stop, methods=["POST"]),
        Route("/admin/playbooks", admin_list, name="admin_playbooks"),
        Route("/admin/playbooks", admin_save, methods=["POST"]),
        Route("/admin/playbooks/new", admin_new),
        Route("/admin/playbooks/{slug:str}", admin_edit),
    ]  # fmt: skip


def helpers(locale: str) -> dict[str, Any]:
    """What the playbook templates call to name states and kinds in the reader's language."""
    return {
        "step_status": lambda key: translate(locale, STATUS_NAMES.get(key) or key),
        "kind_name": lambda key: translate(locale, KIND_NAMES.get(key) or key),
        "percent": lambda share: format_percent(share, locale) if share is not None else "–",
        "step_reason": lambda step: _reason(locale, step),
    }


def _reason(locale: str, step: Any) -> str:
    """Why a step failed, in the reader's language (the backend's own words inside)."""
    failure = step.result.get("failure")
    if not isinstance(failure, dict) or not isinstance(failure.get("text"), str):
        return str(step.reason)
    params = failure.get("params") or {}
    try:
        return translate(locale, failure["text"], **{str(k): str(v) for k, v in params.items()})
    except (KeyError, ValueError, TypeError):
        return str(step.reason)


def _keys(form: FormData) -> list[str]:
    """The partners asked for: one row's button (``one``), else the rows ticked."""
    one = form.get("one")
    if isinstance(one, str) and one:
        return [one]
    return list(dict.fromkeys(str(v) for v in form.getlist("selected") if isinstance(v, str)))


def _back(form: FormData) -> str:
    back = form.get("back")
    if isinstance(back, str) and back.startswith("/program") and not back.startswith("//"):
        return back
    return "/program/partners?status=dormant"


def _audit_target(slug: str, started: list[str]) -> str:
    """The playbook and whom it was started on, within the audit log's 500 characters."""
    text = f"{slug}: {', '.join(started)}"
    return text if len(text) <= 500 else f"{text[:440]}… ({len(started)} partners)"


def _pct(share: float | None) -> float | None:
    return round(100 * share, 1) if share is not None else None


async def partner_context(hub: Hub, org_id: int, locale: str) -> dict[str, Any]:
    """What a partner's page shows of playbooks: its running one, its past ones, and the
    playbooks it can be started on."""
    async with hub.db.session() as session:
        own = await runs.runs(session, org_ids=[org_id], with_steps=True)
        offered = await catalogue.playbooks(session, active_only=True)
    running = next((run for run in own if run.status == runs.RUNNING), None)
    return {
        **helpers(locale),
        "playbook_running": running,
        "playbook_past": [run for run in own if run is not running],
        "playbooks_offered": offered,
    }


async def list_context(hub: Hub, org_ids: list[int], locale: str) -> dict[str, Any]:
    """What the partner list shows: the playbooks to start, and who is in one already."""
    async with hub.db.session() as session:
        offered = await catalogue.playbooks(session, active_only=True)
        running = await runs.running_for(session, org_ids)
    return {**helpers(locale), "playbooks_offered": offered, "playbook_running": running}
