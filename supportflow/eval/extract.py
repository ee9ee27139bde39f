"""`supportflow eval extract`: field extraction measured against hand-labelled emails.

The gold file is JSONL, one email a line: `{"eml": "<path relative to the gold file>",
"fields": {"order_id": ["BW-482913"], ...}}`; a field left out or given an empty list means
there is nothing of that kind to extract. Each .eml is parsed as the receive step parses it
and extracted as the extract step extracts it (same body cut, tenant patterns and products).

Scoring is per value: a predicted value not in the gold is a false positive, a gold value not
predicted a false negative. Values are compared with case and runs of whitespace ignored;
phone numbers as E.164, and `attachments_present` by its leading word ("yes: 2 files (...)"
matches "yes"). Precision, recall and F1 are None where they are undefined (nothing
predicted, nothing to find).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from supportflow.config import ExtractionPatterns, Limits, Product
from supportflow.errors import InputError, MalformedEmailError
from supportflow.mail.parsing import parse_email
from supportflow.triage.extraction import FIELD_NAMES, extract_fields


@dataclass(frozen=True)
class GoldEmail:
    """One labelled email: its file (as written in the gold file), bytes and gold values."""

    eml: str
    raw: bytes
    fields: dict[str, list[str]]


@dataclass(frozen=True)
class ExtractionSetup:
    """What the extractor is given besides the message: the tenant's settings."""

    patterns: ExtractionPatterns = field(default_factory=ExtractionPatterns)
    products: Sequence[Product] = ()
    limits: Limits = field(default_factory=Limits)
    region: str = "US"  # phone numbers without a country code, in gold and predictions


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set[str], predicted: set[str]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def scores(self) -> dict[str, Any]:
        precision = _ratio(self.tp, self.tp + self.fp)
        recall = _ratio(self.tp, self.tp + self.fn)
        f1 = None
        if precision is not None and recall is not None:
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def read_gold(path: Path) -> list[GoldEmail]:
    """The labelled emails of a gold file; raises InputError naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the gold file: {exc}") from exc
    return [
        _gold_line(path, number, line) for number, line in enumerate(lines, start=1) if line.strip()
    ]


def _gold_line(path: Path, number: int, line: str) -> GoldEmail:
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not JSON: {exc}") from exc
    if not isinstance(row, dict) or not isinstance(row.get("eml"), str):
        raise InputError(f'{where}: expected {{"eml": "...", "fields": {{...}}}}')
    fields = row.get("fields") or {}
    unknown = sorted(set(fields) - set(FIELD_NAMES)) if isinstance(fields, dict) else []
    if not isinstance(fields, dict) or unknown:
        raise InputError(f"{where}: unknown field(s) {unknown}; known: {', '.join(FIELD_NAMES)}")
    if not all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in fields.values()):
        raise InputError(f"{where}: each field must be a list of strings")
    try:
        raw = (path.parent / row["eml"]).read_bytes()
    except OSError as exc:
        raise InputError(f"{where}: cannot read {row['eml']}: {exc}") from exc
    return GoldEmail(eml=row["eml"], raw=raw, fields=fields)


def predict_fields(raw: bytes, setup: ExtractionSetup) -> dict[str, list[str]]:
    """The extractor's values per field for one raw email, as the pipeline would find them.

    An email the parser refuses yields nothing (the pipeline escalates it unread).
    """
    try:
        parsed = parse_email(raw, max_attachment_bytes=setup.limits.max_attachment_bytes)
    except MalformedEmailError:
        return {}
    found = extract_fields(
        subject=parsed.subject,
        text=parsed.new_text[: setup.limits.max_body_chars],
        signature=parsed.signature,
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        patterns=setup.patterns,
        products=setup.products,
        attachments=[attachment.filename for attachment in parsed.attachments],
        default_region=setup.region,
    )
    values: dict[str, list[str]] = {}
    for item in found:
        values.setdefault(item.name, []).append(item.value)
    return values


def normalise(name: str, value: str, region: str = "US") -> str:
    """The form in which a value of field `name` is compared (see the module docstring)."""
    if name == "phone_number":
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            pass
        else:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if name == "attachments_present":
        value = value.partition(":")[0]
    return " ".join(value.split()).casefold()


def score_extraction(
    pairs: Iterable[tuple[str, dict[str, list[str]], dict[str, list[str]]]], region: str = "US"
) -> dict[str, Any]:
    """Per-field and micro precision/recall/F1 over (eml, gold, predicted) triples.

    Also lists, per email, the values missed and the values wrongly extracted.
    """
    counts = {name: _Counts() for name in FIELD_NAMES}
    mistakes: list[dict[str, Any]] = []
    n = 0
    for eml, gold, predicted in pairs:
        n += 1
        for name in FIELD_NAMES:
            want = {normalise(name, v, region) for v in gold.get(name, [])}
            got = {normalise(name, v, region) for v in predicted.get(name, [])}
            counts[name].add(want, got)
            if want != got:
                mistakes.append(
                    {
                        "eml": eml,
                        "field": name,
                        "missed": sorted(want - got),
                        "extra": sorted(got - want),
                    }
                )
    total = _Counts(
        tp=sum(c.tp for c in counts.values()),
        fp=sum(c.fp for c in counts.values()),
        fn=sum(c.fn for c in counts.values()),
    )
    return {
        "n": n,
        "fields": {name: count.scores() for name, count in counts.items()},
        "micro": total.scores(),
        "mistakes": mistakes,
    }


def evaluate_extraction(items: Sequence[GoldEmail], setup: ExtractionSetup) -> dict[str, Any]:
    """Run the extractor on every gold email and score it (see `score_extraction`)."""
    return score_extraction(
        ((item.eml, item.fields, predict_fields(item.raw, setup)) for item in items),
        region=setup.region,
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
