"""supportflow's command line (Typer). Human output by default, JSON with --json.

Errors we raise on purpose print as one line on stderr with a non-zero exit; never a
traceback.
"""

from __future__ import annotations

import sys

import typer

from supportflow.cli import kb, mail, mail_poll, review, setup, train, work
from supportflow.cli.bench import bench_app
from supportflow.cli.eval import eval_app
from supportflow.cli.llm import llm_app
from supportflow.cli.users import users_app
from supportflow.errors import SupportflowError

app = typer.Typer(
    name="supportflow",
    help="Answer customer-support email with a human in the loop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(setup.init)
app.command("demo")(setup.demo)
app.add_typer(kb.kb_app, name="kb")
app.command("ingest")(mail.ingest)
app.command("poll")(mail_poll.poll)
app.command("process")(work.process)
app.command("send")(work.send)
app.command("serve")(work.serve)
app.add_typer(review.review_app, name="review")
app.command("train")(train.train)
app.add_typer(train.models_app, name="models")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="user")
app.add_typer(llm_app, name="llm")


def main() -> None:
    """Entry point: run the app, turning our errors into one-line messages."""
    try:
        app(standalone_mode=False)
    except SupportflowError as exc:
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
