"""Training runs of the demo tenant's classifier: promotion only when the candidate is at
least as accurate on the held-out rows, refusal otherwise, --force, --shadow, reviewed labels
as training rows, and workers picking up a promotion."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from supportflow.store.models import AuditEntry, ModelVersion, ReviewedLabel
from supportflow.tenants import MODEL_FILE, SHADOW_FILE, ResourceCache
from supportflow.training.imports import import_examples
from supportflow.training.job import TrainOptions, train_tenant
from supportflow.training.versions import get_version, make_live
from tests.pipeline.test_workflow import customer_email, ingest


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def statuses(db) -> dict[int, str]:
    with db.session() as session:
        return {row.version: row.status for row in session.scalars(select(ModelVersion))}


def test_init_made_version_one_live(demo_db, tenant) -> None:
    folder = Path(tenant.config_dir)
    assert statuses(demo_db) == {1: "live"}
    assert digest(folder / MODEL_FILE) == digest(folder / "models" / "v1.joblib")
    assert (folder / "models" / "v1.holdout.joblib").exists()
    with demo_db.session() as session:
        row = get_version(session, tenant.id, 1)
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.case_id.is_(None)))
        )
    assert row.metrics["candidate"]["n_holdout"] > 20
    assert row.promoted_at is not None
    assert {"model_train", "model_promote"} <= set(actions)


def test_retraining_on_the_same_rows_ties_and_is_promoted(demo_db, tenant) -> None:
    model = Path(tenant.config_dir) / MODEL_FILE
    before = model.stat().st_ino
    report = train_tenant(demo_db, tenant=tenant)
    assert report.status == "live" and report.promoted
    assert report.candidate is not None and report.live is not None
    assert report.candidate.accuracy == report.live.accuracy
    assert report.live.version == 1
    assert model.stat().st_ino != before  # replaced, not rewritten in place
    assert statuses(demo_db) == {1: "retired", 2: "live"}


def test_a_poisoned_import_is_refused_and_the_live_model_kept(
    demo_db, tenant, wrong_examples
) -> None:
    model = Path(tenant.config_dir) / MODEL_FILE
    before = digest(model)
    with demo_db.session() as session:
        import_examples(session, tenant_id=tenant.id, path=wrong_examples)
    report = train_tenant(demo_db, tenant=tenant)
    assert report.status == "refused" and not report.promoted
    assert report.candidate.accuracy < report.live.accuracy
    assert f"{report.candidate.accuracy:.4f}" in report.reason
    assert f"{report.live.accuracy:.4f}" in report.reason
    assert report.sources["imported"] == len(wrong_examples.read_text().splitlines()) - 1
    assert digest(model) == before
    assert (Path(tenant.config_dir) / "models" / "v2.joblib").exists()
    assert statuses(demo_db) == {1: "live", 2: "refused"}

    forced = train_tenant(demo_db, tenant=tenant, options=TrainOptions(force=True))
    assert forced.status == "live" and forced.reason.startswith("forced: ")
    assert digest(model) == digest(Path(tenant.config_dir) / "models" / "v3.joblib")
    assert statuses(demo_db) == {1: "retired", 2: "refused", 3: "live"}


def test_a_shadow_leaves_the_live_model_alone(demo_db, tenant) -> None:
    folder = Path(tenant.config_dir)
    before = digest(folder / MODEL_FILE)
    first = train_tenant(demo_db, tenant=tenant, options=TrainOptions(shadow=True))
    assert first.status == "shadow" and not first.promoted
    assert digest(folder / MODEL_FILE) == before
    assert digest(folder / SHADOW_FILE) == digest(folder / "models" / "v2.joblib")
    train_tenant(demo_db, tenant=tenant, options=TrainOptions(shadow=True))
    assert statuses(demo_db) == {1: "live", 2: "retired", 3: "shadow"}
    assert digest(folder / SHADOW_FILE) == digest(folder / "models" / "v3.joblib")
    with demo_db.session() as session:
        shadowed = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "model_shadow").order_by(AuditEntry.id)
        ).all()
    assert [
        (entry.detail["version"], entry.detail.get("replaced_version")) for entry in shadowed
    ] == [
        (2, None),
        (3, 2),
    ]


def test_reviewed_labels_train_the_candidate(demo_db, tenant) -> None:
    ids = ingest(demo_db, *(customer_email(i, f"Odd request number {i}.") for i in range(3)))
    with demo_db.session() as session:
        for case_id in ids:
            session.add(
                ReviewedLabel(
                    case_id=case_id,
                    tenant_id=tenant.id,
                    label="warranty",
                    reviewer="rita",
                    text=f"Is my zorblax {case_id} covered by the guarantee?",
                )
            )
    report = train_tenant(demo_db, tenant=tenant)
    assert report.sources["reviewed"] == 3
    assert report.n_train + report.candidate.n_holdout == sum(report.sources.values())


def test_a_running_cache_picks_up_a_promotion(demo_db, tenant) -> None:
    cache = ResourceCache()
    with demo_db.session() as session:
        first = cache.for_tenant_id(session, tenant.id)
    assert first.model_version == 1 and first.shadow_classifier is None
    train_tenant(demo_db, tenant=tenant, options=TrainOptions(shadow=True))
    with demo_db.session() as session:
        shadowing = cache.for_tenant_id(session, tenant.id)
        assert shadowing.shadow_classifier is not None
        assert shadowing.classifier is first.classifier  # the live file did not change
        assert cache.for_tenant_id(session, tenant.id) is shadowing  # nothing changed
        make_live(
            session,
            folder=Path(tenant.config_dir),
            row=get_version(session, tenant.id, 2),
            actor="test",
        )
    with demo_db.session() as session:
        promoted = cache.for_tenant_id(session, tenant.id)
    assert promoted.model_version == 2
    assert promoted.classifier is not first.classifier
    assert promoted.shadow_classifier is None  # the shadow went live
