"""Deterministic extraction of typed fields from a support message.

Every field says where it came from (`source`: header, subject, body or signature) and, where
the value is a piece of that text, its span (`text[start:end] == value`). Phone numbers (value
normalised to E.164) and urgency (value a level, span on the cue) point at their evidence.

Products are found by the tenant's catalogue (value the product's name, span the words used);
`attachments_present` comes from the MIME structure (source header, no span, confidence 1.0).

Patterns are deliberately conservative: a missed order id costs a reviewer a few seconds, a
wrong one sends a reply about someone else's order. Tenant patterns run before the built-in
ones and are trusted more (confidence 0.95 against 0.9 for a strong built-in pattern and less
for weaker cues). All patterns are linear in the text, so a very long message stays fast.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

import phonenumbers

from supportflow.config import ExtractionPatterns, Product
from supportflow.errors import ConfigurationError
from supportflow.triage.fields import ExtractedField
from supportflow.triage.names import (
    header_name,
    is_no_reply,
    signature_first_line_name,
    signed_name,
)
from supportflow.triage.postal import find_postal_addresses
from supportflow.triage.products import find_products
from supportflow.triage.urgency import find_urgency

__all__ = ["FIELD_NAMES", "ExtractedField", "extract_fields"]

FIELD_NAMES = (
    "customer_name",
    "customer_email",
    "postal_address",
    "order_id",
    "tracking_number",
    "error_code",
    "ticket_reference",
    "phone_number",
    "urgency",
    "product",
    "attachments_present",
)
TENANT_CONFIDENCE = 0.95
_IDENTIFIER_FIELDS = ("order_id", "tracking_number", "error_code", "ticket_reference")


@dataclass(frozen=True)
class _Builtin:
    """A built-in pattern for a field; the value is group 1 when the pattern has one."""

    field: str
    regex: re.Pattern[str]
    confidence: float
    needs_digit: bool = False
    subject_only: bool = False


_I = re.IGNORECASE
_BUILTINS = (
    _Builtin(
        "order_id",
        re.compile(
            r"\b(?:order|purchase)(?:\b|(?=\d))"
            r"(?:\s+(?:number|no\.?|num\.?|id|ref(?:erence)?))?\s*(?:is\s+)?[:#]*\s*"
            r"([A-Z0-9][A-Z0-9-]{2,30}[A-Z0-9])\b",
            _I,
        ),
        0.9,
        needs_digit=True,
    ),
    _Builtin("tracking_number", re.compile(r"\b1Z[0-9A-Z]{16}\b", _I), 0.9),
    _Builtin(
        "tracking_number", re.compile(r"\b9\d{19,21}\b|\b9\d{3}(?: \d{4}){4}(?: \d{2})?\b"), 0.85
    ),
    # FedEx numbers are bare 12 or 15 digits: only trusted right after the word "tracking".
    _Builtin(
        "tracking_number", re.compile(r"\btracking\b[^\n\d]{0,40}?\b(\d{12}|\d{15})\b", _I), 0.8
    ),
    _Builtin("error_code", re.compile(r"\b(?:E|ERR|ERROR)[-_]\d{1,6}\b"), 0.9),
    _Builtin("error_code", re.compile(r"\bERR(?:OR)?_[A-Z][A-Z0-9_]{2,40}\b"), 0.9),
    _Builtin("error_code", re.compile(r"\b0x[0-9A-Fa-f]{8}\b"), 0.9),
    _Builtin(
        "error_code",
        re.compile(
            r"\berror(?:\s+code)?\s*(?:#|no\.?|number)?\s*[:#]?\s*"
            r"([A-Z]{0,4}-?\d{2,6}|0x[0-9A-F]{4,8})\b",
            _I,
        ),
        0.85,
    ),
    _Builtin(
        "ticket_reference",
        re.compile(
            r"\bticket\s*(?:#|no\.?|number|id|ref)?\s*[:#]?\s*#?([A-Z]{0,6}-?\d{3,12})\b", _I
        ),
        0.9,
    ),
    _Builtin(
        "ticket_reference",
        re.compile(
            r"\b(?:case|incident|request|reference|ref)\s*(?:#|no\.|number|id)\s*[:#]?\s*#?"
            r"([A-Z]{0,6}-?\d{3,12})\b",
            _I,
        ),
        0.9,
    ),
    # "case 123456" without a marker: only long numbers, so "in case 100 people" stays prose.
    _Builtin("ticket_reference", re.compile(r"\b(?:case|incident)\s+(\d{5,12})\b", _I), 0.85),
    _Builtin(
        "ticket_reference",
        re.compile(r"\[(?:[^\[\]\n]{0,40}?\s)?#(\d{1,12})\]"),
        0.9,
        subject_only=True,
    ),
)

_EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}"
_VALID_ADDRESS = re.compile(rf"{_EMAIL}")
# An address in the body counts as the customer's only when they say it is theirs.
_OWN_EMAIL = re.compile(
    # "my colleague at x@..." is someone else's: "my" must name the address itself.
    rf"\b(?:my (?:new |personal |private |work |other )?(?:e-?mail|address)|reach me at"
    rf"|contact me at|reply to|write to me at|email me at)\b[^\n@]{{0,40}}?"
    rf"(?<![\w.%+-])({_EMAIL})\b",
    re.IGNORECASE,
)
HEADER_EMAIL_CONFIDENCE = 0.95
BODY_EMAIL_CONFIDENCE = 0.6
PHONE_CONFIDENCE = 0.85
# Each candidate costs the phone parser about 0.3 ms: bound the work on number-heavy text.
_PHONE_TRIES = 200
_MAX_PHONES_PER_SOURCE = 20
_FAX_LABEL = re.compile(r"\b(?:fax|telefax)\b", re.IGNORECASE)
_MAX_LISTED_ATTACHMENTS = 5
_MAX_NAME_CHARS = 60


def extract_fields(
    *,
    subject: str,
    text: str,
    signature: str | None,
    from_name: str | None,
    from_address: str | None,
    patterns: ExtractionPatterns,
    products: Sequence[Product] = (),
    attachments: Sequence[str | None] = (),
    default_region: str = "US",
) -> list[ExtractedField]:
    """Extract the fields named in FIELD_NAMES from one message.

    `text` is the body without quoted history and signature; `signature` the signature block,
    if one was split off. `products` is the tenant's catalogue; `attachments` names the
    message's attached files (None for an unnamed part). Phone numbers without a country
    code are read as `default_region` numbers. Each value appears once per field (the most
    confident finding is kept).
    Raises ConfigurationError for an invalid tenant pattern or an unknown region.
    """
    if default_region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigurationError(f"unknown phone region {default_region!r}")
    texts = {"subject": subject, "body": text, "signature": signature or ""}
    found = [*_customer_fields(texts, from_name, from_address)]
    for source, content in texts.items():
        found.extend(_identifiers(content, source, patterns))
        found.extend(find_postal_addresses(content, source))
    found.extend(_phone_numbers(texts, default_region, claimed=found))
    urgency = find_urgency({"subject": subject, "body": text})
    if urgency is not None:
        found.append(urgency)
    found.extend(find_products(texts, products))
    if attachments:
        found.append(attachments_field(attachments))
    return _deduplicated(found)


def _customer_fields(
    texts: dict[str, str], from_name: str | None, from_address: str | None
) -> Iterator[ExtractedField]:
    name = (
        header_name(from_name, from_address)
        or signed_name(texts["signature"], "signature")
        or signed_name(texts["body"], "body")
        or signature_first_line_name(texts["signature"])
    )
    if name is not None:
        yield name
    address = (from_address or "").strip()
    if _VALID_ADDRESS.fullmatch(address) and not is_no_reply(address):
        yield ExtractedField(
            "customer_email", address, HEADER_EMAIL_CONFIDENCE, None, None, "header"
        )
    for source in ("body", "signature"):
        for match in _OWN_EMAIL.finditer(texts[source]):
            yield _field("customer_email", match, 1, BODY_EMAIL_CONFIDENCE, source)


def attachments_field(names: Sequence[str | None]) -> ExtractedField:
    """`attachments_present` for a message with attachments: "yes: 2 files (a.pdf, b.png)".

    The value starts with "yes" whatever follows; at most a few names are listed, each
    shortened, so a message with hundreds of attachments still gives a short value.
    """
    shown = [_short_name(name) for name in names[:_MAX_LISTED_ATTACHMENTS]]
    more = len(names) - len(shown)
    listed = ", ".join(shown) + (f", +{more} more" if more else "")
    count = f"{len(names)} file" + ("s" if len(names) != 1 else "")
    return ExtractedField(
        "attachments_present", f"yes: {count} ({listed})", 1.0, None, None, "header"
    )


def _short_name(name: str | None) -> str:
    if not name or not name.strip():
        return "unnamed"
    name = " ".join(name.split())
    return name if len(name) <= _MAX_NAME_CHARS else name[: _MAX_NAME_CHARS - 1] + "…"


def _identifiers(text: str, source: str, patterns: ExtractionPatterns) -> Iterator[ExtractedField]:
    """Order ids, tracking numbers, error codes and ticket references.

    Tenant patterns run first; a later match overlapping an earlier one of the same field
    (a built-in pattern reading "BW-482913" where the tenant's read "482913") is dropped.
    """
    taken = {field: _Spans() for field in _IDENTIFIER_FIELDS}
    for field, match, group, confidence in _identifier_matches(text, source, patterns):
        start, end = match.span(group)
        if start < end and taken[field].add(start, end):
            yield ExtractedField(field, match.group(group), confidence, start, end, source)


def _identifier_matches(
    text: str, source: str, patterns: ExtractionPatterns
) -> Iterator[tuple[str, re.Match[str], int, float]]:
    for field in _IDENTIFIER_FIELDS:
        for regex in _tenant_patterns(field, tuple(getattr(patterns, field))):
            for match in regex.finditer(text):
                group = 1 if regex.groups and match.group(1) is not None else 0
                yield field, match, group, TENANT_CONFIDENCE
    for builtin in _BUILTINS:
        if builtin.subject_only and source != "subject":
            continue
        for match in builtin.regex.finditer(text):
            group = 1 if builtin.regex.groups else 0
            if not builtin.needs_digit or any(char.isdigit() for char in match.group(group)):
                yield builtin.field, match, group, builtin.confidence


class _Spans:
    """Non-overlapping [start, end) spans, kept sorted so each check is a binary search."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, start: int, end: int) -> bool:
        """Add the span unless it overlaps one already here; say whether it was added."""
        index = bisect_right(self._starts, start)
        if index > 0 and self._ends[index - 1] > start:
            return False
        if index < len(self._starts) and self._starts[index] < end:
            return False
        self._starts.insert(index, start)
        self._ends.insert(index, end)
        return True


@lru_cache(maxsize=256)
def _tenant_patterns(field: str, patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ConfigurationError(
                f"extraction.{field}: pattern {pattern!r} is not a valid regex: {exc}"
            ) from exc
    return tuple(compiled)


def _phone_numbers(
    texts: dict[str, str], region: str, *, claimed: Sequence[ExtractedField]
) -> Iterator[ExtractedField]:
    """Phone numbers (E.164) in body and signature, skipping text another field already took."""
    for source in ("body", "signature"):
        taken = [(f.start, f.end) for f in claimed if f.source == source and f.start is not None]
        matcher = phonenumbers.PhoneNumberMatcher(texts[source], region, max_tries=_PHONE_TRIES)
        for match in islice(matcher, _MAX_PHONES_PER_SOURCE):
            if any(_overlaps(match.start, match.end, span) for span in taken):
                continue
            if _is_fax(texts[source], match.start):
                continue
            value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            yield ExtractedField(
                "phone_number", value, PHONE_CONFIDENCE, match.start, match.end, source
            )


def _is_fax(text: str, start: int) -> bool:
    """Whether the number starting at `start` is labelled a fax number on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    return _FAX_LABEL.search(text, line_start, start) is not None


def _overlaps(start: int, end: int, span: tuple[int | None, int | None]) -> bool:
    other_start, other_end = span
    return (
        other_start is not None
        and other_end is not None
        and start < other_end
        and other_start < end
    )


def _field(
    name: str, match: re.Match[str], group: int, confidence: float, source: str
) -> ExtractedField:
    start, end = match.span(group)
    return ExtractedField(name, match.group(group), confidence, start, end, source)


def _deduplicated(found: Iterable[ExtractedField]) -> list[ExtractedField]:
    """One field per (name, value), the most confident kept, in the order first found."""
    best: dict[tuple[str, str], ExtractedField] = {}
    for field in found:
        key = (field.name, "".join(field.value.split()).casefold())
        if key not in best or field.confidence > best[key].confidence:
            best[key] = field
    return sorted(best.values(), key=lambda field: FIELD_NAMES.index(field.name))
