from __future__ import annotations

from supportflow.knowledge.query import (
    MAX_TERMS,
    fts_match_expression,
    highlight_terms,
    keyword_terms,
)


def test_terms_drop_stopwords_short_tokens_and_duplicates():
    email = "Hi team, my Router doesn't start. The router's light is RED! Thanks, Bob"

    assert keyword_terms(email) == ["team", "router", "start", "light", "red", "bob"]


def test_terms_keep_unicode_words_and_numbers():
    assert keyword_terms("Lösung für Fehler E42 über 5G") == ["lösung", "für", "fehler", "e42",
                                                            "über", "5g"]  # fmt: skip


def test_terms_are_capped():
    words = " ".join(f"word{n}" for n in range(100))

    assert keyword_terms(words) == [f"word{n}" for n in range(MAX_TERMS)]


def test_match_expression_quotes_every_term_and_ors_them():
    assert fts_match_expression(["near", 'say"what']) == '"near" OR "say""what"'
    assert fts_match_expression([]) == ""


def test_highlight_terms_finds_inflected_words():
    text = "Restarting the router: restart routers after an update."

    spans = highlight_terms(text, "how do I restart my router")

    assert [text[start:end] for start, end in spans] == ["Restarting", "router", "restart",
                                                         "routers"]  # fmt: skip


def test_terms_drop_conversational_filler_but_keep_need_and_want():
    terms = keyword_terms("i dont know how i can get invoice #12588, can u help, need it asap")
    assert terms == ["invoice", "12588", "need", "asap"]
