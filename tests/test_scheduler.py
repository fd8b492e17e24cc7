"""The in-process scheduler: a run that failed is tried again soon, not a period later."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from hub.resources import Hub
from hub.scheduler import _every

pytestmark = pytest.mark.anyio


async def test_a_failed_run_is_tried_again_soon_and_then_keeps_its_period() -> None:
    runs: list[float] = []
    third = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def flaky(hub: Hub) -> None:
        runs.append(loop.time())
        if len(runs) < 3:
            raise RuntimeError("database is locked")
        third.set()

    # An hour's period: without the retry, the second run would come an hour later.
    task = asyncio.create_task(_every(3600.0, flaky, cast(Hub, None), retry_first=0.05))
    try:
        await asyncio.wait_for(third.wait(), 5)
        await asyncio.sleep(0.3)  # after the success, nothing runs until the period ends
    finally:
        task.cancel()
    assert len(runs) == 3
    first_gap, second_gap = runs[1] - runs[0], runs[2] - runs[1]
    assert 0.04 <= first_gap < 1
    assert second_gap >= 2 * 0.05 * 0.9  # the pause doubled after the second failure
