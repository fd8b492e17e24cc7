"""Why a sign-in was refused: one exception the SSO routes turn into a page, an audit entry and no session."""

from __future__ import annotations

from hub.i18n import N_


class SignInRefused(Exception):
    """A sign-in attempt that must not go on.

    ``reason`` goes to the audit log (it may name claims, never secrets);
    ``message`` is what the person sees (a catalogue message, translated when shown); ``status`` is the page's HTTP status.
    """

    def __init__(self, reason: str, message: str | None = None, *, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or N_(
            "We could not sign you in: your identity provider's answer did not pass our checks."
            " Try again from the sign-in page; if it keeps happening, contact your administrator."
        )
        self.status = status


class ProviderUnavailable(SignInRefused):
    """The identity provider did not answer (down, slow, or sent something unreadable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            reason,
            N_("Your identity provider is not answering right now. Wait a moment and try again."),
            status=503,
        )


class TooManyAttempts(SignInRefused):
    """Sign-in attempts over the per-IP or per-account limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            reason,
            N_("Too many sign-in attempts. Wait a few minutes and try again."),
            status=429,
        )
