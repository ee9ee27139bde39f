"""`supportflow eval ...`: measured quality, printed as a table or JSON."""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from supportflow.cli.common import JsonOpt, emit_json
from supportflow.errors import InputError
from supportflow.knowledge.fusion import DEFAULT_ALPHA, DEFAULT_FUSION, FusionMethod

eval_app = typer.Typer(help="Evaluations.", no_args_is_help=True)

DEMO_QUESTIONS = "kb_questions.jsonl"
_METRICS = ("recall@1", "recall@5", "mrr@10")


@eval_app.command("retrieve")
def retrieve(
    kb: Annotated[
        Path | None, typer.Option(help="folder of documents (subfolders too)", file_okay=False)
    ] = None,
    qa: Annotated[
        Path | None, typer.Option(help="JSONL questions with the gold document's file name")
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="the demo knowledge base and its questions")
    ] = False,
    question_field: Annotated[str, typer.Option(help="QA key of the question")] = "question",
    doc_field: Annotated[str, typer.Option(help="QA key of the gold file name(s)")] = "doc",
    model: Annotated[
        Literal["minilm", "e5", "none"], typer.Option(help="embedding model (none: keyword only)")
    ] = "minilm",
    fusion: Annotated[FusionMethod, typer.Option(help="how hybrid search fuses")] = DEFAULT_FUSION,
    alpha: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="weight of vectors in convex fusion")
    ] = DEFAULT_ALPHA,
    depth: Annotated[int, typer.Option(min=10, help="chunks retrieved per question")] = 30,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="compare hybrid fusion settings instead")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """recall@1, recall@5, MRR@10 and latency of keyword, vector and hybrid search."""
    from supportflow.eval.qa_set import QaFields, read_qa
    from supportflow.eval.retrieval import evaluate_retrieval, sweep_hybrid

    with tempfile.TemporaryDirectory(prefix="supportflow-demo-kb-") as scratch:
        kb, qa = _inputs(kb, qa, demo, Path(scratch))
        items = read_qa(qa, QaFields(question=question_field, doc=doc_field))
        if sweep:
            result = sweep_hybrid(kb, items, model=model, depth=depth)
        else:
            result = evaluate_retrieval(
                kb, items, model=model, depth=depth, fusion=fusion, alpha=alpha
            )
    result["meta"]["qa"] = "demo" if demo else str(qa)
    if demo:
        result["meta"]["kb"] = "demo"
    if as_json:
        emit_json(result)
    elif sweep:
        _print_sweep(result)
    else:
        _print_modes(result)


def _inputs(kb: Path | None, qa: Path | None, demo: bool, scratch: Path) -> tuple[Path, Path]:
    """The folder and question file: the given ones, or the demo's written to `scratch`."""
    if demo:
        if kb or qa:
            raise InputError("--demo brings its own knowledge base and questions: drop --kb/--qa")
        from supportflow.demo.inbox import write_demo_kb

        write_demo_kb(scratch / "kb")
        questions = scratch / DEMO_QUESTIONS
        questions.write_bytes((resources.files("supportflow.demo") / DEMO_QUESTIONS).read_bytes())
        return scratch / "kb", questions
    if kb is None or qa is None:
        raise InputError("give --kb DIR and --qa FILE, or --demo")
    return kb, qa


def _print_modes(result: dict[str, Any]) -> None:
    meta = result["meta"]
    typer.echo(
        f"{meta['documents']} documents, {meta['chunks']} chunks; "
        f"embedding model: {meta['embedding_model'] or 'none'}"
    )
    for error in meta["load_errors"]:
        typer.echo(f"  not loaded: {error}")
    typer.echo(
        f"{'mode':<8} {'recall@1':>8} {'recall@5':>8} {'mrr@10':>8} {'n':>5} "
        f"{'p50 ms':>8} {'p95 ms':>8}"
    )
    for mode in ("keyword", "vector", "hybrid"):
        row = result[mode]
        if "skipped" in row:
            typer.echo(f"{mode:<8} skipped: {row['skipped']}")
            continue
        scores = " ".join(f"{row[name]:>8.3f}" for name in _METRICS)
        typer.echo(f"{mode:<8} {scores} {row['n']:>5} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}")


def _print_sweep(result: dict[str, Any]) -> None:
    typer.echo(f"{result['n']} questions")
    typer.echo(
        f"{'mode':<8} {'fusion':<7} {'alpha':>5} {'recall@1':>8} {'recall@5':>8} {'mrr@10':>8}"
    )
    for row in result["settings"]:
        alpha = "-" if row["alpha"] is None else f"{row['alpha']:.1f}"
        scores = " ".join(f"{row[name]:>8.3f}" for name in _METRICS)
        typer.echo(f"{row['mode']:<8} {row['fusion'] or '-':<7} {alpha:>5} {scores}")
    best = result["best"]
    alpha = "" if best["alpha"] is None else f" alpha {best['alpha']}"
    typer.echo(f"best: {best['fusion']}{alpha} (recall@5 {best['recall@5']:.3f})")
