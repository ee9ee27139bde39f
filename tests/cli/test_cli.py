"""The command line as users and scripts see it: JSON contracts and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from supportflow.cli import app
from tests.pipeline.test_workflow import customer_email, ingest

runner = CliRunner()


def run_json(*args: str):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def prepared(demo_db, n: int = 3) -> list[int]:
    ids = ingest(demo_db, *(customer_email(i) for i in range(n)))
    run_json("process")
    return ids


def test_review_list_shows_awaiting_review_by_default(demo_db) -> None:
    ids = prepared(demo_db)
    run_json("review", "reject", str(ids[0]), "--reason", "duplicate request")
    assert [c["id"] for c in run_json("review", "list")] == ids[1:]
    assert [c["id"] for c in run_json("review", "list", "--status", "rejected")] == ids[:1]
    assert [c["id"] for c in run_json("review", "list", "--all")] == ids
    assert len(run_json("review", "list", "--all", "--limit", "2")) == 2


def test_review_show_json_has_case_draft_citations_and_route(demo_db) -> None:
    [case_id, *_] = prepared(demo_db)
    detail = run_json("review", "show", str(case_id))
    assert {
        "id",
        "status",
        "message",
        "draft",
        "classification",
        "passages",
        "fields",
        "audit",
        "steps",
    } <= set(detail)
    assert detail["draft"]["citations"], "the demo knowledge base explains E-104"
    assert {"number", "title", "page", "section"} <= set(detail["draft"]["citations"][0])
    assert detail["classification"]["route"] == "rules"
    assert detail["classification"]["stages"][0]["stage"] == "rules"
    assert any(f["name"] == "error_code" and f["value"] == "E-104" for f in detail["fields"])


def test_review_list_human_output(demo_db) -> None:
    [case_id, *_] = prepared(demo_db, n=1)
    result = runner.invoke(app, ["review", "list"])
    assert result.stdout == (
        f"{case_id:>5}  awaiting_review technical_issue  0.90  ana0@example.com  "
        "Robot stops with E-104\n"
    )


def test_errors_are_one_line_with_nonzero_exit(demo_home) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "supportflow", "review", "approve", "999"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == "Error: no case 999\n"


def test_approving_twice_is_refused(demo_db) -> None:
    [case_id] = prepared(demo_db, n=1)
    run_json("review", "approve", str(case_id))
    result = runner.invoke(app, ["review", "approve", str(case_id)])
    assert result.exit_code != 0
    assert "is approved, not awaiting_review" in str(result.exception)


def test_kb_list_and_search(demo_home) -> None:
    documents = run_json("kb", "list")
    assert len(documents) >= 12
    assert sum(d["kind"] == "pdf" for d in documents) >= 4
    passages = run_json("kb", "search", "E-104 wheel stall")
    assert passages and any("E-104" in p["text"] for p in passages)


def test_ingest_names_an_unreadable_path(demo_home, tmp_path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing.eml"), "--json"])
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["messages"]
    assert rows[0]["outcome"] == "error" and "missing.eml" in rows[0]["error"]


def test_database_url_overrides_the_data_folder(isolated_env, tmp_path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere" / "store.db"
    monkeypatch.setenv("SUPPORTFLOW_DATABASE_URL", f"sqlite:///{elsewhere}")
    result = run_json("init")
    assert result["database"] == f"sqlite:///{elsewhere}"
    assert elsewhere.exists()
    assert not (isolated_env / "supportflow.db").exists()
    assert (isolated_env / "tenants" / "brightwave" / "model.joblib").exists()
