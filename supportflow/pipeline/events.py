"""The facts that flow between pipeline steps. Each carries only the case id: the state
itself lives in the database, so any worker can resume any case."""

from __future__ import annotations

from workflows.events import Event, HumanResponseEvent, InputRequiredEvent, StartEvent, StopEvent


class CaseStarted(StartEvent):
    case_id: int


class CaseQueued(Event):
    case_id: int


class EmailReceived(Event):
    case_id: int


class EmailScreened(Event):
    case_id: int


class CaseClassified(Event):
    case_id: int


class FieldsExtracted(Event):
    case_id: int


class PassagesRetrieved(Event):
    case_id: int


class DraftReady(Event):
    case_id: int


class ReviewRequested(InputRequiredEvent):
    case_id: int


class ReviewDecided(HumanResponseEvent):
    case_id: int
    decision: str


class ReplyApproved(Event):
    case_id: int


class CaseParked(StopEvent):
    """The run ends here for now: the case waits (review, retry later) or is finished."""

    case_id: int
    status: str
