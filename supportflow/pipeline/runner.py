"""Running the workflow for one claimed case, and answering its review gate from the store."""

from __future__ import annotations

import logging

from workflows.errors import WorkflowCancelledByUser

from supportflow.cases.status import CaseStatus, transition
from supportflow.errors import InternalError
from supportflow.pipeline.deps import PipelineDeps
from supportflow.pipeline.events import CaseParked, CaseStarted, ReviewDecided, ReviewRequested
from supportflow.pipeline.outcome import PIPELINE_ACTOR
from supportflow.pipeline.workflow import CaseWorkflow
from supportflow.store.models import Case
from supportflow.workers.leases import LeaseLostError

log = logging.getLogger(__name__)


def _decision_for(deps: PipelineDeps, case_id: int) -> str | None:
    """'approve' once a reviewer approved the case; None while it awaits review."""
    with deps.db.session() as session:
        status = session.get_one(Case, case_id).status
    return "approve" if status == CaseStatus.APPROVED.value else None


async def run_case(workflow: CaseWorkflow, case_id: int) -> str:
    """Advance a case (already claimed by this worker) as far as it can go now.

    Returns the case's status afterwards. Never raises for a failure inside the case: the
    case is marked failed with the error, and the worker goes on with the next one.
    """
    deps = workflow.deps
    handler = workflow.run(start_event=CaseStarted(case_id=case_id))
    try:
        async for event in handler.stream_events():
            if isinstance(event, ReviewRequested):
                decision = _decision_for(deps, case_id)
                if decision is None:
                    await handler.cancel_run()
                    break
                handler.ctx.send_event(ReviewDecided(case_id=case_id, decision=decision))
        result: object = await handler
    except WorkflowCancelledByUser:
        return CaseStatus.AWAITING_REVIEW.value
    except LeaseLostError:
        log.warning("case %s: lease lost to another worker; stopped", case_id)
        return "lease_lost"
    except Exception as exc:  # the case fails, the worker lives on
        return _mark_failed(deps, case_id, exc)
    if not isinstance(result, CaseParked):
        raise InternalError(f"case {case_id}: workflow ended with {result!r}")
    return result.status


def _mark_failed(deps: PipelineDeps, case_id: int, error: Exception) -> str:
    reason = f"{type(error).__name__}: {error}"
    log.exception("case %s failed: %s", case_id, reason)
    with deps.db.session() as session:
        case = session.get_one(Case, case_id)
        if case.status in (CaseStatus.PROCESSING.value, CaseStatus.APPROVED.value):
            transition(session, case, CaseStatus.FAILED, actor=PIPELINE_ACTOR, reason=reason[:2000])
        return case.status
