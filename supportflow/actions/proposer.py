"""Which of the tenant's actions to propose for a case: plain rules, no model.

An action applies when the case's category is one of its categories, every field it requires
was extracted, and (when it lists keywords) the message says one of them. The same case always
gets the same proposals, and each says why it was made, so a reviewer can judge it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from supportflow.config import ActionRule

# Curly apostrophes and line breaks must not hide "haven't received" from a keyword.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ProposedAction:
    """An action to put before the reviewer: `label` with its fields filled in, `reason`
    saying which category, fields and keyword made it apply, `fields_used` the values."""

    name: str
    label: str
    reason: str
    fields_used: dict[str, str] = field(default_factory=dict)


def propose_actions(
    category: str | None,
    fields: Mapping[str, Sequence[str]],
    subject: str,
    text: str,
    actions: Sequence[ActionRule],
) -> list[ProposedAction]:
    """The `actions` that apply to a case of `category` with the extracted `fields` (name ->
    values, first one used) and the message `subject` and `text`, by priority then name.
    An action missing a required field is not proposed."""
    message = _normalised(f"{subject}\n{text}")
    proposals = [
        (rule.priority, rule.name, proposal)
        for rule in actions
        if (proposal := _proposal(rule, category, fields, message)) is not None
    ]
    return [proposal for _, _, proposal in sorted(proposals, key=lambda p: (p[0], p[1]))]


def _proposal(
    rule: ActionRule, category: str | None, fields: Mapping[str, Sequence[str]], message: str
) -> ProposedAction | None:
    if category is None or category not in rule.categories:
        return None
    used = {name: values[0] for name in rule.requires if (values := fields.get(name))}
    if len(used) != len(rule.requires):
        return None
    keyword = None
    if rule.when_keywords:
        keyword = _said(message, rule.when_keywords)
        if keyword is None:
            return None
    return ProposedAction(
        name=rule.name,
        label=rule.label.format_map(used),
        reason=_reason(category, used, keyword),
        fields_used=used,
    )


def _said(message: str, keywords: Sequence[str]) -> str | None:
    """The first of `keywords` the (normalised) message says as whole words, or None."""
    for keyword in keywords:
        words = _normalised(keyword)
        if words and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", message):
            return keyword
    return None


def _normalised(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_APOSTROPHES)).strip().lower()


def _reason(category: str, used: Mapping[str, str], keyword: str | None) -> str:
    parts = [f"category {category}"]
    parts += [f"{name} {value}" for name, value in used.items()]
    if keyword is not None:
        parts.append(f"the message says {keyword!r}")
    return "; ".join(parts)
