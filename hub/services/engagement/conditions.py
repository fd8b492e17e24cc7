"""Conditions as data: comparisons on a dict of facts, combined with all / any / not.

An administrator writes ``{"fact": "fund_claims_expiring", "op": "gt", "value": 0}`` or
``{"all": [...]}``; a fact the caller did not gather makes its comparison false, so a
missing connector hides an action rather than showing a wrong one.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Operator = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "truthy", "falsy"]


def _compare(op: str, fact: Any, value: Any) -> bool:
    if op == "in":
        return bool(fact in value)
    if op == "truthy":
        return bool(fact)
    if op == "falsy":
        return not fact
    compare: Callable[[Any, Any], Any] = getattr(operator, op)
    return bool(compare(fact, value))


class Comparison(BaseModel):
    """One fact compared with a value."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fact: str = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")
    op: Operator = "truthy"
    value: Any = None

    def holds(self, facts: Mapping[str, Any]) -> bool:
        if self.fact not in facts:
            return False
        try:
            return _compare(self.op, facts[self.fact], self.value)
        except TypeError:
            return False


class AllOf(BaseModel):
    """Every condition holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    all: list[Condition] = Field(min_length=1, max_length=20)

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return all(condition.holds(facts) for condition in self.all)


class AnyOf(BaseModel):
    """At least one condition holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    any: list[Condition] = Field(min_length=1, max_length=20)

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return any(condition.holds(facts) for condition in self.any)


class NoneOf(BaseModel):
    """The condition does not hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    negated: Condition = Field(alias="not")

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return not self.negated.holds(facts)


Condition = Comparison | AllOf | AnyOf | NoneOf
AllOf.model_rebuild()
AnyOf.model_rebuild()
NoneOf.model_rebuild()
