"""The short mails the web app sends: confirm a subscription, sign in, already subscribed.

Plain text with one link. Nothing a visitor typed goes into them (not even the name they gave):
the subscribe form sends mail to any address, so it must not carry a stranger's words.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from marketbrief.deliver.outbox import MAIL_POLICY, header_text, mail_domain, parse_address
from marketbrief.settings import Settings

NOTICES: dict[str, tuple[str, str]] = {
    # kind: (subject, body with {link})
    "confirm": (
        "Confirm your marketbrief subscription",
        "Someone, hopefully you, asked for marketbrief briefings at this address:\n"
        "curated U.S. market news, insights and key dates.\n\n"
        "To confirm, open this link and press the button on the page:\n\n"
        "{link}\n\n"
        "The link works for 3 days. If you did not ask for this, ignore this mail:\n"
        "nothing more will be sent to you.\n",
    ),
    "signin": (
        "Your marketbrief sign-in link",
        "To sign in to marketbrief and change what you get, open this link and press the\n"
        "button on the page:\n\n"
        "{link}\n\n"
        "The link works for 30 minutes. If you did not ask for it, ignore this mail.\n",
    ),
    "subscribed": (
        "You already get marketbrief briefings",
        "Someone, hopefully you, asked to subscribe this address to marketbrief, and it\n"
        "already gets the briefings. To change what you get, sign in with this link:\n\n"
        "{link}\n\n"
        "The link works for 30 minutes. If you did not ask for it, ignore this mail:\n"
        "nothing has changed.\n",
    ),
}


def notice_mail(
    settings: Settings, kind: str, to: str, link: str, *, now: datetime
) -> EmailMessage:
    """The ``kind`` mail (one of ``NOTICES``) to the plain address ``to``, carrying ``link``."""
    subject, body = NOTICES[kind]
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = parse_address(settings.mail_from, key="mail_from")
    local, _, domain = to.rpartition("@")
    message["To"] = Address(username=local, domain=domain)
    message["Subject"] = header_text(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring="notice", domain=mail_domain(settings.mail_from))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body.format(link=link), cte="quoted-printable")
    return message
