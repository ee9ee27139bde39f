"""`supportflow bench ...`: measured performance, printed as text or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
