"""What every command shares: settings, the workspace, tenant choice and output."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from supportflow.config import Settings, get_settings
from supportflow.store.db import Database
from supportflow.workspace import open_workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]
TenantOpt = Annotated[
    str | None, typer.Option("--tenant", help="tenant slug (default: the only tenant)")
]


def workspace() -> tuple[Settings, Database]:
    settings = get_settings()
    return settings, open_workspace(settings)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
