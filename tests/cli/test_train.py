"""`supportflow train` and `supportflow models list|promote|shadow` as scripts see them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from supportflow.cli import app
from tests.training.conftest import demo_rows, write_examples

runner = CliRunner()
REPORT_KEYS = {
    "tenant",
    "version",
    "status",
    "promoted",
    "reason",
    "candidate",
    "live",
    "n_train",
    "sources",
    "features",
    "train_seconds",
}


def run_json(*args: str):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_imports_examples_and_reports_the_decision(demo_home, tmp_path: Path) -> None:
    extra = write_examples(
        tmp_path / "extra.csv",
        [(f"Could you help: {text}", label) for text, label in demo_rows()[:40]],
    )
    report = run_json("train", "--examples", str(extra))
    assert set(report) == REPORT_KEYS
    assert report["tenant"] == "brightwave" and report["version"] == 2
    assert report["sources"]["imported"] == 40
    assert set(report["candidate"]) == {"accuracy", "macro_f1", "n_holdout"}
    assert report["live"]["version"] == 1
    assert report["status"] in {"live", "refused"}
    assert report["promoted"] == (report["status"] == "live")
    again = run_json("train", "--examples", str(extra))
    assert again["sources"]["imported"] == 40  # the second import added nothing


def test_models_list_promote_and_shadow(demo_home) -> None:
    run_json("train", "--shadow")
    listed = run_json("models", "list")
    assert [(v["version"], v["status"]) for v in listed] == [(1, "live"), (2, "shadow")]
    assert listed[1]["shadow"] == {
        "n_cases": 0,
        "agreement": None,
        "n_reviewed": 0,
        "live_accuracy": None,
        "shadow_accuracy": None,
    }
    assert listed[0]["promoted_at"] is not None and listed[0]["candidate"]["accuracy"] > 0.5
    human = runner.invoke(app, ["models", "list"]).stdout.splitlines()
    assert human[0].startswith("v1    live     accuracy 0.")
    assert human[2] == (
        "      shadowed 0 cases, agreed with live on -; on 0 reviewed: live - right, shadow - right"
    )
    promoted = run_json("models", "promote", "2")
    assert (promoted["version"], promoted["status"]) == (2, "live")
    shadowed = run_json("models", "shadow", "1")
    assert (shadowed["version"], shadowed["status"]) == (1, "shadow")
    listed = run_json("models", "list")
    assert [(v["version"], v["status"]) for v in listed] == [(1, "shadow"), (2, "live")]
    folder = demo_home / "tenants" / "brightwave"
    assert (folder / "model.joblib").read_bytes() == (folder / "models/v2.joblib").read_bytes()
    assert (folder / "shadow.joblib").read_bytes() == (folder / "models/v1.joblib").read_bytes()


def test_models_promote_names_a_missing_version(demo_home) -> None:
    result = runner.invoke(app, ["models", "promote", "9"])
    assert result.exit_code == 1
    assert "no model version 9" in str(result.exception)


def test_train_human_output(demo_home) -> None:
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Trained version 2 on ")
    assert lines[1].startswith("Version 2 is live: candidate accuracy ")
