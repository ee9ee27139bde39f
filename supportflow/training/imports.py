"""Labelled examples imported into the database (`supportflow train --examples FILE`).

Imported examples train every later candidate of the tenant's classifier; they are never
held out (see `dataset`). An example already imported (same label and text) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.eval.classify import read_labelled
from supportflow.store.models import TrainingExample
from supportflow.training.dataset import content_hash


@dataclass(frozen=True)
class ImportResult:
    """How many examples of one file were added, and how many were there already."""

    path: Path
    added: int
    duplicates: int


def import_examples(session: Session, *, tenant_id: int, path: Path) -> ImportResult:
    """Store the labelled examples of a CSV or JSONL file for the tenant (see `read_labelled`).

    Raises InputError for a file that cannot be read or has no examples; nothing is stored
    then.
    """
    examples = read_labelled(path)
    known = set(
        session.scalars(
            select(TrainingExample.content_hash).where(TrainingExample.tenant_id == tenant_id)
        )
    )
    added = 0
    for example in examples:
        key = content_hash(example.text, example.label)
        if key in known:
            continue
        known.add(key)
        session.add(
            TrainingExample(
                tenant_id=tenant_id,
                content_hash=key,
                text=example.text,
                label=example.label,
                source=str(path),
            )
        )
        added += 1
    session.flush()
    return ImportResult(path=path, added=added, duplicates=len(examples) - added)
