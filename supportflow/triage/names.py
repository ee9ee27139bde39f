"""Finding the customer's name: the From display name, else the name under a sign-off.

A wrong name in a greeting is worse than none, so a candidate must look like a person's name:
one to four capitalised words (name particles such as "van" or "de" allowed), no digits, no
company or mailbox words ("Support", "Ltd", "Team", "noreply"), and not shouted in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from supportflow.triage.fields import ExtractedField

HEADER_CONFIDENCE = 0.9
LOWERCASE_HEADER_CONFIDENCE = 0.8
SIGNATURE_CONFIDENCE = 0.8
BODY_CONFIDENCE = 0.75
# The first line of a signature block without a sign-off above it: plausible, not certain.
SIGNATURE_FIRST_LINE_CONFIDENCE = 0.5

_MAX_WORDS = 4
_MAX_CHARS = 50
_PARTICLES = frozenset("al bin da das de del della der di dos du el la le st van von y zu".split())
_NOT_PERSONAL = frozenset(
    """
    account accounts admin administrator ag alert alerts and assistant automated automatic billing
    bot bv bank center centre company contact co corp corporation customer customers daemon dept
    department desk email form gmbh group help helpdesk hr inc info it limited llc ltd mail
    mailer marketing news newsletter no-reply noreply notification notifications office orders
    payments plc portal pty robot sa sales service services shipping shop solutions store
    support system systems team technologies the web website
    best confirmation dear fax hello hi invoice mobile order phone receipt regards reply sent
    tel thanks update www
    accounting finance legal logistics operations partner partners procurement purchasing
    claims dispatch receiving returns warehouse
    """.split()
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounce)", re.I)
_SIGN_OFFS = (
    r"(?:many |best |kind |warm(?:est)? |with )?(?:thanks|thank you|regards)"
    r"(?: again| so much| in advance)?"
    r"|best(?: wishes)?|cheers|sincerely|yours(?: sincerely| truly| faithfully)?|respectfully"
    r"|cordially|take care|merci|cordialement|gracias|saludos|un saludo|grüße|viele grüße"
    r"|liebe grüße|mit freundlichen grüßen|groeten|met vriendelijke groet(?:en)?"
)
# "Thanks,\nJane Doe" (the name on a following line) or "Thanks, Jane" (on the same line).
# Runs of blanks are bounded so a line of a million spaces is not tried a million times.
_SIGNED_BELOW = re.compile(
    rf"^[ \t]{{0,20}}(?:{_SIGN_OFFS})[ \t]{{0,5}}[,.!]{{0,3}}[ \t\r]{{0,5}}"
    rf"(?:\n[ \t\r]{{0,20}}){{1,3}}(?P<name>[^\n]{{1,60}})$",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNED_BESIDE = re.compile(
    rf"^[ \t]{{0,20}}(?:{_SIGN_OFFS})[ \t]{{0,5}},[ \t]{{0,5}}(?P<name>[^\n,]{{1,40}})$",
    re.IGNORECASE | re.MULTILINE,
)


def looks_like_name(candidate: str) -> bool:
    """Whether `candidate` reads as a person's name rather than a company, mailbox or junk."""
    words = candidate.split()
    if not words or len(words) > _MAX_WORDS or len(candidate) > _MAX_CHARS:
        return False
    if any(char.isdigit() or char in "@/:;()[]<>|&+=_*#" for char in candidate):
        return False
    if any(word.strip(".,'-").casefold() in _NOT_PERSONAL for word in words):
        return False
    named = [word for word in words if word not in _PARTICLES]
    if not named or not all(_is_name_word(word) for word in named):
        return False
    # "JANE DOE" or "ACME" is shouting or a brand; initials like "J." are fine.
    return not all(word.rstrip(".").isupper() and len(word.rstrip(".")) > 1 for word in named)


def _is_name_word(word: str) -> bool:
    letters = word.replace("-", "").replace("'", "").replace("’", "").rstrip(".")
    if not letters or not letters.isalpha():
        return False
    first = word[0]
    # Scripts without case (Chinese, Arabic, ...) have no capital to look for.
    return first.isupper() or first.lower() == first.upper()


def is_no_reply(address: str) -> bool:
    """Whether `address` is an automated sender's mailbox (noreply@, mailer-daemon@, ...)."""
    return _NO_REPLY.match(address.strip()) is not None


def header_name(from_name: str | None, from_address: str | None) -> ExtractedField | None:
    """The From display name as customer_name when it looks like a person's, else None.

    "Doe, Jane" becomes "Jane Doe" and "jane doe" "Jane Doe"; names sent from no-reply
    mailboxes are ignored.
    """
    if not from_name:
        return None
    if from_address and is_no_reply(from_address):
        return None
    name = " ".join(from_name.strip().strip("\"'").split())
    family, comma, given = name.partition(",")
    if comma and family.strip() and given.strip():
        name = f"{given.strip()} {family.strip()}"
    confidence = HEADER_CONFIDENCE
    # "jane doe" is a name typed lazily; a lone "jdoe" is more likely a user name.
    if name.islower() and len(name.split()) > 1:
        name, confidence = name.title(), LOWERCASE_HEADER_CONFIDENCE
    if not looks_like_name(name):
        return None
    return ExtractedField("customer_name", name, confidence, None, None, "header")


def signed_name(text: str, source: str) -> ExtractedField | None:
    """The name under (or beside) the last sign-off in `text`, else None."""
    confidence = SIGNATURE_CONFIDENCE if source == "signature" else BODY_CONFIDENCE
    for match in reversed([*_sign_off_names(text)]):
        found = _stripped_group(match, text)
        if found is not None:
            value, start, end = found
            return ExtractedField("customer_name", value, confidence, start, end, source)
    return None


def _sign_off_names(text: str) -> Iterator[re.Match[str]]:
    matches = [*_SIGNED_BELOW.finditer(text), *_SIGNED_BESIDE.finditer(text)]
    yield from sorted(matches, key=lambda match: match.start("name"))


def _stripped_group(match: re.Match[str], text: str) -> tuple[str, int, int] | None:
    raw = match.group("name")
    value = raw.strip().rstrip(".!,").rstrip()
    if not looks_like_name(value):
        return None
    start = match.start("name") + (len(raw) - len(raw.lstrip()))
    return value, start, start + len(value)


def signature_first_line_name(signature: str) -> ExtractedField | None:
    """The signature's first line when it looks like a name (a weak guess), else None."""
    for line_match in re.finditer(r"[^\n]+", signature):
        line = line_match.group(0)
        if not line.strip() or set(line.strip()) <= set("-_=* "):
            continue  # blank lines and "-- " separators come before the name
        value = line.strip().rstrip(".,")
        if not looks_like_name(value):
            return None
        start = line_match.start() + (len(line) - len(line.lstrip()))
        return ExtractedField(
            "customer_name",
            value,
            SIGNATURE_FIRST_LINE_CONFIDENCE,
            start,
            start + len(value),
            "signature",
        )
    return None
