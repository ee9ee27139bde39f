"""The case views: the batched summaries say exactly what the one-case summary says."""

from __future__ import annotations

from sqlalchemy import select

from supportflow.cases.review import approve_case
from supportflow.cases.views import case_summaries, case_summary
from supportflow.store.models import Case
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_workflow import customer_email, ingest


def test_batched_summaries_match_single_ones_including_edited_drafts(demo_db, demo_deps) -> None:
    ids = ingest(demo_db, *(customer_email(i) for i in range(3)))
    ingest(demo_db, b"not an email at all")  # a case without a draft
    process_pending(demo_deps)
    with demo_db.session() as session:
        approve_case(session, case_id=ids[0], reviewer="r", edited_text="Edited reply.")
    with demo_db.session() as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        single = [case_summary(session, case) for case in cases]
    with demo_db.session() as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        batched = case_summaries(session, cases)
    assert batched == single
    assert batched[0]["draft"]["version"] == 2 and batched[0]["draft"]["text"] == "Edited reply."
    assert batched[-1]["draft"] is None
    with demo_db.session() as session:
        assert case_summaries(session, []) == []
