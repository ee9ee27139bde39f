"""Extractive answers: the sentences of a passage that best match the customer's words.

Without an LLM the draft quotes the knowledge base rather than paraphrasing it, so every
statement in it is literally in a cited source.
"""

from __future__ import annotations

import re

# Sentence ends, and every line break: in manuals a line is often a table row or a list
# item that reads as a statement of its own.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_LIST_MARKER = re.compile(r"^(?:[-*•]\s+)+")
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
_STOPWORDS = frozenset(
    "the and for you your our with this that have has are was were but not can will from "
    "into about what when how why who which there their them they then than been being "
    "please thanks thank hello dear regards would could should also just any all may".split()
)


def content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOPWORDS}


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of `text`, whitespace collapsed, list markers removed."""
    parts = (_LIST_MARKER.sub("", " ".join(p.split())) for p in _SENTENCE_END.split(text))
    return [p for p in parts if len(p) > 2]


def _overlap(sentence: str, wanted: set[str]) -> float:
    """Shared words, codes and numbers (E-104, BW-123456) weighing most; long run-on
    fragments (flattened tables) count for less."""
    shared = content_words(sentence) & wanted
    score = sum(3.0 if any(c.isdigit() for c in word) else 1.0 for word in shared)
    return score / 2 if len(sentence) > 300 else score


def best_sentences(passage: str, query: str, *, limit: int = 2, max_chars: int = 400) -> str:
    """Up to `limit` sentences of `passage` sharing most words with `query`, in passage order.

    Falls back to the passage's opening when no sentence shares a word with the query.
    """
    sentences = split_sentences(passage)
    if not sentences:
        return ""
    wanted = content_words(query)
    scored = [(_overlap(s, wanted), -i, s) for i, s in enumerate(sentences)]
    chosen = sorted(scored, reverse=True)[:limit]
    if chosen[0][0] == 0:
        chosen = [(0, 0, sentences[0])]
    ordered = [s for _, _, s in sorted(chosen, key=lambda item: -item[1])]
    text = " ".join(ordered)
    return text if len(text) <= max_chars else text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
