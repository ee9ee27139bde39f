from __future__ import annotations

from supportflow.demo.setup import demo_tenant_dir
from supportflow.eval.bench import bench_pipeline, percentile, synthetic_emails


def test_pipeline_bench_reports_throughput_and_stage_latencies(tmp_path) -> None:
    result = bench_pipeline(12, home=tmp_path / "bench")
    assert result["processed"] == 12
    assert result["outcomes"] == {"awaiting_review": 12}
    assert result["emails_per_second"] > 0
    assert set(result["stages"]) == {
        "receive",
        "screen",
        "classify",
        "extract",
        "research",
        "draft",
    }
    for stage in result["stages"].values():
        assert 0 <= stage["p50_ms"] <= stage["p95_ms"]


def test_synthetic_emails_are_distinct() -> None:
    emails = synthetic_emails(50, demo_tenant_dir() / "examples.csv")
    assert len(set(emails)) == 50


def test_percentile() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 50) == 5.0
    assert percentile([float(i) for i in range(1, 101)], 50) == 50.5
