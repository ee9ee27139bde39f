"""Labelled files made from the demo tenant's examples: the same requests reworded, with
their own labels or with every label wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from supportflow.demo.setup import demo_tenant_dir
from supportflow.store.db import Database
from supportflow.store.models import Tenant


def demo_rows() -> list[tuple[str, str]]:
    with (demo_tenant_dir() / "examples.csv").open(encoding="utf-8", newline="") as stream:
        return [(row["text"], row["label"]) for row in csv.DictReader(stream)]


def write_examples(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


@pytest.fixture
def wrong_examples(tmp_path: Path) -> Path:
    """Every demo request reworded and given the next label in the list: a poisoned import."""
    rows = demo_rows()
    labels = sorted({label for _, label in rows})
    wrong = [
        (f"Hello team, {text} Thanks a lot.", labels[(labels.index(label) + 1) % len(labels)])
        for text, label in rows
    ]
    return write_examples(tmp_path / "wrong.csv", wrong)


@pytest.fixture
def tenant(demo_db: Database) -> Tenant:
    with demo_db.session() as session:
        return session.scalars(select(Tenant)).one()
