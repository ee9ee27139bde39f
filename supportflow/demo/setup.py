"""Setting up and running the demo: the Brightwave tenant, its knowledge base and inbox.

`run_demo` is what `make demo` ends in: register the tenant, train its classifier, write
and add the knowledge base (generating the PDF manuals), ingest the inbox and process every
message, so the web page shows drafts waiting for review; and create the demo's admin login.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from supportflow.accounts.passwords import generate_password
from supportflow.accounts.users import create_user, find_user
from supportflow.cases.intake import IntakeResult, ingest_path
from supportflow.cases.views import status_counts
from supportflow.config import Settings
from supportflow.knowledge.capabilities import detect_capabilities
from supportflow.knowledge.embeddings import Embedder
from supportflow.knowledge.library import DocumentSpec, add_documents
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenant_settings import set_llm
from supportflow.workers.embedded import build_deps, process_pending
from supportflow.workspace import init_tenant

DEMO_LOGIN_EMAIL = "demo@brightwave.example"


def demo_tenant_dir() -> Path:
    """The demo tenant folder shipped inside the package."""
    return Path(str(resources.files("supportflow.demo") / "tenant"))


@dataclass
class DemoLogin:
    """The demo's admin login; `password` only on the run that created it."""

    email: str
    password: str | None

    def describe(self) -> list[str]:
        if self.password is None:
            return [
                f"Sign in as {self.email} (password unchanged; reset with "
                f"`supportflow user password {self.email}`)"
            ]
        return [f"Sign in as {self.email} with password {self.password} (shown once)"]


@dataclass
class DemoSummary:
    home: Path
    documents: Counter[str] = field(default_factory=Counter)
    document_errors: list[str] = field(default_factory=list)
    intake: Counter[str] = field(default_factory=Counter)
    intake_errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    search_note: str | None = None  # why search is keyword-only, if it is
    login: DemoLogin | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "documents": dict(self.documents),
            "document_errors": self.document_errors,
            "intake": dict(self.intake),
            "intake_errors": self.intake_errors,
            "cases": dict(self.outcomes),
            "search": "keyword only: " + self.search_note if self.search_note else "hybrid",
            "login": asdict(self.login) if self.login else None,
        }

    def describe(self, *, host: str, port: int, smtp: str) -> str:
        cases = ", ".join(f"{n} {s}" for s, n in sorted(self.outcomes.items()))
        lines = [
            f"Demo data in {self.home}",
            f"Knowledge base: {sum(self.documents.values())} documents "
            f"({', '.join(f'{n} {s}' for s, n in sorted(self.documents.items()))})",
            f"Search: {f'keyword only ({self.search_note})' if self.search_note else 'hybrid'}",
            f"Inbox: {', '.join(f'{n} {s}' for s, n in sorted(self.intake.items()))}",
            *(f"  ingest error: {e}" for e in self.intake_errors),
            f"Cases: {cases}",
            "",
            "Review from the command line:",
            "  .venv/bin/supportflow review list            # drafts awaiting review",
            "  .venv/bin/supportflow review show ID         # message, route, sources, draft",
            "  .venv/bin/supportflow review approve ID      # approve as drafted",
            "  .venv/bin/supportflow review edit ID --file reply.txt   # approve an edited reply",
            "  .venv/bin/supportflow review reject ID --reason '...'",
            f"Approved replies are sent through SMTP at {smtp}; to watch them arrive, run",
            f"  .venv/bin/python -m aiosmtpd -n -l {smtp}",
            f"Review console: http://{host}:{port}/",
            *(self.login.describe() if self.login else []),
        ]
        return "\n".join(lines)


def add_demo_knowledge(
    db: Database,
    tenant: Tenant,
    folder: Path,
    summary: DemoSummary,
    embedder: Embedder | None = None,
) -> None:
    """Write the demo knowledge base to `folder` and add every document it lists."""
    from supportflow.demo.inbox import write_demo_kb

    write_demo_kb(folder)
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    specs = [
        DocumentSpec(folder / item["file"], item.get("title"), tuple(item.get("tags", [])))
        for item in manifest
    ]
    report = add_documents(db, tenant_id=tenant.id, specs=specs, embedder=embedder, actor="demo")
    for change in report.changes:
        summary.documents[change.status] += 1
        if change.error:
            summary.document_errors.append(change.error)


def ingest_demo_inbox(
    db: Database, tenant: Tenant, folder: Path, summary: DemoSummary, *, limit: int | None = None
) -> None:
    """Write the demo inbox to `folder` and ingest it (only its first `limit` emails by file
    name, when given)."""
    from supportflow.demo.inbox import write_demo_inbox

    write_demo_inbox(folder)
    paths = [folder] if limit is None else sorted(folder.glob("*.eml"))[:limit]
    results = [result for path in paths for result in ingest_path(db, tenant=tenant, path=path)]
    for result in results:
        if isinstance(result, IntakeResult):
            summary.intake[result.outcome] += 1
        else:
            summary.intake["error"] += 1
            summary.intake_errors.append(f"{result.origin}: {result.reason}")


# `supportflow demo --llm local`: drafts by the local Qwen2.5-Coder 1.5B (see llm/local.py).
LOCAL_DEMO_LLM: dict[str, Any] = {
    "provider": "local",
    "models": {"draft": "qwen2.5-coder-1.5b"},
    "timeout_seconds": 60,
}


def run_demo(
    db: Database, settings: Settings, *, llm: dict[str, Any] | None = None, process: bool = True
) -> DemoSummary:
    """Set up the demo tenant in the data folder and process its inbox; with `llm` (a
    tenant `llm` section) its LLM drafts the replies. `process=False` leaves the cases
    queued for a worker (the server's, which drafts them while the console is in use)."""
    tenant, _ = init_tenant(db, settings, demo_tenant_dir())
    if llm is not None:
        set_llm(Path(tenant.config_dir), llm)
    summary = DemoSummary(home=settings.home.resolve())
    capabilities = detect_capabilities(db, settings.embedding_model)
    summary.search_note = capabilities.keyword_only_reason
    add_demo_knowledge(db, tenant, settings.home / "demo" / "kb", summary, capabilities.embedder)
    ingest_demo_inbox(db, tenant, settings.home / "demo" / "inbox", summary)
    if process:
        process_pending(build_deps(db, settings))
    with db.session() as session:
        summary.outcomes.update(status_counts(session, tenant_id=tenant.id))
    summary.login = ensure_demo_login(db, tenant)
    return summary


def ensure_demo_login(db: Database, tenant: Tenant) -> DemoLogin:
    """The demo's admin login: created with a generated password on the first run; later
    runs leave it (and whatever password it has now) alone."""
    with db.session() as session:
        if find_user(session, DEMO_LOGIN_EMAIL) is not None:
            return DemoLogin(email=DEMO_LOGIN_EMAIL, password=None)
        password = generate_password()
        create_user(
            session, tenant_id=tenant.id, email=DEMO_LOGIN_EMAIL, role="admin", password=password
        )
    return DemoLogin(email=DEMO_LOGIN_EMAIL, password=password)
