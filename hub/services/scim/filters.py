"""A SCIM filter, parsed by scim2-models, as a SQL condition on the hub's users.

Only attributes the hub keeps in columns can be filtered on, and a filter may
hold at most :data:`MAX_TERMS` comparisons: anything else is ``invalidFilter``
(RFC 7644 3.4.2.2 lets a provider refuse a filter too expensive to run).
"""

from __future__ import annotations

from typing import Any

from scim2_models import InvalidFilterException, ScimFilter, User
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, false, not_, or_
from sqlalchemy.sql.elements import ColumnElement as Column

from hub.db.models import User as HubUser
from hub.db.scim import ScimUser

MAX_TERMS = 10
MAX_LENGTH = 1000

# Attribute path (lower-case) -> (column, lower-cased when compared)
_COLUMNS: dict[str, tuple[Any, bool]] = {
    "username": (HubUser.email, True),
    "emails": (HubUser.email, True),
    "emails.value": (HubUser.email, True),
    "displayname": (HubUser.name, False),
    "active": (HubUser.active, False),
    "externalid": (ScimUser.external_id, False),
    "name.givenname": (ScimUser.given_name, False),
    "name.familyname": (ScimUser.family_name, False),
    "id": (HubUser.id, False),
    "meta.created": (HubUser.created_at, False),
    "meta.lastmodified": (ScimUser.updated_at, False),
}


def _key(path: AttrPath) -> str:
    name = f"{path.attr}.{path.sub_attr}" if path.sub_attr else path.attr
    return name.lower()


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _ToSQL(FilterVisitor[ColumnElement[bool]]):
    def __init__(self) -> None:
        self.terms = 0

    def _column(self, path: AttrPath) -> tuple[Any, bool]:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidFilterException(
                detail=f"the filter is too expensive: at most {MAX_TERMS} comparisons"
            )
        found = _COLUMNS.get(_key(path))
        if found is None:
            raise InvalidFilterException(detail=f"cannot filter on {path}")
        return found

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        column, lower = self._column(node.attr_path)
        value = node.value
        if column is HubUser.id:
            if node.op != CompareOperator.eq:
                raise InvalidFilterException(detail="id takes eq only")
            return HubUser.id == int(value) if str(value).isdigit() else false()
        if isinstance(value, str) and lower:
            value = value.lower()
        op = node.op
        if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            if not isinstance(value, str):
                raise InvalidFilterException(detail=f"{op.value} takes a string")
            text = _escape_like(value)
            pattern = {"co": f"%{text}%", "sw": f"{text}%", "ew": f"%{text}"}[op.value]
            return Column.like(column, pattern, escape="\\")
        comparisons = {
            CompareOperator.eq: column.__eq__,
            CompareOperator.ne: column.__ne__,
            CompareOperator.gt: column.__gt__,
            CompareOperator.ge: column.__ge__,
            CompareOperator.lt: column.__lt__,
            CompareOperator.le: column.__le__,
        }
        return comparisons[op](value)  # type: ignore[no-any-return]

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        column, _ = self._column(node.attr_path)
        return and_(column.is_not(None), column != "")

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        # emails[value eq "x"]: the hub keeps one email, so the inner filter is about it.
        if node.attr_path.attr.lower() != "emails":
            raise InvalidFilterException(detail=f"cannot filter on {node.attr_path}")
        return self.visit(_prefixed(node.val_filter))


def _prefixed(node: Any) -> Any:
    """``value eq "x"`` inside ``emails[...]`` as ``emails.value eq "x"``."""
    if isinstance(node, Comparison):
        return Comparison(AttrPath("emails", node.attr_path.attr), node.op, node.value)
    if isinstance(node, Present):
        return Present(AttrPath("emails", node.attr_path.attr))
    if isinstance(node, Not):
        return Not(_prefixed(node.expr))
    if isinstance(node, LogicalExpr):
        return LogicalExpr(node.op, tuple(_prefixed(term) for term in node.terms))
    raise InvalidFilterException(detail="nested value paths are not supported")


def user_condition(text: str) -> ColumnElement[bool]:
    """The SQL condition for the Users filter ``text``; :class:`InvalidFilterException`
    when it does not parse, names what the hub cannot filter on, or costs too much."""
    if len(text) > MAX_LENGTH:
        raise InvalidFilterException(detail=f"the filter is longer than {MAX_LENGTH} characters")
    parsed = ScimFilter[User](text)  # type: ignore[type-arg]
    return _ToSQL().visit(parsed.ast)
