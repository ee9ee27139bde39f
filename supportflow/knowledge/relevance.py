"""The relevance floor: a passage scoring under it is not cited.

`Passage.score` is absolute (it does not depend on the other results), so one number per
search mode separates "about this" from "only shares a word with it":

- keyword, 0.5: BM25 strength x / (1 + x), x = -bm25, so 0.5 is a BM25 of -1, a match on one
  common word. Keyword scores separate badly: an off-topic question that shares two ordinary
  words with a passage ("order", "time") scores 0.8 as easily as the right answer does, so
  this floor only drops the weakest matches.
- vector, 0.3: cosine similarity. With all-MiniLM-L6-v2 the passage answering a customer
  question mostly scores 0.35 to 0.6, while the best passage for an off-topic question scores
  0.16 in the median and 0.43 at most.
- hybrid, 0.45: the same mix as the score, alpha * vector + (1 - alpha) * keyword, at the
  default alpha 0.5 (measure again when the default alpha changes).

Measured with the demo knowledge base (69 questions) and the Bitext FAQ (270) against 25
off-topic questions, counting a question grounded when its best passage reaches the floor:

    mode     floor  grounded (demo, Bitext)  off-topic refused (demo, Bitext)
    keyword  0.5    0.99, 0.96               0.12, 0.48
    vector   0.3    0.96, 0.97               0.76, 0.92
    hybrid   0.45   0.99, 0.94               0.48, 0.88

A tenant overrides the floor with `thresholds.min_passage_score`.
"""

from __future__ import annotations

from collections.abc import Sequence

from supportflow.knowledge.passages import Passage, SearchMode

RELEVANCE_FLOOR: dict[SearchMode, float] = {"keyword": 0.5, "vector": 0.3, "hybrid": 0.45}


def floor_for(mode: SearchMode, configured: float | None = None) -> float:
    """The floor for `mode`: the tenant's `configured` one when set, else the default."""
    return RELEVANCE_FLOOR[mode] if configured is None else configured


def above_floor(passages: Sequence[Passage], floor: float) -> list[Passage]:
    """The passages scoring at least `floor`, in their order."""
    return [passage for passage in passages if passage.score >= floor]


def is_grounded(passages: Sequence[Passage], floor: float) -> bool:
    """Whether any passage reaches the floor; when none does, the draft has no grounding."""
    return any(passage.score >= floor for passage in passages)
