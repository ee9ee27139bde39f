"""Postal addresses, found conservatively: a house number, a capitalised street name and a
street suffix ("42 Elm Street", "7b High Road", "PO Box 12"), optionally after a flat or unit
("Flat 2, 14 Harcourt Road"), optionally followed by a unit and a "City, ST 12345" (Canadian
"City, BC V6H 2M3" too) or UK postcode line.

What it will not find is anything without a street suffix or written street-first (German
"Königstraße 12"); better a missed address than a sentence mistaken for one. The value is the
matched text itself, line breaks included, so the span points at it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from supportflow.triage.fields import ExtractedField

STREET_ONLY_CONFIDENCE = 0.75
WITH_LOCALITY_CONFIDENCE = 0.9

_SUFFIX = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl"
    r"|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|square|sq|close|crescent|gardens|grove"
    r"|mews|row|walk|hill)\b\.?"
)
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w'.-]*"
_NAME_WORD = rf"(?:{_CAPITALISED}|\d{{1,3}}(?:st|nd|rd|th))"
_DIRECTION = r"(?:(?:N|S|E|W|North|South|East|West)\.?[ \t]+)?"
_STREET = (
    rf"(?:\b\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?[ \t]+{_DIRECTION}{_NAME_WORD}"
    rf"(?:[ \t]+{_NAME_WORD}){{0,3}}[ \t]+{_SUFFIX}"
    r"|\bP\.?[ \t]?O\.?[ \t]+Box[ \t]+\d{1,6}\b)"
)
_UNIT = (
    r"(?:,?[ \t]*(?:(?i:apt|apartment|suite|ste|unit|floor|fl)\.?|#)[ \t]*#?[A-Za-z0-9-]{1,6}\b)?"
)
# "Flat 2, " before the house number, the British way of writing a unit.
_LEADING_UNIT = r"(?:\b(?i:flat|apartment|apt|unit|suite)\.?[ \t]+[A-Za-z0-9-]{1,6},?[ \t]+)?"
_CITY = rf"{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,3}}"
_ZIP = r"\d{5}(?:-\d{4})?|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"  # US ZIP or Canadian postal code
_US_LOCALITY = rf"{_CITY},?[ \t]+[A-Z]{{2}}(?:[ \t]+(?:{_ZIP}))?\b"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b"
_UK_LOCALITY = rf"(?:{_CITY},?[ \t]+)?{_UK_POSTCODE}"
_SEPARATOR = r"(?:,[ \t]*|[ \t]*\r?\n[ \t]*|,[ \t]*\r?\n[ \t]*)"
_ADDRESS = re.compile(
    rf"{_LEADING_UNIT}{_STREET}{_UNIT}(?P<locality>{_SEPARATOR}(?:{_UK_LOCALITY}|{_US_LOCALITY}))?"
)


def find_postal_addresses(text: str, source: str) -> Iterator[ExtractedField]:
    """Each postal address in `text`, as a `postal_address` field with its exact span."""
    for match in _ADDRESS.finditer(text):
        confidence = WITH_LOCALITY_CONFIDENCE if match.group("locality") else STREET_ONLY_CONFIDENCE
        yield ExtractedField(
            "postal_address", match.group(0), confidence, match.start(), match.end(), source
        )
