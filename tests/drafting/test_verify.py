"""The checks an LLM reply passes before a reviewer sees it."""

from __future__ import annotations

import pytest

from supportflow.drafting.verify import (
    Sources,
    check_support,
    cited_numbers,
    hard_problems,
    states_a_fact,
)
from supportflow.knowledge.embeddings import try_load_embedder

PASSAGES = {
    1: "Error E-104 means the brush is blocked. Remove the brush and clean it, then restart "
    "the robot. Returns are accepted within 30 days of delivery.",
    2: "Refunds are paid to the original card within 5 business days. See "
    "https://help.brightwave.example/refunds for details.",
}
SOURCES = Sources(
    PASSAGES,
    template_text="Hello Ana,\nThanks for writing to Brightwave.",
    facts_text="order_id: BW-1001",
    message_text="I paid $49.99 on 3 March and the robot shows E-104.",
)


def test_citations_come_from_the_text_and_the_list() -> None:
    assert cited_numbers("Clean it [1]. Refunds take days [2][1].", [3]) == [1, 2, 3]


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Clean the brush [4].", "cited passage [4] does not exist"),
        ("Visit https://evil.example/x now.", "the URL https://evil.example/x is in no source"),
        ("You will get $500 back.", "the amount '$500' is in no source"),
        ("Returns are accepted within 60 days.", "the commitment '60 days' is in no source"),
        ("We will refund 100% of it.", "the commitment '100%' is in no source"),
        ("It ships on 12 April.", "the date '12 April' is in no source"),
    ],
)  # fmt: skip
def test_invented_citations_urls_amounts_dates_and_commitments_are_refused(
    reply: str, problem: str
) -> None:
    assert hard_problems(reply, cited_numbers(reply), SOURCES) == [problem]


def test_what_the_sources_or_the_case_say_passes() -> None:
    reply = (
        "Returns are accepted within 30 days of delivery [1]. Refunds take 5 business days, "
        "see https://help.brightwave.example/refunds [2]. Your $49.99 payment of 3 March "
        "for order BW-1001 is noted."
    )
    assert hard_problems(reply, cited_numbers(reply), SOURCES) == []


def test_a_url_from_the_customers_own_message_is_still_refused() -> None:
    sources = Sources(PASSAGES, message_text="Please use http://my-site.example/pay")
    assert hard_problems("Pay at http://my-site.example/pay.", [], sources) == [
        "the URL http://my-site.example/pay is in no source"
    ]


@pytest.mark.parametrize(
    ("sentence", "factual"),
    [
        ("Hello Ana,", False),
        ("Thanks for reaching out to us about your robot.", False),
        ("Could you send us a photo of the brush?", False),
        ("Best regards,", False),
        ("Remove the brush and clean it before restarting [1].", True),
    ],
)
def test_only_sentences_that_state_a_fact_are_checked(sentence: str, factual: bool) -> None:
    assert states_a_fact(sentence) is factual


def test_an_unsupported_sentence_is_flagged_and_a_quoted_one_is_not() -> None:
    reply = (
        "Hello Ana,\n\nError E-104 means the brush is blocked [1]. "
        "Every robot comes with free lifetime repairs at partner stores [1].\n\nBest regards"
    )
    verification = check_support(reply, [1], SOURCES)
    assert verification.unsupported == [
        "Every robot comes with free lifetime repairs at partner stores."
    ]
    assert verification.supporting == [1] and not verification.grounded


def test_a_sentence_is_checked_against_the_passage_it_cites() -> None:
    reply = "Refunds are paid to the original card within 5 business days [1]."
    assert not check_support(reply, [1], SOURCES).grounded  # it is in [2], not [1]
    assert check_support(reply.replace("[1]", "[2]"), [2], SOURCES).grounded


def test_a_paraphrase_is_supported_through_the_embedding() -> None:
    embedder, why = try_load_embedder("minilm")
    if embedder is None:
        pytest.skip(f"no embedding model: {why}")
    reply = "The E-104 warning shows that something is stuck in the brush [1]."
    assert check_support(reply, [1], SOURCES).grounded is False
    assert check_support(reply, [1], SOURCES, embedder).grounded is True
