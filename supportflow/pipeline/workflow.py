"""The case pipeline as a llama-index workflow: one step per stage, typed events between.

    receive -> screen -> classify -> extract -> research -> draft -> review gate -> send

Every run starts at `resume`, which reads what the case has already completed and jumps to
the next stage, so a run that died anywhere continues where it stopped. The review gate asks
for a human decision (InputRequiredEvent); the runner answers it from the database, where a
reviewer in any process records decisions, or ends the run so the case waits for review.
"""

from __future__ import annotations

import functools
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from workflows import Workflow, step
from workflows.events import Event
from workflows.retry_policy import (
    RetryPolicy,
    retry_if_exception_type,
    retry_policy,
    stop_after_attempt,
    wait_exponential,
)

from supportflow.cases.auto_approval import auto_approve_if_allowed
from supportflow.cases.status import CaseStatus, transition
from supportflow.errors import UpstreamError
from supportflow.pipeline.classify import classify_case
from supportflow.pipeline.deps import PipelineDeps
from supportflow.pipeline.draft import draft_reply
from supportflow.pipeline.events import (
    CaseClassified,
    CaseParked,
    CaseQueued,
    CaseStarted,
    DraftReady,
    EmailReceived,
    EmailScreened,
    FieldsExtracted,
    PassagesRetrieved,
    ReplyApproved,
    ReviewDecided,
    ReviewRequested,
)
from supportflow.pipeline.extract import extract_case_fields
from supportflow.pipeline.outcome import (
    PIPELINE_ACTOR,
    StepFunction,
    completed_steps,
    run_recorded_step,
)
from supportflow.pipeline.receive import receive_email
from supportflow.pipeline.research import research_case
from supportflow.pipeline.screen import screen_email
from supportflow.pipeline.send import send_reply
from supportflow.store.models import Case

StageEvent = (
    CaseQueued
    | EmailReceived
    | EmailScreened
    | CaseClassified
    | FieldsExtracted
    | PassagesRetrieved
)
E = TypeVar("E", bound=Event)

# The event that starts each stage, in pipeline order.
STAGES: tuple[tuple[str, type[StageEvent]], ...] = (
    ("receive", CaseQueued),
    ("screen", EmailReceived),
    ("classify", EmailScreened),
    ("extract", CaseClassified),
    ("research", FieldsExtracted),
    ("draft", PassagesRetrieved),
)
STAGE_NAMES = tuple(name for name, _ in STAGES) + ("review", "send")
FINISHED = frozenset(
    {CaseStatus.SENT, CaseStatus.REJECTED, CaseStatus.NEEDS_HUMAN, CaseStatus.FAILED}
)


def step_retry(attempts: int, base_seconds: float) -> RetryPolicy:
    """Retry what may pass (a locked database, a flaky upstream), never a bug or bad input."""
    return retry_policy(
        retry=retry_if_exception_type((OperationalError, UpstreamError)),
        wait=wait_exponential(multiplier=base_seconds, max=30),
        stop=stop_after_attempt(attempts),
    )


_RETRY = step_retry(3, 0.2)


class CaseWorkflow(Workflow):
    """Runs one case from wherever it stands to the next point where it must wait."""

    def __init__(self, deps: PipelineDeps, timeout: float | None = 300) -> None:
        super().__init__(timeout=timeout)
        self.deps = deps

    def _advance(
        self, name: str, case_id: int, function: StepFunction, then: type[E]
    ) -> E | CaseParked:
        outcome = run_recorded_step(self.deps, name, case_id, function)
        if outcome.escalation is not None:
            return CaseParked(case_id=case_id, status=CaseStatus.NEEDS_HUMAN.value)
        return then(case_id=case_id)

    @step
    async def resume(self, ev: CaseStarted) -> StageEvent | DraftReady | CaseParked:
        with self.deps.db.session() as session:
            case = session.get_one(Case, ev.case_id)
            if CaseStatus(case.status) in FINISHED:
                return CaseParked(case_id=case.id, status=case.status)
            done = completed_steps(session, case.id)
        for name, event in STAGES:
            if name not in done:
                return event(case_id=ev.case_id)
        return DraftReady(case_id=ev.case_id)

    @step(retry_policy=_RETRY)
    async def receive(self, ev: CaseQueued) -> EmailReceived | CaseParked:
        return self._advance("receive", ev.case_id, receive_email, EmailReceived)

    @step(retry_policy=_RETRY)
    async def screen(self, ev: EmailReceived) -> EmailScreened | CaseParked:
        return self._advance("screen", ev.case_id, screen_email, EmailScreened)

    @step(retry_policy=_RETRY)
    async def classify(self, ev: EmailScreened) -> CaseClassified | CaseParked:
        classify = functools.partial(
            classify_case, similar=self.deps.similar_cases, llm_stages=self.deps.llm_stages
        )
        return self._advance("classify", ev.case_id, classify, CaseClassified)

    @step(retry_policy=_RETRY)
    async def extract(self, ev: CaseClassified) -> FieldsExtracted | CaseParked:
        extract = functools.partial(extract_case_fields, llm_stages=self.deps.llm_stages)
        return self._advance("extract", ev.case_id, extract, FieldsExtracted)

    @step(retry_policy=_RETRY)
    async def research(self, ev: FieldsExtracted) -> PassagesRetrieved | CaseParked:
        return self._advance("research", ev.case_id, research_case, PassagesRetrieved)

    @step(retry_policy=_RETRY)
    async def draft(self, ev: PassagesRetrieved) -> DraftReady | CaseParked:
        draft = functools.partial(draft_reply, llm_stages=self.deps.llm_stages)
        return self._advance("draft", ev.case_id, draft, DraftReady)

    @step(retry_policy=_RETRY)
    async def review_gate(self, ev: DraftReady) -> ReviewRequested:
        """Park the drafted case for review, approving it at once where the tenant's
        auto-approval policy allows; the runner answers with any decision made."""
        with self.deps.db.session() as session:
            case = session.get_one(Case, ev.case_id)
            if case.status == CaseStatus.PROCESSING.value:
                transition(session, case, CaseStatus.AWAITING_REVIEW, actor=PIPELINE_ACTOR)
                config = self.deps.resources.for_tenant_id(session, case.tenant_id).config
                auto_approve_if_allowed(session, case, config.auto_approve)
        return ReviewRequested(case_id=ev.case_id)

    @step
    async def apply_decision(self, ev: ReviewDecided) -> ReplyApproved | CaseParked:
        if ev.decision == "approve":
            return ReplyApproved(case_id=ev.case_id)
        return CaseParked(case_id=ev.case_id, status=ev.decision)

    @step(retry_policy=_RETRY)
    async def send(self, ev: ReplyApproved) -> CaseParked:
        status = send_reply(self.deps, ev.case_id)
        return CaseParked(case_id=ev.case_id, status=status.value)
