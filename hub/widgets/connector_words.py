"""Connectors in words: who is not answering, since when, how fast, all said in one place.

The homepage's notice and the Connector Health widget both speak through
these functions, so a backend is always called by its product name and a
failure by what it means to people, never by an exception's class name.
"""

from __future__ import annotations

from datetime import datetime

from hub.connectors.backends import Backends
from hub.connectors.base import ConnectorConfig
from hub.connectors.health import outages
from hub.connectors.records import Kind
from hub.connectors.standing import Problem, Standing
from hub.i18n import N_, format_moment, format_names, format_number, format_stale_age, translate

# A connector whose typical (median) answer takes this long is called slow.
SLOW_MS = 1000.0

PROBLEM_WORDS = {
    Problem.NO_ANSWER: N_("Not answering"),
    Problem.RATE_LIMITED: N_("Limiting the hub's requests"),
    Problem.CREDENTIALS: N_("Refusing the hub's credentials"),
    Problem.MALFORMED: N_("Answering in a form the hub cannot read"),
    Problem.FAILED: N_("Answering with errors"),
}


# What each kind of backend is for, in words (quick links, Connector Health).
KIND_WORDS = {
    Kind.PRM: N_("Partner portal (PRM)"),
    Kind.LMS: N_("Learning and readiness"),
    Kind.INCENTIVES: N_("Incentives"),
    Kind.TCMA: N_("Marketing campaigns"),
}


def backend_name(config: ConnectorConfig, locale: str) -> str:
    """The product name people know the backend by, never the connector's id."""
    return translate(locale, config.product)


def kind_products(backends: Backends, kind: Kind, locale: str) -> str:
    """The products behind one kind of backend, in words: "Moodle and Learning Record Store"."""
    names = list(dict.fromkeys(backend_name(c.config, locale) for c in backends.of_kind(kind)))
    if not names:
        return translate(locale, KIND_WORDS[kind])
    return format_names(names, locale)


def outage_notice(config: ConnectorConfig, standing: Standing, locale: str, now: datetime) -> str:
    """One sentence for the page: which backend is not answering and how old its figures are."""
    backend = backend_name(config, locale)
    if standing.stand_in_from is None:
        return translate(
            locale,
            N_("%(backend)s is not answering; its figures cannot be shown until it is back."),
            backend=backend,
        )
    return translate(
        locale,
        N_("%(backend)s is not answering; its figures are from %(age)s."),
        backend=backend,
        age=format_stale_age(standing.stand_in_from, locale, now),
    )


def page_notices(backends: Backends, locale: str, now: datetime) -> list[str]:
    """The homepage's notices: one per backend not answering right now."""
    return [outage_notice(c.config, standing, locale, now) for c, standing in outages(backends)]


def latency(milliseconds: float, locale: str) -> str:
    """A latency as people read it: "120 ms", "2.3 s"."""
    if milliseconds >= 1000:
        seconds = format_number(milliseconds / 1000, locale, 1)
        return translate(locale, N_("%(value)s s"), value=seconds)
    return translate(locale, N_("%(value)s ms"), value=format_number(milliseconds, locale))


def health_status(
    standing: Standing,
    problem: Problem | None,
    typical_ms: float | None,
    locale: str,
    now: datetime,
) -> str:
    """A connector's state in words: "Not answering since 10:42 UTC", "Slow: 2.3 s typical".

    ``problem`` is what a check just now found (``None``: it answered); a
    connector the hub has seen failing for a while says since when.
    """
    # A probe may pass while real reads fail: the standing then still counts.
    problem = problem or standing.problem
    if problem is not None:
        words = translate(locale, PROBLEM_WORDS[problem])
        if standing.down_since is None:
            return words
        return translate(
            locale,
            N_("%(status)s since %(time)s"),
            status=words,
            time=format_moment(standing.down_since, locale, now),
        )
    if typical_ms is not None and typical_ms >= SLOW_MS:
        return translate(
            locale, N_("Slow: %(latency)s typical"), latency=latency(typical_ms, locale)
        )
    if typical_ms is not None:
        return translate(
            locale, N_("Answering: %(latency)s typical"), latency=latency(typical_ms, locale)
        )
    return translate(locale, N_("Answering"))
