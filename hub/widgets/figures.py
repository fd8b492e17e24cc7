"""Small sums the widgets share: money totals per currency, periods, shares."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from hub.connectors.records import Money


def totals(amounts: Iterable[Money]) -> list[Money]:
    """Sum money per currency (never adding euros to dollars), largest first."""
    sums: dict[str, Decimal] = {}
    for money in amounts:
        sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    return sorted(
        (Money(amount, currency) for currency, amount in sums.items()),
        key=lambda money: (-money.amount, money.currency),
    )


def or_zero(amounts: list[Money], like: list[Money]) -> list[Money]:
    """``amounts``, or zero in ``like``'s main currency when there are none ("$0.00", not "0")."""
    if amounts or not like:
        return amounts
    return [Money(Decimal(0), like[0].currency)]


def subtract(left: list[Money], right: list[Money]) -> list[Money]:
    """``left`` minus ``right``, per currency; currencies only on the right count as negative."""
    spent = {money.currency: money.amount for money in right}
    result = [Money(m.amount - spent.pop(m.currency, Decimal(0)), m.currency) for m in left]
    result += [Money(-amount, currency) for currency, amount in spent.items()]
    return result


def in_year(moment: date | datetime | None, today: date) -> bool:
    if moment is None:
        return False
    day = moment.date() if isinstance(moment, datetime) else moment
    return day.year == today.year


def is_currency(unit: str) -> bool:
    return len(unit) == 3 and unit.isalpha() and unit.isupper()
