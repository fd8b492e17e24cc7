"""The demo's mail server: a real SMTP server on the loopback that keeps what it receives.

``hub demo`` starts it when no ``HUB_SMTP_HOST`` is set and points the hub's own mail
(the weekly digest, playbook messages without a TCMA) at it, so mail in the demo
leaves the hub over SMTP like anywhere else. What arrives is kept in a Maildir under
the data directory, and ``/demo/mailbox`` shows each person the letters addressed to
them. Demo code: never started by a production process.
"""

from __future__ import annotations

import mailbox
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

FOLDER = "demo-mail"
# The newest letters shown; a demo left running for months keeps its page short.
SHOWN = 200


@dataclass(frozen=True)
class Letter:
    """One message the demo's mail server received."""

    key: str
    to: tuple[str, ...]
    sender: str
    subject: str
    received: datetime  # when the server delivered it to the Maildir
    text: str
    html: str

    def addressed_to(self, email: str) -> bool:
        return email.lower() in self.to


def folder_of(data_dir: Path) -> Path:
    return data_dir / FOLDER


def start(data_dir: Path, host: str = "127.0.0.1") -> tuple[Controller, int]:
    """An SMTP server keeping mail in ``data_dir``'s Maildir, on a free port; and that port."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = int(probe.getsockname()[1])
    server = Controller(Mailbox(folder_of(data_dir)), hostname=host, port=port)
    server.start()
    return server, port


def letters(data_dir: Path) -> list[Letter]:
    """What arrived, newest first; none before the server first ran."""
    folder = folder_of(data_dir)
    if not folder.is_dir():
        return []
    box = mailbox.Maildir(folder, factory=None, create=False)
    found = [
        _letter(key, box.get_bytes(key), datetime.fromtimestamp(box[key].get_date(), UTC))
        for key in box.iterkeys()
    ]
    found.sort(key=lambda letter: letter.received, reverse=True)
    return found[:SHOWN]


def _letter(key: str, raw: bytes, received: datetime) -> Letter:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default makes EmailMessage
    to = tuple(address.lower() for _, address in getaddresses(message.get_all("To", [])))
    return Letter(
        key=key,
        to=to,
        sender=str(message["From"] or ""),
        subject=str(message["Subject"] or ""),
        received=received,
        text=_part(message, "plain"),
        html=_part(message, "html"),
    )


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return str(part.get_content())
