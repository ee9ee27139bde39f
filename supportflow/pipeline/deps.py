"""What every step needs from its surroundings, built once per worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from supportflow.config import Settings
from supportflow.store.db import Database
from supportflow.tenants import ResourceCache
from supportflow.triage.llm_stages import LlmStages
from supportflow.triage.similar_cases import SimilarCaseMemory


class MailTransport(Protocol):
    """Sends one email message; raises SendError."""

    def send(self, message: Any) -> None: ...


class TransportFactory(Protocol):
    def __call__(self) -> MailTransport: ...


@dataclass
class PipelineDeps:
    db: Database
    settings: Settings
    transport_factory: TransportFactory
    worker_id: str
    resources: ResourceCache = field(default_factory=ResourceCache)
    similar_cases: SimilarCaseMemory = field(default_factory=SimilarCaseMemory)
    llm_stages: LlmStages = field(default_factory=LlmStages)
