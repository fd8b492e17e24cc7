"""The one operation table agrees with the connector protocols and the facade."""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from hub.connectors import operations
from hub.connectors.backends import Backends, facade_reads
from hub.connectors.base import PROTOCOL_OF_KIND, Connector
from hub.connectors.records import PartnerRef, PersonRef
from hub.connectors.rest_mapping import OPERATIONS as REST_OPERATIONS

# Writes and the shared probe are not reads.
NOT_READS = {"probe", "register_deal", "decide_registration", "__init__"}


def protocol_reads() -> dict[str, tuple[Any, Any]]:
    """Each protocol read method: its kind's protocol, and its declared return type."""
    found: dict[str, tuple[Any, Any]] = {}
    base = set(vars(Connector))
    for protocol in PROTOCOL_OF_KIND.values():
        for name, member in vars(protocol).items():
            if name.startswith("_") or name in NOT_READS or name in base:
                continue
            if inspect.iscoroutinefunction(member):
                found[name] = (protocol, get_type_hints(member)["return"])
    return found


def test_every_protocol_read_is_one_operation_of_its_kind_with_its_return_type() -> None:
    reads = protocol_reads()
    assert set(reads) == set(operations.BY_NAME)
    assert len(operations.ALL) == len(operations.BY_NAME)  # names are unique
    for name, (protocol, returns) in reads.items():
        operation = operations.BY_NAME[name]
        assert PROTOCOL_OF_KIND[operation.kind] is protocol, name
        assert operation.answer_type == returns, name


def test_the_subject_is_what_the_protocol_method_takes() -> None:
    for name, (protocol, _) in protocol_reads().items():
        hints = get_type_hints(getattr(protocol, name))
        taken = [value for key, value in hints.items() if key != "return"]
        expected = operations.BY_NAME[name].subject
        # The reward catalogue takes no subject; it is read on a person's behalf.
        assert taken in ([expected], []), name
        assert expected in (PartnerRef, PersonRef)


def test_the_facade_and_the_rest_mapping_offer_exactly_the_table() -> None:
    reads = facade_reads(Backends([]))
    assert sorted(read.operation.name for read in reads) == sorted(operations.BY_NAME)
    for read in reads:
        assert read.operation.kind.value in {"prm", "lms", "incentives", "tcma"}
    assert {op.name: (op.record, op.many) for op in operations.ALL} == REST_OPERATIONS


def test_a_cache_answer_type_comes_from_the_table() -> None:
    from hub.connectors.cache import answer_type

    adapter = answer_type(operations.DEALS.kind, "deals")
    assert adapter is operations.DEALS.adapter
