"""The demo tenant folder: configuration, reply templates and labelled examples."""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest

from supportflow.config import TenantConfig, load_tenant_config
from supportflow.triage.rules import RuleSet

TENANT = Path(__file__).parents[2] / "supportflow" / "demo" / "tenant"
CATEGORIES = {
    "order_status",
    "returns_refunds",
    "billing",
    "technical_issue",
    "account_access",
    "product_info",
    "warranty",
}


@dataclass(frozen=True)
class Passage:
    number: int
    title: str
    page: int | None
    section: str | None
    text: str


PASSAGES = [
    Passage(
        1,
        "Error codes and troubleshooting",
        None,
        "E-104 - Wheel stall",
        "A drive wheel is blocked or cannot turn.\n  Check both axles for hair.",
    ),
    Passage(
        2,
        "Glide S1 and Glide S2 Robot Vacuum - User Manual",
        5,
        None,
        "If E-104 returns 3 times in a week after cleaning, contact support.",
    ),
]
FACTS = {
    "order_id": ["BW-402277"],
    "tracking_number": ["PL4821937560"],
    "error_code": ["E-104"],
    "ticket_reference": ["BWT-48213"],
    "phone_number": ["+15125550164"],
    "postal_address": ["2210 Oak Hollow Lane, Austin, TX 78704"],
    "urgency": ["normal"],
}


@pytest.fixture(scope="module")
def config() -> TenantConfig:
    return load_tenant_config(TENANT)


def test_tenant_yaml_validates_with_the_seven_categories(config):
    assert config.tenant.slug == "brightwave"
    assert config.tenant.support_address == "support@brightwave.example"
    assert {c.name for c in config.categories} == CATEGORIES
    assert all(c.template == f"{c.name}.j2" and c.kb_tags for c in config.categories)
    assert config.limits.max_attachment_bytes == 2_000_000


def test_rules_compile_and_label_only_known_categories(config):
    assert 10 <= len(config.rules) <= 20
    assert len(RuleSet.from_rules(config.rules)) == len(config.rules)
    assert {r.label for r in config.rules if r.label} <= CATEGORIES


def test_rules_route_typical_requests(config):
    rules = RuleSet.from_rules(config.rules)

    def first(text: str, sender: str | None = None) -> tuple[str | None, str | None]:
        hits = rules.match(subject="", text=text, sender=sender)
        labelled = [h for h in hits if h.label]
        return (labelled[0].label if labelled else None, hits[0].priority if hits else None)

    assert first("Help, my account was hacked") == ("account_access", "high")
    assert first("Where is my order? It is late") == ("order_status", None)
    assert first("The robot shows ERR-DOCK-07 every night")[0] == "technical_issue"
    assert first("Warranty claim: E-104 keeps coming back")[0] == "warranty"
    assert rules.match(subject="", text="I will talk to my lawyer", sender=None)[0].priority == (
        "urgent"
    )
    reseller = rules.match(subject="", text="PO 1", sender="buyer@homeharbor.example")
    assert [h.priority for h in reseller] == ["high"]


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("order_id", "order BW-482913, not BW-12345", ["BW-482913"]),
        ("ticket_reference", "ticket BWT-48213 and order BW-482913", ["BWT-48213"]),
        (
            "tracking_number",
            "PL4821937560 or 1Z9A4W730312845562",
            ["PL4821937560", "1Z9A4W730312845562"],
        ),
        (
            "error_code",
            "E12, then E-104 and ERR-DOCK-07; P-03 too",
            ["ERR-DOCK-07", "E-104", "E12", "P-03"],
        ),
    ],
)
def test_extraction_patterns_find_the_demo_formats(config, field, text, expected):
    found = [m for p in getattr(config.extraction, field) for m in re.findall(p, text)]
    assert found == expected


def _environment(**options: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TENANT / "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        **options,
    )


def _render(
    env: jinja2.Environment,
    category: str,
    *,
    passages: list[Passage],
    facts: dict,
    customer_name: str | None,
) -> str:
    return env.get_template(f"{category}.j2").render(
        customer_name=customer_name,
        facts=facts,
        passages=passages,
        category=category,
        subject="Glide S2 keeps stopping",
        company="Brightwave Home Robotics",
        agent_name="Brightwave Support",
    )


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_template_cites_every_passage_and_uses_the_facts(config, category):
    text = _render(_environment(), category, passages=PASSAGES, facts=FACTS, customer_name="Priya")
    assert text.startswith("Hello Priya,\n\n")
    assert "[1]" in text and "[2]" in text
    assert "Check both axles for hair. [1]" in text  # passage whitespace collapsed
    assert "\n\n\n" not in text
    assert text.rstrip().endswith("Brightwave Support\nBrightwave Home Robotics")
    mentioned = [value for values in FACTS.values() for value in values if value in text]
    assert mentioned or category in {"account_access", "product_info"}


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_template_reads_well_without_passages_or_facts(config, category):
    text = _render(_environment(), category, passages=[], facts={}, customer_name=None)
    assert text.startswith("Hello,\n\n")
    assert "within one business day" in text  # a specialist follows up
    assert "[" not in text
    assert "\n\n\n" not in text and "  " not in text.replace("\n  ", "\n")


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_template_output_does_not_depend_on_block_trimming(category):
    plain, trimmed = _environment(), _environment(trim_blocks=True, lstrip_blocks=True)
    for passages, facts in ((PASSAGES, FACTS), ([], {})):
        assert _render(plain, category, passages=passages, facts=facts, customer_name="A") == (
            _render(trimmed, category, passages=passages, facts=facts, customer_name="A")
        )


def test_examples_cover_every_category_with_at_least_25(config):
    with (TENANT / config.examples_file).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 25 and max(counts.values()) <= 35
    texts = [row["text"].strip() for row in rows]
    assert all(texts) and len(set(texts)) == len(texts)
