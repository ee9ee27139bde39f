from __future__ import annotations

from dataclasses import dataclass

import jinja2
import pytest

from supportflow.drafting.compose import compose_draft
from supportflow.drafting.extractive import best_sentences
from supportflow.errors import ConfigurationError

TEMPLATE = (
    "Hello {{ customer_name or 'there' }},\n\n"
    "{% for p in passages %}- {{ p.text }} [{{ p.number }}]\n{% endfor %}\n"
    "{% if facts.order_id %}Order: {{ facts.order_id | join(', ') }}\n{% endif %}"
    "Regards,\n{{ agent_name }}\n"
)


@dataclass
class FakePassage:
    title: str
    source: str
    section: str | None
    page_start: int | None
    page_end: int | None
    text: str


def env(template: str = TEMPLATE) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": template}), undefined=jinja2.StrictUndefined
    )


def test_draft_cites_passages_and_lists_sources_with_pages() -> None:
    passages = [
        FakePassage(
            "User manual",
            "manual.pdf",
            "User manual > 4. Error codes",
            5,
            5,
            "E-104 Wheel stall. Remove hair from the wheel axles.",
        ),
        FakePassage("Returns policy", "returns.md", None, None, None, "Returns take 30 days."),
    ]
    draft = compose_draft(
        templates=env(),
        template_name="t.j2",
        query="error E-104",
        passages=passages,
        facts={"order_id": ["BW-123456"]},
        context={"customer_name": "Ana", "agent_name": "Support"},
    )
    assert draft.body_text == (
        "Hello Ana,\n\n"
        "- E-104 Wheel stall. Remove hair from the wheel axles. [1]\n"
        "- Returns take 30 days. [2]\n\n"
        "Order: BW-123456\n"
        "Regards,\nSupport\n\n"
        "Sources:\n"
        "[1] User manual, p. 5, 4. Error codes\n"
        "[2] Returns policy\n"
    )
    assert [c["number"] for c in draft.citations] == [1, 2]


def test_uncited_passages_are_not_listed() -> None:
    passages = [FakePassage("Doc", "d.md", None, None, None, "Something.")]
    draft = compose_draft(
        templates=env("Hi {{ agent_name }}"),
        template_name="t.j2",
        query="q",
        passages=passages,
        facts={},
        context={"agent_name": "S"},
    )
    assert draft.body_text == "Hi S\n"
    assert draft.citations == []


def test_missing_template_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="nope.j2"):
        compose_draft(
            templates=env(), template_name="nope.j2", query="", passages=[], facts={}, context={}
        )


def test_extract_prefers_the_sentence_with_the_customers_code() -> None:
    passage = (
        "The app shows every error code.\nE12 Brush jam: clean the brush.\n"
        "E-104 Wheel stall: remove hair from the axles.\nERR-DOCK-07: move the dock."
    )
    assert best_sentences(passage, "my robot says E-104", limit=1) == (
        "E-104 Wheel stall: remove hair from the axles."
    )


def test_extract_falls_back_to_the_opening_when_nothing_matches() -> None:
    assert best_sentences("First sentence. Second one.", "unrelated words", limit=2) == (
        "First sentence."
    )


def test_extract_drops_list_markers() -> None:
    assert best_sentences(
        "- Returns take 30 days.\n- Refunds take 5 days.", "returns", limit=1
    ) == ("Returns take 30 days.")
