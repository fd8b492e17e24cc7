"""The support persona's widgets: satisfaction, certification, velocity, retention."""

from __future__ import annotations

from hub.connectors.records import Certification, Enrolment, Kind, ServiceMetrics
from hub.i18n import N_
from hub.widgets.base import PARTNER, Widget, WidgetContext, WidgetView, with_optional

# A certification expiring within this many days is flagged for renewal.
RENEWAL_WARNING_DAYS = 60


async def _metrics(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.prm.service_metrics(context.require_partner())
    metrics: ServiceMetrics | None = fetched.value
    return WidgetView.of([fetched], {"metrics": metrics}, empty=metrics is None)


async def load_certification_level(context: WidgetContext) -> WidgetView:
    fetched, enrolments_read = await with_optional(
        context.backends.lms.certifications(context.person),
        context.backends.lms.enrolments.optional(context.person),
    )
    held: list[Certification] = [
        c for c in fetched.value if c.expires_at is None or c.expires_at >= context.now
    ]
    in_progress: list[Enrolment] = [
        e
        for e in (enrolments_read.value if enrolments_read else [])
        if e.completed_at is None and e.progress < 1
    ]
    expiring = [
        c
        for c in held
        if c.expires_at is not None and (c.expires_at - context.now).days <= RENEWAL_WARNING_DAYS
    ]
    return WidgetView.of(
        [fetched, enrolments_read],
        {
            "held": sorted(held, key=lambda c: c.issued_at, reverse=True),
            "expiring": expiring,
            "in_progress": sorted(in_progress, key=lambda e: e.progress, reverse=True)[:3],
        },
        empty=not held and not in_progress,
    )


def _service_widget(name: str, title: str, description: str) -> Widget:
    return Widget(
        name=name,
        title=title,
        description=description,
        audiences=PARTNER,
        loader=_metrics,
        empty_hint=N_(
            "No service figures yet. They appear once your first support cases are closed."
        ),
        source=Kind.PRM,
    )


WIDGETS = (
    _service_widget(
        "satisfaction_rates",
        N_("Satisfaction Rates"),
        N_("Share of satisfied customers in recent surveys."),
    ),
    Widget(
        name="certification_level",
        title=N_("Certification Level"),
        description=N_("Certifications you hold, those due for renewal and courses under way."),
        audiences=PARTNER,
        loader=load_certification_level,
        empty_hint=N_("No certifications yet. Start a course in the learning portal."),
        source=Kind.LMS,
    ),
    _service_widget("velocity", N_("Velocity"), N_("How fast support cases are resolved.")),
    _service_widget(
        "retention", N_("Retention"), N_("Share of renewals due that renewed this period.")
    ),
)
