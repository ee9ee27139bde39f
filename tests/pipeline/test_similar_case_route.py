"""The similar-case cache in the running pipeline: a reviewer's correction routes the next
similar message, through the CLI and the real store, with the real embedding model."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from supportflow.knowledge.embeddings import try_load_embedder
from supportflow.store.models import Case, CaseVector, Classification, ReviewedLabel
from supportflow.workers.embedded import process_pending
from tests.cli.test_cli import run_json
from tests.pipeline.test_workflow import ingest

pytestmark = pytest.mark.skipif(
    try_load_embedder("minilm")[0] is None, reason="the MiniLM embedding model is not installed"
)

# No rule matches this; it reads like a technical question.
QUESTION = (
    "Since the last update my robot keeps circling in the hallway for ten minutes "
    "before it starts cleaning the living room. Is that normal?"
)


def email(i: int, name: str, body: str = QUESTION) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{name.lower()}{i}@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = "Robot circling in the hallway"
    message["Message-ID"] = f"<similar{i}@example.com>"
    message.set_content(f"Hello,\n\n{body}\n\nBest regards,\n{name}\n")
    return message.as_bytes()


def route_of(db, case_id: int) -> tuple[str | None, str | None]:
    with db.session() as session:
        case = session.get_one(Case, case_id)
        return case.category, case.route


def test_a_correction_routes_the_next_similar_message_through_the_cache(demo_db, demo_deps):
    [first] = ingest(demo_db, email(1, "Ana"))
    process_pending(demo_deps)
    predicted, route = route_of(demo_db, first)
    assert route != "cache"  # nothing reviewed yet
    correction = "warranty" if predicted != "warranty" else "product_info"

    labelled = run_json("review", "label", str(first), correction, "--reviewer", "lead")
    assert labelled == {
        "case": first, "label": correction, "predicted": predicted, "corrected": True
    }  # fmt: skip

    [second] = ingest(demo_db, email(2, "Bob"))
    process_pending(demo_deps)
    assert route_of(demo_db, second) == (correction, "cache")
    detail = run_json("review", "show", str(second))
    stages = detail["classification"]["stages"]
    assert [s["stage"] for s in stages[:2]] == ["rules", "cache"]
    assert f"nearest reviewed case {first}" in stages[1]["reason"]
    assert run_json("review", "show", str(first))["reviewed_label"] == {
        "label": correction, "predicted": predicted, "corrected": True, "reviewer": "lead"
    }  # fmt: skip


def test_an_unrelated_message_is_not_routed_by_the_cache(demo_db, demo_deps):
    [first] = ingest(demo_db, email(1, "Ana"))
    process_pending(demo_deps)
    run_json("review", "label", str(first), "warranty")
    other = "Could you send me a VAT invoice for my order BW-100234? Our company needs it."
    [second] = ingest(demo_db, email(2, "Bob", other))
    process_pending(demo_deps)

    assert route_of(demo_db, second)[1] != "cache"


def test_approval_confirms_the_label_and_every_classified_case_keeps_its_vector(demo_db, demo_deps):
    [first, second] = ingest(demo_db, email(1, "Ana"), email(2, "Bob", "I was charged twice"))
    process_pending(demo_deps)
    status = run_json("review", "show", str(second))["status"]
    assert status == "awaiting_review"
    approved = run_json("review", "approve", str(second))
    with demo_db.session() as session:
        reviewed = session.scalars(select(ReviewedLabel)).all()
        assert [(r.case_id, r.label, r.corrected) for r in reviewed] == [
            (second, approved["category"], False)
        ]
        vectors = session.scalars(select(CaseVector)).all()
        assert sorted(v.case_id for v in vectors) == [first, second]
        assert {len(v.vector) for v in vectors} == {384 * 4}
        assert session.scalars(select(Classification)).first() is not None


def test_a_label_that_is_not_a_category_is_refused(demo_db, demo_deps):
    [first] = ingest(demo_db, email(1, "Ana"))
    process_pending(demo_deps)
    from typer.testing import CliRunner

    from supportflow.cli import app

    result = CliRunner().invoke(app, ["review", "label", str(first), "poetry"])
    assert result.exit_code != 0
    assert "'poetry' is not a category" in str(result.exception)


def test_a_shadow_model_is_scored_beside_the_live_one_and_never_routes(demo_db, demo_deps):
    run_json("train", "--shadow")
    [first] = ingest(demo_db, email(1, "Ana"))
    process_pending(demo_deps)

    stages = run_json("review", "show", str(first))["classification"]["stages"]
    shadow = [s for s in stages if s["stage"] == "shadow"]
    assert len(shadow) == 1 and shadow[0]["reason"].startswith("shadow model predicted")
    assert route_of(demo_db, first)[1] in {"model", "none"}
    listed = run_json("models", "list")
    assert listed[1]["status"] == "shadow" and listed[1]["shadow"]["n_cases"] == 1
