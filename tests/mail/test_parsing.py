from __future__ import annotations

import random
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from supportflow.errors import MalformedEmailError
from supportflow.mail.parsing import Attachment, parse_email

HEADERS = (
    b"From: Jane Doe <Jane.Doe@Example.COM>\r\n"
    b"To: Support <help@shop.example>\r\n"
    b"Subject: Broken mug\r\n"
    b"Date: Mon, 01 Jan 2024 10:00:00 +0100\r\n"
    b"Message-ID: <abc.123@mail.example.com>\r\n"
)


def message(body: str = "Hello,\n\nThe mug arrived broken.\n", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("from_", "Jane Doe <jane@example.com>")
    msg["To"] = headers.pop("to", "help@shop.example")
    msg["Subject"] = headers.pop("subject", "Broken mug")
    msg["Message-ID"] = headers.pop("message_id", "<m1@example.com>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


# --- headers ------------------------------------------------------------------------------


def test_plain_message_fields():
    raw = (
        HEADERS
        + b"Cc: Bob <bob@example.com>, jane.doe@example.com\r\n"
        + b"Reply-To: Orders <Orders@Example.com>\r\n"
        + b"In-Reply-To: <parent@shop.example>\r\n"
        + b"References: <root@shop.example>\r\n <parent@shop.example>\r\n"
        + b"\r\nHello,\r\n\r\nThe mug arrived broken.\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.message_id == "<abc.123@mail.example.com>"
    assert parsed.in_reply_to == "<parent@shop.example>"
    assert parsed.references == ("<root@shop.example>", "<parent@shop.example>")
    assert parsed.from_name == "Jane Doe"
    assert parsed.from_address == "jane.doe@example.com"
    assert parsed.to_addresses == ("help@shop.example", "bob@example.com", "jane.doe@example.com")
    assert parsed.reply_to == "orders@example.com"
    assert parsed.subject == "Broken mug"
    assert parsed.date == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    assert parsed.body_text == "Hello,\n\nThe mug arrived broken.\n"
    assert parsed.new_text == "Hello,\n\nThe mug arrived broken."
    assert parsed.attachments == ()
    assert parsed.auto_reply_reason is None and not parsed.is_auto_reply
    assert parsed.defects == ()


def test_encoded_word_headers_are_decoded():
    raw = (
        b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <j@example.de>\n"
        b"Subject: =?utf-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\n"
        b"Message-ID: <x@example.de>\n\nHallo\n"
    )
    parsed = parse_email(raw)
    assert parsed.from_name == "Jürgen Müller"
    assert parsed.subject == "Grüße aus München"


def test_raw_utf8_headers_are_decoded():
    raw = "From: Jürgen <j@example.de>\nSubject: Grüße\nMessage-ID: <x@e>\n\nHallo\n"
    parsed = parse_email(raw.encode("utf-8"))
    assert (parsed.from_name, parsed.subject) == ("Jürgen", "Grüße")


def test_folded_subject_is_unfolded():
    raw = b"From: a@example.com\nSubject: a very\n long subject\nMessage-ID: <s@e>\n\nx\n"
    assert parse_email(raw).subject == "a very long subject"


def test_missing_message_id_gets_a_stable_stand_in():
    raw = b"From: a@example.com\nSubject: hi\n\nbody\n"
    first, second = parse_email(raw), parse_email(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith(
        "@missing-message-id.invalid>"
    )
    assert len(first.message_id.split("@")[0]) == 33  # "<" + 32 hex digits
    assert parse_email(raw + b"more\n").message_id != first.message_id
    assert any("Message-ID" in defect for defect in first.defects)


def test_message_id_without_angle_brackets_is_normalised():
    raw = b"From: a@example.com\nMessage-ID: abc@example.com\n\nbody\n"
    assert parse_email(raw).message_id == "<abc@example.com>"


def test_date_without_zone_is_utc_and_bad_date_is_a_defect():
    naive = parse_email(b"From: a@e.com\nDate: Mon, 1 Jan 2024 10:00:00 -0000\n\nx\n").date
    assert naive == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    bad = parse_email(b"From: a@e.com\nDate: yesterday-ish\n\nx\n")
    assert bad.date is None
    assert any("date" in defect.lower() for defect in bad.defects)


def test_missing_from_is_a_defect():
    parsed = parse_email(b"Subject: no sender\n\nbody\n")
    assert parsed.from_address is None and parsed.from_name is None
    assert "missing or unusable From address" in parsed.defects


@pytest.mark.parametrize(
    "header",
    [
        # each of these makes CPython's policy.default raise (IndexError, AttributeError,
        # OverflowError) when the header is read, or even while the message is parsed
        b"To: (comment) a@bc, group: x@y, z@w;;",
        b"Reply-To: <a@",
        b'From: "Jo, Doe" .<jo@x.com>, =?utf-8?q?a=C3=A9?= <b@y>',
        b"Content-Type: text/plain; charset*",
        b"Date: Mon, 1 Jan 2024 10:00:00 +99999999999999999999",
        # and these are merely malformed
        b"Cc: <<<>>> ,,, @@@",
        b"Subject: =?bogus-charset?Q?caf=E9?=",
        b"Content-Disposition: inline; filename*0*=utf-8''a%20b; filen\xffame*1=c.txt",
    ],
)
def test_malformed_headers_are_defects_not_errors(header: bytes):
    name = header.split(b":")[0].decode()
    raw = header + b"\nMessage-ID: <ok@example.com>\n\nbody text\n"
    if not name.startswith("From"):
        raw = b"From: a@example.com\n" + raw
    parsed = parse_email(raw)
    assert any(f"header {name}" in defect for defect in parsed.defects), parsed.defects
    assert parsed.body_text == "body text\n"


def test_unusual_but_bracketed_message_id_is_kept_verbatim():
    raw = b"From: a@example.com\nMessage-ID: <[a.b@c>\n\nbody\n"
    assert parse_email(raw).message_id == "<[a.b@c>"


def test_attachment_disposition_on_the_whole_message_leaves_no_body():
    raw = b"From: a@example.com\nContent-Disposition: attachment; filename=notes.txt\n\nbody text\n"
    parsed = parse_email(raw)
    assert parsed.body_text == ""
    assert parsed.attachments == (
        Attachment(
            filename="notes.txt", content_type="text/plain", size=10, is_oversize=False,
            is_inline=False,
        ),
    )  # fmt: skip


# --- bodies and charsets ------------------------------------------------------------------


def test_iso_8859_1_quoted_printable_body():
    raw = (
        HEADERS + b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Gr=FC=DFe aus M=FCnchen, caf=E9 =\r\ncr=E8me\r\n"
    )
    assert parse_email(raw).body_text == "Grüße aus München, café crème\n"


def test_shift_jis_base64_body():
    msg = message()
    msg.set_content("お問い合わせありがとうございます。", charset="shift_jis", cte="base64")
    parsed = parse_email(msg.as_bytes())
    assert parsed.body_text.strip() == "お問い合わせありがとうございます。"
    assert parsed.defects == ()


def test_windows_1252_body():
    msg = message()
    msg.set_content("\u201cSmart\u201d quotes \u2013 and \u20ac5", charset="windows-1252")
    assert (
        parse_email(msg.as_bytes()).body_text.strip()
        == "\u201cSmart\u201d quotes \u2013 and \u20ac5"
    )


def test_bogus_charset_is_decoded_with_a_defect():
    raw = HEADERS + b"Content-Type: text/plain; charset=x-no-such\r\n\r\nna\xc3\xafve\r\n"
    parsed = parse_email(raw)
    assert parsed.body_text == "naïve\n"
    assert any("unknown charset" in defect for defect in parsed.defects)


def test_bytes_invalid_in_declared_charset_are_replaced_with_a_defect():
    raw = HEADERS + b"Content-Type: text/plain; charset=utf-8\r\n\r\nbad \xff byte\r\n"
    parsed = parse_email(raw)
    assert parsed.body_text == "bad \ufffd byte\n"
    assert parsed.defects


def test_invalid_base64_is_a_defect():
    raw = (
        HEADERS + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"SGVsbG8gd29ybGQ!!!\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.body_text.startswith("Hello world")
    assert parsed.defects


def test_format_flowed_lines_are_joined():
    raw = (
        HEADERS + b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        b"This is one long \r\nparagraph.\r\n\r\n> quoted and \r\n> joined\r\n-- \r\nsig\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.body_text == "This is one long paragraph.\n\n> quoted and joined\n-- \nsig\n"
    assert parsed.new_text == "This is one long paragraph."
    assert parsed.signature == "--\nsig"


def test_plain_text_is_preferred_over_html():
    msg = message("Plain version\n")
    msg.add_alternative("<p>HTML version</p>", subtype="html")
    parsed = parse_email(msg.as_bytes())
    assert parsed.body_text == "Plain version\n"
    assert not parsed.is_html_only
    assert parsed.attachments == ()


def test_html_only_message_is_converted_to_text():
    msg = message()
    msg.set_content(
        "<html><body><p>Hi,</p><p>See <a href='https://x.example/o/1'>my order</a>.</p>"
        "<div>On Mon, Jan 1, 2024 at 9:00 AM Shop &lt;s@x.example&gt; wrote:</div>"
        "<blockquote>Your order shipped.</blockquote></body></html>",
        subtype="html",
    )
    parsed = parse_email(msg.as_bytes())
    assert parsed.is_html_only
    assert parsed.new_text == "Hi,\n\nSee my order (https://x.example/o/1)."
    assert "Your order shipped." in parsed.quoted_text


def test_empty_plain_part_falls_back_to_html():
    msg = message(" \n")
    msg.add_alternative("<p>Only here</p>", subtype="html")
    parsed = parse_email(msg.as_bytes())
    assert (parsed.body_text, parsed.is_html_only) == ("Only here", True)


def test_nested_multipart_with_inline_image_and_attachment():
    msg = message("See the photo.\n")
    msg.add_alternative("<p>See the photo. <img src='cid:photo1'></p>", subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<photo1>")
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="rechnung-für-mai.pdf"
    )
    parsed = parse_email(msg.as_bytes())
    assert parsed.body_text == "See the photo.\n"
    assert parsed.attachments == (
        Attachment(
            filename=None, content_type="image/png", size=9, is_oversize=False, is_inline=True
        ),
        Attachment(
            filename="rechnung-für-mai.pdf",
            content_type="application/pdf",
            size=13,
            is_oversize=False,
            is_inline=False,
        ),
    )


def test_huge_attachment_is_described_not_kept():
    msg = message("Logs attached.\n")
    msg.add_attachment(b"\x00" * 5_000_000, maintype="application", subtype="zip", filename="l.zip")
    parsed = parse_email(msg.as_bytes(), max_attachment_bytes=2_000_000)
    assert parsed.attachments == (
        Attachment(
            filename="l.zip", content_type="application/zip", size=5_000_000,
            is_oversize=True, is_inline=False,
        ),
    )  # fmt: skip
    assert len(repr(parsed)) < 2_000  # no attachment bytes are carried


def test_forwarded_message_rfc822_part_is_an_attachment():
    inner = message("Original complaint\n", message_id="<inner@example.com>")
    outer = message("Please see the forwarded mail.\n")
    outer.add_attachment(inner)
    parsed = parse_email(outer.as_bytes())
    assert parsed.body_text == "Please see the forwarded mail.\n"
    assert [a.content_type for a in parsed.attachments] == ["message/rfc822"]
    assert parsed.attachments[0].size > 0


def test_forward_as_attachment_without_own_text_uses_the_forwarded_body():
    inner = message("Original complaint\n", message_id="<inner@example.com>")
    outer = message("")
    outer.clear_content()
    outer.add_attachment(inner)
    assert parse_email(outer.as_bytes()).body_text == "Original complaint\n"


def test_headers_only_message_has_an_empty_body():
    parsed = parse_email(HEADERS + b"\r\n")
    assert (parsed.body_text, parsed.new_text, parsed.quoted_text) == ("", "", "")


def test_text_without_any_header_is_read_as_a_body():
    parsed = parse_email(b"Hello, my parcel never arrived.\nOrder 42.\n")
    assert "my parcel never arrived" in parsed.body_text
    assert parsed.defects


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   \r\n\t  ", bytes(range(256)) * 4])
def test_no_header_and_no_readable_body_is_refused(raw: bytes):
    with pytest.raises(MalformedEmailError, match="not an email"):
        parse_email(raw)


def test_random_binary_is_refused():
    noise = random.Random(7).randbytes(4096)
    with pytest.raises(MalformedEmailError):
        parse_email(noise)


# --- robustness ---------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_one_megabyte_body_is_parsed():
    body = "A line of an enormous complaint about a parcel. " * 20 + "\n"
    msg = message(body * (1_000_000 // len(body)))
    parsed = parse_email(msg.as_bytes())
    assert len(parsed.body_text) > 1_000_000 - len(body)
    assert parsed.new_text


@pytest.mark.timeout(60)
def test_mutated_messages_never_raise_anything_but_malformed():
    seeds = [
        HEADERS + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n--b\r\n"
        b"Content-Type: application/pdf; name*=utf-8''r%C3%A9.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
        message("body\n", cc="a@b.c, (x) <d@e>", references="<a@b> <c@d>").as_bytes(),
    ]
    alphabet = b"<>\"(),;:@=?\\[] \t.\x00\xff\xe9*'%-\r\n"
    rng = random.Random(1234)
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data) + 1)
            if rng.random() < 0.6:
                data[at:at] = bytes([rng.choice(alphabet)])
            else:
                del data[at : at + rng.randint(1, 4)]
        try:
            parse_email(bytes(data))
        except MalformedEmailError:
            pass  # refusing unreadable bytes is allowed; any other exception fails the test


def test_cpython_test_email_corpus_parses(cpython_fixtures: Path):
    files = sorted(cpython_fixtures.glob("msg_*.txt"))
    assert files
    for path in files:
        parsed = parse_email(path.read_bytes())
        assert parsed.message_id.startswith("<"), path.name


def nested_multipart(depth: int) -> bytes:
    lines = [b"From: a@example.com\nSubject: deep\nContent-Type: multipart/mixed; boundary=b0\n"]
    for level in range(depth):
        lines.append(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n" % (level, level + 1))
    lines.append(b"--b%d\nContent-Type: text/plain\n\ndeep text" % depth)
    lines.extend(b"--b%d--" % level for level in range(depth, -1, -1))
    return b"\n".join(lines) + b"\n"


@pytest.mark.timeout(30)
def test_moderately_nested_multipart_is_read():
    assert parse_email(nested_multipart(50)).body_text == "deep text"


@pytest.mark.timeout(30)
def test_absurdly_nested_multipart_is_read_for_its_headers_only():
    parsed = parse_email(nested_multipart(3000))
    assert parsed.subject == "deep"
    assert (parsed.body_text, parsed.attachments) == ("", ())
    assert any("nested too deeply" in defect for defect in parsed.defects)
