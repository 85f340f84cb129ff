"""Deliver: briefings and alerts rendered and written out — email (MIME, SMTP, outbox), ICS
calendars (key dates, the market calendar)."""

from marketbrief.deliver.ics import build_calendar, build_market_ics, stable_uid
from marketbrief.deliver.outbox import (
    MAIL_POLICY,
    briefing_message_id,
    build_briefing_email,
    build_reader_email,
    header_text,
    mail_domain,
    parse_address,
    write_file_atomically,
    write_outbox,
)
from marketbrief.deliver.render import (
    alert_headline,
    alert_title,
    briefing_title,
    render_alert_parts,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.deliver.smtp import (
    Mailer,
    OutboxMailer,
    RateLimiter,
    Sent,
    SmtpConfig,
    SmtpMailer,
    is_bounce,
    make_mailer,
)

__all__ = [
    "MAIL_POLICY",
    "Mailer",
    "OutboxMailer",
    "RateLimiter",
    "Sent",
    "SmtpConfig",
    "SmtpMailer",
    "alert_headline",
    "alert_title",
    "briefing_message_id",
    "briefing_title",
    "build_briefing_email",
    "build_calendar",
    "build_market_ics",
    "build_reader_email",
    "header_text",
    "is_bounce",
    "mail_domain",
    "make_mailer",
    "parse_address",
    "render_alert_parts",
    "render_briefing_html",
    "render_briefing_text",
    "stable_uid",
    "write_file_atomically",
    "write_outbox",
]
