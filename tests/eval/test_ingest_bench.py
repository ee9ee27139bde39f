from __future__ import annotations

import json

from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.eval.ingest_bench import KINDS, bench_ingest, synthetic_inbound
from supportflow.mail.parsing import parse_email

runner = CliRunner()
FIGURES = {"messages", "seconds", "messages_per_second", "p50_ms", "p95_ms"}


def test_bench_ingest_json_contract() -> None:
    result = runner.invoke(app, ["bench", "ingest", "--n", "10", "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "n",
        "kinds",
        "mean_bytes",
        "cpu_count",
        "parse",
        "parse_by_kind",
        "parse_parallel",
        "intake",
        "database",
        "intake_steps",
    }
    assert data["n"] == 10
    assert data["kinds"] == dict.fromkeys(KINDS, 2)
    assert set(data["parse"]) == FIGURES
    assert set(data["intake"]) == FIGURES | {"cases_created", "duplicates"}
    assert (data["parse"]["messages"], data["intake"]["messages"]) == (10, 10)
    assert (data["intake"]["cases_created"], data["intake"]["duplicates"]) == (10, 0)
    assert data["parse_parallel"] is None
    assert set(data["parse_by_kind"]) == set(KINDS)
    for figures in data["parse_by_kind"].values():
        assert set(figures) == {"p50_ms", "p95_ms"}
    for name in ("parse", "intake"):
        assert data[name]["messages_per_second"] > 0
        assert 0 <= data[name]["p50_ms"] <= data[name]["p95_ms"]


def test_parsing_split_over_processes_parses_every_message() -> None:
    parallel = bench_ingest(6, workers=2)["parse_parallel"]
    assert parallel is not None
    assert (parallel["workers"], parallel["messages"]) == (2, 6)


def test_the_text_output_names_both_figures() -> None:
    result = runner.invoke(app, ["bench", "ingest", "--n", "5", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "parse" in result.output and "intake" in result.output
    assert "msg/s" in result.output


def test_synthetic_messages_are_distinct_and_of_every_kind() -> None:
    messages = synthetic_inbound(25)
    assert len({raw for _, raw in messages}) == 25
    parsed = {kind: parse_email(raw) for kind, raw in messages}
    assert set(parsed) == set(KINDS)
    assert parsed["html_only"].is_html_only
    assert [a.filename for a in parsed["attachments"].attachments] == [
        "invoice.pdf",
        "photo.png",
    ]
    assert parsed["reply"].in_reply_to is not None and parsed["reply"].quoted_text
    assert parsed["reply"].subject.startswith("Re: ")
    for email in parsed.values():
        assert email.defects == ()
        assert "My order is BW-" in email.body_text


def test_non_utf8_messages_use_their_declared_charsets() -> None:
    raws = [raw for kind, raw in synthetic_inbound(100) if kind == "non_utf8"]
    declared = {
        charset
        for raw in raws
        for charset in ("iso-8859-1", "windows-1252", "koi8-r", "shift_jis")
        if f'charset="{charset}"'.encode() in raw or f"charset={charset}".encode() in raw
    }
    assert len(declared) >= 3
    for raw in raws:
        assert parse_email(raw).defects == ()
