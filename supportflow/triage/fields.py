"""The extracted-field record shared by the extractors (re-exported by `extraction`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractedField:
    """One extracted value and where it was found.

    `start`/`end` are offsets into the text named by `source` (subject, body or signature);
    they are None for header values. Where the value is a piece of that text,
    `text[start:end] == value`; for phone numbers (E.164) and urgency (a level) the span
    points at the evidence instead.
    """

    name: str
    value: str
    confidence: float
    start: int | None
    end: int | None
    source: str  # "header" | "body" | "signature" | "subject"
