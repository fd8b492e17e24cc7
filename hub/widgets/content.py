"""The content library's homepage widget: pinned launches and what is new since the last visit."""

from __future__ import annotations

from hub.i18n import N_
from hub.personas.audience import Audience
from hub.services.content.audience import Reader
from hub.widgets.base import EVERYONE, Size, Widget, WidgetContext, WidgetView


def reader_of(context: WidgetContext) -> Reader:
    """The reader the widget is for: persona in use, the org's segment, the page's language."""
    org = context.org
    return Reader(
        persona=context.persona.id,
        partner_type=org.partner_type if org else "",
        tier=org.tier if org else "",
        region=org.region if org else "",
        language=context.locale[:2],
        vendor=context.persona.audience is Audience.VENDOR,
    )


async def load_content_for_you(context: WidgetContext) -> WidgetView:
    found = await context.services.content_for_you(
        reader_of(context), context.principal.id, context.now
    )
    return WidgetView(
        figures={"for_you": found, "now": context.now},
        empty=not found.pinned and not found.new,
    )


WIDGETS = (
    Widget(
        name="content_for_you",
        title=N_("New for You"),
        description=N_(
            "Launches pinned for you and library items new since your last visit, meant for "
            "your role and your company."
        ),
        audiences=EVERYONE,
        loader=load_content_for_you,
        empty_hint=N_("Nothing new in the library for you since your last visit."),
        size=Size.MEDIUM,
        refresh=600,
    ),
)
