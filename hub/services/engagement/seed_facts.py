"""Example facts for the demo's actions: what a caller gathers from the connectors.

The keys are the fact names the seeded action rules read; the route layer builds the same
dict from live connector data (deals this month, fund claims expiring …).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from hub.connectors.records import Money

DEMO_FACTS: Mapping[str, Any] = MappingProxyType(
    {
        "deals_registered_this_month": 0,
        "org_deals_registered_this_month": 3,
        "fund_claims_expiring": 2,
        "campaigns_not_redistributed": 1,
        "certification_unlocks_next_tier": True,
        "certification_complete": False,
        "rebate_invoice_missing": True,
        "rebate_amount": Money(Decimal("4200"), "USD"),
        "implementation_checklist_adopted": False,
        "spiffs_to_finish": 2,
        "spiff_name": "Cloud Migration Accelerator",
        "spiff_reward": Money(Decimal("750"), "USD"),
        "spiff_ends": date(2026, 12, 22),
        "kudos_awaiting_approval": 0,
        "partner_identity_providers": 0,
        "dormant_partners": 1,
        "budget_available": 1000,
        "questions_waiting_too_long": 1,
        "question_wait_hours": 24,
    }
)
