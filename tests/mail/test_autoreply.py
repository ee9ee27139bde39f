from __future__ import annotations

import pytest

from supportflow.mail.parsing import parse_email


def raw_mail(*headers: str, subject: str = "Question", sender: str = "jane@example.com") -> bytes:
    lines = [f"From: {sender}", f"Subject: {subject}", "Message-ID: <a@example.com>", *headers]
    return ("\n".join(lines) + "\n\nHello\n").encode()


def test_human_mail_is_not_an_auto_reply():
    parsed = parse_email(raw_mail("Auto-Submitted: no"))
    assert parsed.auto_reply_reason is None
    assert not parsed.is_auto_reply


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: Auto-Generated; owner-email=x@y", "Auto-Submitted: auto-generated"),
        ("X-Autoreply: yes", "X-Autoreply"),
        ("X-Autorespond: on", "X-Autorespond"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: auto_reply", "Precedence: auto_reply"),
        ("Precedence: list", "Precedence: list"),
        ("X-Auto-Response-Suppress: OOF, AutoReply", "X-Auto-Response-Suppress: OOF, AutoReply"),
        ("X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress: All"),
        ("Return-Path: <>", "null Return-Path (bounce)"),
    ],
)
def test_auto_reply_headers(header: str, reason: str):
    parsed = parse_email(raw_mail(header))
    assert parsed.auto_reply_reason == reason
    assert parsed.is_auto_reply


def test_precedence_first_class_is_human():
    assert parse_email(raw_mail("Precedence: first-class")).auto_reply_reason is None


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("Out of Office: Question", "out-of-office subject"),
        ("Automatic reply: Question", "out-of-office subject"),
        ("Auto: Question", "out-of-office subject"),
        ("[EXTERNAL] Out of office until Monday", "out-of-office subject"),
        ("Abwesenheitsnotiz: Frage", "out-of-office subject"),
        ("Réponse automatique : Question", "out-of-office subject"),
        ("Undeliverable: Question", "delivery failure subject"),
        ("Delivery Status Notification (Failure)", "delivery failure subject"),
    ],
)
def test_auto_reply_subjects(subject: str, reason: str):
    assert parse_email(raw_mail(subject=subject)).auto_reply_reason == reason


def test_subject_merely_mentioning_the_office_is_human():
    assert parse_email(raw_mail(subject="Will you be out of office?")).auto_reply_reason is None


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_system_senders(sender: str):
    reason = parse_email(raw_mail(sender=sender)).auto_reply_reason
    assert reason is not None and reason.endswith("sender")


def test_delivery_status_notification_report():
    raw = (
        b"From: Mail System <bounces@mx.example.com>\n"
        b"To: help@shop.example\nSubject: Your message\nMessage-ID: <dsn@mx.example.com>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
        b"--R\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        b"--R\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; jane@example.com\n"
        b"Action: failed\nStatus: 5.1.1\n"
        b"--R\nContent-Type: text/rfc822-headers\n\nSubject: Re: Question\n"
        b"--R--\n"
    )
    parsed = parse_email(raw)
    assert parsed.auto_reply_reason == "delivery status notification"
    assert parsed.body_text == "Your message could not be delivered."
    assert [a.content_type for a in parsed.attachments] == [
        "message/delivery-status",
        "text/rfc822-headers",
    ]


def test_read_receipt_report():
    raw = (
        b"From: jane@example.com\nSubject: Read: Question\nMessage-ID: <r@example.com>\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=R\n\n"
        b"--R\nContent-Type: text/plain\n\nRead.\n--R--\n"
    )
    assert parse_email(raw).auto_reply_reason == "message disposition notification"
