"""The extract step in the pipeline: language, sentiment and urgency reach the case."""

from __future__ import annotations

from sqlalchemy import select

from supportflow.store.models import Case, ExtractedField
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_similar_case_route import email
from tests.pipeline.test_workflow import ingest


def fields_of(db, case_id: int) -> dict[str, str]:
    with db.session() as session:
        rows = session.scalars(select(ExtractedField).where(ExtractedField.case_id == case_id))
        return {row.name: row.value for row in rows}


def test_an_urgent_message_raises_the_case_priority_and_its_mood_is_recorded(demo_db, demo_deps):
    calm = "Could you tell me whether the Glide S2 fits under a 9 cm sofa? No rush."
    angry = (
        "This is the third time I write about order BW-123456 and still no answer!! "
        "Where is my parcel? I need it by tomorrow."
    )
    [first, second] = ingest(demo_db, email(1, "Ana", calm), email(2, "Bob", angry))
    process_pending(demo_deps)

    with demo_db.session() as session:
        assert session.get_one(Case, first).priority in {"low", "normal"}
        assert session.get_one(Case, second).priority in {"high", "urgent"}
    assert fields_of(demo_db, second)["sentiment"] == "negative"
    assert fields_of(demo_db, second)["language"] == "en"


def test_a_german_message_is_recorded_as_german_and_not_given_an_english_mood(demo_db, demo_deps):
    german = "Hallo, mein Glide S2 startet nicht mehr und zeigt den Fehler E-104. Was kann ich tun?"
    [case_id] = ingest(demo_db, email(1, "Anna", german))
    process_pending(demo_deps)

    fields = fields_of(demo_db, case_id)
    assert (fields["language"], fields["sentiment"]) == ("de", "unknown")


def test_a_program_attached_is_kept_as_a_note_and_never_processed(demo_db, demo_deps):
    from email.message import EmailMessage

    from supportflow.store.models import CaseStep

    message = EmailMessage()
    message["From"] = "Ana Keller <ana@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = "Where is my order BW-482913?"
    message["Message-ID"] = "<with-program@example.com>"
    message.set_content("Hello, where is my order BW-482913? The tracker is attached.\n")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream",
                           filename="tracker.exe")  # fmt: skip
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="invoice.pdf")  # fmt: skip
    [case_id] = ingest(demo_db, message.as_bytes())
    process_pending(demo_deps)

    with demo_db.session() as session:
        screen = session.scalars(
            select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step == "screen")
        ).one()
    notes = screen.detail["notes"]
    assert notes == [
        "attachment tracker.exe (application/octet-stream) is a blocked type: kept, not processed"
    ]
    assert fields_of(demo_db, case_id)["attachments_present"].startswith("yes: 2 files")
