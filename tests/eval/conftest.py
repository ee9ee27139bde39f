"""A tiny knowledge-base folder and its questions, made in each test's tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ARTICLES = {
    "returns.md": """# Returns

You can send a robot back within 30 days of delivery for a refund. Print the prepaid
return label, attach it to the box and drop it at any parcel point.
""",
    "wifi.md": """# Wi-Fi setup

The robot only sees 2.4 GHz networks. If your router uses one name for both bands,
create a separate 2.4 GHz network during setup. A blinking orange light means the
password was wrong.
""",
    "manuals/battery.md": """# Battery care

Charge the battery for five hours before the first clean. The battery is covered for
12 months; replace it with two Phillips screws under the cover.
""",
}
QUESTIONS = [
    {"question": "can i send the vacuum back, its been 2 weeks", "doc": "returns.md"},
    {"question": "robot wont connect to my wifi router", "doc": "wifi.md"},
    {"question": "light blinking orange after entering password", "doc": "wifi.md"},
    {"question": "how long to charge before first use?", "doc": "battery.md"},
    {"question": "replacing the battery myself, which screws?", "doc": "manuals/battery.md"},
]


@pytest.fixture
def tiny_kb(tmp_path: Path) -> tuple[Path, Path]:
    """(knowledge-base folder, question file) with 3 articles, one in a subfolder, and 5
    questions."""
    kb = tmp_path / "kb"
    for name, text in ARTICLES.items():
        (kb / name).parent.mkdir(parents=True, exist_ok=True)
        (kb / name).write_text(text, encoding="utf-8")
    (kb / ".hidden").mkdir()
    (kb / ".hidden" / "secret.md").write_text("# Hidden\n\nnot part of the base\n")
    (kb / "notes.yaml").write_text("ignored: true\n", encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return kb, qa
