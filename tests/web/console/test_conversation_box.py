"""The case page shows the conversation's memory: summary and the customer's earlier cases."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from supportflow.workers.embedded import process_pending
from tests.pipeline.test_workflow import ingest
from tests.web.conftest import log_in


def from_ana(n: int, subject: str, body: str, reply_to: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Keller <ana@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<conv{n}@example.com>"
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(f"Hello,\n\n{body}\n\nAna\n")
    return message.as_bytes()


@pytest.fixture
def follow_up(demo_db, demo_deps) -> tuple[int, int]:
    """Ana's first request and her threaded follow-up, both processed."""
    [first] = ingest(demo_db, from_ana(1, "Where is my order?", "Order BW-100234 is late."))
    process_pending(demo_deps)
    reply = from_ana(2, "Re: Where is my order?", "Any news?", "<conv1@example.com>")
    [second] = ingest(demo_db, reply)
    process_pending(demo_deps)
    return first, second


@pytest.mark.anyio
async def test_a_follow_up_shows_the_summary_and_the_earlier_case(api, accounts, follow_up) -> None:
    _, second = follow_up
    async with api() as client:
        await log_in(client, accounts["viewer"])
        page = await client.get(f"/cases/{second}")

    assert page.status_code == 200
    box = page.text[page.text.index('id="conversation"') :]
    box = box[: box.index("</div>")]
    assert "BW-100234" in box  # the summary keeps the first request's order id
    assert "Earlier cases of this customer" in box and "Where is my order?" in box
