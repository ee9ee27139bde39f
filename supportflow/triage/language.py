"""Which language a support message is written in, so replies and templates can follow it.

The model is py3langid's naive Bayes over byte n-grams (140 languages), loaded once per
process, with probabilities normalised over the languages (py3langid scales the scores by
the text's length first, so the probabilities are usable as a confidence).

Short support requests ("can ya help me get my bill") are the typical failure: the full
model spreads them over Nigerian Pidgin, Latin or Shona. A tenant may therefore name its
candidate languages; the guess is then the most likely candidate, its probability
renormalised over the candidates (the same as restricting the model to them). A language
outside the candidates still wins when the full model is sure of it, so a Japanese message
to a European tenant is reported as Japanese rather than forced into a European language.
Too little text, or no language probable enough, gives "unknown".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from supportflow.errors import ConfigurationError

UNKNOWN = "unknown"
# Beyond a couple of thousand characters more text does not change the answer, only the time.
MAX_CHARS = 2000
MIN_LETTERS = 4
MIN_CONFIDENCE = 0.5
# A language outside the tenant's candidates wins when the full model is this sure of it, or
# when the candidates together are this improbable (the text is in none of them).
OUTSIDE_CANDIDATES_CONFIDENCE = 0.9
MIN_CANDIDATES_PROBABILITY = 0.05


@dataclass(frozen=True)
class LanguageGuess:
    """An ISO 639 code (or "unknown") with its probability.

    `start`/`end` delimit the text the guess was made from (all of it, up to MAX_CHARS).
    """

    code: str
    confidence: float
    start: int
    end: int


@cache
def _identifier() -> Any:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def known_languages() -> frozenset[str]:
    """The codes the model can recognise."""
    return frozenset(_identifier().labels)


def detect_language(text: str, candidates: Collection[str] = ()) -> LanguageGuess:
    """Guess the language of `text`, preferring `candidates` (ISO 639 codes) when given.

    Returns code "unknown" with confidence 0.0 for text with fewer than MIN_LETTERS letters,
    and "unknown" with the best probability found when that is below MIN_CONFIDENCE.
    Raises ConfigurationError when a candidate is not a language the model knows.
    """
    sample = text[:MAX_CHARS]
    if sum(c.isalpha() for c in sample) < MIN_LETTERS:
        return LanguageGuess(UNKNOWN, 0.0, 0, len(sample))
    ranked: list[tuple[str, float]] = _identifier().rank(sample)
    code, confidence = _choose(ranked, _checked(candidates))
    if confidence < MIN_CONFIDENCE:
        code = UNKNOWN
    return LanguageGuess(code, round(confidence, 4), 0, len(sample))


def _checked(candidates: Collection[str]) -> frozenset[str]:
    wanted = frozenset(candidates)
    unknown = wanted - known_languages()
    if unknown:
        raise ConfigurationError(f"unknown language code(s): {', '.join(sorted(unknown))}")
    return wanted


def _choose(ranked: list[tuple[str, float]], candidates: frozenset[str]) -> tuple[str, float]:
    """The best language of `ranked` (best first, probabilities summing to 1)."""
    best, best_probability = ranked[0]
    if not candidates:
        return best, best_probability
    kept = [(code, p) for code, p in ranked if code in candidates]
    total = sum(p for _, p in kept)
    outside_wins = best not in candidates and best_probability >= OUTSIDE_CANDIDATES_CONFIDENCE
    if outside_wins or total < MIN_CANDIDATES_PROBABILITY:
        return best, best_probability
    code, probability = kept[0]
    return code, probability / total
