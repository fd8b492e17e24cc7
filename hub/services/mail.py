"""The hub's own email, over SMTP with ``aiosmtplib``: settings from ``HUB_SMTP_*``.

One SMTP connection per batch (:class:`SmtpMailer`, the weekly digest) or per message
(:func:`send_mail`, a playbook's message without a TCMA), both from :func:`mailer_of`. Every failure (refused connection, timeout, a recipient the server rejects) is
:class:`MailFailed` with a message safe to show a channel manager.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from hub.settings import Settings

# Hands one message to the server of an open connection.
Send = Callable[[EmailMessage], Awaitable[object]]


class MailFailed(Exception):
    """The message was not handed to the SMTP server; the text says why."""


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one person."""

    to: str
    subject: str
    body: str
    key: str  # the hub's idempotency key, carried in the Message-ID


@dataclass(frozen=True)
class SmtpMailer:
    """Sends through an SMTP server with aiosmtplib."""

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Send]:
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )
        await smtp.connect()
        try:
            yield smtp.send_message
        finally:
            with suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()


def mailer_of(settings: Settings) -> SmtpMailer | None:
    """The SMTP server of ``HUB_SMTP_*``; None when none is configured."""
    if settings.smtp_host is None:
        return None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout_seconds,
    )


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
    mailer = mailer_of(settings)
    assert mailer is not None  # noqa: S101 - checked above
    try:
        async with mailer.connection() as send:
            await send(message)
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
