"""Token and cost accounting, and the budget caps that switch LLM stages off.

A pipeline step opens a `UsageLedger` for its case (`ledger_for_step`); the gateway records
every call it makes into the ledger of the step it runs in (a context variable, so the
stages need not pass it along) and asks the ledger, before each call, whether a budget is
spent. Calls become rows of `llm_calls` in the step's own session when the step ends
(`write_to`), so they commit with the step's results; a step that fails writes them
afterwards in a transaction of their own, so tokens spent on a failed step still count.
Until then they are counted from memory: writing them at once would, on SQLite, hold the
database's write lock through the step's next LLM call.

Budgets are checked before a call, with the tokens recorded so far: one call may end a
little past a cap, never more than one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.config import LlmBudget, ModelPrice
from supportflow.store.models import LlmCall


@dataclass(frozen=True)
class CallRecord:
    """One call as the gateway saw it."""

    task: str
    endpoint: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float
    latency_ms: float
    outcome: str  # "ok" or the error

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def call_cost(prices: dict[str, ModelPrice], model: str, prompt: int, completion: int) -> float:
    """What a call cost at the tenant's prices; models without a price cost nothing."""
    price = prices.get(model)
    if price is None:
        return 0.0
    return (prompt * price.input_per_million + completion * price.output_per_million) / 1e6


class UsageLedger:
    """The LLM calls of one case's step, and the budget questions about them."""

    def __init__(self, session: Session, *, tenant_id: int, case_id: int | None) -> None:
        self._session = session
        self.tenant_id = tenant_id
        self.case_id = case_id
        self.records: list[CallRecord] = []

    def record(self, call: CallRecord) -> None:
        self.records.append(call)

    def write_to(self, session: Session) -> None:
        """Add the calls to `session`: the step's own at its end, or a new one after the
        step's was rolled back."""
        session.add_all(self._row(call) for call in self.records)

    def spent_reason(self, budget: LlmBudget) -> str | None:
        """Why no further call may be made (a cap reached), or None."""
        pending_tokens = sum(call.tokens for call in self.records)
        if budget.case_tokens is not None and self.case_id is not None:
            used = self._sum_tokens(LlmCall.case_id == self.case_id) + pending_tokens
            if used >= budget.case_tokens:
                return f"the case's LLM budget is spent ({used} of {budget.case_tokens} tokens)"
        if budget.tenant_daily_tokens is None and budget.tenant_daily_cost is None:
            return None
        today = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
        in_today = (LlmCall.tenant_id == self.tenant_id, LlmCall.created_at >= today)
        if budget.tenant_daily_tokens is not None:
            used = self._sum_tokens(*in_today) + pending_tokens
            if used >= budget.tenant_daily_tokens:
                return (
                    f"today's LLM token budget is spent ({used} of "
                    f"{budget.tenant_daily_tokens} tokens)"
                )
        if budget.tenant_daily_cost is not None:
            stored = self._session.scalar(
                select(func.coalesce(func.sum(LlmCall.cost), 0.0)).where(*in_today)
            )
            cost = float(stored or 0.0) + sum(call.cost for call in self.records)
            if cost >= budget.tenant_daily_cost:
                return (
                    f"today's LLM cost budget is spent ({cost:.4f} of "
                    f"{budget.tenant_daily_cost:.4f})"
                )
        return None

    def _sum_tokens(self, *where: object) -> int:
        total = LlmCall.prompt_tokens + LlmCall.completion_tokens
        used = self._session.scalar(select(func.coalesce(func.sum(total), 0)).where(*where))  # type: ignore[arg-type]
        return int(used or 0)

    def _row(self, call: CallRecord) -> LlmCall:
        return LlmCall(
            tenant_id=self.tenant_id,
            case_id=self.case_id,
            task=call.task,
            endpoint=call.endpoint[:500],
            model=call.model[:200],
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            cost=call.cost,
            latency_ms=call.latency_ms,
            outcome=call.outcome[:300],
        )


_CURRENT: ContextVar[UsageLedger | None] = ContextVar("supportflow_llm_ledger", default=None)


def current_ledger() -> UsageLedger | None:
    """The ledger of the step running in this context; None outside a pipeline step."""
    return _CURRENT.get()


@contextmanager
def ledger_for_step(session: Session, *, tenant_id: int, case_id: int) -> Iterator[UsageLedger]:
    """Make a ledger current for the duration of one step of one case."""
    ledger = UsageLedger(session, tenant_id=tenant_id, case_id=case_id)
    token = _CURRENT.set(ledger)
    try:
        yield ledger
    finally:
        _CURRENT.reset(token)
