"""A digest as an email (text and HTML from the Jinja templates, in the manager's language)
and as one chat message; every link is absolute, from ``HUB_BASE_URL``."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from jinja2 import Environment, FileSystemLoader

from hub import i18n
from hub.i18n import N_, translate
from hub.paths import TEMPLATES
from hub.services.digest.compose import Digest

_env: Environment | None = None

SECTION_NAMES = {"conflicts": N_("Deal conflicts waiting for you")}


def _escapes(name: str | None) -> bool:
    return name is None or not name.endswith("_text.html")


def _templates() -> Environment:
    global _env
    if _env is None:
        env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            # HTML escaped; the plain-text parts (``*_text.html``) are not HTML at all.
            autoescape=_escapes,  # noqa: S701 - a function: escaping per template
            trim_blocks=True,
            lstrip_blocks=True,
        )
        i18n.install(env)
        _env = env
    return _env


def subject(digest: Digest) -> str:
    locale = digest.recipient.locale
    if digest.first_week:
        return translate(
            locale, N_("Your partners this week: %(dormant)s dormant"), dormant=digest.dormant_now
        )
    return translate(
        locale,
        N_("Your partners this week: %(new)s newly dormant, %(back)s came back"),
        new=len(digest.newly_dormant),
        back=len(digest.came_back),
    )


def _context(digest: Digest, base_url: str) -> dict[str, object]:
    locale = digest.recipient.locale
    return {
        "d": digest,
        "locale": locale if locale in i18n.SUPPORTED_LOCALES else i18n.DEFAULT_LOCALE,
        "base": base_url.rstrip("/"),
        "section_name": lambda key: (
            translate(locale, SECTION_NAMES[key]) if key in SECTION_NAMES else key
        ),
    }


def email(digest: Digest, *, base_url: str, sender: str) -> EmailMessage:
    """The digest as a multipart (text and HTML) email to its manager."""
    context = _context(digest, base_url)
    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = sender
    message["To"] = formataddr((digest.recipient.name, digest.recipient.email))
    message["Message-ID"] = make_msgid(domain="partner-hub")
    # Lets a mail client group the weeks, and a manager filter them.
    message["X-Hub-Digest"] = digest.week
    message.set_content(_templates().get_template("email/digest_text.html").render(context))
    message.add_alternative(
        _templates().get_template("email/digest.html").render(context), subtype="html"
    )
    return message


def chat_text(digest: Digest, *, base_url: str) -> str:
    """One chat message: the subject, the partners by name and the link into the hub."""
    return (
        _templates()
        .get_template("email/digest_chat_text.html")
        .render(_context(digest, base_url))
        .strip()
    )
