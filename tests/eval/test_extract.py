"""`supportflow eval extract`: the scoring arithmetic, the gold file and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.errors import InputError
from supportflow.eval.extract import (
    ExtractionSetup,
    evaluate_extraction,
    normalise,
    read_gold,
    score_extraction,
)
from supportflow.triage.extraction import FIELD_NAMES

runner = CliRunner()
DEMO = Path(__file__).parents[2] / "supportflow" / "demo"
SCORE_KEYS = {"precision", "recall", "f1", "support", "tp", "fp", "fn"}
# Measured on the demo gold: micro F1 0.968 (precision 0.993, recall 0.944); the floor leaves
# a margin for small changes, not for a broken extractor.
MICRO_F1_FLOOR = 0.93

EMAIL = b"""From: Jane Doe <jane@example.com>
To: support@example.com
Subject: order 55512
Content-Type: text/plain; charset=us-ascii

My order 55512 is late. Call me on (415) 555-2671.
"""


def test_scores_count_each_value_once_per_email():
    pairs = [
        ("a.eml", {"order_id": ["A1", "B2"]}, {"order_id": ["a1", "C3"]}),
        ("b.eml", {"order_id": [], "error_code": ["E-1"]}, {"error_code": ["E-1"]}),
        ("c.eml", {}, {}),
    ]

    report = score_extraction(pairs)

    assert report["n"] == 3
    order = report["fields"]["order_id"]
    assert (order["tp"], order["fp"], order["fn"], order["support"]) == (1, 1, 1, 2)
    assert order["precision"] == order["recall"] == order["f1"] == 0.5
    assert report["fields"]["error_code"]["f1"] == 1.0
    micro = report["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 1, 1)
    assert micro["precision"] == pytest.approx(2 / 3)
    assert micro["f1"] == pytest.approx(2 / 3)
    assert report["mistakes"] == [
        {"eml": "a.eml", "field": "order_id", "missed": ["b2"], "extra": ["c3"]}
    ]


def test_undefined_scores_are_none_and_all_wrong_is_zero():
    report = score_extraction([("a.eml", {"urgency": ["high"]}, {"product": ["Glide S1"]})])

    assert report["fields"]["ticket_reference"]["precision"] is None
    assert report["fields"]["urgency"] == {
        "precision": None,
        "recall": 0.0,
        "f1": None,
        "support": 1,
        "tp": 0,
        "fp": 0,
        "fn": 1,
    }
    assert report["fields"]["product"]["precision"] == 0.0


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("phone_number", "(415) 555-2671", "+14155552671"),
        ("phone_number", "+44 117 496 0321", "+441174960321"),
        ("postal_address", "42 Elm Street,\n  Springfield", "42 elm street, springfield"),
        ("attachments_present", "yes: 2 files (a.pdf, b.png)", "yes"),
        ("order_id", " BW-1 ", "bw-1"),
    ],
)
def test_values_are_normalised_before_comparison(field, value, expected):
    assert normalise(field, value) == expected


def test_gold_emails_are_read_relative_to_the_gold_file(tmp_path: Path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "one.eml").write_bytes(EMAIL)
    gold = tmp_path / "gold.jsonl"
    row = {
        "eml": "mail/one.eml",
        "fields": {
            "customer_name": ["Jane Doe"],
            "customer_email": ["jane@example.com"],
            "order_id": ["55512"],
            "phone_number": ["415-555-2671"],
        },
    }
    gold.write_text(json.dumps(row) + "\n\n", encoding="utf-8")

    report = evaluate_extraction(read_gold(gold), ExtractionSetup())

    assert report["n"] == 1
    assert report["micro"]["f1"] == 1.0
    assert report["mistakes"] == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"fields": {}}', "expected"),
        ('{"eml": "x.eml", "fields": {"order": ["1"]}}', "unknown field"),
        ('{"eml": "x.eml", "fields": {"order_id": "1"}}', "list of strings"),
        ('{"eml": "missing.eml"}', "cannot read missing.eml"),
    ],
)
def test_a_bad_gold_line_names_the_file_and_line(tmp_path: Path, line, message):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(line + "\n", encoding="utf-8")

    with pytest.raises(InputError, match=message) as caught:
        read_gold(gold)
    assert f"{gold}:1" in str(caught.value)


def test_the_demo_gold_has_sixty_hand_labelled_emails():
    items = read_gold(DEMO / "extract_gold.jsonl")

    assert len(items) >= 60
    assert len({item.eml for item in items}) == len(items)
    assert sum(item.eml.startswith("extract_eval/") for item in items) >= 10


def test_eval_extract_demo_json_contract_and_quality_floor():
    result = runner.invoke(app, ["eval", "extract", "--demo", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"n", "fields", "micro", "mistakes", "meta"}
    assert report["n"] >= 60
    assert list(report["fields"]) == list(FIELD_NAMES)
    assert all(set(row) == SCORE_KEYS for row in report["fields"].values())
    assert set(report["micro"]) == SCORE_KEYS
    assert report["meta"] == {"gold": "demo", "tenant": "demo"}
    assert report["micro"]["f1"] >= MICRO_F1_FLOOR
    for name in ("product", "attachments_present"):
        assert report["fields"][name]["f1"] >= 0.9, name


def test_eval_extract_prints_a_table():
    result = runner.invoke(app, ["eval", "extract", "--demo"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(" emails")
    assert lines[1].split() == ["field", "precision", "recall", "f1", "support"]
    assert [line.split()[0] for line in lines[2:]] == [*FIELD_NAMES, "micro"]


def test_eval_extract_needs_a_gold_file_or_demo():
    result = runner.invoke(app, ["eval", "extract"])

    assert result.exit_code != 0
    assert "give --gold FILE or --demo" in str(result.exception)
