"""`supportflow bench kb`: knowledge-base ingest throughput and search latency at scale.

Four measurements, on this machine's CPU:

- PDF parsing, pages/s: `load_document` on the demo's generated manuals and on any folders
  of real PDFs given (each file parsed `PDF_ROUNDS` times).
- Embedding, chunks/s: the embedder's own batching (32 texts, 2 threads) on a sample of
  synthetic chunks as long as real ones (about 500 characters).
- Indexing, chunks/s: `chunks` synthetic chunks (see `synthetic_text`; rounded up to whole
  documents of `CHUNKS_PER_DOCUMENT` chunks), written straight into a temporary store's keyword
  (FTS5) and vector (sqlite-vec, with the embedding cache) indexes; loaders and chunking are
  skipped, the PDF figure measures them.
- Search p50/p95 per mode over `queries` customer-style queries at that size, with the
  share of chunks their keyword queries match (what BM25 must rank; 0.5 on the demo base),
  and of embedding the queries alone (part of the vector and hybrid figures).

Embedding chunks this long runs at tens per second on 2 cores, so 100,000 of them would take
most of an hour. Unless `embed_all` is set, the vectors stored are therefore the sample's
real embeddings reused with seeded noise (`PooledEmbedder`); queries are embedded by the real
model. Search time hardly depends on what the vectors hold: sqlite-vec compares the query's
binary code with every stored code of the tenant, then a fixed number of candidates are
compared exactly (`vector_index`). Which candidates win does: near copies of 512 vectors
with noise as strong as the vector are a far harder case for the codes than real text, so
the vector results here are not a measure of recall.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from supportflow.errors import DocumentLoadError
from supportflow.eval.ranking import latency_percentile
from supportflow.eval.retrieval import scratch_tenant
from supportflow.eval.synthetic_text import SyntheticText
from supportflow.knowledge.capabilities import SearchMode, detect_capabilities
from supportflow.knowledge.embeddings import Embedder, Vectors, normalise
from supportflow.knowledge.index import search
from supportflow.knowledge.keyword_index import KeywordIndex
from supportflow.knowledge.loaders import load_document
from supportflow.knowledge.query import fts_match_expression, keyword_terms
from supportflow.knowledge.vector_index import VectorIndex
from supportflow.store.db import Database
from supportflow.store.models import KbChunk, KbDocument

CHUNKS_PER_DOCUMENT = 50
EMBED_SAMPLE = 512  # chunks embedded for the embedding figure (and the vector pool)
PDF_ROUNDS = 3
SEARCH_LIMIT = 10
MATCH_SAMPLE = 50  # queries whose keyword matches are counted
_BATCH_DOCUMENTS = 40  # documents per transaction while indexing
_COUNT_MATCHES = text("SELECT count(*) FROM kb_chunks_fts WHERE kb_chunks_fts MATCH :match")


def bench_kb(
    chunks: int,
    *,
    queries: int = 200,
    pdf_dirs: Sequence[Path] = (),
    model: str = "minilm",
    embed_all: bool = False,
    embed_sample: int = EMBED_SAMPLE,
    seed: int = 7,
) -> dict[str, Any]:
    """Run the benchmark in a temporary folder and return its figures.

    `model` "none" measures keyword search only; when vectors or the model are unavailable
    the vector figures are left out and "vector_unavailable" says why. `embed_all` embeds
    every chunk instead of reusing the vectors of `embed_sample` chunks. Missing PDF folders
    count no pages.
    """
    with tempfile.TemporaryDirectory(prefix="supportflow-bench-kb-") as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'bench.db'}")
        try:
            db.migrate()
            capabilities = detect_capabilities(db, model)
            embedder, texts = capabilities.embedder, SyntheticText(seed)
            topics = [texts.topic() for _ in range(0, chunks, CHUNKS_PER_DOCUMENT)]
            result: dict[str, Any] = {
                "chunks": len(topics) * CHUNKS_PER_DOCUMENT,
                "embedding_model": embedder.name if embedder else None,
                "vector_unavailable": capabilities.keyword_only_reason,
                "pdf_parsing": bench_pdf_parsing(Path(scratch) / "pdfs", pdf_dirs),
            }
            writer = embedder
            if embedder is not None:
                size = max(1, min(chunks, embed_sample))
                sample = [texts.paragraph(topics[i % len(topics)]) for i in range(size)]
                result["embedding"], pool = bench_embedding(embedder, sample)
                if not embed_all:
                    writer = PooledEmbedder(embedder, pool, seed)
                result["stored_vectors"] = "embedded" if embed_all else "sample reused"
            tenant_id = scratch_tenant(db, slug="bench", name="Benchmark", folder=scratch)
            result["indexing"] = index_synthetic_chunks(db, tenant_id, texts, topics, writer)
            questions = [texts.question(topics[i * 7919 % len(topics)]) for i in range(queries)]
            result["keyword_match_share"] = keyword_match_share(db, questions[:MATCH_SAMPLE])
            result["search"] = bench_search(db, tenant_id, embedder, questions)
            if embedder is not None:
                result["query_embedding"] = bench_query_embedding(embedder, questions)
        finally:
            db.dispose()
    return result


class PooledEmbedder:
    """Stands in for `model` when storing vectors: each text gets a vector of `pool` (real
    chunk embeddings) with seeded noise, renormalised. Queries go to the real model."""

    def __init__(self, model: Embedder, pool: Vectors, seed: int) -> None:
        self.name, self.dimensions = model.name, model.dimensions  # so searches find them
        self._model, self._pool = model, pool
        self._rng = np.random.default_rng(seed)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        picks = self._pool[self._rng.integers(0, len(self._pool), size=len(texts))]
        return normalise(picks + self._rng.normal(0.0, 0.05, size=picks.shape))

    def embed_query(self, text: str) -> Vectors:
        return self._model.embed_query(text)


def bench_pdf_parsing(scratch: Path, pdf_dirs: Sequence[Path]) -> dict[str, Any]:
    """Pages/s of PDF parsing for the demo manuals (written to `scratch`) and each folder."""
    from supportflow.demo.pdfs import write_demo_pdfs

    sources = {"demo manuals": write_demo_pdfs(scratch)}
    for folder in pdf_dirs:
        sources[str(folder)] = sorted(folder.glob("*.pdf")) if folder.is_dir() else []
    return {name: _parse_pdfs(paths) for name, paths in sources.items()}


def bench_embedding(embedder: Embedder, sample: Sequence[str]) -> tuple[dict[str, Any], Vectors]:
    """Chunks/s of `embedder.embed_documents` over `sample`, and the vectors it made."""
    embedder.embed_documents(sample[:8])  # load and warm the model outside the timing
    started = time.perf_counter()
    vectors = embedder.embed_documents(sample)
    seconds = time.perf_counter() - started
    figures = {
        "chunks": len(sample),
        "mean_chars": round(sum(map(len, sample)) / max(len(sample), 1)),
        "seconds": round(seconds, 3),
        "chunks_per_second": _rate(len(sample), seconds),
    }
    return figures, vectors


def index_synthetic_chunks(
    db: Database,
    tenant_id: int,
    texts: SyntheticText,
    topics: Sequence[list[str]],
    embedder: Embedder | None,
) -> dict[str, Any]:
    """Write one document of `CHUNKS_PER_DOCUMENT` chunks per topic and index them; seconds
    and chunks/s per index (the vector figure includes the embedding cache and any
    embedding)."""
    keyword, vector = KeywordIndex(), VectorIndex(embedder)
    timings, count = {"keyword": 0.0, "vector": 0.0}, 0
    for batch in _document_batches(tenant_id, texts, topics):
        with db.session() as session:
            session.add_all(document for document, _ in batch)
            session.flush()
            for document, bodies in batch:
                rows = [_chunk(document, ordinal, body) for ordinal, body in enumerate(bodies)]
                session.add_all(rows)
                session.flush()
                started = time.perf_counter()
                keyword.add_chunks(session, chunks=rows, title=document.title)
                middle = time.perf_counter()
                vector.add_chunks(session, chunks=rows, title=document.title)
                timings["keyword"] += middle - started
                timings["vector"] += time.perf_counter() - middle
                count += len(rows)
    indexes = ["keyword", "vector"] if embedder else ["keyword"]
    return {
        name: {"seconds": round(timings[name], 3), "chunks_per_second": _rate(count, timings[name])}
        for name in indexes
    }


def keyword_match_share(db: Database, questions: Sequence[str]) -> float:
    """The mean share of all chunks that a question's keyword query matches (any term): what
    BM25 has to rank, and so what keyword search costs. About 0.5 on the demo base."""
    with db.session() as session:
        total = session.execute(text("SELECT count(*) FROM kb_chunks")).scalar() or 0
        shares = [
            (session.execute(_COUNT_MATCHES, {"match": match}).scalar() or 0) / total
            for match in (fts_match_expression(keyword_terms(q)) for q in questions)
            if match and total
        ]
    return round(sum(shares) / len(shares), 3) if shares else 0.0


def bench_search(
    db: Database, tenant_id: int, embedder: Embedder | None, questions: Sequence[str]
) -> dict[str, Any]:
    """p50/p95/mean latency in ms per search mode over `questions` (limit `SEARCH_LIMIT`)."""
    modes: tuple[SearchMode, ...] = ("keyword", "vector", "hybrid") if embedder else ("keyword",)
    result: dict[str, Any] = {}
    with db.session() as session:
        for mode in modes:

            def run(question: str, mode: SearchMode = mode) -> None:
                search(session, tenant_id=tenant_id, query=question, limit=SEARCH_LIMIT,
                       mode=mode, embedder=embedder)  # fmt: skip

            run(questions[0])  # warm caches outside the timing
            latencies = []
            for question in questions:
                started = time.perf_counter()
                run(question)
                latencies.append((time.perf_counter() - started) * 1000)
            result[mode] = {
                "queries": len(questions),
                "p50_ms": latency_percentile(latencies, 50),
                "p95_ms": latency_percentile(latencies, 95),
                "mean_ms": round(sum(latencies) / len(latencies), 3),
            }
    return result


def bench_query_embedding(embedder: Embedder, questions: Sequence[str]) -> dict[str, Any]:
    """p50/p95 in ms of embedding one question: the model's share of a vector or hybrid
    search, which the search figures include."""
    embedder.embed_query(questions[0])
    latencies = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_query(question)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "queries": len(questions),
        "p50_ms": latency_percentile(latencies, 50),
        "p95_ms": latency_percentile(latencies, 95),
    }


def _parse_pdfs(paths: Sequence[Path]) -> dict[str, Any]:
    pages, seconds, errors = 0, 0.0, []
    for path in paths:
        try:
            for _ in range(PDF_ROUNDS):
                started = time.perf_counter()
                document = load_document(path)
                seconds += time.perf_counter() - started
                pages += document.page_count or 0
        except DocumentLoadError as exc:
            errors.append(str(exc))
    return {
        "files": len(paths),
        "pages": pages // PDF_ROUNDS,
        "seconds": round(seconds / PDF_ROUNDS, 4),
        "pages_per_second": _rate(pages, seconds),
        "errors": errors,
    }


def _document_batches(
    tenant_id: int, texts: SyntheticText, topics: Sequence[list[str]]
) -> Iterator[list[tuple[KbDocument, list[str]]]]:
    """Unsaved documents, one per topic, with the texts of their chunks, in batches."""
    batch: list[tuple[KbDocument, list[str]]] = []
    for number, topic in enumerate(topics):
        bodies = [texts.paragraph(topic) for _ in range(CHUNKS_PER_DOCUMENT)]
        document = KbDocument(
            tenant_id=tenant_id,
            source=f"synthetic/{number:06d}.md",
            title=texts.sentence(topic).rstrip("."),
            kind="markdown",
            tags=[],
            content_hash=hashlib.sha256(str(number).encode()).hexdigest(),
            chunk_count=len(bodies),
        )
        batch.append((document, bodies))
        if len(batch) == _BATCH_DOCUMENTS:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunk(document: KbDocument, ordinal: int, body: str) -> KbChunk:
    return KbChunk(
        document_id=document.id,
        tenant_id=document.tenant_id,
        ordinal=ordinal,
        text=body,
        section=f"Section {ordinal // 5 + 1}",
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
    )


def _rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None
