"""Warm homepages in one request: rendered widget frames and whole pages, kept briefly.

Every widget the endpoint renders well (ok or empty, default settings) is kept
for its ``fresh_for`` seconds, per caller, persona, org and locale. The
homepage puts kept frames straight into the page instead of a skeleton, so
the browser asks only for the widgets that were not kept; a page whose every
widget was kept is itself kept until the first of them runs out, and the next
load of it costs one session read, one database check of the caller and one
store read.

Nothing kept is shown after a change it does not reflect: each copy records
two epochs when its rendering started, the caller's and everyone's. A
successful unsafe request (a form post, an API write) bumps its caller's
epoch, and one under ``/admin`` bumps everyone's (see ``ChangeMiddleware``);
a copy whose epochs differ from the current ones is not used. Other people's
actions (kudos to the caller, points from the background jobs) show within
``fresh_for``, which is what a widget's refresh promises anyway.

Kept copies never hold a CSRF token: renderings carry ``slot`` where the
session's token goes, and ``fill`` puts the token in on the way out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.auth.principal import Principal
from hub.middleware.csrf import SAFE_METHODS
from hub.middleware.sessions import session_of
from hub.store import KeyValueStore

log = logging.getLogger("hub.page_cache")

EVERYONE = "home-epoch:all"
# Paths whose changes can alter anybody's page (layouts, rules, approvals, sandboxes).
EVERYONE_PREFIXES = ("/admin",)


def now() -> float:
    """Wall-clock seconds: kept copies are shared by every worker, so not a monotonic clock."""
    return time.time()


def _user_epoch(user_id: int) -> str:
    return f"home-epoch:user:{user_id}"


@dataclass(frozen=True)
class Epochs:
    """The caller's and everyone's change counters when a rendering started."""

    user: str
    everyone: str


@dataclass(frozen=True)
class Kept:
    """A kept rendering (with the CSRF slot) and when it stops being fresh (epoch seconds)."""

    html: str
    expires: float


class PageCache:
    def __init__(self, store: KeyValueStore, signing_key: bytes) -> None:
        self.store = store
        # Unguessable, so page content can never spell it; the same in every worker.
        digest = hmac.new(signing_key, b"hub csrf slot", hashlib.sha256).hexdigest()[:24]
        self.slot = f"csrf-slot-{digest}"

    def fill(self, html: str, token: str) -> str:
        return html.replace(self.slot, token)

    def _scope(self, principal: Principal, locale: str) -> str:
        """The caller as a page depends on them: who, which roles, persona, org and locale."""
        seen = repr((principal, locale)).encode()
        return f"{principal.id}:{hashlib.blake2b(seen, digest_size=10).hexdigest()}"

    def _page_key(self, principal: Principal, locale: str) -> str:
        return f"home-page:{self._scope(principal, locale)}"

    def _frame_key(self, principal: Principal, locale: str, widget: str) -> str:
        return f"home-frame:{self._scope(principal, locale)}:{widget}"

    @staticmethod
    def _epochs(raw: list[str | None]) -> Epochs:
        return Epochs(raw[0] or "0", raw[1] or "0")

    @staticmethod
    def _valid(raw: str | None, epochs: Epochs, at: float) -> Kept | None:
        """A kept value, ``"<expires> <user epoch> <everyone's epoch>\\n<html>"``, if fresh."""
        if raw is None:
            return None
        head, _, html = raw.partition("\n")
        try:
            expires, user, everyone = head.split(" ")
            kept = Kept(html, float(expires))
        except ValueError:
            return None
        fresh = user == epochs.user and everyone == epochs.everyone and at < kept.expires
        return kept if fresh else None

    async def epochs(self, principal: Principal) -> Epochs:
        return self._epochs(await self.store.get_many(_user_epoch(principal.id), EVERYONE))

    async def page(self, principal: Principal, locale: str) -> tuple[Kept | None, Epochs]:
        """The kept page if it is still fresh, and the epochs to render a new one under."""
        raw = await self.store.get_many(
            _user_epoch(principal.id), EVERYONE, self._page_key(principal, locale)
        )
        epochs = self._epochs(raw)
        return self._valid(raw[2], epochs, now()), epochs

    async def frames(
        self, principal: Principal, locale: str, names: list[str], epochs: Epochs
    ) -> dict[str, Kept]:
        """The kept frames among ``names`` that are still fresh under ``epochs``."""
        if not names:
            return {}
        raw = await self.store.get_many(*(self._frame_key(principal, locale, n) for n in names))
        at = now()
        found = {
            name: self._valid(value, epochs, at) for name, value in zip(names, raw, strict=True)
        }
        return {name: kept for name, kept in found.items() if kept is not None}

    async def keep_frame(
        self, principal: Principal, locale: str, widget: str, html: str, epochs: Epochs, ttl: int
    ) -> None:
        await self._keep(self._frame_key(principal, locale, widget), html, epochs, now() + ttl)

    async def keep_frames(
        self,
        principal: Principal,
        locale: str,
        frames: Sequence[tuple[str, str, int]],
        epochs: Epochs,
        *,
        also: Sequence[tuple[str, str, float | None]] = (),
    ) -> None:
        """Keep several ``(widget, html, ttl)`` frames of one rendering in one round trip,
        with ``also`` (other entries of that rendering, such as last good values)."""
        at = now()
        entries = [
            (self._frame_key(principal, locale, widget), self._value(html, epochs, at + ttl), ttl)
            for widget, html, ttl in frames
            if ttl > 0
        ]
        try:
            await self.store.set_many([*entries, *also])
        except Exception:
            log.warning("could not keep rendered widgets", exc_info=True)

    async def keep_page(
        self, principal: Principal, locale: str, html: str, epochs: Epochs, expires: float
    ) -> None:
        await self._keep(self._page_key(principal, locale), html, epochs, expires)

    @staticmethod
    def _value(html: str, epochs: Epochs, expires: float) -> str:
        # Plain text, not JSON: a page is tens of kilobytes of HTML, read on every visit.
        return f"{expires:.3f} {epochs.user} {epochs.everyone}\n{html}"

    async def _keep(self, key: str, html: str, epochs: Epochs, expires: float) -> None:
        ttl = expires - now()
        if ttl <= 0:
            return
        try:
            await self.store.set(key, self._value(html, epochs, expires), ttl=ttl)
        except Exception:
            # A page that cannot be kept is still a good page; the next one renders again.
            log.warning("could not keep a rendered page", exc_info=True)

    async def changed(self, user_id: int | None, *, everyone: bool = False) -> None:
        """Retire what was kept for ``user_id`` (and for everybody, if ``everyone``)."""
        keys = ([_user_epoch(user_id)] if user_id is not None else []) + (
            [EVERYONE] if everyone else []
        )
        for key in keys:
            await self.store.incr(key)


class ChangeMiddleware:
    """Bumps the epochs when an unsafe request succeeds, before its answer goes out.

    The handler's writes are committed by the time its response starts, so a
    page asked for after this answer never comes from a copy made before it.
    """

    def __init__(self, app: ASGIApp, *, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_after_change(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await self._changed(scope)
            await send(message)

        await self.app(scope, receive, send_after_change)

    async def _changed(self, scope: Scope) -> None:
        user = session_of(HTTPConnection(scope)).get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        everyone = str(scope["path"]).startswith(EVERYONE_PREFIXES)
        if not isinstance(user_id, int) and not everyone:
            return
        try:
            await self.cache.changed(
                user_id if isinstance(user_id, int) else None, everyone=everyone
            )
        except Exception:
            # The change itself is done; a page kept from before it lasts its few seconds.
            log.warning("could not retire kept pages after a change", exc_info=True)
