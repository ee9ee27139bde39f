from __future__ import annotations

import pytest

from supportflow.errors import ConfigurationError
from supportflow.triage.language import MAX_CHARS, detect_language

EUROPEAN = ("en", "de", "fr", "es", "it", "nl", "pt")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("My robot stops after ten minutes and shows E-104. How do I fix it?", "en"),
        ("Mein Roboter findet die Ladestation nicht. Muss ich sie woanders aufstellen?", "de"),
        ("Je n'ai toujours pas reçu mon remboursement sur ma carte bancaire.", "fr"),
        ("¿Cuánto tiempo tarda el reembolso después de devolver el robot?", "es"),
    ],
)
def test_a_message_gets_its_language_with_high_confidence(text, code):
    guess = detect_language(text)
    assert guess.code == code
    assert guess.confidence > 0.9


def test_the_evidence_is_the_whole_text():
    text = "Where is my order? It has not arrived yet."
    guess = detect_language(text)
    assert (guess.start, guess.end) == (0, len(text))


def test_a_long_text_is_judged_on_its_opening():
    sentence = "My order BW-123456 shipped last week but the parcel has not arrived yet. "
    guess = detect_language(sentence * 40)
    assert guess.code == "en"
    assert guess.end == MAX_CHARS


@pytest.mark.parametrize("text", ["", "   ", "ok", "BW-123456 #42", "!!!"])
def test_empty_or_very_short_text_is_unknown(text):
    guess = detect_language(text)
    assert guess.code == "unknown"
    assert guess.confidence == 0.0


def test_a_text_no_language_fits_well_is_unknown():
    guess = detect_language("check bill #37777")
    assert guess.code == "unknown"
    assert guess.confidence < 0.5


def test_candidates_keep_a_short_request_out_of_rare_languages():
    text = "can ya help me get my bill #37777"
    assert detect_language(text).code != "en"  # the full model leans to Nigerian Pidgin
    guess = detect_language(text, EUROPEAN)
    assert guess.code == "en"
    assert guess.confidence >= 0.5


def test_a_language_the_model_is_sure_of_wins_over_the_candidates():
    guess = detect_language("保証で修理または交換をしていただくことは可能でしょうか。", EUROPEAN)
    assert guess.code == "ja"


def test_an_unknown_candidate_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="xx"):
        detect_language("Where is my order?", ["en", "xx"])
