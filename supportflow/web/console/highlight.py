"""Marking, in a retrieved passage, the sentences its draft quoted.

A draft's citation stores what it quoted from passage n (`text`: the extract's sentences,
whitespace collapsed and list markers dropped, possibly cut short with "…"). Each quoted
sentence is found again in the passage's full text with any whitespace between its words,
so the reviewer sees exactly which words of the source the reply rests on.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from supportflow.drafting.extractive import split_sentences


def _sentence_pattern(sentence: str) -> re.Pattern[str] | None:
    words = sentence.rstrip("…").split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words))


def quoted_spans(passage: str, quoted: str) -> list[tuple[int, int]]:
    """Character spans of `passage` holding the sentences of `quoted`, merged and sorted."""
    spans: list[tuple[int, int]] = []
    for sentence in split_sentences(quoted):
        pattern = _sentence_pattern(sentence)
        found = pattern.search(passage) if pattern else None
        if found:
            spans.append(found.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(passage: str, quoted: str | None) -> Markup:
    """`passage` as HTML with the sentences of `quoted` in <mark>; the rest escaped."""
    if not quoted:
        return Markup(escape(passage))
    parts: list[str] = []
    at = 0
    for start, end in quoted_spans(passage, quoted):
        parts.append(escape(passage[at:start]))
        parts.append(Markup("<mark>%s</mark>") % passage[start:end])
        at = end
    parts.append(escape(passage[at:]))
    return Markup("").join(parts)
