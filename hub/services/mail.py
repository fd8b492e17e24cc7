"""The hub's own email, over SMTP with ``aiosmtplib``: settings from ``HUB_SMTP_*``.

Used where no marketing platform sends for the hub (a playbook's message without a
TCMA). Every failure (refused connection, timeout, a recipient the server rejects) is
:class:`MailFailed` with a message safe to show a channel manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from hub.settings import Settings


class MailFailed(Exception):
    """The message was not handed to the SMTP server; the text says why."""


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one person."""

    to: str
    subject: str
    body: str
    key: str  # the hub's idempotency key, carried in the Message-ID


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


async def send_mail(settings: Settings, mail: Mail) -> str:
    """Hand ``mail`` to the SMTP server; its Message-ID."""
    if not settings.smtp_host:
        raise MailFailed("no SMTP server is configured (HUB_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    domain = settings.smtp_from.rpartition("@")[2].rstrip(">") or "localhost"
    message["Message-ID"] = make_msgid(idstring=mail.key.replace(":", "."), domain=domain)
    message.set_content(mail.body)
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, ConnectionError):
        raise MailFailed(
            f"SMTP at {settings.smtp_host}:{settings.smtp_port} is unreachable"
        ) from None
    except aiosmtplib.SMTPRecipientsRefused:
        raise MailFailed(f"the SMTP server refused the recipient {mail.to}") from None
    except aiosmtplib.SMTPException as exc:
        raise MailFailed(f"SMTP at {settings.smtp_host}:{settings.smtp_port}: {exc}") from None
    except OSError as exc:
        raise MailFailed(
            f"SMTP at {settings.smtp_host}:{settings.smtp_port} is unreachable ({exc.strerror or exc})"
        ) from None
    return str(message["Message-ID"])
