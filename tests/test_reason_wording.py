"""A rule's reason reads right for any count: ``{fact:singular|plural}`` by the reader's
language's plural rule, figures in the reader's format."""

from __future__ import annotations

from decimal import Decimal

from hub.connectors.records import Money
from hub.i18n import translate
from hub.services.engagement.seed import ACTIONS
from hub.services.engagement.wording import word_reason

DORMANT = str(ACTIONS["call-dormant-partners"]["reason"])
BUDGET = str(ACTIONS["thank-a-partner"]["reason"])


def test_one_and_many_read_right_in_english_and_german() -> None:
    assert word_reason(DORMANT, {"dormant_partners": 1}, "en") == (
        "because 1 of your partners is dormant"
    )
    assert word_reason(DORMANT, {"dormant_partners": 3}, "en") == (
        "because 3 of your partners are dormant"
    )
    german = translate("de", DORMANT)
    assert word_reason(german, {"dormant_partners": 1}, "de") == "denn 1 Ihrer Partner ruht"
    assert word_reason(german, {"dormant_partners": 1200}, "de") == (
        "denn 1.200 Ihrer Partner ruhen"
    )
    assert word_reason(translate("de", BUDGET), {"budget_available": 1}, "de") == (
        "denn Sie haben noch 1 Punkt zu vergeben, bevor er verfällt"
    )


def test_zero_and_fractions_take_the_other_form_and_money_counts_by_its_amount() -> None:
    assert word_reason("{n} {n:hour|hours}", {"n": 0}, "en") == "0 hours"
    assert word_reason("{n} {n:hour|hours}", {"n": 1.5}, "en") == "1.5 hours"
    paid = Money(Decimal(1), "USD")
    assert word_reason("{m} {m:dollar|dollars}", {"m": paid}, "en") == "$1 dollar"


def test_a_fact_not_gathered_or_a_stray_brace_shows_as_typed() -> None:
    assert word_reason("{missing} {missing:is|are}", {}, "en") == "{missing} {missing:is|are}"
    assert word_reason("because {oops", {"oops": 1}, "en") == "because {oops"
    assert word_reason("{label}", {"label": "Gold"}, "de") == "Gold"
