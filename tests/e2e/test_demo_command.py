"""`supportflow demo` from an empty data folder, and `supportflow serve` with its worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from supportflow.cli import app
from tests.pipeline.test_workflow import customer_email


def test_demo_sets_up_everything_from_nothing(isolated_env: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"] == {"added": 17} and summary["document_errors"] == []
    assert summary["intake"]["created"] >= 40 and summary["intake"]["duplicate"] == 1
    assert summary["cases"]["awaiting_review"] >= 30
    assert set(summary["cases"]) == {"awaiting_review", "needs_human"}
    assert (isolated_env / "supportflow.db").exists()

    again = CliRunner().invoke(app, ["demo", "--no-serve", "--json"])
    assert json.loads(again.stdout)["intake"] == {"duplicate": summary["intake"]["created"] + 1}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_shows_cases_and_its_workers_draft_new_mail(
    demo_home: Path, tmp_path: Path, workers: int
) -> None:
    port = free_port()
    env = {**os.environ, "SUPPORTFLOW_WORKER_POLL_SECONDS": "0.2"}
    token = api_token("lead@brightwave.example")
    auth = {"Authorization": f"Bearer {token}"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supportflow",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200)
        (tmp_path / "new.eml").write_bytes(customer_email())
        subprocess.run(
            [sys.executable, "-m", "supportflow", "ingest", str(tmp_path / "new.eml")],
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert httpx.get(f"{base}/api/v1/cases").status_code == 401
        wait_until(
            lambda: (
                httpx.get(f"{base}/api/v1/cases", headers=auth).json()["items"][0]["status"]
                == "awaiting_review"
            )
        )
        [case] = httpx.get(f"{base}/api/v1/cases", headers=auth).json()["items"]
        detail = httpx.get(f"{base}/api/v1/cases/{case['id']}", headers=auth).json()
        assert detail["message"]["subject"] == "Robot stops with E-104"
        assert "Sources:" in detail["draft"]["text"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert b"Traceback" not in stderr


def api_token(email: str) -> str:
    """A reviewer and an API token for them, made with the CLI as an operator would."""
    run = CliRunner().invoke
    assert run(app, ["user", "add", email, "--role", "reviewer", "--json"]).exit_code == 0
    issued = run(app, ["user", "token", email, "--name", "e2e", "--json"])
    assert issued.exit_code == 0, issued.output
    return str(json.loads(issued.stdout)["token"])


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
