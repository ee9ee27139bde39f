"""The rows a tenant's classifier trains on, and the held-out split it is judged on.

Three sources, in order of trust: labels reviewers confirmed or set on real cases, the
tenant's own examples file, and examples imported with `supportflow train --examples`. A text
appears once: the most trusted source's label wins. Only trusted rows (reviewed and file) are
ever held out; imported files may be large and noisy, so they only train.

The split is a pure function of each text (its hash), so a text is held out in every training
run or in none: the live model's own hold-out twin never saw the rows the next candidate is
judged on, which is what makes the comparison fair.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.eval.classify import OUT_OF_SCOPE_LABELS, UNKNOWN
from supportflow.store.models import ReviewedLabel, TrainingExample
from supportflow.triage.model import LabelledExample, load_examples

FILE = "file"
IMPORTED = "imported"
REVIEWED = "reviewed"
TRUSTED = frozenset({FILE, REVIEWED})
_PRECEDENCE = {IMPORTED: 0, FILE: 1, REVIEWED: 2}
HOLDOUT_SHARE = 0.2
# A label keeps at least this many training rows (the classifier refuses fewer): rows that
# would be held out beyond that train instead.
MIN_TRAINING_ROWS = 2


@dataclass(frozen=True)
class TrainingRow:
    """One labelled text and where it came from (FILE, IMPORTED or REVIEWED)."""

    text: str
    label: str
    source: str

    @property
    def example(self) -> LabelledExample:
        return LabelledExample(self.text, self.label)


def scoped_label(label: str) -> str:
    """`label`, with the out-of-scope spellings (`oos`, `unknown`, any case) as `unknown`."""
    return UNKNOWN if label.lower() in OUT_OF_SCOPE_LABELS else label


def file_rows(path: Path) -> list[TrainingRow]:
    """The tenant's examples file as rows (InputError for a bad file, see `load_examples`)."""
    return [TrainingRow(e.text, scoped_label(e.label), FILE) for e in load_examples(path)]


def stored_rows(session: Session, tenant_id: int) -> list[TrainingRow]:
    """The tenant's imported examples (oldest first) and reviewed labels."""
    imported = session.scalars(
        select(TrainingExample)
        .where(TrainingExample.tenant_id == tenant_id)
        .order_by(TrainingExample.id)
    )
    reviewed = session.scalars(
        select(ReviewedLabel).where(ReviewedLabel.tenant_id == tenant_id).order_by(ReviewedLabel.id)
    )
    return [TrainingRow(row.text, scoped_label(row.label), IMPORTED) for row in imported] + [
        TrainingRow(row.text, scoped_label(row.label), REVIEWED) for row in reviewed
    ]


def merge_rows(rows: Iterable[TrainingRow]) -> list[TrainingRow]:
    """One row per text (compared without surrounding blanks): the most trusted source's, and
    among equals the last given."""
    chosen: dict[str, TrainingRow] = {}
    for row in rows:
        key = row.text.strip()
        held = chosen.get(key)
        if held is None or _PRECEDENCE[row.source] >= _PRECEDENCE[held.source]:
            chosen[key] = row
    return list(chosen.values())


def is_held_out(text: str) -> bool:
    """Whether a trusted text belongs to the held-out split (about HOLDOUT_SHARE of texts)."""
    digest = hashlib.sha256(text.strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < HOLDOUT_SHARE


def split_rows(rows: Sequence[TrainingRow]) -> tuple[list[TrainingRow], list[TrainingRow]]:
    """(training rows, held-out rows): trusted rows whose text `is_held_out`, less any a
    label needs to keep MIN_TRAINING_ROWS training rows."""
    held = [row for row in rows if row.source in TRUSTED and is_held_out(row.text)]
    training_counts = Counter(row.label for row in rows) - Counter(row.label for row in held)
    kept: list[TrainingRow] = []
    for row in held:
        if training_counts[row.label] < MIN_TRAINING_ROWS:
            training_counts[row.label] += 1  # this one trains instead
        else:
            kept.append(row)
    held_ids = {id(row) for row in kept}
    return [row for row in rows if id(row) not in held_ids], kept


def source_counts(rows: Iterable[TrainingRow]) -> dict[str, int]:
    """{"file": n, "imported": n, "reviewed": n} over `rows`."""
    counts = Counter(row.source for row in rows)
    return {source: counts[source] for source in (FILE, IMPORTED, REVIEWED)}


def content_hash(text: str, label: str) -> str:
    """The key that makes an imported example unique per tenant: sha256 of label, newline, text."""
    return hashlib.sha256(f"{label}\n{text}".encode()).hexdigest()
