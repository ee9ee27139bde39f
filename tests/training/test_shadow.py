"""A shadow model's record on real cases: agreement with the live label, and accuracy on the
cases a reviewer labelled."""

from __future__ import annotations

from datetime import timedelta

from supportflow.store.base import utcnow
from supportflow.store.models import Classification, ModelVersion, ReviewedLabel
from supportflow.training.shadow import shadow_report
from tests.pipeline.test_workflow import customer_email, ingest


def classified(session, case_id: int, live: str, shadow: str | None, when) -> None:
    stages = [{"stage": "model", "label": live, "confidence": 0.9, "reason": "model"}]
    if shadow is not None:
        stages.append({"stage": "shadow", "label": shadow, "confidence": 0.8, "reason": "v2"})
    session.add(
        Classification(
            case_id=case_id,
            label=live,
            confidence=0.9,
            route="model",
            priority="normal",
            reason="test",
            stages=stages,
            created_at=when,
        )
    )


def test_shadow_agreement_and_accuracy_on_reviewed_cases(demo_db, tenant) -> None:
    ids = ingest(demo_db, *(customer_email(i) for i in range(5)))
    now = utcnow()
    with demo_db.session() as session:
        row = ModelVersion(
            tenant_id=tenant.id,
            version=2,
            status="shadow",
            path="models/v2.joblib",
            features="f",
            metrics={},
            reason="shadow",
            promoted_at=now - timedelta(minutes=1),
        )
        session.add(row)
        classified(session, ids[0], "billing", "billing", now - timedelta(hours=1))  # before
        classified(session, ids[1], "billing", "billing", now)
        classified(session, ids[2], "billing", "warranty", now)
        classified(session, ids[3], "order_status", "order_status", now)
        classified(session, ids[4], "billing", None, now)  # not scored by the shadow
        for case_id, label in ((ids[2], "warranty"), (ids[3], "returns_refunds")):
            session.add(
                ReviewedLabel(
                    case_id=case_id, tenant_id=tenant.id, label=label, reviewer="r", text="t"
                )
            )
        session.flush()
        report = shadow_report(session, row)
    assert report == {
        "n_cases": 3,
        "agreement": round(2 / 3, 4),
        "n_reviewed": 2,
        "live_accuracy": 0.0,
        "shadow_accuracy": 0.5,
    }
