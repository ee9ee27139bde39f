"""Decoding text parts whatever charset they declare, correctly or not.

Senders routinely mislabel their text: "iso-8859-1" that is really windows-1252, "shift_jis"
with Microsoft's extensions, 8-bit text with no charset at all, names Python has never heard
of. Each declared charset is mapped to the superset mail clients actually use, and text that
still does not decode is decoded with replacement characters and reported as a defect, so
that a badly labelled message is read as far as possible instead of refused.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Python codec name of a declared charset -> the superset mail clients actually write.
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "shift_jis": "cp932",
    "euc_jp": "euc_jis_2004",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
}
# Names seen in mail that Python's codec registry does not know.
_ALIASES = {
    "x-sjis": "cp932",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
}
_PLAUSIBLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,39}$")


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, and the problem met on the way (None when clean)."""

    text: str
    defect: str | None


def decode_text(data: bytes, declared: str | None) -> DecodedText:
    """Decode `data` labelled with charset `declared` (None when the part declared none).

    Undeclared or us-ascii text is tried as UTF-8 first (what most 8-bit mail really is),
    then as windows-1252. Never fails.
    """
    codec = _codec_for(declared)
    if codec is None or codec == "ascii":
        text = _try_decode(data, "utf-8")
        if text is not None:
            return DecodedText(text, _unknown_charset_defect(declared, codec))
        fallback = data.decode("cp1252", "replace")
        return DecodedText(fallback, _unknown_charset_defect(declared, codec) or _8bit_defect())
    text = _try_decode(data, codec)
    if text is not None:
        return DecodedText(text, None)
    replaced = data.decode(codec, "replace")
    return DecodedText(replaced, f"bytes not valid in charset {declared!r}; replaced")


def _codec_for(declared: str | None) -> str | None:
    """The Python codec for a declared charset name, or None when it is unknown."""
    name = (declared or "").strip().lower()
    if not _PLAUSIBLE_NAME.match(name):
        return None
    try:
        info = codecs.lookup(_ALIASES.get(name, name))
        "".encode(info.name)  # rejects codecs that are not text encodings (base64, zlib...)
    except LookupError:
        return None
    return _SUPERSETS.get(info.name, info.name)


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _unknown_charset_defect(declared: str | None, codec: str | None) -> str | None:
    if declared and codec is None:
        return f"unknown charset {declared!r}; decoded as UTF-8 or windows-1252"
    return None


def _8bit_defect() -> str:
    return "8-bit text that is not UTF-8 without a charset; decoded as windows-1252"
