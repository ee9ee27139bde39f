"""Classification as a cascade, cheapest stage first: the tenant's rules, then the trained model.

The first stage that is sure enough decides; the others are not consulted. Every stage that ran
leaves a `StageResult`, and the final `reason` says what each of them said, so a reviewer can
see why a case got its label (or why it got none). A label the tenant does not list among its
categories is never returned: the case becomes "unknown" and goes to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.config import Thresholds
from supportflow.errors import ConfigurationError
from supportflow.triage.model import TextClassifier
from supportflow.triage.rules import RuleHit, RuleSet

UNKNOWN = "unknown"
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class StageResult:
    """What one stage of the cascade said."""

    stage: str  # "rules" | "model"
    label: str | None
    confidence: float
    reason: str


@dataclass(frozen=True)
class Classification:
    """The cascade's decision: a category name or "unknown", and how it was reached."""

    label: str
    confidence: float
    route: str  # the stage that decided, or "none"
    reason: str
    priority: str  # low | normal | high | urgent
    stages: tuple[StageResult, ...]


def classify(
    *,
    subject: str,
    text: str,
    sender: str | None,
    rules: RuleSet,
    model: TextClassifier | None,
    categories: Sequence[str],
    thresholds: Thresholds,
    default_priority: str = "normal",
) -> Classification:
    """Classify one message: rules first, then the model, else "unknown".

    A rule hit with a label and confidence >= `thresholds.rule_min_confidence` decides; else
    the model decides when its confidence >= `thresholds.classify_min_confidence`. The
    priority is the highest among the rule hits, else `default_priority`.
    """
    if default_priority not in PRIORITIES:
        raise ConfigurationError(f"unknown priority {default_priority!r}")
    hits = rules.match(subject=subject, text=text, sender=sender)
    known = frozenset(categories)
    rule_stage = _rule_stage(hits, known, thresholds.rule_min_confidence)
    stages = [rule_stage]
    decider = rule_stage if _decides(rule_stage, known, thresholds.rule_min_confidence) else None
    if decider is None:
        model_stage = _model_stage(model, f"{subject}\n{text}", known, thresholds)
        stages.append(model_stage)
        if _decides(model_stage, known, thresholds.classify_min_confidence):
            decider = model_stage
    priority = _priority(hits, default_priority)
    if decider is None or decider.label is None:
        reason = "no stage was sure enough: " + _stage_reasons(stages)
        return Classification(UNKNOWN, 0.0, "none", reason, priority, tuple(stages))
    # The decider first, then what the stages before it said.
    reason = _stage_reasons([decider, *stages[:-1]])
    return Classification(
        decider.label, decider.confidence, decider.stage, reason, priority, tuple(stages)
    )


def _stage_reasons(stages: Sequence[StageResult]) -> str:
    return "; ".join(f"{stage.stage}: {stage.reason}" for stage in stages)


def _decides(stage: StageResult, known: frozenset[str], threshold: float) -> bool:
    return stage.label in known and stage.confidence >= threshold


def _rule_stage(hits: Sequence[RuleHit], known: frozenset[str], threshold: float) -> StageResult:
    """The best labelled rule hit naming a known category, or why there is none."""
    if not hits:
        return StageResult("rules", None, 0.0, "no rule matched")
    labelled = [hit for hit in hits if hit.label is not None]
    usable = [hit for hit in labelled if hit.label in known]
    if not usable:
        matched = ", ".join(f"{hit.rule!r} ({hit.evidence})" for hit in hits)
        strays = [f"rule {hit.rule!r} names {hit.label!r}, not a category" for hit in labelled]
        notes = "; ".join(strays) or "none of them gives a label"
        return StageResult("rules", None, 0.0, f"matched {matched} but {notes}")
    best = usable[0]
    verdict = "decides" if best.confidence >= threshold else f"is below {threshold:.2f}"
    reason = (
        f"rule {best.rule!r} matched {best.evidence} -> {best.label} "
        f"(confidence {best.confidence:.2f}, {verdict})"
    )
    rivals = sorted({label for hit in usable if (label := hit.label) and label != best.label})
    if rivals:
        reason += f"; other rules said {', '.join(rivals)}"
    return StageResult("rules", best.label, best.confidence, reason)


def _model_stage(
    model: TextClassifier | None, message: str, known: frozenset[str], thresholds: Thresholds
) -> StageResult:
    if model is None:
        return StageResult("model", None, 0.0, "no trained model")
    prediction = model.predict(message)
    ranking = ", ".join(f"{label} {probability:.2f}" for label, probability in prediction.ranking)
    threshold = thresholds.classify_min_confidence
    if prediction.label not in known:
        verdict = f"{prediction.label!r} is not a category"
    elif prediction.confidence >= threshold:
        verdict = "decides"
    else:
        verdict = f"below {threshold:.2f}"
    reason = f"predicted {ranking} ({verdict})"
    return StageResult("model", prediction.label, prediction.confidence, reason)


def _priority(hits: Sequence[RuleHit], default: str) -> str:
    """The most pressing priority any rule hit carries, else `default`."""
    ranks = [PRIORITIES.index(hit.priority) for hit in hits if hit.priority in PRIORITIES]
    return PRIORITIES[max(ranks)] if ranks else default
