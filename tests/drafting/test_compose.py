from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


DEMO_TEMPLATES = Path(__file__).parents[2] / "supportflow" / "demo" / "tenant" / "templates"


def bilingual_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.DictLoader(
            {
                "billing.j2": "Hello {{ customer_name }} [1]",
                "billing.de.j2": "Guten Tag {{ customer_name }} [1]",
            }
        ),
        undefined=jinja2.StrictUndefined,
    )


def compose_billing(language: str | None, templates: jinja2.Environment | None = None):
    return compose_draft(
        templates=templates or bilingual_env(),
        template_name="billing.j2",
        query="",
        passages=[FakePassage("Refunds", "refunds.md", None, None, None, "Refunds take 5 days.")],
        facts={},
        context={"customer_name": "Ana"},
        language=language,
    )


def test_a_german_message_gets_the_german_template_and_sources_heading():
    draft = compose_billing("de")
    assert draft.template == "billing.de.j2"
    assert draft.body_text == "Guten Tag Ana [1]\n\nQuellen:\n[1] Refunds\n"


@pytest.mark.parametrize("language", ["fr", "unknown", None, "../billing"])
def test_without_a_translation_the_default_template_answers(language):
    draft = compose_billing(language)
    assert draft.template == "billing.j2"
    assert draft.body_text == "Hello Ana [1]\n\nSources:\n[1] Refunds\n"


def test_a_broken_translation_is_a_configuration_error_not_a_fallback():
    broken = jinja2.Environment(
        loader=jinja2.DictLoader({"billing.j2": "Hello", "billing.de.j2": "{% if %}"})
    )
    with pytest.raises(ConfigurationError, match="billing.j2"):
        compose_billing("de", broken)


def test_the_demo_tenant_answers_order_questions_in_german():
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DEMO_TEMPLATES), undefined=jinja2.StrictUndefined
    )
    draft = compose_draft(
        templates=templates,
        template_name="order_status.j2",
        query="Wo ist meine Bestellung?",
        passages=[
            FakePassage("Shipping", "shipping.md", None, None, None, "Orders ship in 2 days.")
        ],
        facts={"order_id": ["BW-548812"]},
        context={
            "customer_name": "Jürgen Müller",
            "company": "Brightwave Home Robotics",
            "agent_name": "Brightwave Support",
        },
        language="de",
    )
    assert draft.template == "order_status.de.j2"
    assert draft.body_text.startswith(
        "Guten Tag Jürgen Müller,\n\nvielen Dank für Ihre Nachricht an Brightwave Home Robotics "
        "zu Ihrer Bestellung BW-548812.\n"
    )
    assert "- Orders ship in 2 days. [1]\n" in draft.body_text
    assert "\n\n\n" not in draft.body_text
    assert draft.body_text.endswith(
        "Mit freundlichen Grüßen\nBrightwave Support\nBrightwave Home Robotics\n\n"
        "Quellen:\n[1] Shipping\n"
    )
