"""`supportflow bench ingest`: how fast inbound mail is parsed and accepted into cases.

`n` varied messages are built in memory from the demo tenant's labelled examples, one kind
after another: plain UTF-8 text, HTML-only, multipart with a PDF and an inline image,
non-UTF-8 charsets (iso-8859-1 quoted-printable, windows-1252 8-bit, koi8-r and Shift_JIS
base64, with RFC 2047 subjects), and replies with In-Reply-To, References, quoted history
and a signature. Two things are timed, per message:

- parse: `parse_email` alone, in this process (and, with `workers` > 1, the throughput of
  the same messages split across that many processes);
- intake: what happens to a message before classification, each in its own transaction on
  a throwaway SQLite file: `accept_raw_email` (parse for the Message-ID, dedupe, store the
  bytes, open the case) and then the receive step (`receive_email`: parse again, store the
  normalised fields, find or create the customer and the conversation).
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from supportflow.cases.intake import accept_raw_email
from supportflow.config import Settings
from supportflow.demo.setup import demo_tenant_dir
from supportflow.eval.bench import FIRST_NAMES, LAST_NAMES, percentile
from supportflow.mail.parsing import parse_email
from supportflow.pipeline.receive import receive_email
from supportflow.store.base import utcnow
from supportflow.store.models import Case
from supportflow.tenants import load_resources, register_tenant
from supportflow.workspace import open_workspace

SUPPORT = "support@brightwave.example"
KINDS = ("plain", "html_only", "attachments", "non_utf8", "reply")
# (charset, transfer encoding, words the sender adds in that charset's script)
_CHARSETS = (
    ("iso-8859-1", "quoted-printable", "Grüße aus München, merci beaucoup, café crème"),
    ("windows-1252", "8bit", "Danke schön – “quickly” please, naïve question"),
    ("koi8-r", "base64", "Здравствуйте, робот не заряжается"),
    ("shift_jis", "base64", "ロボットが充電しません。よろしくお願いします。"),
)
_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
_PDF = b"%PDF-1.4\n" + bytes(range(256)) * 80 + b"\n%%EOF\n"  # about 20 kB, binary
_SUPPORT_REPLY = (
    "Hello,\n\nThank you for writing to us. Error E-104 means the drive wheel is blocked:\n"
    "turn the robot over and remove the hair around the axle.\n\nKind regards,\n"
    "Brightwave Support"
)


def synthetic_inbound(n: int, *, seed: int = 7) -> list[tuple[str, bytes]]:
    """`n` distinct (kind, raw bytes) messages, the kinds in turn (see `KINDS`)."""
    texts = _example_texts()
    rng = random.Random(seed)
    builders: dict[str, Callable[[EmailMessage, str, random.Random], None]] = {
        "plain": _plain,
        "html_only": _html_only,
        "attachments": _with_attachments,
        "non_utf8": _non_utf8,
        "reply": _reply,
    }
    emails = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        message = _envelope(i, rng)
        builders[kind](message, _body(i, rng, texts), rng)
        emails.append((kind, message.as_bytes()))
    return emails


def _example_texts() -> list[str]:
    with (demo_tenant_dir() / "examples.csv").open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def _envelope(i: int, rng: random.Random) -> EmailMessage:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    message = EmailMessage()
    message["From"] = f"{first} {last} <{first.lower()}.{last.lower()}{i % 997}@example.com>"
    message["To"] = SUPPORT
    message["Subject"] = f"Question about order BW-{100000 + i}"
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(idstring=f"ingest{i}", domain="example.com")
    return message


def _body(i: int, rng: random.Random, texts: Sequence[str]) -> str:
    return f"Hello,\n\n{rng.choice(texts)}\nMy order is BW-{100000 + i}.\n\nThanks\n"


def _plain(message: EmailMessage, body: str, rng: random.Random) -> None:
    message.set_content(body)


def _html_only(message: EmailMessage, body: str, rng: random.Random) -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n") if line)
    message.set_content(
        f"<html><head><style>p{{margin:0}}</style></head><body><div>{paragraphs}</div>"
        f"<div class=sig><b>Sent from my phone</b></div></body></html>",
        subtype="html",
    )


def _with_attachments(message: EmailMessage, body: str, rng: random.Random) -> None:
    message.set_content(body)
    message.add_alternative(f"<html><body><pre>{body}</pre></body></html>", subtype="html")
    message.add_attachment(_PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(
        _PNG, maintype="image", subtype="png", filename="photo.png", disposition="inline"
    )


def _non_utf8(message: EmailMessage, body: str, rng: random.Random) -> None:
    charset, encoding, words = rng.choice(_CHARSETS)
    del message["Subject"]
    message["Subject"] = f"{words.split(',')[0]}: {body.split()[1]}"  # RFC 2047 encoded
    message.set_content(f"{body}\n{words}\n", charset=charset, cte=encoding)


def _reply(message: EmailMessage, body: str, rng: random.Random) -> None:
    earlier = [make_msgid(domain="brightwave.example") for _ in range(rng.randint(1, 3))]
    message["In-Reply-To"] = earlier[-1]
    message["References"] = " ".join(earlier)
    subject = str(message["Subject"])
    del message["Subject"]
    message["Subject"] = f"Re: {subject}"
    quoted = "\n".join(f"> {line}".rstrip() for line in _SUPPORT_REPLY.split("\n"))
    message.set_content(
        f"{body}-- \nSent from my phone\n\n"
        f"On Mon, 3 Mar 2025 at 10:02, Brightwave Support <{SUPPORT}> wrote:\n{quoted}\n"
    )


def bench_ingest(n: int, *, workers: int = 1, seed: int = 7) -> dict[str, Any]:
    """Build `n` messages and time parsing and intake; the figures as a JSON-ready dict."""
    messages = synthetic_inbound(n, seed=seed)
    raws = [raw for _, raw in messages]
    parse_ms = _time_each(raws, _parse)
    result: dict[str, Any] = {
        "n": n,
        "kinds": dict(Counter(kind for kind, _ in messages)),
        "mean_bytes": round(sum(map(len, raws)) / n),
        "cpu_count": os.cpu_count(),
        "parse": _figures(parse_ms),
        "parse_by_kind": _latency_by_kind([kind for kind, _ in messages], parse_ms),
        "parse_parallel": _parse_in_processes(raws, workers) if workers > 1 else None,
    }
    with tempfile.TemporaryDirectory(prefix="supportflow-ingest-bench-") as scratch:
        result["intake"] = _intake(raws, Settings(home=Path(scratch), database_url=None))
    result["database"] = "sqlite"
    result["intake_steps"] = "accept_raw_email + receive_email (no screening, no classification)"
    return result


def _parse(raw: bytes) -> None:
    parse_email(raw)


def _time_each(raws: Sequence[bytes], work: Callable[[bytes], object]) -> list[float]:
    """Milliseconds `work` took on each message, one after another."""
    durations = []
    for raw in raws:
        started = time.perf_counter()
        work(raw)
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def _figures(durations_ms: list[float]) -> dict[str, float]:
    seconds = sum(durations_ms) / 1000
    return {
        "messages": len(durations_ms),
        "seconds": round(seconds, 3),
        "messages_per_second": round(len(durations_ms) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(durations_ms, 50), 3),
        "p95_ms": round(percentile(durations_ms, 95), 3),
    }


def _latency_by_kind(kinds: Sequence[str], durations_ms: Sequence[float]) -> dict[str, Any]:
    """p50/p95 of each kind of message, to show which kind costs the time."""
    grouped: dict[str, list[float]] = {}
    for kind, ms in zip(kinds, durations_ms, strict=True):
        grouped.setdefault(kind, []).append(ms)
    return {
        kind: {"p50_ms": round(percentile(ms, 50), 3), "p95_ms": round(percentile(ms, 95), 3)}
        for kind, ms in grouped.items()
    }


def _parse_chunk(raws: list[bytes]) -> int:
    for raw in raws:
        parse_email(raw)
    return len(raws)


def _parse_in_processes(raws: list[bytes], workers: int) -> dict[str, Any]:
    """Throughput of parsing `raws` split over `workers` processes (pool start not timed)."""
    chunks = [raws[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_parse_chunk, [raws[:1]] * workers))  # start and warm every worker
        started = time.perf_counter()
        parsed = sum(pool.map(_parse_chunk, chunks))
        seconds = time.perf_counter() - started
    return {
        "workers": workers,
        "messages": parsed,
        "seconds": round(seconds, 3),
        "messages_per_second": round(parsed / seconds, 1) if seconds else 0.0,
    }


def _intake(raws: Sequence[bytes], settings: Settings) -> dict[str, Any]:
    db = open_workspace(settings)
    try:
        with db.session() as session:
            tenant = register_tenant(session, settings=settings, source=demo_tenant_dir())
            resources = load_resources(tenant)
        outcomes: Counter[str] = Counter()

        def accept(raw: bytes) -> None:
            with db.session() as session:
                result = accept_raw_email(session, tenant=tenant, raw=raw, origin="bench")
                outcomes[result.outcome] += 1
                if result.case_id is not None:
                    case = session.get_one(Case, result.case_id)
                    receive_email(session, case, resources)

        figures: dict[str, Any] = _figures(_time_each(raws, accept))
    finally:
        db.dispose()
    figures["cases_created"] = outcomes["created"]
    figures["duplicates"] = outcomes["duplicate"]
    return figures
