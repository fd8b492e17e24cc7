"""The generic REST adapter's mapping: from a backend's JSON to our records, by configuration.

A mapping names, per operation (``goals``, ``claims``, ``leads`` …), where
to ask (a path template and query), where the records are in the answer and,
per record field, a JMESPath expression that finds its value. Values are
coerced to the record field's own type, read from the record class, so a
mapping never says "this is a Decimal": it says where the target is.

Coercion rules: ``str`` takes strings and integers (ids are often numbers);
``int`` takes integers and integral strings; ``Decimal`` takes numbers and
numeric strings; ``bool`` takes booleans, 0/1 and "true"/"false"; ``date``
takes ISO dates (a date-time is cut to its date); ``datetime`` takes ISO
date-times with an offset (or without, when ``naive_times_are_utc``) and Unix
seconds; :class:`Money` takes ``{"amount": …, "currency": …}`` (build it
with a multiselect hash such as ``{amount: payout.value, currency:
payout.ccy}``) or a bare amount in the operation's ``currency``; a tuple of
strings takes a list of strings, a tuple of records (a goal's ``progress``) a
list of objects; a nested record (an enrolment's course) takes an object with
that record's field names. Anything else is
:class:`MalformedResponse`, never another exception.

Parsing a mapping checks it whole and raises ``ValueError`` naming the key,
so a bad mapping stops start-up instead of failing on first use.
"""

from __future__ import annotations

import dataclasses
import string
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.parser

from hub.connectors import shapes
from hub.connectors.base import MalformedResponse
from hub.connectors.operations import ALL as ALL_OPERATIONS
from hub.connectors.records import Money

# Operation name -> (record class, whether it answers a list), from the one operation table.
OPERATIONS: dict[str, tuple[type[Any], bool]] = {
    operation.name: (operation.record, operation.many) for operation in ALL_OPERATIONS
}
PATH_VARIABLES = frozenset({"email", "partner", "partner_id", "domain"})
PAGING_STYLES = frozenset({"none", "offset", "page", "cursor", "link"})
# Fields a mapping may leave out because the subject already says them.
SUBJECT_FIELDS = frozenset({"email"})


@dataclass(frozen=True)
class Paging:
    """How one operation's answers are paged."""

    style: str = "none"
    limit: int = 50
    limit_param: str = "limit"
    offset_param: str = "offset"
    page_param: str = "page"
    first_page: int = 1
    cursor_param: str = "cursor"
    next_cursor: jmespath.parser.ParsedResult | None = None
    total: jmespath.parser.ParsedResult | None = None
    max_pages: int = 50


@dataclass(frozen=True)
class Operation:
    """One mapped operation: request, where the records are, and how each field is found."""

    name: str
    record: type[Any]
    many: bool
    path: str
    query: Mapping[str, str]
    records: jmespath.parser.ParsedResult | None
    fields: Mapping[str, jmespath.parser.ParsedResult]
    constants: Mapping[str, Any]
    currency: str | None
    paging: Paging
    order_by: str | None = None
    descending: bool = True
    not_found_is_empty: bool = False
    naive_times_are_utc: bool = False
    expressions: Mapping[str, str] = field(default_factory=dict)

    def to_record(self, raw: Any, where: str, subject_email: str | None) -> Any:
        """One record from one element of the backend's answer."""
        values = {}
        for name, expression in self.fields.items():
            try:
                values[name] = expression.search(raw)
            except jmespath.exceptions.JMESPathError as exc:
                # Functions applied to the wrong type (length(42)…) fail at search time.
                raise MalformedResponse(f"{where}.{name}: {type(exc).__name__}") from None
        for name, value in self.constants.items():
            values.setdefault(name, value)
        # A per-person answer rarely repeats the person's email in each record.
        if (
            subject_email is not None
            and values.get("email") is None
            and "email" in _hints(self.record)
        ):
            values["email"] = subject_email
        return _build(self.record, values, where, self)


def parse_operations(options: Mapping[str, Any]) -> dict[str, Operation]:
    """Every operation in a mapping (the ``operations`` table plus shared ``paging``)."""
    shared_paging = _mapping(options.get("paging", {}), "paging")
    operations = _mapping(options.get("operations", {}), "operations")
    if not operations:
        raise ValueError("operations: the mapping maps no operation")
    parsed = {}
    for name, table in operations.items():
        if name not in OPERATIONS:
            raise ValueError(
                f"operations.{name}: unknown operation (known: {', '.join(OPERATIONS)})"
            )
        parsed[name] = _operation(name, _mapping(table, f"operations.{name}"), shared_paging)
    return parsed


def _operation(name: str, table: Mapping[str, Any], shared_paging: Mapping[str, Any]) -> Operation:
    where = f"operations.{name}"
    record, many = OPERATIONS[name]
    allowed = {
        "path", "query", "records", "fields", "constants", "currency", "paging", "order_by",
        "descending", "not_found_is_empty", "naive_times_are_utc",
    }  # fmt: skip
    unknown = set(table) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    path = table.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"{where}.path: expected a path starting with '/'")
    for _, variable, _, _ in string.Formatter().parse(path):
        if variable is not None and variable not in PATH_VARIABLES:
            raise ValueError(
                f"{where}.path: unknown variable {{{variable}}} (known: {', '.join(sorted(PATH_VARIABLES))})"
            )
    query = {k: str(v) for k, v in _mapping(table.get("query", {}), f"{where}.query").items()}
    hints = _hints(record)
    fields_table = _mapping(table.get("fields", {}), f"{where}.fields")
    fields = {}
    for field_name, expression in fields_table.items():
        if field_name not in hints:
            raise ValueError(f"{where}.fields.{field_name}: {record.__name__} has no such field")
        fields[field_name] = _compile(expression, f"{where}.fields.{field_name}")
    constants = dict(_mapping(table.get("constants", {}), f"{where}.constants"))
    for field_name in constants:
        if field_name not in hints:
            raise ValueError(f"{where}.constants.{field_name}: {record.__name__} has no such field")
    required = {f.name for f in dataclasses.fields(record) if _is_required(f)}
    missing = required - set(fields) - set(constants) - SUBJECT_FIELDS
    if missing:
        raise ValueError(f"{where}.fields: no expression for {', '.join(sorted(missing))}")
    currency = table.get("currency")
    if currency is not None:
        try:
            Money(Decimal(0), currency)
        except (ValueError, TypeError):
            raise ValueError(f"{where}.currency: not an ISO 4217 code: {currency!r}") from None
    order_by = table.get("order_by")
    if order_by is not None and order_by not in hints:
        raise ValueError(f"{where}.order_by: {record.__name__} has no field {order_by!r}")
    records_at = table.get("records")
    paging = _paging(
        {**shared_paging, **_mapping(table.get("paging", {}), f"{where}.paging")}, where
    )
    if not many and paging.style != "none" and "paging" in table:
        raise ValueError(f"{where}.paging: {name} reads one record and cannot be paged")
    return Operation(
        name=name,
        record=record,
        many=many,
        path=path,
        query=query,
        records=_compile(records_at, f"{where}.records") if records_at is not None else None,
        fields=fields,
        constants=constants,
        currency=currency,
        paging=paging if many else Paging(),
        order_by=order_by,
        descending=_flag(table, "descending", True, where),
        not_found_is_empty=_flag(table, "not_found_is_empty", False, where),
        naive_times_are_utc=_flag(table, "naive_times_are_utc", False, where),
        expressions={k: str(v) for k, v in fields_table.items()},
    )


def _paging(table: Mapping[str, Any], where: str) -> Paging:
    style = table.get("style", "none")
    if style not in PAGING_STYLES:
        raise ValueError(
            f"{where}.paging.style: expected one of {', '.join(sorted(PAGING_STYLES))}"
        )
    numbers: dict[str, Any] = {}
    for key in ("limit", "first_page", "max_pages"):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}.paging.{key}: expected a whole number")
            numbers[key] = value
    names: dict[str, Any] = {}
    for key in ("limit_param", "offset_param", "page_param", "cursor_param"):
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise ValueError(f"{where}.paging.{key}: expected a parameter name")
            names[key] = table[key]
    next_cursor = table.get("next_cursor")
    if style == "cursor" and next_cursor is None:
        raise ValueError(f"{where}.paging.next_cursor: cursor paging needs the expression")
    total = table.get("total")
    return Paging(
        style=style,
        next_cursor=_compile(next_cursor, f"{where}.paging.next_cursor") if next_cursor else None,
        total=_compile(total, f"{where}.paging.total") if total else None,
        **numbers,
        **names,
    )


def _compile(expression: Any, where: str) -> jmespath.parser.ParsedResult:
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(f"{where}: expected a JMESPath expression")
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"{where}: not a JMESPath expression ({exc})") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a table")
    return value


def _flag(table: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{where}.{key}: expected true or false")
    return value


def _is_required(spec: dataclasses.Field[Any]) -> bool:
    return spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING


def _hints(record: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(record)


# --- coercion ------------------------------------------------------------------


def _build(record: type[Any], values: Mapping[str, Any], where: str, operation: Operation) -> Any:
    hints = _hints(record)
    arguments = {}
    for spec in dataclasses.fields(record):
        value = values.get(spec.name)
        if value is None:
            if _is_required(spec) and not _optional(hints[spec.name]):
                raise MalformedResponse(f"{where}: no value for {spec.name}")
            if not _is_required(spec):
                continue
        arguments[spec.name] = _coerce(value, hints[spec.name], f"{where}.{spec.name}", operation)
    try:
        return record(**arguments)
    except (TypeError, ValueError) as exc:
        raise MalformedResponse(f"{where}: {exc}") from None


def _optional(hint: Any) -> bool:
    return _is_union(hint) and type(None) in typing.get_args(hint)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _coerce(value: Any, hint: Any, where: str, operation: Operation) -> Any:
    if _is_union(hint):
        if value is None:
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _coerce(value, inner, where, operation)
    if value is None:
        raise MalformedResponse(f"{where}: missing")
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise MalformedResponse(f"{where}: expected a string, got {type(value).__name__}")
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return shapes.as_int(value, where)
    if hint is Decimal:
        return shapes.as_decimal(value, where)
    if hint is bool:
        return shapes.as_bool(value, where)
    if hint is datetime:
        if isinstance(value, int) and not isinstance(value, bool):
            moment = shapes.unix_time(value, where)
            if moment is None:
                raise MalformedResponse(f"{where}: timestamp 0")
            return moment
        return shapes.iso_datetime(value, where, naive_is_utc=operation.naive_times_are_utc)
    if hint is date:
        return shapes.iso_date(value, where)
    if hint is Money:
        return _money(value, where, operation)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise MalformedResponse(
                f"{where}: {str(value)[:40]!r} is not a {hint.__name__}"
            ) from None
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(
            _coerce(v, item, f"{where}[{i}]", operation)
            for i, v in enumerate(shapes.arr(value, where))
        )
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, shapes.obj(value, where), where, operation)
    raise MalformedResponse(
        f"{where}: cannot read a {hint!r}"
    )  # pragma: no cover - records are typed


def _money(value: Any, where: str, operation: Operation) -> Money:
    if isinstance(value, Mapping):
        amount = shapes.as_decimal(shapes.member(value, "amount", where), f"{where}.amount")
        currency = value.get("currency") or operation.currency
    else:
        amount, currency = shapes.as_decimal(value, where), operation.currency
    if not isinstance(currency, str):
        raise MalformedResponse(f"{where}: an amount without a currency")
    try:
        return Money(amount, currency.upper())
    except ValueError:
        raise MalformedResponse(f"{where}: not an ISO 4217 currency code") from None


def ordered(found: list[Any], operation: Operation) -> list[Any]:
    """Records in the mapping's ``order_by`` order (``None`` values last), else as received."""
    if operation.order_by is None:
        return found
    key = operation.order_by
    present = [r for r in found if getattr(r, key) is not None]
    absent = [r for r in found if getattr(r, key) is None]
    try:
        present.sort(key=lambda r: getattr(r, key), reverse=operation.descending)
    except TypeError:
        raise MalformedResponse(f"{operation.name}: cannot order by {key}") from None
    return present + absent


__all__ = ["OPERATIONS", "Operation", "Paging", "ordered", "parse_operations"]
