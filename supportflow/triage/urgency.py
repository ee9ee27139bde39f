"""How urgent a message says it is, from explicit cues, with the cue as evidence.

Levels rise low < normal < high < urgent. Cues of escalation (legal threats, chargebacks,
"urgent") mean urgent; time pressure ("ASAP", "by tomorrow", "!!!") means high; an explicit
"no rush" means low. Negated urgency ("not urgent") is a low cue, never an urgent one. With no
cue at all nothing is reported: "normal" is the pipeline's default, not a finding.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from supportflow.triage.fields import ExtractedField

LEVELS = ("low", "normal", "high", "urgent")
_EXTRA_CUE_BONUS = 0.1
_MAX_CONFIDENCE = 0.95


@dataclass(frozen=True)
class _Cue:
    level: str
    regex: re.Pattern[str]
    confidence: float


_I = re.IGNORECASE
_LOW = _Cue(
    "low",
    re.compile(
        r"\b(?:no rush|no hurry|not urgent|non-urgent|not an? (?:emergency|urgent \w+)"
        r"|whenever you (?:get a chance|can|have time)|at your (?:earliest )?convenience"
        r"|low priority)\b",
        _I,
    ),
    0.6,
)
_CUES = (
    _Cue(
        "urgent",
        re.compile(
            r"\b(?:urgent(?:ly)?|emergency|legal action|lawyers?|attorneys?|solicitors?"
            r"|small claims|sue you|charge-?backs?|file a dispute"
            r"|dispute the (?:charge|payment))\b",
            _I,
        ),
        0.8,
    ),
    _Cue(
        "high",
        re.compile(
            r"\b(?:asap|as soon as possible|right away|time[- ]sensitive|immediately"
            r"|(?:by|before|until|no later than) (?:today|tonight|tomorrow|end of (?:the )?day|eod"
            r"|noon|this (?:morning|afternoon|evening)))\b"
            # A named day is a deadline only after "by"/"before": "until Monday" is an absence.
            r"|\b(?:by|before|no later than) (?:monday|tuesday|wednesday|thursday|friday"
            r"|saturday|sunday)\b",
            _I,
        ),
        0.7,
    ),
    _Cue("high", re.compile(r"!{3,}"), 0.5),
)


def _is_negated(position: int, starts: list[int], negations: list[re.Match[str]]) -> bool:
    """Whether `position` falls inside a low cue ("not urgent"); low cues never overlap."""
    index = bisect_right(starts, position) - 1
    return index >= 0 and position < negations[index].end()


def find_urgency(texts: dict[str, str]) -> ExtractedField | None:
    """The strongest urgency cue in `texts` (source name -> text) as an `urgency` field.

    The value is the level; the span points at the first cue of that level (subject before
    body). A second distinct cue of that level raises the confidence a little.
    """
    found: list[tuple[int, _Cue, str, re.Match[str]]] = []
    for source, text in texts.items():
        negations = list(_LOW.regex.finditer(text))
        found.extend((0, _LOW, source, match) for match in negations)
        starts = [match.start() for match in negations]
        for cue in _CUES:
            for match in cue.regex.finditer(text):
                if not _is_negated(match.start(), starts, negations):
                    found.append((LEVELS.index(cue.level), cue, source, match))
    if not found:
        return None
    top = max(rank for rank, _, _, _ in found)
    strongest = [(cue, source, match) for rank, cue, source, match in found if rank == top]
    cue, source, match = max(strongest, key=lambda item: item[0].confidence)
    distinct = {found_match.group(0).casefold() for _, _, found_match in strongest}
    bonus = _EXTRA_CUE_BONUS if len(distinct) > 1 else 0.0
    confidence = min(_MAX_CONFIDENCE, cue.confidence + bonus)
    return ExtractedField("urgency", cue.level, confidence, match.start(), match.end(), source)
