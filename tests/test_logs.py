"""Structured logs: one JSON object a line, and no backend URLs at INFO."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from hub import logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)
    logging.getLogger("uvicorn.access").disabled = False


@pytest.mark.usefixtures("restore_logging")
def test_lines_are_json_and_backend_urls_stay_out(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    logging.getLogger("hub.test").info("request", extra={"path": "/", "status": 200})
    logging.getLogger("httpx").info("HTTP Request: GET https://lrs/x?agent=rep@acme.example")
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["logger"], entry["message"], entry["status"]) == ("hub.test", "request", 200)


@pytest.mark.usefixtures("restore_logging")
def test_debug_keeps_backend_urls_out_too(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("DEBUG")
    logging.getLogger("httpx").info("HTTP Request: GET https://lrs/x")
    assert "lrs" not in capsys.readouterr().err
