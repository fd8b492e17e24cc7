"""The one error the engagement engine raises for bad input: a clear message, nothing written."""

from __future__ import annotations


class EngagementError(ValueError):
    """Bad input or a broken limit; ``code`` is stable for callers, ``message`` is for people.

    The web layer answers these with a 4xx (422 by default; :data:`STATUS` lists the others); the engine raises them before writing, or inside the transaction so
    it rolls back.
    """

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # What is wrong with each named field (``when.0.op``: …), for forms that show it there.
        self.fields = fields or {}

    @property
    def http_status(self) -> int:
        return STATUS.get(self.code, 422)


# A request that is not even well formed (not JSON, a number that is not one) is a 400.
STATUS = {
    "duplicate": 409,
    "in_use": 409,
    "already_done": 409,
    "rate_limited": 429,
    "not_found": 404,
    "forbidden": 403,
    "self_award": 403,
    "invalid_step": 400,
    "invalid_choice": 400,
    "invalid_request": 400,
    "invalid_points": 400,
    "no_recipient": 400,
}
