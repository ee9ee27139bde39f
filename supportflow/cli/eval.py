"""`supportflow eval ...`: measured quality, printed as a table or JSON."""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from supportflow.cli.common import JsonOpt, emit_json
from supportflow.errors import InputError
from supportflow.knowledge.fusion import (
    DEFAULT_ALPHA,
    DEFAULT_FUSION,
    DEFAULT_TITLE_WEIGHT,
    FusionMethod,
)

eval_app = typer.Typer(help="Evaluations.", no_args_is_help=True)

DEMO_QUESTIONS = {
    "english": "kb_questions.jsonl",
    "multilingual": "kb_questions_multilingual.jsonl",  # German, French, Spanish
}
DEMO_OFF_TOPIC = "off_topic_questions.jsonl"
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
    demo_questions: Annotated[
        Literal["english", "multilingual"],
        typer.Option(help="with --demo: the customer questions in English, or in de/fr/es"),
    ] = "english",
    question_field: Annotated[str, typer.Option(help="QA key of the question")] = "question",
    doc_field: Annotated[str, typer.Option(help="QA key of the gold file name(s)")] = "doc",
    model: Annotated[
        Literal["minilm", "e5", "none"], typer.Option(help="embedding model (none: keyword only)")
    ] = "minilm",
    fusion: Annotated[FusionMethod, typer.Option(help="how hybrid search fuses")] = DEFAULT_FUSION,
    alpha: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="weight of vectors in convex fusion")
    ] = DEFAULT_ALPHA,
    title_weight: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="weight of title matches in convex fusion")
    ] = DEFAULT_TITLE_WEIGHT,
    off_topic: Annotated[
        Path | None,
        typer.Option(
            "--off-topic",
            help="JSONL questions the knowledge base cannot answer (--demo brings its own)",
        ),
    ] = None,
    depth: Annotated[int, typer.Option(min=10, help="chunks retrieved per question")] = 30,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="compare hybrid fusion settings instead")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """recall@1, recall@5, MRR@10, latency and grounding of keyword, vector and hybrid search."""
    from supportflow.eval.qa_set import QaFields, read_qa, read_questions
    from supportflow.eval.retrieval import evaluate_retrieval, sweep_hybrid

    with tempfile.TemporaryDirectory(prefix="supportflow-demo-kb-") as scratch:
        kb, qa = _inputs(kb, qa, demo, demo_questions, Path(scratch))
        items = read_qa(qa, QaFields(question=question_field, doc=doc_field))
        off_topic = _off_topic_file(off_topic, demo, Path(scratch))
        unanswerable = read_questions(off_topic, question_field) if off_topic else []
        if sweep:
            result = sweep_hybrid(kb, items, model=model, depth=depth)
        else:
            result = evaluate_retrieval(
                kb,
                items,
                model=model,
                depth=depth,
                fusion=fusion,
                alpha=alpha,
                title_weight=title_weight,
                off_topic=unanswerable,
            )
    result["meta"]["qa"] = str(qa) if not demo else _demo_label(demo_questions)
    off_topic_label = None if off_topic is None else "demo" if demo else str(off_topic)
    result["meta"]["off_topic"] = off_topic_label
    if demo:
        result["meta"]["kb"] = "demo"
    if as_json:
        emit_json(result)
    elif sweep:
        _print_sweep(result)
    else:
        _print_modes(result)


def _inputs(
    kb: Path | None, qa: Path | None, demo: bool, demo_questions: str, scratch: Path
) -> tuple[Path, Path]:
    """The folder and question file: the given ones, or the demo's written to `scratch`."""
    if demo:
        if kb or qa:
            raise InputError("--demo brings its own knowledge base and questions: drop --kb/--qa")
        from supportflow.demo.inbox import write_demo_kb

        write_demo_kb(scratch / "kb")
        name = DEMO_QUESTIONS[demo_questions]
        questions = scratch / name
        questions.write_bytes((resources.files("supportflow.demo") / name).read_bytes())
        return scratch / "kb", questions
    if kb is None or qa is None:
        raise InputError("give --kb DIR and --qa FILE, or --demo")
    return kb, qa


def _demo_label(demo_questions: str) -> str:
    return "demo" if demo_questions == "english" else f"demo ({demo_questions})"


def _off_topic_file(given: Path | None, demo: bool, scratch: Path) -> Path | None:
    """The off-topic question file: the given one, else the demo's with --demo."""
    if given is not None or not demo:
        return given
    path = scratch / DEMO_OFF_TOPIC
    path.write_bytes((resources.files("supportflow.demo") / DEMO_OFF_TOPIC).read_bytes())
    return path


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
        f"{'p50 ms':>8} {'p95 ms':>8} {'floor':>6} {'grounded':>8} {'refused':>8}"
    )
    for mode in ("keyword", "vector", "hybrid"):
        row = result[mode]
        if "skipped" in row:
            typer.echo(f"{mode:<8} skipped: {row['skipped']}")
            continue
        scores = " ".join(f"{row[name]:>8.3f}" for name in _METRICS)
        refused = f"{row['refused']:>8.3f}" if "refused" in row else f"{'-':>8}"
        typer.echo(
            f"{mode:<8} {scores} {row['n']:>5} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['floor']:>6.2f} {row['grounded']:>8.3f} {refused}"
        )


def _print_sweep(result: dict[str, Any]) -> None:
    typer.echo(f"{result['n']} questions")
    typer.echo(
        f"{'mode':<8} {'fusion':<7} {'alpha':>5} {'title':>5} "
        f"{'recall@1':>8} {'recall@5':>8} {'mrr@10':>8}"
    )
    for row in result["settings"]:
        alpha = "-" if row["alpha"] is None else f"{row['alpha']:.1f}"
        title = "-" if row["title_weight"] is None else f"{row['title_weight']:.1f}"
        scores = " ".join(f"{row[name]:>8.3f}" for name in _METRICS)
        typer.echo(f"{row['mode']:<8} {row['fusion'] or '-':<7} {alpha:>5} {title:>5} {scores}")
    best = result["best"]
    alpha = "" if best["alpha"] is None else f" alpha {best['alpha']}"
    if best["title_weight"]:
        alpha += f" title {best['title_weight']}"
    typer.echo(f"best: {best['fusion']}{alpha} (recall@5 {best['recall@5']:.3f})")
