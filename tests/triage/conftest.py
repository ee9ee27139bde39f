"""A small synthetic support set (4 labels x 15 examples) and a classifier trained on it once."""

from __future__ import annotations

import pytest

from supportflow.triage.model import LabelledExample, TextClassifier, train_classifier

SYNTHETIC = {
    "billing": [
        "I was charged twice for my subscription this month",
        "Please send me a copy of my invoice for March",
        "Why is there an extra fee on my credit card statement",
        "My payment failed but the money left my account",
        "Can I change the card you bill every month",
        "The invoice shows the wrong VAT number",
        "I need a refund for the duplicate charge",
        "You billed me after I cancelled the plan",
        "How do I update my billing address for invoices",
        "The price on my bill is higher than advertised",
        "I see two identical charges from you on my card",
        "Could you explain this charge on my statement",
        "My bank shows a payment I do not recognise from you",
        "Please stop charging my card for the premium plan",
        "I want a receipt for the payment I made yesterday",
    ],
    "shipping": [
        "Where is my parcel, it has not arrived yet",
        "The tracking page has not updated for a week",
        "My package was delivered to the wrong address",
        "When will my order ship",
        "The courier says the parcel was delivered but I never got it",
        "Can you send the package by express delivery",
        "My delivery is late by five days",
        "Do you ship to Canada and how long does delivery take",
        "The box arrived damaged and the parcel was open",
        "Can I change the delivery address before it ships",
        "The courier lost my package",
        "How long does standard shipping take to arrive",
        "My tracking number does not work on the courier site",
        "The parcel is stuck at the depot",
        "Delivery was attempted while I was out, how do I rebook",
    ],
    "account": [
        "I forgot my password and cannot log in",
        "The password reset email never arrives",
        "My account is locked after too many login attempts",
        "How do I change the email address on my account",
        "I lost my phone and cannot get the two-factor code",
        "Someone else logged into my account",
        "Please delete my account and my personal data",
        "I cannot sign in with my username anymore",
        "The login page says my account does not exist",
        "How do I turn on two-factor authentication for my login",
        "I want to change the username on my profile",
        "My account was suspended, how do I get access back",
        "The verification code for sign in is rejected",
        "I want to merge my two accounts into one profile",
        "How can I export the personal data in my account",
    ],
    "technical": [
        "The app crashes every time I open it",
        "The device will not connect to my wifi network",
        "The screen stays black after the update",
        "The robot shows an error light and stops working",
        "Bluetooth pairing with my phone keeps failing",
        "The battery drains in an hour",
        "The firmware update failed halfway through",
        "The app freezes when I press start",
        "The sensor gives wrong readings after a reboot",
        "The device restarts by itself all the time",
        "The speaker makes a crackling noise",
        "The charger does not charge the device anymore",
        "The touch buttons stopped responding",
        "After the software update the wifi keeps dropping",
        "The motor makes a grinding sound and the device overheats",
    ],
}
HELD_OUT = {
    "billing": "there is a charge on my credit card that I do not understand",
    "shipping": "my parcel still has not been delivered and the tracking is stuck",
    "account": "I cannot log in because I forgot the password to my account",
    "technical": "the app keeps crashing after the latest software update",
}


def _synthetic_examples() -> list[LabelledExample]:
    return [
        LabelledExample(text=text, label=label)
        for label, texts in SYNTHETIC.items()
        for text in texts
    ]


@pytest.fixture
def synthetic_examples() -> list[LabelledExample]:
    """4 labels x 15 examples."""
    return _synthetic_examples()


@pytest.fixture
def held_out() -> dict[str, str]:
    """One new phrasing per label (label -> text), not among the training examples."""
    return dict(HELD_OUT)


@pytest.fixture(scope="session")
def classifier() -> TextClassifier:
    """The synthetic set's classifier, trained (and cross-validated) once per session."""
    return train_classifier(_synthetic_examples(), seed=0)
