"""What one homepage rendering pays for once: shared reads, and whether backends may be called.

``GET /`` renders the widgets whose data is at hand into the page itself. It does so
inside :func:`page_scope`, which gives every widget of that rendering

- one answer per read: the first widget to ask for a connector read (``cache_key``),
  or for one of the hub's services (:func:`once`), starts it, and every other widget
  of the page awaits the same result instead of reading again;
- with ``cache_only``, a promise that nothing waits for a backend: a connector read
  with nothing in the cache raises :class:`NotWarm` instead of calling out, and the
  widget is left to load on its own with its skeleton.

Outside a scope (the widget endpoint, background jobs) nothing changes: every call
reads and fetches as it always did. The scope lives in a context variable, so the
widgets rendered concurrently for one page share it and other requests never see it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")


class NotWarm(Exception):
    """A read would have to wait for a backend, which a page rendering promised not to do.

    Deliberately not a :class:`~hub.connectors.base.BackendError`: nothing failed, so no
    widget shows an error and no last good value stands in; the widget loads on its own.
    """


@dataclass
class PageScope:
    """The reads one rendering has started, by key, and whether backends may be called."""

    cache_only: bool
    reads: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict)


_current: ContextVar[PageScope | None] = ContextVar("hub_page_scope", default=None)


@contextmanager
def page_scope(*, cache_only: bool) -> Iterator[PageScope]:
    """Share reads between everything rendered inside (see the module docs)."""
    scope = PageScope(cache_only=cache_only)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def current() -> PageScope | None:
    """The scope of the rendering this code runs for, if any."""
    return _current.get()


def cache_only() -> bool:
    """Whether the current rendering may not wait for a backend."""
    scope = _current.get()
    return scope is not None and scope.cache_only


async def once(key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """``read()``'s result, read once per page scope for ``key``; outside a scope, always read.

    A read that fails fails for every widget that shares it, as it would have for each.
    """
    scope = _current.get()
    if scope is None:
        return await read()
    shared = scope.reads.get(key)
    if shared is None:
        shared = asyncio.ensure_future(read())
        scope.reads[key] = shared
        # A failure every widget saw must not also reach the loop as "never retrieved".
        shared.add_done_callback(_seen)
    return cast(T, await asyncio.shield(shared))


def _seen(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
