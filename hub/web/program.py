"""The channel manager's program views: ``/program``, ``/program/partners`` and one partner.

Vendor staff only: a partner user gets a 403 on every route, and a partner that is not
the caller's (another manager's, or no such key) is a 404, the same answer for both. The
list's filters and sort are in the query, so the CSV export (``?format=csv``) is exactly
the rows shown, streamed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.charts import Series, bar_chart, line_chart, row_chart
from hub.db.types import utcnow
from hub.i18n import N_, format_percent, format_period_key, translate
from hub.resources import Hub
from hub.services.conflicts import queue as conflict_queue
from hub.services.program import summaries, views
from hub.services.program.config import (
    SETTING_KEY,
    InvalidProgramConfig,
    ProgramConfig,
    program_config,
    save_program_config,
)
from hub.services.program.views import PartnerInsight, Program
from hub.web import handover, playbooks
from hub.web.program_access import load_program, partner_or_404
from hub.web.viewer import Viewer, locale_of
from hub.widgets.program_words import (
    METRIC_NAMES,
    SPARED_NAMES,
    STAGE_NAMES,
    STATUS_NAMES,
    STATUS_ORDER,
    label,
    reason_text,
    source_name,
)

PAGE_SIZE = 50
STATUSES = ("dormant", "at_risk", "active")
SORTS: Mapping[str, Callable[[PartnerInsight], Any]] = {
    "value": lambda p: p.value.at_risk,
    "score": lambda p: p.score.total,
    "moved": lambda p: p.score.moved,
    "since": lambda p: p.dormancy.since.timestamp() if p.dormancy.since else 0.0,
    "name": lambda p: p.org.name.lower(),
}


@dataclass(frozen=True)
class Filters:
    """The list's filters and sort, read (and checked) from the query."""

    status: str = ""
    stage: str = ""
    tier: str = ""
    region: str = ""
    q: str = ""
    sort: str = ""
    descending: bool = True
    page: int = 1

    def matches(self, partner: PartnerInsight) -> bool:
        org = partner.org
        return (
            (not self.status or partner.dormancy.status == self.status)
            and (not self.stage or partner.stage == self.stage)
            and (not self.tier or org.tier == self.tier)
            and (not self.region or org.region == self.region)
            and (not self.q or self.q.lower() in org.name.lower())
        )

    def query(self, **changes: Any) -> str:
        values = {
            "status": self.status,
            "stage": self.stage,
            "tier": self.tier,
            "region": self.region,
            "q": self.q,
            "sort": self.sort,
            "dir": "" if self.descending else "asc",
        }
        values.update({key: str(value) for key, value in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})


def filters_of(request: Request, found: Program, locale: str) -> Filters:
    params = request.query_params
    stages = {stage.id for stage in found.config.stages}

    def chosen(name: str, allowed: Sequence[str] | set[str]) -> str:
        value = params.get(name, "")
        if value and value not in allowed:
            raise HTTPException(
                400, translate(locale, N_("%(name)s: not one of the choices"), name=name)
            )
        return value

    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        raise HTTPException(400, translate(locale, N_("page: a whole number"))) from None
    q = params.get("q", "")[:100]
    return Filters(
        status=chosen("status", STATUSES),
        stage=chosen("stage", stages),
        tier=chosen("tier", sorted({p.org.tier for p in found.partners})),
        region=chosen("region", sorted({p.org.region for p in found.partners})),
        q=q,
        sort=chosen("sort", list(SORTS)),
        descending=params.get("dir", "") != "asc",
        page=page,
    )


def ordered(partners: Sequence[PartnerInsight], filters: Filters) -> list[PartnerInsight]:
    shown = [p for p in partners if filters.matches(p)]
    if filters.sort:
        return sorted(shown, key=SORTS[filters.sort], reverse=filters.descending)
    return sorted(shown, key=lambda p: (STATUS_ORDER[p.dormancy.status], -p.value.at_risk))


def render_program(
    hub: Hub,
    templates: Jinja2Blocks,
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    block: str | None = None,
) -> Response:
    """A program page (or one named block of it, for htmx), with the words its templates use."""
    locale = locale_of(request)
    helpers = {
        "stage_name": lambda key: label(locale, STAGE_NAMES, key),
        "metric_name": lambda key: label(locale, METRIC_NAMES, key),
        "source_name": lambda key: source_name(hub.backends, locale, key),
        "status_name": lambda key: label(locale, STATUS_NAMES, key),
        "spared_name": lambda key: label(locale, SPARED_NAMES, key),
        "reason_text": lambda r: reason_text(locale, r.code, r.days, r.detail),
    }
    return templates.TemplateResponse(
        request,
        name,
        {**helpers, **context},
        status_code=status,
        headers={"Cache-Control": "private, no-store"},
        block_name=block,
    )


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def load(request: Request) -> tuple[Viewer, Program]:
        return await load_program(hub, request)

    def render(
        request: Request,
        name: str,
        context: dict[str, Any],
        *,
        status: int = 200,
        block: str | None = None,
    ) -> Response:
        return render_program(hub, templates, request, name, context, status=status, block=block)

    async def overview(request: Request) -> Response:
        viewer, found = await load(request)
        locale = locale_of(request)
        steps = found.funnel.steps
        funnel_chart = row_chart(
            translate(locale, N_("Journey funnel: partners that reached each stage")),
            [label(locale, STAGE_NAMES, step.stage) for step in steps],
            [float(step.reached) for step in steps],
            notes=[
                format_percent(step.conversion, locale) if step.conversion is not None else ""
                for step in steps
            ],
        )
        points = found.activation
        activation_chart = line_chart(
            translate(locale, N_("Activation rate at each month's end")),
            [format_period_key(point.month, locale) for point in points],
            [
                Series(
                    translate(locale, N_("Activated partners")),
                    tuple(
                        round(100 * point.rate, 1) if point.rate is not None else None
                        for point in points
                    ),
                )
            ],
            unit="%",
        )
        buckets = found.score_buckets()
        score_chart = bar_chart(
            translate(locale, N_("Engagement score: partners per band")),
            [band for band, _ in buckets],
            [Series(translate(locale, N_("Partners")), tuple(float(n) for _, n in buckets))],
        )
        up, down = found.movers()
        dormant = ordered([p for p in found.partners if p.dormancy.status != "active"], Filters())
        stars = [p for p in found.partners if p.star]
        waiting = await conflict_queue.open_count(
            hub.db, await conflict_queue.visible_to(hub.db, viewer.principal.id)
        )
        return render(
            request,
            "program/overview.html",
            {
                "found": found,
                "counts": found.counts(),
                "funnel_chart": funnel_chart,
                "activation_chart": activation_chart,
                "score_chart": score_chart,
                "up": up,
                "down": down,
                "dormant": dormant[:10],
                "stars": stars,
                "inherited": await handover.inherited(hub, viewer),
                "said": handover.said(request),
                "conflicts_waiting": waiting,
            },
        )

    async def partners(request: Request) -> Response:
        _, found = await load(request)
        locale = locale_of(request)
        filters = filters_of(request, found, locale)
        rows = ordered(found.partners, filters)
        if request.query_params.get("format") == "csv":
            return csv_export(rows, found, locale)
        start = (filters.page - 1) * PAGE_SIZE
        page_rows = rows[start : start + PAGE_SIZE]
        return render(
            request,
            "program/partners.html",
            {
                **await playbooks.list_context(hub, [p.org.id for p in page_rows], locale),
                "back": f"/program/partners?{filters.query(page=filters.page)}",
                "found": found,
                "rows": page_rows,
                "total": len(rows),
                "filters": filters,
                "pages": max(1, -(-len(rows) // PAGE_SIZE)),
                "tiers": sorted({p.org.tier for p in found.partners}),
                "regions": sorted({p.org.region for p in found.partners}),
                "statuses": STATUSES,
            },
        )

    def csv_export(rows: Sequence[PartnerInsight], found: Program, locale: str) -> Response:
        currency = found.config.reporting_currency
        header = [
            "partner", "key", "tier", "region", "partner_type", "status", "since",
            "reasons", "stage", "score", "score_moved", f"value_at_risk_{currency}",
            "owners",
        ]  # fmt: skip

        async def lines() -> AsyncIterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            for p in rows:
                writer.writerow(
                    [
                        _cell(p.org.name), p.slug, p.org.tier, p.org.region,
                        p.org.partner_type, p.dormancy.status,
                        p.dormancy.since.date().isoformat() if p.dormancy.since else "",
                        _cell("; ".join(
                            reason_text(locale, r.code, r.days, r.detail)
                            for r in p.dormancy.reasons
                        )),
                        p.stage, f"{p.score.total:.1f}", f"{p.score.moved:+.1f}",
                        f"{p.value.at_risk:.2f}", _cell("; ".join(p.owners)),
                    ]
                )  # fmt: skip
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

        return StreamingResponse(
            lines(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="partners.csv"',
                "Cache-Control": "private, no-store",
            },
        )

    async def partner(request: Request) -> Response:
        viewer, found = await load(request)
        locale = locale_of(request)
        one = partner_or_404(found, request.path_params["key"], locale)
        page = await views.partner_page(hub.db, found, one)
        briefing = await handover.first_view(hub, viewer, one, page, locale_of(request))
        if briefing is not None:  # an inherited partner's first view is its briefing
            return render(
                request,
                "program/briefing.html",
                {"found": found, **handover.briefing_context(request, briefing)},
            )
        over_time = page.over_time
        trend = line_chart(
            translate(locale, N_("Engagement score at each month's end")),
            [format_period_key(month, locale) for month, _ in over_time],
            [Series(translate(locale, N_("Score")), tuple(value for _, value in over_time))],
        )
        with_data = [part for part in one.score.parts if part.points is not None]
        breakdown = bar_chart(
            translate(locale, N_("What the score is made of, now and a period ago")),
            [label(locale, METRIC_NAMES, part.metric) for part in with_data],
            [
                Series(
                    translate(locale, N_("Now")),
                    tuple(round(part.points or 0, 1) for part in with_data),
                ),
                Series(
                    translate(locale, N_("A period ago")),
                    tuple(round(part.previous_points or 0, 1) for part in with_data),
                ),
            ],
        )
        return render(
            request,
            "program/partner.html",
            {
                **await playbooks.partner_context(hub, one.org.id, locale),
                "found": found,
                "p": one,
                "trend": trend,
                "breakdown": breakdown,
                "people": page.people,
                **await handover.partner_context(hub, request, viewer, one),
            },
        )

    async def snooze(request: Request) -> Response:
        viewer, found = await load(request)
        locale = locale_of(request)
        key = request.path_params["key"]
        partner_or_404(found, key, locale)
        form = await request.form()
        try:
            days = int(str(form.get("days", "")))
            async with hub.db.transaction() as session:
                await views.snooze_partner(
                    session,
                    key,
                    days=days,
                    reason=str(form.get("reason", "")),
                    by=viewer.person.email,
                    now=utcnow(),
                )
        except ValueError:
            raise HTTPException(
                422,
                translate(
                    locale,
                    N_("Snooze for 1 to 180 days and say why, in at most 300 characters."),
                ),
            ) from None
        await hub.audit.record(
            request, actor=viewer.person.email, action="partner_snoozed", target=key
        )
        return RedirectResponse(f"/program/partners/{key}", status_code=303)

    async def settings_page(request: Request, *, problem: str = "", status: int = 200) -> Response:
        require_admin(request)
        async with hub.db.session() as session:
            config = await program_config(session)
            current, total = await summaries.status(session, config)
        context = {
            "config": config,
            "problem": problem,
            "kinds": ACTIVATION_KINDS,
            "summaries": {"current": current, "total": total},
        }
        return render(request, "program/settings.html", context, status=status)

    async def save_settings(request: Request) -> Response:
        principal = require_admin(request)
        form = await request.form()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        async with hub.db.session() as session:
            current = await program_config(session)
        try:
            document = settings_from_form(current, fields)
            async with hub.db.transaction() as session:
                await save_program_config(session, document)
        except (InvalidProgramConfig, ValueError) as error:
            return await settings_page(request, problem=str(error), status=422)
        await hub.audit.record(
            request, actor=principal.email, action="program_settings_saved", target=SETTING_KEY
        )
        hub.summarize_soon()
        return RedirectResponse("/admin/program", status_code=303)

    return [
        Route("/admin/program", settings_page, name="admin_program"),
        Route("/admin/program", save_settings, methods=["POST"]),
        Route("/program", overview, name="program"),
        Route("/program/partners", partners, name="program_partners"),
        Route("/program/partners/{key:str}", partner, name="program_partner"),
        Route("/program/partners/{key:str}/snooze", snooze, methods=["POST"]),
        *handover.routes(hub, load, render),
    ]


ACTIVATION_KINDS = {
    "first_deal_registered": N_("First deal registered"),
    "first_deal_won": N_("First deal won"),
    "deals_won": N_("A number of deals won"),
    "revenue": N_("Revenue won reaches an amount"),
    "monthly_revenue": N_("Revenue won in N months in a row"),
}


def settings_from_form(current: ProgramConfig, fields: Mapping[str, str]) -> dict[str, Any]:
    """The settings document with the form's changes: weights, the KPI, the thresholds."""

    def number(name: str, whole: bool = True) -> float | int | None:
        raw = fields.get(name, "").strip()
        if not raw:
            return None
        try:
            return int(raw) if whole else float(raw)
        except ValueError:
            raise ValueError(f"{name}: a number") from None

    document = current.model_dump(mode="json")
    for metric in document["metrics"]:
        weight = number(f"weight_{metric['id']}", whole=False)
        if weight is not None:
            metric["weight"] = weight
    activation = document["activation"]
    if fields.get("activation_kind"):
        activation["kind"] = fields["activation_kind"]
    for name in ("count", "amount", "months"):
        value = number(f"activation_{name}", whole=name != "amount")
        if value is not None:
            activation[name] = value
    activation["within_days"] = number("activation_within_days")
    for name in ("quiet_days", "no_deal_days", "training_days", "grace_days", "renewal_days"):
        value = number(name)
        if value is not None:
            document["dormancy"][name] = value
    return document


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
