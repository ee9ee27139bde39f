from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from supportflow.demo.setup import demo_tenant_dir
from supportflow.eval.bench import bench_pipeline, percentile, synthetic_emails
from supportflow.eval.kb_bench import bench_query_embedding
from supportflow.knowledge.embeddings import Vectors


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


class _ConstantEmbedder:
    name, dimensions = "constant", 4

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return np.full((len(texts), 4), 0.5, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        return np.full(4, 0.5, dtype=np.float32)


def test_the_kb_bench_times_query_embedding_on_its_own() -> None:
    figures = bench_query_embedding(_ConstantEmbedder(), ["reset the router", "refund"])
    assert figures["queries"] == 2
    assert 0 <= figures["p50_ms"] <= figures["p95_ms"]
