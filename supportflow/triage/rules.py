"""Deterministic triage rules from the tenant's YAML, compiled once per rule set.

A rule fires when any of its conditions matches. Matching has to stay well under a millisecond
per message with hundreds of rules, so the work is shared across rules rather than done once
per condition:

- single-word keywords sit in one dictionary; the message is split into words once and each
  word is looked up (whole-word and case-insensitive by construction);
- phrases, and keywords holding spaces or punctuation, are literals found in one pass over the
  message (case folded, whitespace collapsed) by a trie-shaped regex that reports the longest
  literal starting at each position; the shorter literals that are its prefixes matched too;
- sender domains sit in one dictionary, looked up for the sender's domain and each parent;
- regex patterns are the exception: each is compiled once (IGNORECASE) and searched on its
  own, about 30-70 µs per 2 KB message each, so a tenant should prefer keywords and phrases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.config import Rule
from supportflow.errors import ConfigurationError

_WORD = re.compile(r"\w+")
_EVIDENCE_CHARS = 80


@dataclass(frozen=True)
class RuleHit:
    """One rule that fired, with what made it fire."""

    rule: str
    label: str | None
    priority: str | None
    confidence: float
    evidence: str


@dataclass(frozen=True)
class _Needle:
    """A rule (by index) waiting for a literal, and whether it must stand as a whole word."""

    rule_index: int
    evidence: str
    whole_word: bool


def normalise(text: str) -> str:
    """Fold case and collapse every run of whitespace to one space."""
    return " ".join(text.split()).casefold()


def sender_domain(sender: str | None) -> str | None:
    """The lower-cased domain of an address like `Jane <jane@mail.example.com>`, or None."""
    if not sender or "@" not in sender:
        return None
    domain = sender.rsplit("@", 1)[1].strip().strip(">").strip().rstrip(".").lower()
    return domain or None


class _LiteralScanner:
    """Finds many literals in one pass, overlaps included (Aho-Corasick's answer, with re)."""

    def __init__(self, needles: dict[str, list[_Needle]]) -> None:
        self._needles = needles
        # Two literals found at the same position are prefix and extension of each other,
        # so the longest one found there tells all of them.
        self._prefixes = {literal: _prefixes_among(literal, needles) for literal in needles}
        self._regex = re.compile(f"(?=({_trie_pattern(needles)}))") if needles else None

    def scan(self, folded: str, evidence: dict[int, str]) -> None:
        """Record in `evidence` each rule with a literal in `folded` (first evidence wins)."""
        if self._regex is None:
            return
        for found in self._regex.finditer(folded):
            position = found.start()
            for literal in self._prefixes[found.group(1)]:
                for needle in self._needles[literal]:
                    if needle.whole_word and not _is_whole_word(folded, position, len(literal)):
                        continue
                    evidence.setdefault(needle.rule_index, needle.evidence)


class RuleSet:
    """A compiled set of rules; build it with `RuleSet.from_rules` and reuse it."""

    def __init__(
        self,
        rules: Sequence[Rule],
        words: dict[str, list[tuple[int, str]]],
        literals: dict[str, list[_Needle]],
        patterns: list[tuple[int, re.Pattern[str]]],
        domains: dict[str, list[int]],
    ) -> None:
        self._rules = tuple(rules)
        self._words = words
        self._scanner = _LiteralScanner(literals)
        self._patterns = patterns
        self._domains = domains

    @classmethod
    def from_rules(cls, rules: Sequence[Rule]) -> RuleSet:
        """Compile `rules` once.

        Raises ConfigurationError naming the rule for a duplicate rule name, a rule without any
        condition, a blank condition, or a pattern that is not a valid regex.
        """
        words: dict[str, list[tuple[int, str]]] = {}
        literals: dict[str, list[_Needle]] = {}
        patterns: list[tuple[int, re.Pattern[str]]] = []
        domains: dict[str, list[int]] = {}
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            _check_rule(rule, seen)
            for keyword in (keyword.strip() for keyword in rule.keywords):
                evidence = f'keyword "{keyword}"'
                if _WORD.fullmatch(keyword):
                    words.setdefault(keyword.casefold(), []).append((index, evidence))
                else:
                    needle = _Needle(index, evidence, whole_word=True)
                    literals.setdefault(normalise(keyword), []).append(needle)
            for phrase in rule.phrases:
                needle = _Needle(index, f'phrase "{phrase.strip()}"', whole_word=False)
                literals.setdefault(normalise(phrase), []).append(needle)
            patterns.extend((index, _compile(rule, pattern)) for pattern in rule.patterns)
            for domain in rule.sender_domains:
                domains.setdefault(domain.strip().strip(".").lstrip("@").lower(), []).append(index)
        return cls(rules, words, literals, patterns, domains)

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, *, subject: str, text: str, sender: str | None) -> list[RuleHit]:
        """Every rule that fires on this message, highest confidence first.

        Subject and text are searched together; ties keep the order the rules were declared in.
        Each hit's evidence names one condition that matched (keyword, phrase, pattern, sender).
        """
        message = f"{subject}\n{text}"
        folded = normalise(message)
        evidence: dict[int, str] = {}
        for word in set(_WORD.findall(folded)):
            for index, found in self._words.get(word, ()):
                evidence.setdefault(index, found)
        self._scanner.scan(folded, evidence)
        for index, pattern in self._patterns:
            if index not in evidence and (found_match := pattern.search(message)):
                matched = found_match.group(0)[:_EVIDENCE_CHARS]
                evidence[index] = f'pattern "{pattern.pattern}" matched "{matched}"'
        self._match_sender(sender, evidence)
        ranked = sorted(evidence, key=lambda index: (-self._rules[index].confidence, index))
        return [self._hit(index, evidence[index]) for index in ranked]

    def _match_sender(self, sender: str | None, evidence: dict[int, str]) -> None:
        domain = sender_domain(sender)
        if domain is None or not self._domains:
            return
        labels = domain.split(".")
        # The sender's own domain first, then each parent: mail.example.com, example.com, com.
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            for index in self._domains.get(candidate, ()):
                evidence.setdefault(index, f'sender domain "{domain}" is under "{candidate}"')

    def _hit(self, index: int, evidence: str) -> RuleHit:
        rule = self._rules[index]
        return RuleHit(rule.name, rule.label, rule.priority, rule.confidence, evidence)


def _check_rule(rule: Rule, seen: set[str]) -> None:
    if rule.name in seen:
        raise ConfigurationError(f"rule {rule.name!r} is declared twice")
    seen.add(rule.name)
    conditions = [*rule.keywords, *rule.phrases, *rule.patterns, *rule.sender_domains]
    if not conditions:
        raise ConfigurationError(
            f"rule {rule.name!r} has no keywords, phrases, patterns or sender_domains"
        )
    if any(not condition.strip() for condition in conditions):
        raise ConfigurationError(f"rule {rule.name!r} has an empty condition")


def _compile(rule: Rule, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigurationError(
            f"rule {rule.name!r}: pattern {pattern!r} is not a valid regex: {exc}"
        ) from exc


def _prefixes_among(literal: str, literals: dict[str, list[_Needle]]) -> list[str]:
    """`literal` and those of its prefixes that are literals too."""
    prefixes = (literal[:end] for end in range(1, len(literal) + 1))
    return [prefix for prefix in prefixes if prefix in literals]


class _TrieNode:
    def __init__(self) -> None:
        self.children: dict[str, _TrieNode] = {}
        self.is_end = False


def _trie_pattern(literals: dict[str, list[_Needle]]) -> str:
    """A regex matching the longest of `literals` at a position (greedy optional branches)."""
    root = _TrieNode()
    for literal in literals:
        node = root
        for char in literal:
            node = node.children.setdefault(char, _TrieNode())
        node.is_end = True
    return _node_pattern(root)


def _node_pattern(node: _TrieNode) -> str:
    branches = [
        re.escape(char) + _node_pattern(child) for char, child in sorted(node.children.items())
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # A literal ending here makes the longer continuations optional; greedy tries them first.
    return f"(?:{body})?" if node.is_end else body


def _is_whole_word(text: str, start: int, length: int) -> bool:
    end = start + length
    before = start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")
    after = end >= len(text) or not (text[end].isalnum() or text[end] == "_")
    return before and after
