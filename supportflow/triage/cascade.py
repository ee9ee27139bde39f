"""Classification as a cascade, cheapest stage first: the tenant's rules, the similar-case
cache (labels reviewers gave the nearest earlier cases), the trained model, then an LLM when
the tenant has configured one.

The first stage that is sure enough decides; the others are not consulted. A shadow model, when
the tenant has one, is scored beside them and recorded, but never decides. Every stage that ran
leaves a `StageResult`, and the final `reason` says what each of them said, so a reviewer can
see why a case got its label (or why it got none). A label the tenant does not list among its
categories is never returned: the case becomes "unknown" and goes to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.config import Thresholds
from supportflow.errors import ConfigurationError, InternalError, SupportflowError
from supportflow.triage.llm_stage import LlmStage
from supportflow.triage.model import Embedded, TextClassifier
from supportflow.triage.results import StageResult
from supportflow.triage.rules import RuleHit, RuleSet
from supportflow.triage.similar_cases import CacheVerdict

UNKNOWN = "unknown"
PRIORITIES = ("low", "normal", "high", "urgent")


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
    cache: CacheVerdict | None = None,
    embedded: Embedded | None = None,
    shadow: TextClassifier | None = None,
    llm: LlmStage | None = None,
) -> Classification:
    """Classify one message: rules, then the similar-case cache, then the model, else
    "unknown".

    A rule hit with a label and confidence >= `thresholds.rule_min_confidence` decides; else
    the cache's proposal when its label's reviewed accuracy >= `thresholds.cache_min_accuracy`
    (`cache` is what the cache said of this message; None: it was not asked); else the
    model when its confidence >= `thresholds.classify_min_confidence`; else the `llm` stage
    when its label comes with `thresholds.llm_min_confidence` or more. `embedded` is the
    message's embedding when the caller has it (the models then do not embed it again). The
    priority is the highest among the rule hits, else `default_priority`.
    """
    if default_priority not in PRIORITIES:
        raise ConfigurationError(f"unknown priority {default_priority!r}")
    hits = rules.match(subject=subject, text=text, sender=sender)
    known = frozenset(categories)
    message = f"{subject}\n{text}"
    stages = [_rule_stage(hits, known, thresholds.rule_min_confidence)]
    decider = stages[0] if _decides(stages[0], known, thresholds.rule_min_confidence) else None
    if decider is None and cache is not None:
        stages.append(_cache_stage(cache, known))
        if _decides(stages[-1], known, thresholds.cache_min_accuracy):
            decider = stages[-1]
    if decider is None:
        stages.append(_model_stage(model, message, embedded, known, thresholds))
        if _decides(stages[-1], known, thresholds.classify_min_confidence):
            decider = stages[-1]
    if decider is None and llm is not None:
        stages.append(llm.stage(message))
        if _decides(stages[-1], known, thresholds.llm_min_confidence):
            decider = stages[-1]
    priority = _priority(hits, default_priority)
    shadowed = [_shadow_stage(shadow, message, embedded)] if shadow is not None else []
    if decider is None or decider.label is None:
        reason = "no stage was sure enough: " + _stage_reasons(stages)
        return Classification(UNKNOWN, 0.0, "none", reason, priority, (*stages, *shadowed))
    # The decider first, then what the stages before it said.
    reason = _stage_reasons([decider, *stages[:-1]])
    return Classification(
        decider.label, decider.confidence, decider.stage, reason, priority, (*stages, *shadowed)
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


def _cache_stage(cache: CacheVerdict, known: frozenset[str]) -> StageResult:
    if cache.label is not None and cache.label not in known:
        reason = f"{cache.reason}; {cache.label!r} is no longer a category"
        return StageResult("cache", None, 0.0, reason)
    return StageResult("cache", cache.label, cache.confidence, cache.reason)


def _shadow_stage(shadow: TextClassifier, message: str, embedded: Embedded | None) -> StageResult:
    """What the shadow model would say; recorded to compare it with the live one. Its
    failures never touch the live classification."""
    try:
        try:
            prediction = shadow.predict(message, embedded=_if_usable(shadow, embedded))
        except InternalError:  # it needs another pooling of the same model: it embeds itself
            prediction = shadow.predict(message)
    except SupportflowError as exc:
        return StageResult("shadow", None, 0.0, f"the shadow model failed: {exc}")
    ranking = ", ".join(f"{label} {probability:.2f}" for label, probability in prediction.ranking)
    reason = f"shadow model predicted {ranking} (does not route)"
    return StageResult("shadow", prediction.label, prediction.confidence, reason)


def _if_usable(classifier: TextClassifier, embedded: Embedded | None) -> Embedded | None:
    """`embedded` when it comes from the model `classifier` embeds with (else it embeds)."""
    if embedded is not None and embedded.model == classifier.embedding_name:
        return embedded
    return None


def _model_stage(
    model: TextClassifier | None,
    message: str,
    embedded: Embedded | None,
    known: frozenset[str],
    thresholds: Thresholds,
) -> StageResult:
    if model is None:
        return StageResult("model", None, 0.0, "no trained model")
    prediction = model.predict(message, embedded=embedded)
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
