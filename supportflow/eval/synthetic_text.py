"""Deterministic support-article prose for benchmarks: sentences over a fixed vocabulary.

Search cost depends on how many chunks a query's words match, so the text imitates the term
statistics of a real knowledge base rather than its meaning. Sentences are built from a small
set of common support words (robot, order, battery, ...), drawn with Zipf-like weights so a
few are everywhere, and from the words of the document's *topic*: a handful of rarer words
(made-up names of products, parts and places) that only the documents on that topic use.
Queries mix both kinds, as a customer's email mentions both "order" and the product. On the
demo knowledge base, an OR query of a real question matches about half of the chunks; these
queries match a similar share (`bench kb` reports it). The same seed gives the same text.
"""

from __future__ import annotations

import random

_SUBJECTS = """robot vacuum dock charger battery app filter brush wheel sensor bumper mop tank
pad tether window parcel order refund return invoice subscription account password warranty
firmware router network light adapter cable label carrier warehouse customer technician
map schedule zone threshold carpet floor glass frame suction motor fan bag bin lid screen
""".split()
_VERBS = """stops blinks charges cleans connects fails restarts beeps shows needs covers
replaces ships arrives updates pairs maps avoids empties detects climbs drains holds loses
resets refunds cancels tracks confirms requires lasts supports""".split()
_MODIFIERS = """quickly again automatically manually daily weekly monthly overnight
immediately safely fully partly twice often rarely""".split()
_CONNECTORS = """after before when while unless because until if although""".split()
_ADJECTIVES = """new old faulty damaged spare original blocked dirty full empty weak strong
quiet loud hidden visible wireless local international express standard annual""".split()
_NOUNS = """days hours minutes weeks months metres setup pairing mode error code settings
menu indicator ticket claim photo video serial number address postcode country customs duty
plug voltage socket package box foam instructions manual chapter page section table step
""".split()
_SYLLABLES = """ka lo mi ne ru sa te vo zi pa bre cla dro fen gor hal jin kel mor nis pel
quo ras sol tur vex wyn yar zel""".split()
TOPIC_WORDS = 12
VOCABULARY = 20000  # topic words to choose from


class SyntheticText:
    """A seeded generator of topics, sentences, chunk-sized paragraphs and queries."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._common = _NOUNS + _SUBJECTS
        self._common_weights = [1 / (rank + 1) for rank in range(len(self._common))]
        words = dict.fromkeys(self._pseudo_word() for _ in range(VOCABULARY * 2))
        self._vocabulary = list(words)[:VOCABULARY]

    def topic(self) -> list[str]:
        """The rarer words one document is about."""
        return self._rng.sample(self._vocabulary, TOPIC_WORDS)

    def sentence(self, topic: list[str]) -> str:
        """One sentence of 8-20 words about `topic`, ending with a full stop."""
        rng = self._rng
        words = [rng.choice(_ADJECTIVES), self._noun(topic), rng.choice(_VERBS)]
        words += [self._noun(topic) for _ in range(rng.randint(2, 5))]
        if rng.random() < 0.5:
            words.append(rng.choice(_MODIFIERS))
        if rng.random() < 0.6:
            words += [rng.choice(_CONNECTORS), "the", self._noun(topic), rng.choice(_VERBS)]
        words += [self._noun(topic) for _ in range(rng.randint(0, 4))]
        return " ".join(words).capitalize() + "."

    def paragraph(self, topic: list[str], sentences: tuple[int, int] = (4, 8)) -> str:
        """A chunk-sized paragraph (about 500 characters) about `topic`."""
        count = self._rng.randint(*sentences)
        return " ".join(self.sentence(topic) for _ in range(count))

    def question(self, topic: list[str]) -> str:
        """A short customer-style query about `topic`: 3-7 words."""
        rng = self._rng
        words = [rng.choice(("my", "why", "how", "when")), rng.choice(_SUBJECTS)]
        if rng.random() < 0.5:
            words.append(rng.choice(_VERBS))
        words += rng.sample(topic, rng.randint(1, 3))
        words += rng.choices(self._common, weights=self._common_weights, k=rng.randint(0, 1))
        return " ".join(words) + "?"

    def _noun(self, topic: list[str]) -> str:
        if self._rng.random() < 0.35:
            return self._rng.choice(topic)
        return self._rng.choices(self._common, weights=self._common_weights)[0]

    def _pseudo_word(self) -> str:
        return "".join(self._rng.choices(_SYLLABLES, k=self._rng.randint(2, 4)))
