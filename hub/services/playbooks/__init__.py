"""Reactivation playbooks: defined as data, started on partners, carried out through the
backends, and tracked to their outcome against a holdout.

For other pages: :func:`timeline_entries` (a partner's runs for its timeline) and
:func:`running_for` (the open playbook of each partner, for a briefing).
"""

from __future__ import annotations

from hub.services.playbooks.runs import RunSummary, open_entries, running_for, timeline_entries

__all__ = ["RunSummary", "open_entries", "running_for", "timeline_entries"]
