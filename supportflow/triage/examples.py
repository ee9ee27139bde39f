"""Labelled examples a tenant trains its classifier on: CSV or JSONL, `text` and `label`.

The label column may also be called `category` (the BANKING77 files use that name). Bad rows
are refused with the file and line, never skipped: a silently dropped example is a silently
worse model.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from supportflow.errors import InputError


@dataclass(frozen=True)
class LabelledExample:
    """One training text and its category label."""

    text: str
    label: str


def load_examples(path: Path) -> list[LabelledExample]:
    """Read labelled examples from a CSV (header with `text` and `label` or `category`) or a
    JSONL file (one object per line with the same keys).

    Raises InputError naming the file, and the line where there is one, for a missing file, an
    unknown suffix, missing columns, or a row with an empty text or label.
    """
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl"}:
        raise InputError(f"{path}: labelled examples must be a .csv or .jsonl file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return _read_csv(path, stream) if suffix == ".csv" else _read_jsonl(path, stream)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from exc


def _read_csv(path: Path, stream: TextIO) -> list[LabelledExample]:
    reader = csv.DictReader(stream)
    columns = reader.fieldnames or []
    label_column = "label" if "label" in columns else "category"
    if "text" not in columns or label_column not in columns:
        raise InputError(f"{path}: the header needs a `text` and a `label` (or `category`) column")
    examples = []
    for row in reader:
        # line_num counts the physical lines read so far: this row's (last) line in the file.
        location = f"{path}:{reader.line_num}"
        examples.append(_example(location, row.get("text"), row.get(label_column)))
    return examples


def _read_jsonl(path: Path, stream: TextIO) -> list[LabelledExample]:
    examples = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        location = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{location}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise InputError(f"{location}: expected a JSON object with `text` and `label`")
        examples.append(_example(location, row.get("text"), row.get("label", row.get("category"))))
    return examples


def _example(location: str, text: object, label: object) -> LabelledExample:
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{location}: the text is missing or empty")
    if not isinstance(label, str) or not label.strip():
        raise InputError(f"{location}: the label is missing or empty")
    return LabelledExample(text=text, label=label.strip())
