"""What a stage of the triage cascade says (shared by the stages and the cascade)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageResult:
    """What one stage of the cascade said; `label` None: it proposes no category."""

    stage: str  # "rules" | "cache" | "model" | "llm" | "shadow"
    label: str | None
    confidence: float
    reason: str
