"""What a step function returns, and how the workflow records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportflow.cases.status import CaseStatus, transition
from supportflow.llm.usage import UsageLedger, ledger_for_step
from supportflow.pipeline.deps import PipelineDeps
from supportflow.store.models import Case, CaseStep
from supportflow.tenants import TenantResources
from supportflow.workers.leases import renew_lease

PIPELINE_ACTOR = "pipeline"


@dataclass(frozen=True)
class StepOutcome:
    """`detail` is persisted with the step; `escalation` hands the case to a person."""

    detail: dict[str, Any] = field(default_factory=dict)
    escalation: str | None = None


class StepFunction(Protocol):
    def __call__(self, session: Session, case: Case, resources: TenantResources) -> StepOutcome: ...


def completed_steps(session: Session, case_id: int) -> dict[str, CaseStep]:
    rows = session.scalars(select(CaseStep).where(CaseStep.case_id == case_id))
    return {row.step: row for row in rows}


def run_recorded_step(
    deps: PipelineDeps, name: str, case_id: int, function: StepFunction
) -> StepOutcome:
    """Run `function` for the case and record it; results, the step row and any escalation
    commit together, so a crash leaves the step either done or not begun.

    The unique (case, step) row is what makes a step exactly-once: should a step that
    already completed run again (two runs racing), its insert fails, everything it did is
    rolled back, and the recorded outcome is returned instead.
    """
    ledger: UsageLedger | None = None
    try:
        with deps.db.session() as session:
            case = session.get_one(Case, case_id)
            renew_lease(
                session, case=case, worker_id=deps.worker_id, seconds=deps.settings.lease_seconds
            )
            resources = deps.resources.for_tenant_id(session, case.tenant_id)
            started = perf_counter()
            with ledger_for_step(session, tenant_id=case.tenant_id, case_id=case_id) as ledger:
                outcome = function(session, case, resources)
            ledger.write_to(session)
            elapsed_ms = (perf_counter() - started) * 1000
            session.add(
                CaseStep(case_id=case_id, step=name, duration_ms=elapsed_ms, detail=outcome.detail)
            )
            session.flush()
            if outcome.escalation is not None:
                transition(
                    session,
                    case,
                    CaseStatus.NEEDS_HUMAN,
                    actor=PIPELINE_ACTOR,
                    reason=outcome.escalation,
                    detail={"step": name},
                )
        return outcome
    except IntegrityError:
        _keep_llm_calls(deps, ledger)
        with deps.db.session() as session:
            done = completed_steps(session, case_id).get(name)
        if done is None:
            raise
        return StepOutcome(detail=done.detail)
    except Exception:
        _keep_llm_calls(deps, ledger)
        raise


def _keep_llm_calls(deps: PipelineDeps, ledger: UsageLedger | None) -> None:
    """Record the LLM calls of a step whose transaction was rolled back: the tokens were
    spent all the same, and budgets must count them."""
    if ledger is not None and ledger.records:
        with deps.db.session() as session:
            ledger.write_to(session)
