"""Checking a written reply against its sources before a reviewer sees it.

Two kinds of check. Hard ones reject the reply (it is sent back to the model once, then
the template's draft is used): a cited passage that does not exist, and a URL, price,
date or commitment (a number of days, hours, a percentage) that appears in none of the
sources. URLs must come from the passages or the template; amounts, dates and durations may
also come from the customer's own message or the extracted facts.

The soft check flags sentences for the reviewer: every sentence that states a fact must be
supported by a passage it cites (or, without a marker of its own, one the reply cites), or
by the extracted facts, the conversation summary or the template's wording. Support is
lexical overlap of content words, or sentence-embedding similarity with some lexical
overlap, so paraphrase passes and invention does not. Greetings, thanks, questions and
sign-offs state no fact and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from supportflow.knowledge.embeddings import Embedder

CITATION = re.compile(r"\[(\d{1,3})\]")
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)
_MONEY = re.compile(
    r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?)|(?:\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars?|euros?))",
    re.IGNORECASE,
)
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|"
    rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b)",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:%|percent\b|(?:business |working |calendar )?"
    r"(?:days?|hours?|weeks?|months?|years?)\b)",
    re.IGNORECASE,
)
_COURTESY = re.compile(
    r"^\W*(hi|hello|hey|dear|thanks|thank you|many thanks|best|kind regards|regards|warm regards|"
    r"sincerely|cheers|we are sorry|we're sorry|i am sorry|i'm sorry|sorry|apologies|"
    r"we apologi[sz]e|i hope|hope this helps|please let (?:us|me) know|feel free|"
    r"if you have any|don't hesitate|do not hesitate)\b",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    "a an and are as at be been but by can could do does for from has have i if in into is it "
    "its me my of on or our please so that the their them then there these they this to us "
    "was we were what when where which will with would you your yours also any all more "
    "about just not no yes than too very should may might".split()
)
MIN_FACT_WORDS = 4
LEXICAL_SUPPORT = 0.6
EMBEDDING_SUPPORT = 0.6
EMBEDDING_LEXICAL_FLOOR = 0.25


@dataclass(frozen=True)
class Sources:
    """What a reply may rest on: the numbered passages (number -> text), the template's
    draft, the extracted facts and conversation summary, and the customer's message."""

    passages: Mapping[int, str]
    template_text: str = ""
    facts_text: str = ""
    message_text: str = ""

    def for_numbers(self) -> str:
        return "\n".join(self.passages.values())


@dataclass(frozen=True)
class Verification:
    """The soft check's result: the sentences no source supports, and which passages
    supported at least one sentence (for citation precision)."""

    checked: int
    unsupported: list[str] = field(default_factory=list)
    supporting: list[int] = field(default_factory=list)

    @property
    def grounded(self) -> bool:
        return not self.unsupported


def cited_numbers(reply: str, listed: Sequence[int] = ()) -> list[int]:
    """Every passage number the reply cites, in its text ([n]) or in its citation list."""
    return sorted({int(n) for n in CITATION.findall(reply)} | set(listed))


def hard_problems(reply: str, cited: Sequence[int], sources: Sources) -> list[str]:
    """Why the reply must not be used: invented citations and unsourced URLs, amounts,
    dates and commitments. Empty when there is none."""
    problems = [
        f"cited passage [{number}] does not exist"
        for number in cited
        if number not in sources.passages
    ]
    grounds = _normalise(f"{sources.for_numbers()}\n{sources.template_text}")
    case_grounds = _normalise(f"{grounds}\n{sources.facts_text}\n{sources.message_text}")
    for url in _URL.findall(reply):
        url = url.rstrip(".,;:!?")
        if _normalise(url) not in grounds:
            problems.append(f"the URL {url} is in no source")
    for pattern, kind in ((_MONEY, "amount"), (_DATE, "date"), (_COMMITMENT, "commitment")):
        for found in pattern.findall(reply):
            if not _mentioned(found, case_grounds):
                problems.append(f"the {kind} {found.strip()!r} is in no source")
    return problems


def check_support(
    reply: str, cited: Sequence[int], sources: Sources, embedder: Embedder | None = None
) -> Verification:
    """The sentences of `reply` that state a fact no cited passage or case fact supports."""
    facts = [text for text in (sources.template_text, sources.facts_text) if text.strip()]
    statements = [s for s in split_sentences(reply) if states_a_fact(s)]
    unsupported: list[str] = []
    supporting: set[int] = set()
    vectors = _Vectors(embedder)
    for sentence in statements:
        own = [int(n) for n in CITATION.findall(sentence)]
        numbers = [n for n in (own or cited) if n in sources.passages]
        candidates = [(n, sources.passages[n]) for n in numbers] + [(0, t) for t in facts]
        backers = [n for n, text in candidates if _supports(text, sentence, vectors)]
        if backers:
            supporting.update(n for n in backers if n > 0)
        else:
            unsupported.append(_without_markers(sentence))
    return Verification(len(statements), unsupported, sorted(supporting))


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def states_a_fact(sentence: str) -> bool:
    """A sentence worth checking: not a greeting, thanks, apology, question or sign-off."""
    plain = _without_markers(sentence)
    if plain.endswith("?") or _COURTESY.match(plain):
        return False
    return len(content_words(plain)) >= MIN_FACT_WORDS


def content_words(text: str) -> set[str]:
    """Lower-cased words without stop words, cut to six letters (a cheap stem)."""
    return {word[:6] for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


def lexical_support(source: str, sentence: str) -> float:
    words = content_words(_without_markers(sentence))
    if not words:
        return 1.0
    return len(words & content_words(source)) / len(words)


def _supports(source: str, sentence: str, vectors: _Vectors) -> bool:
    lexical = lexical_support(source, sentence)
    if lexical >= LEXICAL_SUPPORT:
        return True
    if lexical < EMBEDDING_LEXICAL_FLOOR:
        return False
    return vectors.similarity(source, _without_markers(sentence)) >= EMBEDDING_SUPPORT


class _Vectors:
    """Sentence embeddings made once per text for one verification."""

    def __init__(self, embedder: Embedder | None) -> None:
        self._embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def similarity(self, source: str, sentence: str) -> float:
        if self._embedder is None:
            return 0.0
        best = 0.0
        target = self._vector(sentence)
        for part in split_sentences(source) or [source]:
            best = max(best, float(self._vector(part) @ target))
        return best

    def _vector(self, text: str) -> np.ndarray:
        if text not in self._cache:
            assert self._embedder is not None
            self._cache[text] = np.asarray(self._embedder.embed_query(text), dtype=np.float32)
        return self._cache[text]


def _without_markers(sentence: str) -> str:
    return _MARKER.sub("", sentence).strip()


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _mentioned(found: str, grounds: str) -> bool:
    """Whether the number(s) in `found` appear in the sources with the same unit word."""
    numbers = re.findall(r"\d+(?:[.,]\d+)*", found)
    if not numbers:
        return True
    if not all(number in grounds for number in numbers):
        return False
    unit = re.search(r"[a-z%]+\s*$", found.lower().strip())
    if unit is None or not _COMMITMENT.search(found):
        return True
    # "30 days" needs "30 day(s)" or "30-day" in the sources, not just a 30 somewhere.
    stem = unit.group(0).strip().rstrip("s")[:4]
    return (
        re.search(rf"{re.escape(numbers[0])}[\s-]*(?:\w+ )?{re.escape(stem)}", grounds) is not None
    )
