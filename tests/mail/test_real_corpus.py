"""Real-world messages through `parse_email`, the parser the receive step uses.

Corpus: CPython 3.13.0 `Lib/test/test_email/data/msg_*.txt` (Python Software Foundation
License, LICENSE-PSF.txt beside the files), copied to
`../shared/data/eml_fixtures/cpython-test_email/` (see SOURCE.txt there). The files are
never copied into this project: the tests read them from the shared folder next to the
repository and skip when it is absent.

Every file must parse, or be refused with `MalformedEmailError`, never crash. For more than
twenty of them the parse is compared field by field with expectations written by reading
each file by hand. The corpus carries no RFC 2047 encoded words and no In-Reply-To or
References headers, so those are checked as absent here (the synthetic tests in
test_parsing.py cover them); RFC 2231 parameters, old-style "addr (Name)" senders,
missing Message-IDs, broken boundaries and delivery reports are covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportflow.errors import MalformedEmailError
from supportflow.mail.parsing import ParsedEmail, parse_email

CORPUS = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "eml_fixtures"
).resolve() / "cpython-test_email"
FILES = sorted(path.name for path in CORPUS.glob("msg_*.txt")) if CORPUS.is_dir() else []
STAND_IN = "@missing-message-id.invalid>"


def read(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip("shared CPython email fixtures not present")
    return path.read_bytes()


@pytest.mark.parametrize("name", FILES or ["msg_01.txt"])
def test_every_corpus_message_parses_or_is_refused_cleanly(name: str) -> None:
    raw = read(name)
    try:
        parsed = parse_email(raw)
    except MalformedEmailError:
        return  # a clear refusal is allowed; any other exception fails the test
    assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")
    assert all(isinstance(defect, str) and defect for defect in parsed.defects)


def test_the_corpus_is_complete_when_present() -> None:
    if not FILES:
        pytest.skip("shared CPython email fixtures not present")
    assert len(FILES) >= 40


@dataclass(frozen=True)
class Expected:
    """What reading the file by hand says the parse must give.

    `message_id` None: the file has no usable Message-ID, so a derived stand-in is expected.
    `body` is a phrase the chosen text body must contain (its first line where distinctive);
    `attachments` are (filename, content type) in order; `defects` are substrings each of
    which some recorded defect must contain (an empty tuple: no defect at all).
    """

    subject: str
    from_address: str | None
    from_name: str | None
    message_id: str | None
    to: tuple[str, ...]
    body: str
    attachments: tuple[tuple[str | None, str], ...] = ()
    defects: tuple[str, ...] = ()
    date: datetime | None = None
    auto_reply: bool = False
    is_html_only: bool = False


NO_ID = "missing or invalid Message-ID"
EXPECTED = {
    # Old-style "addr (Name)" sender, plain us-ascii text, Date -0400.
    "msg_01.txt": Expected(
        subject="This is a test message",
        from_address="bbb@ddd.com",
        from_name="John X. Doe",
        message_id="<15090.61304.110929.45684@aaa.zzz.org>",
        to=("bbb@zzz.org",),
        body="Do you like this message?",
        date=datetime(2001, 5, 4, 18, 5, 44, tzinfo=UTC),
    ),
    # Mailman digest: the masthead is the body, the five digest messages are attachments.
    "msg_02.txt": Expected(
        subject="Ppp digest, Vol 1 #2 - 5 msgs",
        from_address="ppp-request@zzz.org",
        from_name=None,
        message_id=None,
        to=("ppp@zzz.org",),
        body="Send Ppp mailing list submissions to",
        attachments=((None, "message/rfc822"),) * 5,
        defects=(NO_ID,),
    ),
    # No MIME headers at all: plain text by default.
    "msg_03.txt": Expected(
        subject="This is a test message",
        from_address="bbb@ddd.com",
        from_name="John X. Doe",
        message_id="<15090.61304.110929.45684@aaa.zzz.org>",
        to=("bbb@zzz.org",),
        body="Hi,\n\nDo you like this message?",
    ),
    # Two identical inline text/plain parts named msg.txt: the first is the body.
    "msg_04.txt": Expected(
        subject="a simple multipart",
        from_address="barry@python.org",
        from_name="Barry A. Warsaw",
        message_id="<15261.36209.358846.118674@anthem.python.org>",
        to=("barry@python.org",),
        body="a simple kind of mirror\nto reflect upon our own",
        attachments=(("msg.txt", "text/plain"),),
    ),
    # A delivery report from "foo" to "baz": neither is an address.
    "msg_05.txt": Expected(
        subject="bar",
        from_address=None,
        from_name=None,
        message_id="<20010803162810.0CA8AA7ACC@mail.example.com>",
        to=(),
        body="Yadda yadda yadda",
        attachments=((None, "message/rfc822"),),
        defects=("unusable address 'foo'", "missing or unusable From address"),
        auto_reply=True,
    ),
    # GIF attachment with a base64 body; no Message-ID.
    "msg_07.txt": Expected(
        subject="Here is your dingus fish",
        from_address="barry@digicool.com",
        from_name="Barry",
        message_id=None,
        to=("cravindogs@cravindogs.com",),
        body="Hi there,\n\nThis is the dingus fish.",
        attachments=(("dingusfish.gif", "image/gif"),),
        defects=(NO_ID,),
        date=datetime(2001, 4, 20, 23, 35, 2, tzinfo=UTC),
    ),
    # 7bit, quoted-printable and base64 iso-8859-1 parts: the first text/plain is the body.
    "msg_10.txt": Expected(
        subject="Lyrics",
        from_address="barry@python.org",
        from_name="Barry Warsaw",
        message_id=None,
        to=("cravindogs@cravindogs.com",),
        body="This is a 7bit encoded message.\nThis is a Base64 encoded message.",
        defects=(NO_ID,),
    ),
    # A bare message/rfc822 without From: the enclosed message's text is read.
    "msg_11.txt": Expected(
        subject="The enclosing message",
        from_address=None,
        from_name=None,
        message_id=None,
        to=(),
        body="Here is the body of the message.",
        attachments=((None, "message/rfc822"),),
        defects=(NO_ID, "missing or unusable From address"),
    ),
    # Nested multipart/mixed: the outer text part is the body, the GIF from the inner one.
    "msg_13.txt": Expected(
        subject="Here is your dingus fish",
        from_address="barry@digicool.com",
        from_name="Barry",
        message_id=None,
        to=("cravindogs@cravindogs.com",),
        body="A text/plain part",
        attachments=(("dingusfish.gif", "image/gif"),),
        defects=(NO_ID,),
    ),
    # "Content-Type: text" without a subtype: still read as text, with a defect.
    "msg_14.txt": Expected(
        subject="This is a test message",
        from_address="bbb@ddd.com",
        from_name="John X. Doe",
        message_id="<15090.61304.110929.45684@aaa.zzz.org>",
        to=("bbb@zzz.org",),
        body="This message has a Content-Type: header with no subtype.",
        defects=("header Content-Type: invalid header",),
    ),
    # Mac Outlook Express reused the outer boundary for the inner multipart.
    "msg_15.txt": Expected(
        subject="XX",
        from_address="xx@xx.dk",
        from_name=None,
        message_id="<xxxx>",
        to=(),
        body="Some removed test.",
        attachments=((None, "multipart/alternative"),),
        defects=("unusable address 'XX'", "start boundary not found"),
    ),
    # A bounce with a DSN part and the returned message; mailing-list Precedence: bulk.
    "msg_16.txt": Expected(
        subject="Delivery Notification: Delivery has failed",
        from_address="postmaster@ucla.edu",
        from_name="Internet Mail Delivery",
        message_id="<0GK500B04D0B8X@cougar.noc.ucla.edu>",
        to=("scr-admin@socal-raves.org",),
        body="This report relates to a message you sent with the following header fields:",
        attachments=((None, "message/delivery-status"), (None, "message/rfc822")),
        auto_reply=True,
        date=datetime(2001, 9, 24, 3, 14, 35, tzinfo=UTC),
    ),
    # multipart/mixed whose boundary never appears: the whole content is read as text.
    "msg_17.txt": Expected(
        subject="Here is your dingus fish",
        from_address="barry@digicool.com",
        from_name="Barry",
        message_id=None,
        to=("cravindogs@cravindogs.com",),
        body="[Non-text (image/gif) part of message omitted, filename dingusfish.gif]",
        defects=(NO_ID, "start boundary not found"),
    ),
    # No header block at all (starts with the body): read as a body without sender.
    "msg_19.txt": Expected(
        subject="",
        from_address=None,
        from_name=None,
        message_id=None,
        to=(),
        body="Send Ppp mailing list submissions to",
        defects=(NO_ID, "missing header body separator", "missing or unusable From address"),
    ),
    # Cc spelled three ways: only the first Cc header counts, To before Cc.
    "msg_20.txt": Expected(
        subject="This is a test message",
        from_address="bbb@ddd.com",
        from_name="John X. Doe",
        message_id="<15090.61304.110929.45684@aaa.zzz.org>",
        to=("bbb@zzz.org", "ccc@zzz.org"),
        body="Do you like this message?",
    ),
    # Two inline text parts in a multipart/mixed, with a preamble and an epilogue.
    "msg_21.txt": Expected(
        subject="Test",
        from_address="aperson@dom.ain",
        from_name=None,
        message_id=None,
        to=("bperson@dom.ain",),
        body="One\nTwo",
        defects=(NO_ID,),
    ),
    # Two JPEG attachments with continued Content-Type parameters, format=flowed text.
    "msg_22.txt": Expected(
        subject="",
        from_address="b@example.com",
        from_name=None,
        message_id="<a05001902b7f1c33773e9@[134.84.183.138]>",
        to=("a@example.com",),
        body="Text text text.",
        attachments=(("wibble.JPG", "image/jpeg"), ("wibble2.JPG", "image/jpeg")),
        date=datetime(2001, 10, 16, 10, 59, 25, tzinfo=UTC),
    ),
    # Sendmail bounce whose boundary parameter is mangled across lines.
    "msg_25.txt": Expected(
        subject=(
            "Returned mail: Too many hops 19 (17 max): from "
            "<linuxuser-admin@www.linux.org.uk> via [199.164.235.226], to "
            "<scoffman@wellpartner.com>"
        ),
        from_address="mailer-daemon@zinfandel.lacita.com",
        from_name="Mail Delivery Subsystem",
        message_id="<200104061723.JAB03225@zinfandel.lacita.com>",
        to=("linuxuser-admin@www.linux.org.uk",),
        body="The original message was received at Fri, 6 Apr 2001 09:23:03",
        defects=("no boundary in multipart",),
        auto_reply=True,
    ),
    # RISC OS mailer: application/riscos attachment named by Content-Disposition.
    "msg_26.txt": Expected(
        subject="IMAP file test",
        from_address="father.time@xcar.wooster.local",
        from_name="Father Time",
        message_id="<6df65d354b.father.time@rpc.wooster.local>",
        to=("timbo@jeeves.wooster.local",),
        body="Simple email with attachment.",
        attachments=(("clock.bmp", "application/riscos"),),
    ),
    # A subject folded onto a tab-indented continuation line.
    "msg_27.txt": Expected(
        subject="bug demonstration 1234567891123456789212345678931234567894123456789512345678"
        "9612345678971234567898112345678911234567892123456789112345678911234567892123456789"
        " more text",
        from_address="aperson@dom.ain",
        from_name="Anne P. Erson",
        message_id="<15613.28051.707126.569693@dom.ain>",
        to=("bperson@dom.ain",),
        body="test",
    ),
    # multipart/digest of two message/rfc822 parts: the first forwarded text is the body.
    "msg_28.txt": Expected(
        subject="",
        from_address="aperson@dom.ain",
        from_name=None,
        message_id=None,
        to=(),
        body="message 1",
        attachments=((None, "message/rfc822"), (None, "message/rfc822")),
        defects=(NO_ID,),
    ),
    # RFC 2231 continued parameters (title*0*, title*1*, title*2) on a text/plain part.
    "msg_29.txt": Expected(
        subject="This is a test message",
        from_address="bbb@ddd.com",
        from_name="John X. Doe",
        message_id="<15090.61304.110929.45684@aaa.zzz.org>",
        to=("bbb@zzz.org",),
        body="Do you like this message?",
        defects=("header Content-Type: invalid header",),
    ),
    # RFC 2231 charset*=ansi-x3.4-1968''us-ascii; a list message (Precedence: bulk).
    "msg_32.txt": Expected(
        subject="Re: Limiting Perl CPU Utilization...",
        from_address="aperson@example.com",
        from_name="Anne Person",
        message_id=None,
        to=("bdude@example.com",),
        body="Some message.",
        defects=(NO_ID,),
        auto_reply=True,
        date=datetime(2000, 9, 26, 17, 23, 3, tzinfo=UTC),
    ),
    # No blank line between the headers and the body.
    "msg_35.txt": Expected(
        subject="here's something interesting",
        from_address="aperson@dom.ain",
        from_name=None,
        message_id=None,
        to=("bperson@dom.ain",),
        body="counter to RFC 2822, there's no separating newline here",
        defects=(NO_ID, "missing header body separator"),
    ),
    # Empty group "IETF-Announce:;" as To; message/external-body alternatives.
    "msg_36.txt": Expected(
        subject="I-D ACTION:draft-ietf-mboned-mix-00.txt",
        from_address="internet-drafts@ietf.org",
        from_name=None,
        message_id=None,
        to=(),
        body="Blah blah blah",
        defects=(NO_ID,),
    ),
    # Inner boundaries appear inside the text: the parser never finds the close boundary.
    "msg_38.txt": Expected(
        subject="",
        from_address=None,
        from_name=None,
        message_id=None,
        to=(),
        body="Unlike the test test_nested-multiples-with-internal-boundary, this",
        defects=(NO_ID, "close boundary not found"),
    ),
    # multipart/alternative with no boundary parameter at all.
    "msg_41.txt": Expected(
        subject="64423",
        from_address="xxx@example.com",
        from_name="Allison Dunlap",
        message_id=None,
        to=("yyy@example.com",),
        body="Blah blah blah",
        defects=(NO_ID, "no boundary in multipart"),
        date=datetime(2004, 7, 11, 19, 9, 27, tzinfo=UTC),
    ),
    # Anti-virus bounce from "MAILER DAEMON <>": a DSN, never answered.
    "msg_43.txt": Expected(
        subject="Banned file: auto__mail.python.bat in mail from you",
        from_address=None,
        from_name="MAILER DAEMON",
        message_id="<edab.7804f5cb8070@python.org>",
        to=("webmaster@python.org",),
        body="BANNED FILENAME ALERT",
        attachments=((None, "message/delivery-status"), (None, "text/rfc822-headers")),
        defects=("header From: invalid header: null addr-spec",),
        auto_reply=True,
    ),
    # Like msg_04, but the text parts are named through Content-Type's name parameter.
    "msg_44.txt": Expected(
        subject="a simple multipart",
        from_address="barry@python.org",
        from_name="Barry A. Warsaw",
        message_id="<15261.36209.358846.118674@anthem.python.org>",
        to=("barry@python.org",),
        body="a simple kind of mirror",
        attachments=(("msg.txt", "text/plain"),),
    ),
    # OpenPGP/MIME signed message: the signature is an attachment, not text.
    "msg_45.txt": Expected(
        subject="test",
        from_address="foo@bar.baz",
        from_name=None,
        message_id=None,
        to=("baz@bar.foo",),
        body="This is the signed contents.",
        attachments=(("signature.asc", "application/pgp-signature"),),
        defects=(NO_ID,),
    ),
    # Groupwise forward: the outer message is only a message/rfc822 wrapper (ISO-8859-15).
    "msg_46.txt": Expected(
        subject="GroupwiseForwardingTest",
        from_address="sender@example.net",
        from_name="Sender",
        message_id=None,
        to=("someone@example.com",),
        body="Testing email forwarding with Groupwise 1.2.2010",
        attachments=((None, "message/rfc822"),),
        defects=(NO_ID,),
        date=datetime(2010, 2, 1, 11, 21, 16, tzinfo=UTC),
    ),
    # Parts without the blank line after their headers; a date without seconds.
    "msg_47.txt": Expected(
        subject="",
        from_address="arthur@example.example",
        from_name=None,
        message_id=None,
        to=(),
        body="bar",
        defects=(NO_ID, "missing header body separator"),
        date=datetime(2001, 1, 1, 0, 1, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_field_by_field(name: str) -> None:
    expected = EXPECTED[name]
    parsed = parse_email(read(name))
    assert parsed.subject == expected.subject
    assert (parsed.from_address, parsed.from_name) == (expected.from_address, expected.from_name)
    assert parsed.to_addresses == expected.to
    assert_message_id(parsed, expected.message_id)
    assert (parsed.in_reply_to, parsed.references) == (None, ())  # none in the corpus
    assert expected.body in parsed.body_text
    assert [(a.filename, a.content_type) for a in parsed.attachments] == list(expected.attachments)
    assert_defects(parsed, expected.defects)
    if expected.date is not None:
        assert parsed.date == expected.date
    assert parsed.is_auto_reply == expected.auto_reply
    assert parsed.is_html_only == expected.is_html_only


def assert_message_id(parsed: ParsedEmail, expected: str | None) -> None:
    if expected is None:
        assert parsed.message_id.endswith(STAND_IN)
    else:
        assert parsed.message_id == expected


def assert_defects(parsed: ParsedEmail, expected: tuple[str, ...]) -> None:
    if not expected:
        assert parsed.defects == ()
    for phrase in expected:
        assert any(phrase in defect for defect in parsed.defects), (phrase, parsed.defects)


def test_at_least_twenty_messages_are_checked_field_by_field() -> None:
    assert len(EXPECTED) >= 20


def test_every_inline_text_part_of_msg_10_is_decoded_into_the_body() -> None:
    """msg_10: 7bit us-ascii, then iso-8859-1 parts in base64 (with and without a final
    newline) and without a transfer encoding; the HTML part is the alternative."""
    parsed = parse_email(read("msg_10.txt"))
    assert parsed.body_text == (
        "This is a 7bit encoded message.\n"
        "This is a Base64 encoded message.\n"
        "This is a Base64 encoded message.\n"
        "This has no Content-Transfer-Encoding: header.\n"
    )
    assert not any("charset" in defect for defect in parsed.defects)


def test_a_digest_keeps_its_topics_and_footer_parts_in_the_body() -> None:
    body = parse_email(read("msg_02.txt")).body_text
    assert body.index("Send Ppp mailing list") < body.index("Today's Topics:")
    assert body.rstrip().endswith("http://www.zzz.org/mailman/listinfo/ppp")


def test_the_missing_message_id_stand_in_is_stable() -> None:
    raw = read("msg_07.txt")
    assert parse_email(raw).message_id == parse_email(raw).message_id


def test_attachment_sizes_are_the_decoded_bytes() -> None:
    gif = parse_email(read("msg_07.txt")).attachments[0]
    assert (gif.size, gif.is_oversize, gif.is_inline) == (3512, False, False)
    assert parse_email(read("msg_07.txt"), max_attachment_bytes=1000).attachments[0].is_oversize


# The two parser fixes the corpus led to, checked on built messages so that they stay
# covered when the shared corpus is absent.


def test_an_old_style_comment_gives_the_sender_name() -> None:
    raw = b"From: ann@example.com (Ann Lee)\nTo: help@example.com\nSubject: hi\n\nhello\n"
    parsed = parse_email(raw)
    assert (parsed.from_address, parsed.from_name) == ("ann@example.com", "Ann Lee")


def test_text_around_an_inline_image_is_all_in_the_body() -> None:
    raw = (
        b"From: ann@example.com\nSubject: photo\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nThe robot is stuck here:\n"
        b"--B\nContent-Type: image/png; name=a.png\nContent-Disposition: inline; filename=a.png\n"
        b"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
        b"--B\nContent-Type: text/plain\n\nWhat should I do?\n"
        b"--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=log.txt\n\n"
        b"E-104\n--B--\n"
    )
    parsed = parse_email(raw)
    assert parsed.body_text == "The robot is stuck here:\nWhat should I do?"
    assert [a.filename for a in parsed.attachments] == ["a.png", "log.txt"]
