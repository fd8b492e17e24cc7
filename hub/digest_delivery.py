"""How the weekly digest leaves the hub: the SMTP server and the chat webhook from the
settings, and one pass of sending that the worker, the in-process scheduler and
``hub digest`` share."""

from __future__ import annotations

import logging
from datetime import datetime

from hub.resources import Hub
from hub.services.digest.compose import week_of
from hub.services.digest.send import Chat, DigestReport, send_digests
from hub.services.mail import mailer_of

log = logging.getLogger("hub.digest")


def chat_of(hub: Hub) -> Chat | None:
    """A poster for ``HUB_DIGEST_WEBHOOK_URL`` (a Slack-compatible ``{"text": …}`` POST)."""
    url = hub.settings.digest_webhook_url
    if url is None:
        return None

    async def post(text: str) -> None:
        response = await hub.http.post(url.get_secret_value(), json={"text": text}, timeout=10.0)
        response.raise_for_status()

    return post


async def digest_pass(
    hub: Hub, now: datetime, *, only: tuple[str, ...] = ()
) -> DigestReport | None:
    """Send this week's digests that are due and not sent yet; None without an SMTP server."""
    mailer = mailer_of(hub.settings)
    if mailer is None:
        log.info("weekly digest: no SMTP server configured (HUB_SMTP_HOST), nothing sent")
        return None
    week, _ = week_of(now, hub.settings.digest_weekday, hub.settings.digest_hour)
    return await send_digests(
        hub.db,
        mailer,
        base_url=hub.settings.base_url,
        sender=hub.settings.smtp_from,
        now=now,
        week=week,
        chat=chat_of(hub),
        only=only,
    )
