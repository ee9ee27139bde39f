"""Screening inbound text for prompt-injection attempts.

Without an LLM a template draft cannot be hijacked, but a message that tries to instruct
the system is still a risky case: it goes to a person rather than through the normal path.
The patterns are deliberately phrase-level so that ordinary support mail ("please ignore my
previous email") does not trip them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "override",
        r"\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+|your\s+)?"
        r"(previous|prior|above|earlier|preceding)\s+(instructions|prompts?|rules|directions)",
    ),
    ("override", r"\b(ignore|disregard)\s+(all\s+|your\s+)(instructions|rules|guidelines)"),
    (
        "exfiltration",
        r"\b(reveal|show|print|repeat|output)\s+(me\s+)?(your|the)\s+"
        r"(system\s+prompt|instructions|hidden\s+prompt|initial\s+prompt)",
    ),
    ("role", r"\byou\s+are\s+now\s+(a|an|the|in)\b"),
    ("role", r"\b(act|behave)\s+as\s+(an?\s+)?(unrestricted|jailbroken|developer\s+mode)"),
    ("role", r"\b(system|assistant)\s*:\s*(you|ignore|new\s+instructions)"),
    ("markup", r"<\|?(im_start|im_end|system)\|?>|\[/?(INST|SYS)\]"),
    ("command", r"\bnew\s+instructions\s*:"),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _PATTERNS)


@dataclass(frozen=True)
class InjectionFinding:
    kind: str
    evidence: str


def find_injection(text: str) -> InjectionFinding | None:
    """The first instruction-like passage in `text`, or None when it reads as ordinary mail."""
    for kind, pattern in _COMPILED:
        match = pattern.search(text)
        if match:
            return InjectionFinding(kind=kind, evidence=match.group(0)[:120])
    return None
