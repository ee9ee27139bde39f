"""Which rows train, which are held out, and how imports are deduplicated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from supportflow.errors import InputError
from supportflow.store.models import Tenant, TrainingExample
from supportflow.training.dataset import (
    FILE,
    IMPORTED,
    REVIEWED,
    TrainingRow,
    content_hash,
    is_held_out,
    merge_rows,
    split_rows,
)
from supportflow.training.imports import import_examples


def test_a_reviewers_label_wins_over_the_file_and_imports() -> None:
    rows = [
        TrainingRow("Where is my parcel?", "billing", IMPORTED),
        TrainingRow("Where is my parcel?", "shipping", REVIEWED),
        TrainingRow("Where is my parcel? ", "returns", FILE),
        TrainingRow("Refund please", "returns", IMPORTED),
        TrainingRow("Refund please", "billing", FILE),
    ]
    merged = {row.text.strip(): (row.label, row.source) for row in merge_rows(rows)}
    assert merged == {
        "Where is my parcel?": ("shipping", REVIEWED),
        "Refund please": ("billing", FILE),
    }


def test_only_trusted_rows_are_held_out_and_the_split_is_stable() -> None:
    texts = [f"request number {i}" for i in range(400)]
    rows = [
        TrainingRow(t, f"label{i % 4}", (FILE, IMPORTED, REVIEWED)[i % 3])
        for i, t in enumerate(texts)
    ]
    training, holdout = split_rows(rows)
    assert {row.source for row in holdout} <= {FILE, REVIEWED}
    assert all(is_held_out(row.text) for row in holdout)
    assert len(training) + len(holdout) == len(rows)
    trusted = [row for row in rows if row.source != IMPORTED]
    assert 0.1 < len(holdout) / len(trusted) < 0.3
    _, again = split_rows(list(reversed(rows)))
    assert {row.text for row in again} == {row.text for row in holdout}


def test_a_label_keeps_two_training_rows() -> None:
    held = [f"rare {i}" for i in range(2000) if is_held_out(f"rare {i}")][:3]
    rows = [TrainingRow(text, "rare", FILE) for text in held] + [
        TrainingRow(f"common {i}", "common", FILE) for i in range(20)
    ]
    training, _ = split_rows(rows)
    assert sum(row.label == "rare" for row in training) == 2


def test_imports_skip_examples_already_stored(db, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text("text,label\nWhere is it?,shipping\nWhere is it?,shipping\nHi,oos\n")
    with db.session() as session:
        tenant = Tenant(slug="t", name="T", support_address="s@t.example", config_dir="/x")
        session.add(tenant)
        session.flush()
        first = import_examples(session, tenant_id=tenant.id, path=path)
        second = import_examples(session, tenant_id=tenant.id, path=path)
        stored = list(session.scalars(select(TrainingExample).order_by(TrainingExample.id)))
    assert (first.added, first.duplicates) == (2, 1)
    assert (second.added, second.duplicates) == (0, 3)
    assert [(row.text, row.label) for row in stored] == [
        ("Where is it?", "shipping"),
        ("Hi", "unknown"),
    ]
    assert stored[0].content_hash == content_hash("Where is it?", "shipping")


def test_an_empty_import_is_refused(db, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n")
    with db.session() as session, pytest.raises(InputError, match="no labelled examples"):
        import_examples(session, tenant_id=1, path=path)
