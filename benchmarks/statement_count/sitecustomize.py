"""Counts the SQL statements this process sends, for ``benchmarks/homepage_served.py``.

Active only with ``BENCH_STATEMENTS_DIR`` set: the count goes, as 8 little-endian bytes,
into a file named by the process id in that folder, updated on every statement (a
mapped page, so it costs a memory write), for the benchmark to add up between rounds.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Any


def _count_into(folder: Path) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    file = (folder / str(os.getpid())).open("w+b")
    file.write(bytes(8))
    file.flush()
    counter = mmap.mmap(file.fileno(), 8)
    sent = [0]

    def count(*_args: Any) -> None:
        sent[0] += 1
        counter[:8] = sent[0].to_bytes(8, "little")

    event.listen(Engine, "before_cursor_execute", count)


if os.environ.get("BENCH_STATEMENTS_DIR"):
    _count_into(Path(os.environ["BENCH_STATEMENTS_DIR"]))
