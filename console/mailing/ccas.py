"""Tell each CCAS by e-mail that a welfare alert waits for it: a reference, nothing else.

The mail carries the alert's reference, the municipality, the severity and when it was raised;
never a name, a category, a note or anything about health (the CCAS reads those in the
console, where its role and scope are checked). A mail the SMTP server accepted is recorded on
the alert (``CcasNotified``); one it refused stays due and is sent again next time.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from domain.application import Maillage
from domain.meals import service as meals
from domain.meals.welfare_alert import WelfareAlert

SMTP_TIMEOUT_S = 10.0
"""How long to wait for the CCAS's SMTP server before leaving the mail due, seconds."""


def alert_mail(due: meals.MailDue) -> EmailMessage:
    """The mail for one alert: its reference and where to read it, no personal detail."""
    message = EmailMessage()
    message["From"] = due.mail.sender
    message["To"] = due.mail.recipient
    message["Subject"] = f"Welfare alert {due.reference} ({due.municipality})"
    message.set_content(
        f"A welfare alert for {due.municipality} waits for the CCAS.\n\n"
        f"Reference: {due.reference}\n"
        f"Severity: {due.severity}\n"
        f"Raised: {due.raised_at}\n\n"
        f"Open it in the maillage console (meals alerts show {due.reference}).\n"
        "This mail carries no personal or health information.\n"
    )
    return message


def mail_due_alerts(app: Maillage, insee: str | None = None) -> list[str]:
    """Send every alert mail that is due; one line per alert saying what happened."""
    lines = []
    for due in meals.mails_due(app, insee):
        server = f"{due.mail.host}:{due.mail.port}"
        try:
            with smtplib.SMTP(due.mail.host, due.mail.port, timeout=SMTP_TIMEOUT_S) as smtp:
                smtp.send_message(alert_mail(due))
        except (OSError, smtplib.SMTPException) as e:
            lines.append(
                f"warning: the CCAS of {due.municipality} could not be mailed about "
                f"{due.reference} ({server}: {type(e).__name__}); it stays due "
                "('maillage meals alerts notify' sends it again)"
            )
            continue
        meals.record_mailed(app, due.alert_id, due.mail.recipient)
        lines.append(f"CCAS of {due.municipality} mailed about welfare alert {due.reference}")
    return lines


def announce_raised(app: Maillage, alerts: Sequence[WelfareAlert], by_watch: bool) -> list[str]:
    """What both front ends say after alerts were raised (each by its reference), then the
    CCAS mailed at once about every alert now due: a welfare alert never waits for a person
    to ask for the mail."""
    source = " by the welfare watch" if by_watch else ""
    lines = [
        f"welfare alert {a.reference} raised{source} ({a.category}, {a.severity})" for a in alerts
    ]
    return lines + (mail_due_alerts(app) if alerts else [])
