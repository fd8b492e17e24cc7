"""Who may open the program pages, and which partner a key names: one answer for all of them."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from hub.auth.principal import require_principal
from hub.db.types import utcnow
from hub.i18n import N_, translate
from hub.personas.catalogue import roles
from hub.resources import Hub
from hub.services.program import views
from hub.services.program.views import PartnerInsight, Program
from hub.web.viewer import Viewer, load_viewer, locale_of


async def load_program(hub: Hub, request: Request) -> tuple[Viewer, Program]:
    """The caller (vendor staff only: 403 for partner users) and the program they may see."""
    principal = require_principal(request)
    locale = locale_of(request)
    if principal.persona not in roles().vendor:
        raise HTTPException(
            403, translate(locale, N_("Program insight is for the vendor's staff."))
        )
    viewer = await load_viewer(hub.db, principal, locale)
    return viewer, await views.program(hub.db, viewer.principal.id, utcnow())


def partner_or_404(found: Program, key: str, locale: str) -> PartnerInsight:
    """One of the caller's partners; 404 alike for another manager's and for no such key."""
    try:
        return views.partner_of(found, key)
    except views.NotYours:
        raise HTTPException(
            404, translate(locale, N_("There is no such partner among yours."))
        ) from None
