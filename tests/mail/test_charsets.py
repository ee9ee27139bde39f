from __future__ import annotations

import pytest

from supportflow.mail.charsets import decode_text


def test_declared_charset_is_used():
    assert decode_text("café".encode("iso-8859-15"), "iso-8859-15").text == "café"


def test_latin1_is_read_as_windows_1252():
    decoded = decode_text(b"\x93quoted\x94 \xe9t\xe9", "iso-8859-1")
    assert decoded.text == "\u201cquoted\u201d été"
    assert decoded.defect is None


def test_shift_jis_with_microsoft_extensions():
    text = "お問い合わせ ①"  # the circled digit exists only in cp932
    assert decode_text(text.encode("cp932"), "Shift_JIS").text == text


def test_undeclared_8bit_text_is_tried_as_utf8_then_windows_1252():
    assert decode_text("Grüße".encode(), None) == decode_text("Grüße".encode(), "us-ascii")
    assert decode_text("Grüße".encode(), None).text == "Grüße"
    fallback = decode_text("Grüße".encode("cp1252"), None)
    assert fallback.text == "Grüße"
    assert fallback.defect is not None


@pytest.mark.parametrize("charset", ["x-bogus", "base64", "utf-8\x00", "a" * 80, "zlib"])
def test_unknown_or_non_text_charset_is_a_defect_not_an_error(charset: str):
    decoded = decode_text("naïve".encode(), charset)
    assert decoded.text == "naïve"
    assert decoded.defect is not None and "unknown charset" in decoded.defect


def test_bytes_invalid_in_the_declared_charset_are_replaced():
    decoded = decode_text(b"ok \xff\xfe end", "utf-8")
    assert decoded.text.startswith("ok ") and decoded.text.endswith(" end")
    assert "\ufffd" in decoded.text
    assert decoded.defect is not None
