from __future__ import annotations

import pytest

from supportflow.triage.sentiment import assess_sentiment


def test_an_angry_message_is_negative_and_names_its_cues():
    text = "This is the third time I write. The robot is broken and your support is useless."
    guess = assess_sentiment(text, "en")
    assert guess.label == "negative"
    assert guess.score < -0.05
    assert 0.5 <= guess.confidence <= 0.8
    cues = {c.text for c in guess.cues}
    assert cues & {"broken", "useless", "third time"}
    assert all(text[c.start : c.end] == c.text for c in guess.cues)


def test_a_happy_message_is_positive():
    guess = assess_sentiment("The new robot is wonderful, my kids love it. Great job!", "en")
    assert guess.label == "positive"
    assert {"wonderful", "love", "Great"} & {c.text for c in guess.cues}


def test_a_plain_question_is_neutral_without_cues():
    guess = assess_sentiment("How many side brushes come in the box?", "en")
    assert guess.label == "neutral"
    assert guess.cues == ()


def test_courtesy_does_not_make_a_complaint_positive():
    text = "Hi, my refund has not arrived. Please check. Thanks, kind regards, Ann"
    assert assess_sentiment(text, "en").label != "positive"


def test_repeated_contact_turns_a_neutral_message_negative():
    calm = "I clicked forgot my password and the email did not show up."
    assert assess_sentiment(calm, "en").label == "neutral"
    frustrated = "I clicked forgot my password three times and I still haven't got the email."
    guess = assess_sentiment(frustrated, "en")
    assert guess.label == "negative"
    assert {"three times", "still haven't"} <= {c.text for c in guess.cues}


@pytest.mark.parametrize("language", ["de", "fr", "unknown"])
def test_a_message_not_in_english_is_not_assessed(language):
    guess = assess_sentiment("Die Station ist kaputt und ich bin sehr enttäuscht.", language)
    assert guess.label == "unknown"
    assert guess.confidence == 0.0
    assert guess.cues == ()


def test_empty_english_text_is_neutral():
    assert assess_sentiment("", "en").label == "neutral"
