"""`supportflow bench ...`: measured performance, printed as text or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from supportflow.cli.common import JsonOpt, emit_json

bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


@bench_app.command("pipeline")
def pipeline(
    n: Annotated[int, typer.Option("--n", min=1, help="how many synthetic emails")] = 2000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    home: Annotated[Path | None, typer.Option(help="keep the run's data here")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Emails per second and p50/p95 latency per stage (no LLM, SMTP excluded)."""
    from supportflow.eval.bench import bench_pipeline

    result = bench_pipeline(n, workers=workers, home=home)
    if as_json:
        emit_json(result)
        return
    typer.echo(
        f"{result['processed']} emails in {result['wall_seconds']} s: "
        f"{result['emails_per_second']} emails/s"
    )
    latency = result["case_latency_ms"]
    typer.echo(f"case latency p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")
    for name, stage in result["stages"].items():
        typer.echo(f"  {name:<10} p50 {stage['p50_ms']:>8} ms   p95 {stage['p95_ms']:>8} ms")


@bench_app.command("kb")
def kb(
    chunks: Annotated[int, typer.Option(min=1, help="synthetic chunks in the index")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="timed searches per mode")] = 200,
    pdf_dir: Annotated[
        list[Path] | None, typer.Option(help="also time parsing the PDFs in DIR (repeatable)")
    ] = None,
    model: Annotated[
        Literal["minilm", "e5", "none"], typer.Option(help="embedding model (none: keyword only)")
    ] = "minilm",
    embed_all: Annotated[
        bool, typer.Option("--embed-all", help="embed every chunk (slow) instead of a sample")
    ] = False,
    embed_sample: Annotated[
        int, typer.Option(min=1, help="chunks embedded to measure the model")
    ] = 512,
    as_json: JsonOpt = False,
) -> None:
    """PDF pages/s, embedding chunks/s, indexing chunks/s and search p50/p95 per mode."""
    from supportflow.eval.kb_bench import bench_kb

    result = bench_kb(
        chunks,
        queries=queries,
        pdf_dirs=pdf_dir or (),
        model=model,
        embed_all=embed_all,
        embed_sample=embed_sample,
    )
    if as_json:
        emit_json(result)
        return
    for source, pdfs in result["pdf_parsing"].items():
        typer.echo(
            f"PDF parsing ({source}): {pdfs['pages']} pages, {pdfs['pages_per_second']} pages/s"
        )
    if "embedding" in result:
        typer.echo(
            f"embedding: {result['embedding']['chunks_per_second']} chunks/s "
            f"({result['embedding_model']})"
        )
    else:
        typer.echo(f"vector search unavailable: {result['vector_unavailable']}")
    for name, index in result["indexing"].items():
        typer.echo(f"indexing ({name}): {index['chunks_per_second']} chunks/s")
    typer.echo(
        f"search at {result['chunks']} chunks (keyword queries match "
        f"{result['keyword_match_share']:.0%} of them):"
    )
    for mode, figures in result["search"].items():
        typer.echo(f"  {mode:<8} p50 {figures['p50_ms']:>8} ms   p95 {figures['p95_ms']:>8} ms")


@bench_app.command("console")
def console(
    cases: Annotated[int, typer.Option(min=1, help="synthetic cases in the tenant")] = 10_000,
    requests: Annotated[int, typer.Option(min=1, help="timed requests per endpoint")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Server time (p50/p95) of the queue page, the cases API and the overview at scale."""
    from supportflow.eval.console_bench import bench_console

    result = bench_console(cases, requests=requests)
    if as_json:
        emit_json(result)
        return
    typer.echo(f"{result['cases']} cases, {result['requests']} requests per endpoint:")
    for path, figures in result["endpoints"].items():
        typer.echo(
            f"  GET {path:<26} p50 {figures['p50_ms']:>7} ms   p95 {figures['p95_ms']:>7} ms"
        )
    verdict = "under" if result["queue_p95_under_target"] else "OVER"
    typer.echo(f"queue p95 {verdict} the {result['target_ms']:.0f} ms target")


@bench_app.command("ingest")
def ingest(
    n: Annotated[int, typer.Option("--n", min=1, help="how many synthetic emails")] = 10_000,
    workers: Annotated[
        int, typer.Option(min=1, help="also time parsing split over this many processes")
    ] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Messages parsed, and accepted into cases, per second (no classification).

    Varied synthetic emails (plain, HTML-only, attachments, non-UTF-8
    charsets, quoted replies) are parsed in this process, then taken in
    one per transaction into a throwaway SQLite database: intake and the
    receive step (parse, customer, thread).

    JSON keys: n, kinds, mean_bytes, cpu_count, database, intake_steps;
    parse and intake, each with messages, seconds, messages_per_second,
    p50_ms, p95_ms (intake adds cases_created and duplicates);
    parse_by_kind with p50_ms and p95_ms for each kind;
    parse_parallel with workers, messages, seconds, messages_per_second
    (null with --workers 1).
    """
    from supportflow.eval.ingest_bench import bench_ingest

    result = bench_ingest(n, workers=workers)
    if as_json:
        emit_json(result)
        return
    kinds = ", ".join(f"{count} {kind}" for kind, count in result["kinds"].items())
    typer.echo(f"{result['n']} emails ({kinds}), {result['mean_bytes']} bytes on average")
    for name in ("parse", "intake"):
        figures = result[name]
        typer.echo(
            f"  {name:<7} {figures['messages_per_second']:>8} msg/s   "
            f"p50 {figures['p50_ms']:>7} ms   p95 {figures['p95_ms']:>7} ms"
        )
    parallel = result["parse_parallel"]
    if parallel is not None:
        typer.echo(
            f"  parse over {parallel['workers']} processes: {parallel['messages_per_second']} msg/s"
        )
