"""The one way supportflow asks an LLM anything: `LlmGateway.ask`.

For a task (classify, extract, draft, summarise) the tenant names a model or a chain of
models. `ask` tries them in order; for each:

1. the budget, before each call: a spent case or daily cap stops the whole chain
   (`BudgetSpent`, the reason said);
2. the endpoint's circuit breaker (one per endpoint, shared by every tenant and thread of
   the process): after `failure_threshold` failed calls in a row the endpoint is skipped
   for `reset_seconds`, then one trial call decides (pybreaker);
3. the call, retried when the failure may pass (429, 5xx, timeout, dropped connection) with
   exponential backoff and full jitter, honouring a server's Retry-After (tenacity);
4. the answer is parsed by the caller's `parse`; an answer it rejects (not JSON, outside
   the schema, an invented label) is sent back once with the reason ("repair"), and a
   second rejection moves on to the next model.

Every attempt is recorded with its tokens, cost and latency in the current step's ledger
(`llm/usage.py`). When no model gives a usable answer `ask` raises `LlmUnavailable` with
each model's reason, and the stage falls back to its non-LLM behaviour: nothing in this
tier may fail a case.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pybreaker
import tenacity

from supportflow.config import LlmEndpoint, LlmTask
from supportflow.errors import ConfigurationError, UpstreamError
from supportflow.llm.backend import ChatBackend, ChatMessage, Completion, LlmCallError
from supportflow.llm.usage import CallRecord, call_cost, current_ledger

T = TypeVar("T")


class AnswerRejected(ValueError):
    """`parse` refuses an answer; the message says why (it is shown to the model to repair)."""


def json_object(raw: str) -> dict[str, Any]:
    """An answer's JSON object; raises AnswerRejected when it is not one (the reason is
    what the model is told when asked to repair it)."""
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise AnswerRejected("the answer was not JSON") from exc
    if not isinstance(answer, dict):
        raise AnswerRejected("the answer was not a JSON object")
    return answer


class LlmUnavailable(UpstreamError):
    """No model of the chain gave a usable answer; the message says why for each."""


class BudgetSpent(LlmUnavailable):
    """A budget cap stops every further call: no other model of the chain is tried."""


@dataclass(frozen=True)
class LlmAnswer(Generic[T]):
    """A parsed answer, the model that gave it, whether it took a repair, and the tokens of
    every call it took."""

    value: T
    model: str
    repaired: bool
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class _Request:
    """What one model is asked, apart from the messages (a repair adds to those)."""

    task: LlmTask
    model: str
    schema: dict[str, Any]
    name: str


_BREAKERS: dict[str, pybreaker.CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(endpoint: LlmEndpoint, name: str) -> pybreaker.CircuitBreaker:
    """The process's circuit breaker for the endpoint called `name` (its URL)."""
    with _BREAKERS_LOCK:
        breaker = _BREAKERS.get(name)
        policy = endpoint.breaker
        if (
            breaker is None
            or breaker.fail_max != policy.failure_threshold
            or breaker.reset_timeout != policy.reset_seconds
        ):
            breaker = pybreaker.CircuitBreaker(
                fail_max=policy.failure_threshold,
                reset_timeout=policy.reset_seconds,
                # A refused request says nothing about the endpoint's health.
                exclude=[lambda exc: isinstance(exc, LlmCallError) and not exc.retryable],
                name=name,
                throw_new_error_on_trip=False,
            )
            _BREAKERS[name] = breaker
        return breaker


class LlmGateway:
    """One tenant's LLM: its backend, model chains, retry policy, breaker and budget."""

    def __init__(
        self,
        backend: ChatBackend,
        endpoint: LlmEndpoint,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._backend = backend
        self._endpoint = endpoint
        self._sleep = sleep
        self._breaker = breaker_for(endpoint, backend.endpoint)

    @property
    def endpoint(self) -> str:
        return self._backend.endpoint

    @property
    def breaker_state(self) -> str:
        """ "closed", "open" or "half-open"."""
        return str(self._breaker.current_state)

    def close(self) -> None:
        """Release the backend's connections (an HTTP backend pools them)."""
        close = getattr(self._backend, "close", None)
        if close is not None:
            close()

    def ask(
        self,
        task: LlmTask,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any],
        name: str,
        parse: Callable[[str], T],
    ) -> LlmAnswer[T]:
        """The first usable answer along the task's model chain; raises LlmUnavailable (at
        once, BudgetSpent, when a budget stops the next call)."""
        reasons: list[str] = []
        for model in self._endpoint.chain(task):
            request = _Request(task, model, schema, name)
            try:
                return self._ask_model(request, messages, parse)
            except (LlmCallError, AnswerRejected) as exc:
                reasons.append(f"{model}: {exc}")
        if not reasons:
            raise LlmUnavailable(f"no model is configured for {task}")
        raise LlmUnavailable("; ".join(reasons))

    def _ask_model(
        self, request: _Request, messages: Sequence[ChatMessage], parse: Callable[[str], T]
    ) -> LlmAnswer[T]:
        first = self._call(request, messages)
        try:
            return _answer(parse(first.text), request.model, False, first)
        except AnswerRejected as rejected:
            repair = [
                *messages,
                {"role": "assistant", "content": first.text[:4000]},
                {
                    "role": "user",
                    "content": f"That answer was rejected: {rejected}. Answer again, "
                    "with JSON that follows the schema exactly.",
                },
            ]
            second = self._call(request, repair)
            return _answer(parse(second.text), request.model, True, first, second)

    def _call(self, request: _Request, messages: Sequence[ChatMessage]) -> Completion:
        """One call with the retry policy; each attempt passes the budget and the breaker."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._endpoint.max_retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_exception(lambda exc: getattr(exc, "retryable", False)),
            sleep=self._sleep,
            reraise=True,
        )
        completion: Completion = retrying(self._attempt, request, messages)
        return completion

    def _attempt(self, request: _Request, messages: Sequence[ChatMessage]) -> Completion:
        ledger = current_ledger()
        if ledger is not None:
            spent = ledger.spent_reason(self._endpoint.budget)
            if spent is not None:
                raise BudgetSpent(spent)
        started = time.perf_counter()
        try:
            completion: Completion = self._breaker.call(self._complete, request, messages)
        except pybreaker.CircuitBreakerError as exc:
            raise LlmCallError(
                f"LLM endpoint {self.endpoint}: circuit open after repeated failures",
                retryable=False,
            ) from exc
        except LlmCallError as exc:
            self._record(request, None, started, str(exc))
            raise
        self._record(request, completion, started, "ok")
        return completion

    def _complete(self, request: _Request, messages: Sequence[ChatMessage]) -> Completion:
        try:
            return self._backend.complete(
                model=request.model, messages=messages, schema=request.schema, name=request.name
            )
        except ConfigurationError as exc:  # a local model missing: no retry, no breaker
            raise LlmCallError(str(exc), retryable=False) from exc

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Full jitter: a random wait up to base * 2^attempt (capped), or the server's
        Retry-After when it asked for longer."""
        ceiling = min(
            self._endpoint.backoff_max_seconds,
            self._endpoint.backoff_seconds * 2 ** (state.attempt_number - 1),
        )
        wait = random.uniform(0, ceiling)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, float):
            wait = max(wait, min(retry_after, self._endpoint.backoff_max_seconds))
        return wait

    def _record(
        self, request: _Request, completion: Completion | None, started: float, outcome: str
    ) -> None:
        ledger = current_ledger()
        if ledger is None:
            return
        prompt = completion.prompt_tokens if completion is not None else 0
        answer = completion.completion_tokens if completion is not None else 0
        ledger.record(
            CallRecord(
                task=request.task,
                endpoint=self.endpoint,
                model=request.model,
                prompt_tokens=prompt,
                completion_tokens=answer,
                cost=call_cost(self._endpoint.prices, request.model, prompt, answer),
                latency_ms=(time.perf_counter() - started) * 1000,
                outcome=outcome,
            )
        )


def _answer(value: T, model: str, repaired: bool, *calls: Completion) -> LlmAnswer[T]:
    return LlmAnswer(
        value=value,
        model=model,
        repaired=repaired,
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
    )
