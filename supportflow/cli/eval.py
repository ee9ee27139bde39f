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
DEMO_EXTRACT_GOLD = "extract_gold.jsonl"  # emails under inbox/ and extract_eval/
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


@eval_app.command("classify")
def classify(
    train: Annotated[
        Path, typer.Option(help="labelled examples to train on: CSV or JSONL, text + label")
    ],
    test: Annotated[Path, typer.Option(help="labelled examples to measure on, same format")],
    hold_out_labels: Annotated[
        int,
        typer.Option(
            "--hold-out-labels",
            min=0,
            help="remove N randomly chosen labels from training and count their test rows "
            "as out-of-scope (their right answer is `unknown`): measures out-of-scope recall",
        ),
    ] = 0,
    out_of_scope: Annotated[
        list[Path] | None,
        typer.Option(
            "--oos",
            help="requests from outside the label set, added to --test as out-of-scope: "
            "JSONL with `text` or `utterance` (e.g. DSTC11 NatCS utterances) or CSV with "
            "`text` (repeatable)",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the held-out labels and the model")] = 0,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="with out-of-scope test rows: below this confidence a prediction counts as "
            "`unknown` (default: the cascade's classify_min_confidence)",
        ),
    ] = None,
    model: Annotated[
        Literal["minilm", "none"],
        typer.Option(help="embedding model beside TF-IDF (none: TF-IDF only)"),
    ] = "minilm",
    latency_sample: Annotated[
        int, typer.Option(min=1, help="test texts timed one at a time for p50/p95")
    ] = 300,
    as_json: JsonOpt = False,
) -> None:
    """Train the tenant classifier on --train and measure it on --test.

    Accuracy, macro-F1, per-label precision/recall/support, the coverage-accuracy curve,
    single-ticket latency (embedding included) and batch throughput.

    Rows labelled `oos` or `unknown` are out-of-scope (no category).
    In training they teach an `unknown` label; in testing their right answer is `unknown`.
    The report then adds `in_scope_accuracy` and `oos_recall`.
    """
    from supportflow.eval.classify import (
        ClassifyOptions,
        evaluate_classifier,
        read_labelled,
        read_out_of_scope,
    )

    options = ClassifyOptions(
        hold_out_labels=hold_out_labels,
        seed=seed,
        min_confidence=min_confidence,
        embedding_model=None if model == "none" else model,
        latency_sample=latency_sample,
    )
    extra = [row for path in out_of_scope or [] for row in read_out_of_scope(path)]
    report = evaluate_classifier(read_labelled(train), read_labelled(test) + extra, options)
    report["meta"] = {
        "train": str(train),
        "test": str(test),
        "oos": [str(path) for path in out_of_scope or []],
    }
    if as_json:
        emit_json(report)
    else:
        _print_classification(report)


@eval_app.command("extract")
def extract(
    gold: Annotated[
        Path | None,
        typer.Option(help="JSONL: per line the .eml (relative to this file) and its gold fields"),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="the demo's hand-labelled emails and its tenant")
    ] = False,
    tenant_dir: Annotated[
        Path | None,
        typer.Option(
            "--tenant-dir",
            help="tenant folder whose extraction patterns and products are used "
            "(default: none without --demo, the demo tenant with it)",
            file_okay=False,
        ),
    ] = None,
    region: Annotated[
        str, typer.Option(help="region of phone numbers written without a country code")
    ] = "US",
    as_json: JsonOpt = False,
) -> None:
    """Precision, recall and F1 of field extraction per field and in total (micro).

    Each email is parsed and extracted as the pipeline does it; values are compared with
    case and whitespace ignored, phone numbers as E.164.
    """
    from supportflow.config import load_tenant_config
    from supportflow.eval.extract import ExtractionSetup, evaluate_extraction, read_gold

    if demo == (gold is not None):
        raise InputError("give --gold FILE or --demo")
    demo_folder = Path(str(resources.files("supportflow.demo")))
    gold_file = gold or demo_folder / DEMO_EXTRACT_GOLD
    folder = tenant_dir or (demo_folder / "tenant" if demo else None)
    setup = ExtractionSetup(region=region)
    if folder is not None:
        config = load_tenant_config(folder)
        setup = ExtractionSetup(
            patterns=config.extraction,
            products=config.products,
            limits=config.limits,
            region=region,
        )
    report = evaluate_extraction(read_gold(gold_file), setup)
    report["meta"] = {
        "gold": "demo" if demo else str(gold_file),
        "tenant": "demo" if demo and tenant_dir is None else str(folder) if folder else None,
    }
    if as_json:
        emit_json(report)
    else:
        _print_extraction(report)


def _print_extraction(report: dict[str, Any]) -> None:
    typer.echo(f"{report['n']} emails")
    typer.echo(f"{'field':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}")
    rows = [*report["fields"].items(), ("micro", report["micro"])]
    for name, row in rows:
        scores = " ".join(
            f"{'-' if row[key] is None else format(row[key], '.3f'):>{width}}"
            for key, width in (("precision", 9), ("recall", 7), ("f1", 6))
        )
        typer.echo(f"{name:<20} {scores} {row['support']:>7}")


def _print_classification(report: dict[str, Any]) -> None:
    typer.echo(
        f"{report['n_train']} training and {report['n_test']} test examples; "
        f"{report['model']['features']}; trained in {report['train_seconds']:.1f} s"
    )
    typer.echo(f"accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f}")
    if "oos_recall" in report:
        typer.echo(
            f"in-scope accuracy {report['in_scope_accuracy']:.4f}  "
            f"out-of-scope recall {report['oos_recall']:.4f} ({report['n_oos']} rows, "
            f"unknown below {report['min_confidence']:.2f})"
        )
    typer.echo(
        f"latency p50 {report['p50_ms']:.1f} ms  p95 {report['p95_ms']:.1f} ms; "
        f"batches {report['batch_per_second']:.0f}/s"
    )
    typer.echo(f"routed at >= 97% accuracy: {report['coverage_at_97']:.1%}")
    typer.echo(f"{'threshold':>9} {'coverage':>8} {'accuracy':>8}")
    for point in report["coverage_curve"]:
        accuracy = "-" if point["accuracy"] is None else f"{point['accuracy']:.4f}"
        typer.echo(f"{point['threshold']:>9.2f} {point['coverage']:>8.4f} {accuracy:>8}")


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


@eval_app.command("draft")
def draft(
    llm_base_url: Annotated[
        str | None, typer.Option(help="an OpenAI-compatible endpoint to draft with (…/v1)")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(help="the drafting model; repeat for a fallback chain"),
    ] = None,
    local: Annotated[
        str | None,
        typer.Option(help="draft with a local GGUF model instead, e.g. qwen2.5-coder-1.5b"),
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="environment variable holding the endpoint's key")
    ] = None,
    json_mode: Annotated[
        Literal["json_schema", "json_object"],
        typer.Option(help="how the endpoint is asked for JSON"),
    ] = "json_schema",
    limit: Annotated[
        int | None, typer.Option(min=1, help="only the demo inbox's first N emails")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Grounding, citation precision, fallbacks, tokens, cost and latency of the demo's
    drafts: template drafting, and an LLM too when one is given."""
    from supportflow.eval.drafting import evaluate_drafting

    llm = _drafting_llm(llm_base_url, model or [], local, api_key_env, json_mode)
    report = {
        "template": evaluate_drafting(None, limit=limit),
        "llm": evaluate_drafting(llm, limit=limit) if llm is not None else None,
    }
    if as_json:
        emit_json(report)
    else:
        _print_drafting(report)


def _drafting_llm(
    base_url: str | None,
    models: list[str],
    local: str | None,
    api_key_env: str | None,
    json_mode: str,
) -> dict[str, Any] | None:
    if local is not None:
        if base_url is not None:
            raise InputError("give --llm-base-url or --local, not both")
        return {"provider": "local", "models": {"draft": local}}
    if base_url is None:
        if models:
            raise InputError("--model needs --llm-base-url")
        return None
    if not models:
        raise InputError("--llm-base-url needs at least one --model")
    llm: dict[str, Any] = {"base_url": base_url, "models": {"draft": models}}
    llm["json_mode"] = json_mode
    if api_key_env is not None:
        llm["api_key_env"] = api_key_env
    return llm


def _print_drafting(report: dict[str, Any]) -> None:
    typer.echo(
        f"{'mode':<10} {'drafts':>6} {'grounded':>8} {'cite prec':>9} {'fell back':>9} "
        f"{'tok/case':>8} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for mode, run in report.items():
        if run is None:
            continue
        latency = run["time_to_draft_ms"]
        typer.echo(
            f"{mode:<10} {run['drafted']:>6} {run['fully_grounded']:>8.3f} "
            f"{run['citation_precision']:>9.3f} {run['fell_back']:>9.3f} "
            f"{run['tokens_per_case']:>8.1f} {latency['p50']:>8.0f} {latency['p95']:>8.0f}"
        )
        for reason, count in run["fallback_reasons"].items():
            typer.echo(f"  fell back ({reason}): {count}")
