"""Deal-registration conflicts: two partners registering one customer, found and decided.

:mod:`.policy` is what an administrator sets (policy, protection window, name threshold);
:mod:`.matching` keeps every registration the PRM reports with its matching keys and finds
the conflicts a new one makes; :mod:`.queue` is what the channel manager sees and decides,
written back to the PRM before anything is recorded.
"""

from __future__ import annotations

from hub.services.conflicts.queue import open_entries, timeline_entries, waiting_entries

__all__ = ["open_entries", "timeline_entries", "waiting_entries"]
