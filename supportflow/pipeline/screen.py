"""Screen: what must not go down the normal path goes to a person, with the reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportflow.cases.conversation_memory import note_repeats
from supportflow.cases.repeats import count_repeats, repeat_escalation
from supportflow.pipeline.outcome import StepOutcome
from supportflow.security.injection import find_injection
from supportflow.store.models import Case
from supportflow.tenants import TenantResources


def screen_email(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
    message = case.message
    limits = resources.config.limits
    notes = [
        f"attachment {a.get('filename') or '(unnamed)'} ({a['size']} bytes) over the limit:"
        " kept, not processed"
        for a in message.attachments
        if a.get("is_oversize")
    ]
    notes += [
        f"attachment {a.get('filename') or '(unnamed)'} ({a['content_type']}) is a blocked"
        " type: kept, not processed"
        for a in message.attachments
        if is_blocked_type(a, limits.blocked_attachment_types)
    ]
    detail: dict[str, object] = {"notes": notes}
    reason = _escalation_reason(case, resources, limits.max_message_bytes)
    if reason is None:
        # Only mail we would answer counts as an ask; the memory records it in this step's
        # transaction, so a re-run of the step cannot count it twice.
        repeats = count_repeats(session, case, resources.config.extraction)
        note_repeats(session, case, repeats.after_reply)
        detail["asks"] = {"total": repeats.asks, "after_reply": repeats.after_reply}
        reason = repeat_escalation(repeats)
    if reason is None and len(message.new_text) > limits.max_body_chars:
        notes.append(f"body over {limits.max_body_chars} characters: only the start is used")
    return StepOutcome(detail=detail, escalation=reason)


def is_blocked_type(attachment: dict[str, object], blocked: list[str]) -> bool:
    """Whether the attachment's file extension or MIME type is one the tenant blocks."""
    name = str(attachment.get("filename") or "").lower()
    content_type = str(attachment.get("content_type") or "").lower()
    return any(
        content_type == kind.lower() if "/" in kind else name.endswith(kind.lower())
        for kind in blocked
    )


def _escalation_reason(
    case: Case, resources: TenantResources, max_message_bytes: int
) -> str | None:
    message = case.message
    support = resources.config.tenant.support_address.lower()
    if message.size_bytes > max_message_bytes:
        return f"message of {message.size_bytes} bytes is over the {max_message_bytes} limit"
    if message.from_address is None:
        return "no sender address: cannot reply"
    if message.from_address == support:
        return "mail from our own support address: not answered (loop guard)"
    if message.auto_reply_reason:
        return f"automatic message ({message.auto_reply_reason}): not answered"
    if not (message.new_text.strip() or message.subject.strip()):
        return "empty message: no subject and no text"
    if not message.new_text.strip():
        return "empty body: nothing to answer beyond the subject"
    finding = find_injection(f"{message.subject}\n{message.new_text}")
    if finding is not None:
        return f'possible prompt injection ({finding.kind}): "{finding.evidence}"'
    return None
