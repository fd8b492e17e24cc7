"""The experts' widget: questions waiting in the topics they answer, oldest first."""

from __future__ import annotations

from hub.i18n import N_
from hub.widgets.base import VENDOR, Size, Widget, WidgetContext, WidgetView

SHOWN = 5


async def load_expert_questions(context: WidgetContext) -> WidgetView:
    queue = await context.services.expert_queue(context.principal.id)
    overdue, wait_hours = await context.services.questions_overdue(
        context.principal.id, context.now
    )
    return WidgetView(
        figures={
            "topics": queue.topics,
            "waiting": queue.waiting[:SHOWN],
            "more": max(0, len(queue.waiting) - SHOWN),
            "overdue": overdue,
            "wait_hours": wait_hours,
            "answered": len(queue.answered),
        },
        empty=queue.topics == 0,
    )


WIDGETS = (
    Widget(
        name="expert_questions",
        title=N_("Expert Questions"),
        description=N_(
            "Partners' questions waiting for an answer in the topics you answer, oldest first."
        ),
        audiences=VENDOR,
        loader=load_expert_questions,
        empty_hint=N_("You answer no topic yet. An administrator names the experts of each topic."),
        size=Size.MEDIUM,
        refresh=120,
        # A new question shows on the next load, never from a kept copy.
        reuse=0,
    ),
)
