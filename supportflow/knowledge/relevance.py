"""The relevance floor: a passage scoring under it is not cited.

`Passage.score` is absolute (it does not depend on the other results), so one number per
search mode separates "about this" from "only shares a word with it":

- keyword, 0.5: BM25 strength x / (1 + x), x = -bm25, so 0.5 is a BM25 of -1, a match on one
  common word. Keyword scores separate badly: an off-topic question that shares two ordinary
  words with a passage ("order", "time") scores 0.8 as easily as the right answer does, so
  this floor only drops the weakest matches.
- vector, 0.3: cosine similarity. With all-MiniLM-L6-v2 the passage answering a customer
  question mostly scores 0.35 to 0.6, the best passage for an off-topic question mostly less
  than 0.3.
- hybrid, 0.45: the same mix as the score, alpha * vector + (1 - alpha) * keyword, at the
  default alpha 0.6 (measure again when the default alpha changes).

Measured with `supportflow eval retrieve` on the demo knowledge base (69 questions) and the
Bitext FAQ (270), each against the 30 off-topic questions of
`supportflow/demo/off_topic_questions.jsonl` (`--off-topic`; `--demo` brings them), counting a
question grounded when its best passage reaches the floor:

    mode     floor  grounded (demo, Bitext)  off-topic refused (demo, Bitext)
    keyword  0.5    0.99, 0.94               0.10, 0.53
    vector   0.3    0.96, 0.97               0.93, 0.93
    hybrid   0.45   0.97, 0.92               0.87, 0.97

A lower hybrid floor grounds a few more questions and refuses far fewer off-topic ones (0.42:
0.97 and 0.93 grounded, 0.77 and 0.90 refused), so 0.45 stays.

The vector and hybrid floors above are MiniLM's. Multilingual e5 puts every text close to
every other (cosine 0.8 or more for off-topic questions too), so it has floors of its own,
measured the same way on the English sets: vector 0.825 (grounded 0.97 and 0.99, refused
0.73 and 0.57), hybrid 0.8 (0.96 and 0.87 grounded, 0.73 and 0.97 refused). With German,
French and Spanish questions on the English demo base (`--demo-questions multilingual`) e5
finds the right document (recall@5 0.90 against MiniLM's 0.70), but its scores fall under
these floors half the time, and hybrid scores lose the keyword half entirely: such mail is
mostly marked "no grounding found" and goes to a person.

A tenant overrides the floor with `thresholds.min_passage_score`.
"""

from __future__ import annotations

from collections.abc import Sequence

from supportflow.knowledge.passages import Passage, SearchMode

RELEVANCE_FLOOR: dict[SearchMode, float] = {"keyword": 0.5, "vector": 0.3, "hybrid": 0.45}
MODEL_FLOORS: dict[str, dict[SearchMode, float]] = {
    "multilingual-e5-small-q4": {"vector": 0.825, "hybrid": 0.8},
}


def floor_for(mode: SearchMode, configured: float | None = None, model: str | None = None) -> float:
    """The floor for `mode`: the tenant's `configured` one when set, else the default for the
    embedding `model` (by `Embedder.name`; MiniLM's when it has none of its own)."""
    if configured is not None:
        return configured
    return MODEL_FLOORS.get(model or "", {}).get(mode, RELEVANCE_FLOOR[mode])


def above_floor(passages: Sequence[Passage], floor: float) -> list[Passage]:
    """The passages scoring at least `floor`, in their order."""
    return [passage for passage in passages if passage.score >= floor]


def is_grounded(passages: Sequence[Passage], floor: float) -> bool:
    """Whether any passage reaches the floor; when none does, the draft has no grounding."""
    return any(passage.score >= floor for passage in passages)
