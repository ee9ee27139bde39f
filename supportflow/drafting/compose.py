"""Composing a draft reply from the category's template, the facts and cited passages.

Passages are numbered in rank order; the template cites them as [n], and the draft ends with
a Sources list naming document, page and section for every number it cited, so a reviewer
(and the customer) can check each statement. A reply follows the customer's language when the
tenant has a template for it: `billing.de.j2` beside `billing.j2`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import jinja2

from supportflow.drafting.extractive import best_sentences
from supportflow.errors import ConfigurationError

_CITATION = re.compile(r"\[(\d{1,2})\]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
# The heading of the sources list in a translated reply; English otherwise.
_SOURCES_HEADING = {"de": "Quellen", "es": "Fuentes", "fr": "Sources", "it": "Fonti"}
_SOURCES_LINES = {heading.lower() for heading in (*_SOURCES_HEADING.values(), "Sources")}


class PassageLike(Protocol):
    """A passage as search finds it or as a case stores it (read-only)."""

    @property
    def title(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def section(self) -> str | None: ...
    @property
    def page_start(self) -> int | None: ...
    @property
    def page_end(self) -> int | None: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class TemplatePassage:
    """What a template sees of one passage."""

    number: int
    title: str
    source: str
    page: int | None
    section: str | None
    text: str

    @property
    def label(self) -> str:
        where = [self.title]
        if self.page is not None:
            where.append(f"p. {self.page}")
        section = _without_title(self.section, self.title)
        if section:
            where.append(section)
        return ", ".join(where)


@dataclass(frozen=True)
class ComposedDraft:
    body_text: str
    template: str
    citations: list[dict[str, Any]]
    reply_text: str = ""  # the body before its Sources list


def compose_draft(
    *,
    templates: jinja2.Environment,
    template_name: str,
    query: str,
    passages: Sequence[PassageLike],
    facts: Mapping[str, list[str]],
    context: Mapping[str, Any],
    language: str | None = None,
) -> ComposedDraft:
    """Render `template_name` with the facts and numbered extracts of `passages`.

    `context` carries customer_name, category, subject, company and agent_name. With a
    `language` (ISO 639 code) the tenant's translation of the template is used when it has
    one (`billing.de.j2` for `billing.j2` and "de"); the draft names the template used.
    Raises ConfigurationError when the template is missing or fails to render.
    """
    numbered = numbered_passages(passages, query)
    try:
        template = _template_for(templates, template_name, language)
        body = template.render(**context, facts=dict(facts), passages=numbered)
    except jinja2.TemplateError as exc:
        raise ConfigurationError(f"reply template {template_name}: {exc}") from exc
    body = _BLANK_RUNS.sub("\n\n", body).strip()
    translated = language is not None and template.name != template_name
    return with_sources(
        body, numbered, template=template.name or template_name,
        language=language if translated else None,
    )  # fmt: skip


def numbered_passages(passages: Sequence[PassageLike], query: str) -> list[TemplatePassage]:
    """The passages numbered 1.. in rank order, each cut to its sentences best matching
    `query`."""
    return [_template_passage(i, p, query) for i, p in enumerate(passages, start=1)]


def with_sources(
    body: str, numbered: Sequence[TemplatePassage], *, template: str, language: str | None
) -> ComposedDraft:
    """The draft: `body`, then a Sources list naming every passage it cites ([n]), headed
    in `language` when given."""
    body = body.strip()
    cited = _cited(body, numbered)
    reply = body
    if cited:
        heading = _SOURCES_HEADING.get(language or "", "Sources")
        body += f"\n\n{heading}:\n" + "\n".join(f"[{p.number}] {p.label}" for p in cited)
    return ComposedDraft(
        body_text=body + "\n",
        template=template,
        citations=[asdict(p) for p in cited],
        reply_text=reply,
    )


def without_sources(text: str) -> str:
    """`text` up to its Sources list (a line that is a Sources heading, in any of our
    languages): a draft's reply alone, or an LLM's reply without the list it added."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip().rstrip(":").lower() in _SOURCES_LINES:
            return "\n".join(lines[:index]).strip()
    return text


def localised_template_name(template_name: str, language: str) -> str:
    """`billing.j2` in German is `billing.de.j2`."""
    stem, dot, suffix = template_name.rpartition(".")
    return f"{stem}.{language}.{suffix}" if dot else f"{template_name}.{language}"


def _template_for(
    templates: jinja2.Environment, template_name: str, language: str | None
) -> jinja2.Template:
    """The template in `language` when the tenant has it, else `template_name` itself.

    Only a missing translation falls back; a broken one raises like any template error.
    """
    if language and _LANGUAGE_CODE.fullmatch(language):
        try:
            return templates.get_template(localised_template_name(template_name, language))
        except jinja2.TemplateNotFound:
            pass  # no translation: the default template answers
    return templates.get_template(template_name)


def _without_title(section: str | None, title: str) -> str | None:
    """The section path minus a leading heading that only repeats the document title."""
    if not section:
        return None
    parts = section.split(" > ")
    if parts[0].strip().lower() == title.strip().lower():
        parts = parts[1:]
    return " > ".join(parts) or None


def _template_passage(number: int, passage: PassageLike, query: str) -> TemplatePassage:
    return TemplatePassage(
        number=number,
        title=passage.title,
        source=passage.source,
        page=passage.page_start,
        section=passage.section,
        text=best_sentences(passage.text, query),
    )


def _cited(body: str, passages: Sequence[TemplatePassage]) -> list[TemplatePassage]:
    numbers = {int(n) for n in _CITATION.findall(body)}
    return [p for p in passages if p.number in numbers]
