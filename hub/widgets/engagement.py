"""The engagement widgets: next best action, points and badges, leaderboard, recognition, survey.

They fill the named slots of ``slots.py`` and read only the hub's own services. Their
forms post to ``hub.web.engagement_widgets``, which answers with the widget re-rendered;
each form carries a one-time ``submission`` token so a double click is one award.
"""

from __future__ import annotations

import secrets

from hub.i18n import N_, format_period
from hub.widgets.base import EVERYONE, VENDOR, Setting, Size, Widget, WidgetContext, WidgetView

ACTIONS_SHOWN = 3
BOARD_PERIOD = Setting("period", N_("Period"), "month", choices=("week", "month", "quarter", "all"))
BADGE_VIEW = Setting("view", N_("Show"), "summary", choices=("summary", "gallery"))
BOARD_SCOPE = Setting("scope", N_("Compared with"), "program", choices=("org", "region", "program"))


def submission_token() -> str:
    """A form's one-time token: the engine refuses (or ignores) a second use."""
    return secrets.token_urlsafe(16)


async def load_next_best_action(context: WidgetContext) -> WidgetView:
    actions = await context.services.next_actions(
        context.requester,
        reads=context.persona.fact_reads,
        partner=context.partner,
        person=context.person,
        now=context.now,
        limit=ACTIONS_SHOWN,
        locale=context.locale,
    )
    # The product each backend kind is known by, to say where a confirmation comes from.
    products = {c.config.kind.value: c.config.product for c in context.backends.all()}
    # Never "empty": after the last one is done, the body still says so (and thanks).
    return WidgetView(figures={"actions": actions, "products": products})


async def load_points_badges(context: WidgetContext) -> WidgetView:
    standing = await context.services.standing(context.principal.id, context.now)
    gallery = context.settings.get("view") == "gallery"
    return WidgetView(figures={"standing": standing, "gallery": gallery})


async def load_leaderboard(context: WidgetContext) -> WidgetView:
    period = str(context.settings.get("period", BOARD_PERIOD.default))
    scope = str(context.settings.get("scope", BOARD_SCOPE.default))
    board = await context.services.leaderboard(
        context.principal.id,
        scope,  # type: ignore[arg-type]  # checked against BOARD_SCOPE.choices
        period,  # type: ignore[arg-type]  # checked against BOARD_PERIOD.choices
        context.now,
    )
    return WidgetView(
        figures={
            "board": board,
            "periods": BOARD_PERIOD.choices,
            "scopes": BOARD_SCOPE.choices if context.org else ("program",),
        }
    )


async def load_recognition_feed(context: WidgetContext) -> WidgetView:
    org_id = context.org.id if context.org else None
    view = await context.services.recognition(context.principal.id, org_id, context.now)
    return WidgetView(figures={"recognition": view, "submission": submission_token()})


async def load_pulse_survey(context: WidgetContext) -> WidgetView:
    survey, thanked = await context.services.pulse_survey(context.requester, context.now)
    if survey is not None:
        return WidgetView(figures={"survey": survey, "thanked": False})
    if thanked:
        return WidgetView(figures={"survey": None, "thanked": True})
    return WidgetView(figures={}, empty=True)


async def load_recognition_budget(context: WidgetContext) -> WidgetView:
    status, partners, value_tags = await context.services.giving_budget(
        context.principal.id, context.now
    )
    return WidgetView(
        figures={
            "budget": status,
            "period": format_period(status.opens_at.date(), status.last_day, context.locale),
            "partners": partners,
            "value_tags": value_tags,
            "submission": submission_token(),
        },
        empty=not status.granted,
    )


# Points, boards and kudos move with other people's actions too: a page shows
# them again for at most this long (the caller's own actions show at once).
ENGAGEMENT_REUSE = 30

WIDGETS = (
    Widget(
        name="next_best_action",
        title=N_("Next Best Action"),
        description=N_("The one thing worth doing next, and why."),
        audiences=EVERYONE,
        loader=load_next_best_action,
        empty_hint=N_("Nothing to suggest right now: you are on top of things."),
        size=Size.MEDIUM,
        refresh=0,
        reuse=ENGAGEMENT_REUSE,
    ),
    Widget(
        name="points_badges",
        title=N_("Points and Badges"),
        description=N_("Your points and badges."),
        audiences=EVERYONE,
        loader=load_points_badges,
        empty_hint=N_("No points yet. Sign in, learn and sell to earn your first."),
        settings=(BADGE_VIEW,),
        refresh=0,
        reuse=ENGAGEMENT_REUSE,
    ),
    Widget(
        name="leaderboard",
        title=N_("Leaderboard"),
        description=N_("Where you stand among peers."),
        audiences=EVERYONE,
        loader=load_leaderboard,
        empty_hint=N_("Nobody has earned points in this period yet."),
        settings=(BOARD_PERIOD, BOARD_SCOPE),
        refresh=0,
        reuse=ENGAGEMENT_REUSE,
    ),
    Widget(
        name="recognition_feed",
        title=N_("Recognition Feed"),
        description=N_("Shout-outs from across the program."),
        audiences=EVERYONE,
        loader=load_recognition_feed,
        empty_hint=N_("No kudos yet. Be the first to thank a colleague."),
        size=Size.MEDIUM,
        refresh=0,
        reuse=ENGAGEMENT_REUSE,
    ),
    Widget(
        name="pulse_survey",
        title=N_("Pulse Survey"),
        description=N_("A two-question check-in, when one is due."),
        audiences=EVERYONE,
        loader=load_pulse_survey,
        empty_hint=N_("No survey is due. Thank you for your answers."),
        refresh=0,
        reuse=ENGAGEMENT_REUSE,
        # Nothing due: the widget leaves the page instead of saying so.
        slot=True,
    ),
    Widget(
        name="recognition_budget",
        title=N_("Recognition Budget"),
        description=N_("Points you can still give to partners this period."),
        audiences=VENDOR,
        loader=load_recognition_budget,
        empty_hint=N_("You have no giving budget this period. An administrator grants one."),
        refresh=0,
        reuse=ENGAGEMENT_REUSE,
    ),
)
