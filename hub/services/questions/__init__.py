"""Ask an expert: partners ask about a topic, the vendor's experts for it answer.

:mod:`.topics` is what administrators keep (topics, their audience, their experts);
:mod:`.asking` the partner's side; :mod:`.answering` the experts' queue, answers and
publication; :mod:`.timing` response times and the wait that makes a next best action;
:mod:`.library` the published answers as records for the content library's index.
"""

from __future__ import annotations

from hub.services.questions.library import PublicQuestion, public_questions

__all__ = ["PublicQuestion", "public_questions"]
