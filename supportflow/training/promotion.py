"""Whether a candidate classifier replaces the live one: measured on the same held-out rows,
it must be at least as accurate (a tie promotes: newer data, same quality)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportflow.eval.classify import score_predictions
from supportflow.training.dataset import TrainingRow
from supportflow.triage.model import TextClassifier


@dataclass(frozen=True)
class Score:
    """A model's figures on the held-out rows; `version` None for a candidate."""

    accuracy: float
    macro_f1: float
    n_holdout: int
    version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "n_holdout": self.n_holdout,
        }
        if self.version is not None:
            figures["version"] = self.version
        return figures


@dataclass(frozen=True)
class Decision:
    """`installs`: the candidate becomes live (or shadow); `reason` names the figures."""

    installs: bool
    reason: str


def score(
    classifier: TextClassifier, holdout: Sequence[TrainingRow], version: int | None = None
) -> Score | None:
    """`classifier`'s accuracy and macro-F1 on `holdout` (None when there are no rows)."""
    if not holdout:
        return None
    predictions = classifier.predict_many([row.text for row in holdout])
    scores = score_predictions([row.label for row in holdout], predictions, None)
    return Score(scores["accuracy"], scores["macro_f1"], len(holdout), version)


def live_model_file(folder: Path, live_metrics: dict[str, Any] | None, model_file: Path) -> Path:
    """The file to score for the live model: its hold-out twin when it has one, else the live
    model itself (a model from before versions existed)."""
    twin = (live_metrics or {}).get("holdout_path")
    if isinstance(twin, str) and (folder / twin).exists():
        return folder / twin
    return model_file


def decide(
    candidate: Score | None, live: Score | None, *, has_live: bool, force: bool, shadow: bool
) -> Decision:
    """Promote (or shadow) the candidate, or refuse it, and say why."""
    if shadow:
        return Decision(True, _comparison(candidate, live, has_live))
    if not has_live:
        return Decision(True, "no live model yet")
    if candidate is not None and live is not None and candidate.accuracy >= live.accuracy:
        return Decision(True, _comparison(candidate, live, has_live))
    if force:
        return Decision(True, "forced: " + _comparison(candidate, live, has_live))
    return Decision(False, _comparison(candidate, live, has_live))


def _comparison(candidate: Score | None, live: Score | None, has_live: bool) -> str:
    if not has_live:
        return "no live model to compare with"
    if candidate is None or live is None:
        return "no held-out rows to compare the candidate with the live model on"
    relation = ">=" if candidate.accuracy >= live.accuracy else "<"
    return (
        f"candidate accuracy {candidate.accuracy:.4f} {relation} live v{live.version or '?'} "
        f"{live.accuracy:.4f} on {candidate.n_holdout} held-out rows "
        f"(macro-F1 {candidate.macro_f1:.4f} vs {live.macro_f1:.4f})"
    )
