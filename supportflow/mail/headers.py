"""Reading the headers of real-world mail without ever failing on them.

`email.policy.default` parses structured headers (addresses, message ids, MIME parameters)
lazily, and CPython's header parser raises plain IndexError, AttributeError, TypeError or
ValueError on some malformed values, even from inside `message_from_bytes` when it reads
Content-Type. `LENIENT_POLICY` is `policy.default` with a header factory that catches exactly
those, keeps the value as unstructured text and records an InvalidHeaderDefect on the header.
`HeaderReader` then turns headers into the normalised values `ParsedEmail` holds, collecting
every header defect it meets as a human-readable line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import errors, headerregistry, policy, utils
from email.message import EmailMessage
from typing import Any

# CPython's _header_value_parser fails on some malformed input with these instead of
# registering a defect (found by fuzzing header values against Python 3.11).
_HEADER_PARSER_FAILURES = (
    errors.HeaderParseError,
    IndexError,
    AttributeError,
    TypeError,
    ValueError,
    OverflowError,
)
_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,990})>")
_BARE_MESSAGE_ID = re.compile(r"^[^<>\s@]+@[^<>\s@]+$")
_ADDR_SPEC = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;()\[\]\\\"]{1,253}$")
_MAX_DEFECTS = 50
_DEFECTS_OMITTED = "further defects omitted"
_MAX_CACHED_HEADERS = 2048
_MAX_CACHED_VALUE_CHARS = 1024


class _UnparsedHeader(headerregistry.UnstructuredHeader, headerregistry.BaseHeader):
    """A header whose structured parse failed, kept as unstructured text."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        kwds["defects"].append(errors.InvalidHeaderDefect("unparseable; kept as plain text"))


class _DroppedHeader(headerregistry.UnstructuredHeader, headerregistry.BaseHeader):
    """A header that not even the unstructured parser could read; its value is dropped."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = cls.value_parser("")
        kwds["decoded"] = ""
        kwds["defects"].append(errors.InvalidHeaderDefect("unreadable; value dropped"))


class _WithoutParameters(headerregistry.ParameterizedMIMEHeader):
    """Mixed into a MIME header class to parse only its main value, flagged as a defect."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value.partition(";")[0], kwds)
        kwds["defects"].append(errors.InvalidHeaderDefect("unparseable; parameters dropped"))


class _LenientHeaderRegistry(headerregistry.HeaderRegistry):
    """The standard header registry, falling back to plain text when a parse fails.

    It also caches, for speed: the standard registry builds a new class on every header
    access, and `get_content_type()` re-parses Content-Type each time it is called (dozens
    of times per message). Header objects are immutable, so parsed ones are reused.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[type, type[headerregistry.BaseHeader]] = {}
        self._parsed: dict[tuple[str, str], headerregistry.BaseHeader] = {}
        self._without_parameters: dict[type, type[headerregistry.BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[headerregistry.BaseHeader]:
        specialised = self.registry.get(name.lower(), self.default_class)
        cls = self._classes.get(specialised)
        if cls is None:
            cls = super().__getitem__(name)
            self._classes[specialised] = cls
        return cls

    def __call__(self, name: str, value: Any) -> headerregistry.BaseHeader:
        if not isinstance(value, str) or len(value) > _MAX_CACHED_VALUE_CHARS:
            return self._build(name, value)
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            if len(self._parsed) >= _MAX_CACHED_HEADERS:
                self._parsed.clear()
            header = self._parsed[key] = self._build(name, value)
        return header

    def _build(self, name: str, value: Any) -> headerregistry.BaseHeader:
        try:
            return super().__call__(name, value)
        except _HEADER_PARSER_FAILURES:
            return self._fallback(name, value)

    def _fallback(self, name: str, value: Any) -> headerregistry.BaseHeader:
        """Build a header that records the failure as its defect.

        MIME headers keep their class, because the message API reads their attributes
        (`content_disposition`, `params`), and lose their parameters; any other header
        becomes plain text. If even that fails, the value is dropped.
        """
        cls = self[name]
        if issubclass(cls, headerregistry.ParameterizedMIMEHeader):
            reduced = self._reduced(cls)
            try:
                return reduced(name, str(value))
            except _HEADER_PARSER_FAILURES:
                return reduced(name, "")
        try:
            return _UnparsedHeader(name, value)
        except _HEADER_PARSER_FAILURES:
            return _DroppedHeader(name, value)

    def _reduced(self, cls: type[headerregistry.BaseHeader]) -> type[headerregistry.BaseHeader]:
        reduced = self._without_parameters.get(cls)
        if reduced is None:
            reduced = type(f"_Reduced{cls.__name__}", (_WithoutParameters, cls), {})
            self._without_parameters[cls] = reduced
        return reduced


LENIENT_POLICY = policy.default.clone(header_factory=_LenientHeaderRegistry())


def repair_text(value: str) -> str:
    """Decode raw 8-bit bytes that the parser kept as surrogate escapes (UTF-8, else cp1252)."""
    if not _SURROGATE_ESCAPE.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def mime_header_defects(part: EmailMessage) -> list[str]:
    """Defects of one part's Content-Type, Content-Disposition and transfer encoding."""
    found: list[str] = []
    for name in ("Content-Type", "Content-Disposition", "Content-Transfer-Encoding"):
        header = part.get(name)
        for defect in getattr(header, "defects", ()):
            found.append(f"header {name}: {describe_defect(defect)}")
    return found


def describe_defect(defect: Exception) -> str:
    """Turn an email.errors defect into a short human-readable phrase."""
    name = type(defect).__name__.removesuffix("Defect")
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()
    detail = str(defect).strip()
    return f"{words}: {detail}" if detail else words


class HeaderReader:
    """Reads normalised header values from one message and collects their defects."""

    def __init__(self, message: EmailMessage) -> None:
        self._message = message
        self.defects: list[str] = []

    def add_defect(self, description: str) -> None:
        """Record a problem, once; past a bounded number, one note says more were omitted."""
        if description in self.defects:
            return
        if len(self.defects) < _MAX_DEFECTS:
            self.defects.append(description)
        elif self.defects[-1] != _DEFECTS_OMITTED:
            self.defects.append(_DEFECTS_OMITTED)

    def text(self, name: str) -> str | None:
        """The decoded value of header `name`, whitespace collapsed; None when absent."""
        header = self._header(name)
        if header is None:
            return None
        value = " ".join(repair_text(str(header)).split())
        if "\ufffd" in value:
            self.add_defect(f"header {name}: undecodable characters replaced")
        return value

    def addresses(self, name: str) -> Iterator[tuple[str | None, str | None]]:
        """Yield (display name, lower-cased addr-spec or None) for each address in `name`."""
        header = self._header(name)
        if header is None:
            return
        parsed = getattr(header, "addresses", None)
        if parsed is None:  # the structured parse failed: fall back to the lenient splitter
            pairs = utils.getaddresses([str(header)])
        else:
            pairs = [(address.display_name, address.addr_spec) for address in parsed]
            pairs = self._with_comment_names(name, pairs)
        for display_name, addr_spec in pairs:
            display = " ".join(repair_text(display_name).split()) or None
            spec = normalise_address(repair_text(addr_spec))
            if spec is None and addr_spec:
                self.add_defect(f"header {name}: unusable address {addr_spec!r}")
            if display or spec:
                yield display, spec

    def _with_comment_names(self, name: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Fill empty display names from old-style comments ("a@b.c (Ann Lee)").

        The structured parser drops comments, but RFC 822 senders put the name there and
        it is the only name such a customer gives.
        """
        raw = self._raw(name) if any(not display for display, _ in pairs) else None
        if not raw or "(" not in raw:
            return pairs
        commented = {spec.lower(): display for display, spec in utils.getaddresses([raw])}
        return [(display or commented.get(spec.lower(), ""), spec) for display, spec in pairs]

    def message_ids(self, name: str) -> tuple[str, ...]:
        """All "<id>" tokens of header `name`, in order, without duplicates.

        Read from the raw value: ids are never encoded, and the structured Message-ID
        parser is slow and rejects ids that real mail uses and threading still needs.
        """
        value = self._raw(name)
        if not value:
            return ()
        found = _MESSAGE_ID.findall(value)
        if not found and _BARE_MESSAGE_ID.match(value):
            found = [value]
        if not found:
            self.add_defect(f"header {name}: no message id in {value[:80]!r}")
        return tuple(dict.fromkeys(f"<{token}>" for token in found))

    def date(self) -> datetime | None:
        """The Date header as an aware UTC datetime (naive "-0000" dates are taken as UTC)."""
        header = self._header("Date")
        moment = getattr(header, "datetime", None)
        if not isinstance(moment, datetime):
            return None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            self.add_defect(f"header Date: out of range {str(header)!r}")
            return None

    def _raw(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self._message.raw_items():
            if key.lower() == wanted:
                return " ".join(repair_text(str(value)).split())
        return None

    def _header(self, name: str) -> headerregistry.BaseHeader | None:
        header = self._message.get(name)
        if not isinstance(header, headerregistry.BaseHeader):
            return None
        for defect in getattr(header, "defects", ()):
            self.add_defect(f"header {name}: {describe_defect(defect)}")
        return header


def normalise_address(addr_spec: str) -> str | None:
    """Lower-case a plausible addr-spec ("local@domain"); None when it is not one."""
    spec = addr_spec.strip().strip("<>").strip().lower()
    return spec if _ADDR_SPEC.match(spec) else None
