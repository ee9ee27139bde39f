"""`eval retrieve`: how often search finds the document that answers a customer's question.

The knowledge-base folder is ingested as `kb add` would do it (every supported file, in
subfolders too) into a throwaway SQLite store with one tenant; then every question is searched
in each mode and the ranked chunks are collapsed to documents (see `ranking`). A mode this
machine cannot run (no vector index, no embedding model) is reported as skipped with the
reason, never dropped silently; a file that fails to load is listed and its questions count
as misses. The code knows nothing about the demo: any folder and question set will do.

Beside the ranking metrics, each mode reports how often its best passage reaches the mode's
relevance floor ("grounded": a draft can cite it) and, given questions the knowledge base
cannot answer, how often none does ("refused": the case is marked "no grounding found"). The
two pull against each other; they are what the floors in `knowledge.relevance` were set by.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from supportflow.errors import ConfigurationError, DocumentLoadError
from supportflow.eval.qa_set import QaItem, resolve_gold
from supportflow.eval.ranking import (
    collapse_to_documents,
    gold_rank,
    mrr_at,
    recall_at,
    summarise_ranks,
)
from supportflow.knowledge.capabilities import (
    SearchCapabilities,
    SearchMode,
    detect_capabilities,
)
from supportflow.knowledge.embeddings import Embedder
from supportflow.knowledge.fusion import (
    DEFAULT_ALPHA,
    DEFAULT_FUSION,
    DEFAULT_TITLE_WEIGHT,
    FusionMethod,
)
from supportflow.knowledge.index import add_document, search
from supportflow.knowledge.loaders import SUPPORTED_EXTENSIONS
from supportflow.knowledge.passages import Passage
from supportflow.knowledge.relevance import floor_for
from supportflow.store.db import Database
from supportflow.store.models import KbChunk, KbDocument, Tenant

MODES: tuple[SearchMode, ...] = ("keyword", "vector", "hybrid")
DEPTH = 30  # chunks asked of each search: enough to rank 10 distinct documents
SWEEP_ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SWEEP_TITLE_WEIGHTS = (0.0, DEFAULT_TITLE_WEIGHT)


@dataclass
class EvalStore:
    """A knowledge-base folder ingested into a throwaway database."""

    db: Database
    tenant_id: int
    files: list[str]  # every supported file, as a posix path relative to the folder
    documents: dict[int, str] = field(default_factory=dict)  # document id -> file
    errors: list[str] = field(default_factory=list)
    embedder: Embedder | None = None
    vector_unavailable: str | None = None  # why vector and hybrid search cannot run


@dataclass(frozen=True)
class SearchSetting:
    mode: SearchMode
    fusion: FusionMethod = DEFAULT_FUSION  # used by hybrid search only
    alpha: float = DEFAULT_ALPHA
    title_weight: float = DEFAULT_TITLE_WEIGHT


@dataclass(frozen=True)
class QuestionRuns:
    """What searching each question gave: its ranked documents (files, best first), its
    search time in ms and its best passage's score (0.0 when nothing was found)."""

    rankings: list[list[str]]
    latencies_ms: list[float]
    best_scores: list[float]


def knowledge_files(folder: Path) -> list[Path]:
    """The supported documents under `folder`, in subfolders too, skipping hidden ones."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_EXTENSIONS
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


@contextmanager
def ingested_kb(kb: Path, *, model: str = "minilm") -> Iterator[EvalStore]:
    """Ingest every supported file under `kb` into a temporary store (deleted afterwards),
    with embeddings from `model` when this machine can store and compute them ("none": keyword
    only). Raises ConfigurationError when `kb` is not a folder or holds no supported file."""
    if not kb.is_dir():
        raise ConfigurationError(f"{kb}: not a folder")
    folder = kb.resolve()
    paths = knowledge_files(folder)
    if not paths:
        raise ConfigurationError(
            f"{kb}: no supported documents ({', '.join(SUPPORTED_EXTENSIONS)})"
        )
    with tempfile.TemporaryDirectory(prefix="supportflow-eval-") as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'eval.db'}")
        try:
            db.migrate()
            files = [path.relative_to(folder).as_posix() for path in paths]
            store = _new_store(db, scratch, files, detect_capabilities(db, model))
            for path, key in zip(paths, store.files, strict=True):
                _ingest(store, path, key)
            yield store
        finally:
            db.dispose()


def run_questions(
    store: EvalStore, questions: Sequence[str], setting: SearchSetting, *, depth: int = DEPTH
) -> QuestionRuns:
    """Search every question with `setting`, `depth` chunks deep.

    One search runs untimed first, so one-off costs (loading a model session, warming caches)
    are not charged to the first question.
    """
    runs = QuestionRuns([], [], [])
    with store.db.session() as session:

        def run(question: str) -> list[Passage]:
            return search(
                session,
                tenant_id=store.tenant_id,
                query=question,
                limit=depth,
                mode=setting.mode,
                embedder=store.embedder,
                fusion=setting.fusion,
                alpha=setting.alpha,
                title_weight=setting.title_weight,
            )

        run(questions[0])
        for question in questions:
            started = time.perf_counter()
            passages = run(question)
            runs.latencies_ms.append((time.perf_counter() - started) * 1000)
            ranked = (store.documents[p.document_id] for p in passages)
            runs.rankings.append(collapse_to_documents(ranked))
            runs.best_scores.append(max((p.score for p in passages), default=0.0))
    return runs


def evaluate_retrieval(
    kb: Path,
    items: Sequence[QaItem],
    *,
    model: str = "minilm",
    depth: int = DEPTH,
    fusion: FusionMethod = DEFAULT_FUSION,
    alpha: float = DEFAULT_ALPHA,
    title_weight: float = DEFAULT_TITLE_WEIGHT,
    off_topic: Sequence[str] = (),
) -> dict[str, Any]:
    """recall@1, recall@5, MRR@10, n, p50_ms, p95_ms, floor and grounded per mode (plus
    refused and n_off_topic when `off_topic` questions are given), and "meta".

    Returns {"keyword": {...}, "vector": {...}, "hybrid": {...}, "meta": {...}}; a mode that
    cannot run is {"skipped": reason}. `fusion`, `alpha` and `title_weight` tune hybrid
    search. Raises InputError when a gold document is not in the folder, ConfigurationError
    when the folder has nothing to ingest.
    """
    with ingested_kb(kb, model=model) as store:
        gold = resolve_gold(items, store.files)
        questions = [item.question for item in items]
        report: dict[str, Any] = {}
        for mode in MODES:
            if mode != "keyword" and store.vector_unavailable:
                report[mode] = {"skipped": store.vector_unavailable}
                continue
            setting = SearchSetting(mode, fusion, alpha, title_weight)
            runs = run_questions(store, questions, setting, depth=depth)
            report[mode] = summarise_ranks(_ranks(runs.rankings, gold), runs.latencies_ms)
            report[mode] |= _grounding(store, setting, runs, off_topic, depth)
        report["meta"] = _meta(store, kb, model, depth) | {
            "hybrid": _hybrid_meta(fusion, alpha, title_weight)
        }
    return report


def sweep_hybrid(
    kb: Path,
    items: Sequence[QaItem],
    *,
    model: str = "minilm",
    depth: int = DEPTH,
    alphas: Sequence[float] = SWEEP_ALPHAS,
) -> dict[str, Any]:
    """recall@1, recall@5 and MRR@10 of hybrid search for reciprocal rank fusion and for the
    convex mix at each alpha, without and with the title-match signal, beside the keyword and
    vector baselines; "best" is the setting
    with the highest recall@5 (then MRR@10). Raises ConfigurationError when vector search is
    unavailable here."""
    with ingested_kb(kb, model=model) as store:
        if store.vector_unavailable:
            raise ConfigurationError(
                f"the hybrid sweep needs vector search: {store.vector_unavailable}"
            )
        gold = resolve_gold(items, store.files)
        questions = [item.question for item in items]
        settings = [
            SearchSetting("keyword"),
            SearchSetting("vector"),
            SearchSetting("hybrid", "rrf"),
        ]
        settings += [
            SearchSetting("hybrid", "convex", alpha, weight)
            for weight in SWEEP_TITLE_WEIGHTS
            for alpha in alphas
        ]
        rows = []
        for setting in settings:
            ranks = _ranks(run_questions(store, questions, setting, depth=depth).rankings, gold)
            rows.append(_sweep_row(setting, ranks))
        meta = _meta(store, kb, model, depth)
    hybrid = [row for row in rows if row["mode"] == "hybrid"]
    best = max(hybrid, key=lambda row: (row["recall@5"], row["mrr@10"]))
    return {"settings": rows, "best": best, "n": len(items), "meta": meta}


def scratch_tenant(db: Database, *, slug: str, name: str, folder: str) -> int:
    """A throwaway tenant for an evaluation or benchmark store; returns its id."""
    with db.session() as session:
        tenant = Tenant(
            slug=slug, name=name, support_address=f"{slug}@example.invalid", config_dir=folder
        )
        session.add(tenant)
        session.flush()
        return tenant.id


def _new_store(
    db: Database, scratch: str, files: list[str], capabilities: SearchCapabilities
) -> EvalStore:
    tenant_id = scratch_tenant(db, slug="eval", name="Retrieval evaluation", folder=scratch)
    return EvalStore(
        db=db,
        tenant_id=tenant_id,
        files=files,
        embedder=capabilities.embedder,
        vector_unavailable=capabilities.keyword_only_reason,
    )


def _ingest(store: EvalStore, path: Path, key: str) -> None:
    """Add one file in its own transaction; a file that cannot be loaded is recorded."""
    try:
        with store.db.session() as session:
            result = add_document(
                session, tenant_id=store.tenant_id, path=path, embedder=store.embedder
            )
    except DocumentLoadError as exc:
        store.errors.append(str(exc))
        return
    store.documents[result.document_id] = key


def _ranks(rankings: list[list[str]], gold: list[frozenset[str]]) -> list[int | None]:
    return [gold_rank(documents, wanted) for documents, wanted in zip(rankings, gold, strict=True)]


def _grounding(
    store: EvalStore,
    setting: SearchSetting,
    runs: QuestionRuns,
    off_topic: Sequence[str],
    depth: int,
) -> dict[str, Any]:
    """The mode's floor, the share of questions whose best passage reaches it, and, with
    off-topic questions, the share of those whose best passage does not."""
    floor = floor_for(setting.mode, model=store.embedder.name if store.embedder else None)
    found = {
        "floor": floor,
        "grounded": round(sum(s >= floor for s in runs.best_scores) / len(runs.best_scores), 4),
    }
    if off_topic:
        scores = run_questions(store, off_topic, setting, depth=depth).best_scores
        found["refused"] = round(sum(s < floor for s in scores) / len(scores), 4)
        found["n_off_topic"] = len(scores)
    return found


def _hybrid_meta(fusion: FusionMethod, alpha: float, title_weight: float) -> dict[str, Any]:
    convex = fusion == "convex"
    return {
        "fusion": fusion,
        "alpha": alpha if convex else None,
        "title_weight": title_weight if convex else None,
    }


def _sweep_row(setting: SearchSetting, ranks: list[int | None]) -> dict[str, Any]:
    convex = setting.mode == "hybrid" and setting.fusion == "convex"
    return {
        "mode": setting.mode,
        "fusion": setting.fusion if setting.mode == "hybrid" else None,
        "alpha": setting.alpha if convex else None,
        "title_weight": setting.title_weight if convex else None,
        "recall@1": round(recall_at(ranks, 1), 4),
        "recall@5": round(recall_at(ranks, 5), 4),
        "mrr@10": round(mrr_at(ranks, 10), 4),
    }


def _meta(store: EvalStore, kb: Path, model: str, depth: int) -> dict[str, Any]:
    with store.db.session() as session:
        documents = session.scalar(select(func.count()).select_from(KbDocument)) or 0
        chunks = session.scalar(select(func.count()).select_from(KbChunk)) or 0
    return {
        "kb": str(kb),
        "files": len(store.files),
        "documents": documents,
        "chunks": chunks,
        "load_errors": store.errors,
        "embedding_model": None if store.vector_unavailable else model,
        "vector_unavailable": store.vector_unavailable,
        "chunks_per_search": depth,
    }
