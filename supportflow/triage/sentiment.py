"""How a customer feels, so a reviewer sees an angry customer before reading the message.

VADER (an English lexicon with rules for negation, emphasis and "but") scores the text from
-1 to 1. Two adaptations to support mail, each measured on the hand-labelled English demo
inbox (figures in the module's report):

- Courtesy formulas ("please", "thanks", "I'd like", "help", "kind regards") are neutral
  here: in VADER they are positive, so every polite complaint read as content.
- Frustration that VADER has no word for lowers the score: repeated contact ("the third
  time", "4 times"), waiting ("still haven't", "haven't heard back") and "!!"/"??".

The lexicon is English only: a message in another language (or in none we could tell) gets
the label "unknown", meaning not assessed, rather than a guess. The confidence is the score's
margin from the nearest cut-off mapped to 0.5-0.8, not a calibrated probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

UNKNOWN = "unknown"
ASSESSED_LANGUAGES = frozenset({"en"})
# VADER's usual cut-offs for its compound score.
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05
# VADER is pure Python: a long message is judged on its opening.
MAX_CHARS = 5000
MAX_CUES = 3
_CUE_PENALTY = 0.3
_MAX_COUNTED_CUES = 2
# How a frustration cue ranks as evidence: like a clearly negative lexicon word ("broken").
_FRUSTRATION_WEIGHT = -2.0
_COURTESY_WORDS = (
    "please thanks thank help like dear kind best hope appreciate welcome pretty".split()
)
_FRUSTRATION = re.compile(
    r"\b(?:(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th))\s+time"
    r"|(?:two|three|four|five|several|many|\d+)\s+times|yet again"
    r"|still\s+(?:not|no|nothing|waiting|haven'?t|hasn'?t|isn'?t|doesn'?t|don'?t|can'?t|won'?t)"
    r"|(?:haven'?t|have not|never)\s+(?:heard|received|got)"
    r"|no (?:reply|response|answer))\b"
    r"|!{2,}|\?{2,}|\?!|!\?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@dataclass(frozen=True)
class SentimentCue:
    """A piece of the text that pushed the score, with its offsets and weight (-4..4)."""

    text: str
    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class SentimentGuess:
    """`label` is negative, neutral, positive or unknown (not assessed); `score` in -1..1.

    `cues` are the strongest pieces of evidence for the label, strongest first.
    """

    label: str
    score: float
    confidence: float
    cues: tuple[SentimentCue, ...]


NOT_ASSESSED = SentimentGuess(UNKNOWN, 0.0, 0.0, ())


@cache
def _analyzer() -> Any:
    analyzer = SentimentIntensityAnalyzer()
    for word in _COURTESY_WORDS:  # this instance's own lexicon; the package's file is untouched
        analyzer.lexicon.pop(word, None)
    return analyzer


def assess_sentiment(text: str, language: str) -> SentimentGuess:
    """Judge `text`, written in `language` (an ISO 639 code or "unknown").

    Text in a language other than English is not assessed (label "unknown"). Never raises.
    """
    if language not in ASSESSED_LANGUAGES:
        return NOT_ASSESSED
    sample = text[:MAX_CHARS]
    compound = float(_analyzer().polarity_scores(sample)["compound"])
    penalty = _CUE_PENALTY * min(len(_FRUSTRATION.findall(sample)), _MAX_COUNTED_CUES)
    score = max(-1.0, compound - penalty)
    label = _label(score)
    return SentimentGuess(label, round(score, 4), _confidence(score), _evidence(label, sample))


def _label(score: float) -> str:
    if score <= NEGATIVE_AT:
        return "negative"
    if score >= POSITIVE_AT:
        return "positive"
    return "neutral"


def _confidence(score: float) -> float:
    margin = min(abs(score - NEGATIVE_AT), abs(score - POSITIVE_AT))
    return round(0.5 + 0.3 * min(1.0, margin / 0.5), 3)


def _cue(match: re.Match[str], weight: float) -> SentimentCue:
    return SentimentCue(match.group(0), match.start(), match.end(), weight)


def _evidence(label: str, text: str) -> tuple[SentimentCue, ...]:
    """Frustration cues, then lexicon words, whose sign agrees with `label`."""
    if label == "neutral":
        return ()
    lexicon: dict[str, float] = _analyzer().lexicon
    found = [_cue(m, lexicon.get(m.group(0).lower(), 0.0)) for m in _WORD.finditer(text)]
    if label == "negative":
        found += [_cue(m, _FRUSTRATION_WEIGHT) for m in _FRUSTRATION.finditer(text)]
    sign = -1.0 if label == "negative" else 1.0
    agreeing = [c for c in found if c.weight * sign > 0]
    return tuple(sorted(agreeing, key=lambda c: (-abs(c.weight), c.start))[:MAX_CUES])
