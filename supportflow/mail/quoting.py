"""Split a reply body into what the sender just wrote, the quoted history, and the signature.

The text is classified line by line, so the cost is linear in its length: no regular
expression runs on more than one line or a few joined ones, and none can backtrack
catastrophically on a megabyte body. The history starts at the first of these markers
outside a `>` quote:

- an attribution line, possibly wrapped over up to four lines: "On <date>, X wrote:",
  "Le ... a écrit :", "Am ... schrieb X:", or a date line ending in "<address>:";
- a separator naming the history: "-----Original Message-----", "---------- Forwarded
  message ---------" and their translations, "Begin forwarded message:";
- an Outlook header block: "From:" followed by at least two of Sent/Date/To/Subject (in
  several languages), with any separator line just above it;
- a mobile client's footer ("Sent from my iPhone", "Get Outlook for iOS"): it is the
  signature, and anything below it is history the client appended without a marker.

An attribution followed directly by `>` lines only introduces that quote: it is removed with
the quote and the text below it (a bottom-posted or inline answer) stays new. A line wedged
between two `>` lines just after a long one is the tail of a quote line that a client
re-wrapped, so it counts as quoted.
The signature is the first "-- " / "__" delimiter, or a sign-off ("Best regards,") that is
followed only by a short block. When everything looks quoted, the whole text is new.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_MAX_HEADER_LINES = 4
_MAX_HEADER_CHARS = 400
_MAX_SIGNATURE_LINES = 20
_MAX_SIGN_OFF_BLOCK_LINES = 6
_MAX_SIGN_OFF_LINE_CHARS = 80
_REWRAPPED_LINE_CHARS = 60

_WROTE_VERBS = (
    "wrote", "writes", "a écrit", "a ecrit", "schrieb", "ha scritto", "schreef", "napisał",
    "napisała", "escreveu", "escribió", "kirjoitti", "skrev", "írta", "написал", "napsal",
    "yazdı",
)  # fmt: skip
_WROTE_ALTERNATION = "|".join(re.escape(verb) for verb in _WROTE_VERBS)
_WROTE_THEN_COLON = re.compile(rf"\b(?:{_WROTE_ALTERNATION}).{{0,200}}:\s*$", re.IGNORECASE)
# The last word of an attribution that ends in its verb ("... John wrote:").
_WROTE_LAST_WORDS = (
    "wrote", "writes", "écrit", "ecrit", "schrieb", "scritto", "schreef", "napisał",
    "escreveu", "escribió", "kirjoitti", "skrev", "írta", "написал", "napsal", "yazdı",
)  # fmt: skip
_ADDRESS_THEN_COLON = re.compile(r"[<(\[][^<>()\[\]\s]+@[^<>()\[\]\s]+[>)\]]\s*:\s*$")
_ATTRIBUTION_OPENER = re.compile(
    r"(?:on|le|am|il|op|el|em|den|dnia|w dniu|in data|el día)\s", re.IGNORECASE
)
_YEAR_OR_TIME = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[:.]\d\d\b")
_HISTORY_SEPARATOR = re.compile(
    r"^[-_=*\s]*(?:original message|forwarded message|ursprüngliche nachricht"
    r"|weitergeleitete nachricht|message d'origine|message transféré|oprindelig besked"
    r"|videresendt besked|messaggio originale|messaggio inoltrato|mensaje original"
    r"|mensaje reenviado|mensagem original|mensagem encaminhada|oorspronkelijk bericht"
    r"|doorgestuurd bericht|ursprungligt meddelande|vidarebefordrat meddelande"
    r"|opprinnelig melding|videresendt melding|alkuperäinen viesti|välitetty viesti"
    r"|wiadomość oryginalna|przekazana wiadomość|исходное сообщение|пересылаемое сообщение"
    r"|begin forwarded message|début du message réexpédié"
    r"|anfang der weitergeleiteten nachricht)[-_=*\s:]*$",
    re.IGNORECASE,
)
_FROM_KEY = re.compile(
    r"^\s*\*?(?:from|de|von|van|da|fra|från|od|lähettäjä|от|feladó|remetente)\*?\s*:",
    re.IGNORECASE,
)
_OTHER_KEY = re.compile(
    r"^\s*\*?(?:sent|date|to|cc|subject|envoyé|envoyé le|gesendet|datum|an|betreff|verzonden"
    r"|aan|onderwerp|inviato|oggetto|a|à|objet|copie à|til|emne|sendt|dato|skickat|till|ämne"
    r"|wysłano|do|temat|enviado|para|assunto|asunto|fecha|data|kopie|lähetetty"
    r"|vastaanottaja|aihe|отправлено|кому|тема|дата)\*?\s*:",
    re.IGNORECASE,
)
_KEY_VALUE = re.compile(r"^\s*\*?[^\W\d_][\w' ]{0,24}\*?\s*:\s*\S")
_SEPARATOR_LINE = re.compile(r"^\s*(?:[-_=*]\s*){3,}$")
_DEVICE_FOOTER = re.compile(
    r"^(?:sent from|sent with|get outlook for|envoyé de mon|envoyé depuis|envoyé à partir de"
    r"|gesendet von|von meinem|inviato da|enviado desde|enviado do meu|verzonden met"
    r"|verstuurd vanaf|skickat från|sendt fra)\b[^,.;!?<>]{0,60}(?:<[^<>\s]*>)?\.?$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^(?:--|__+|[—–]{2,})\s*$")
_SIGN_OFF = re.compile(
    r"^(?:(?:best|kind|warm|warmest|many)?\s*regards|best wishes|best|cheers|sincerely"
    r"|yours sincerely|yours truly|respectfully|thanks and regards|thanks & regards"
    r"|thanks|thank you|many thanks|mit freundlichen grüßen|mit freundlichen grüssen"
    r"|freundliche grüße|viele grüße|liebe grüße|beste grüße|grüße|gruß|cordialement"
    r"|bien cordialement|bien à vous|salutations|saludos|un saludo|atentamente"
    r"|cordiali saluti|distinti saluti|saluti|met vriendelijke groet|vriendelijke groeten"
    r"|groeten|med venlig hilsen|venlig hilsen|med vänlig hälsning|vänliga hälsningar"
    r"|hilsen|mvh|atenciosamente|с уважением)\s*[,.!]?\s*[^\w\s]{0,4}$",
    re.IGNORECASE,
)
# A sign-off is a signature only when it ends in a comma or stands alone; "Thanks!" and
# "Best" on their own are usually part of the message.
_SIGN_OFF_NEEDS_COMMA = re.compile(r"^(?:best|thanks|thank you|many thanks)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyParts:
    """A reply body split into the new text, the quoted history and the signature."""

    new_text: str
    quoted_text: str
    signature: str | None


def split_reply(text: str) -> ReplyParts:
    """Split a plain-text reply body into new text, quoted history and signature.

    `text` is the decoded body (HTML already converted to text). Never fails; when every
    line looks quoted or like a signature, the whole text is returned as `new_text`.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quoted = _quoted_mask(lines)
    start, has_footer = _history_start(lines, quoted)
    head = [lines[i] for i in range(start) if not quoted[i]]
    history = [lines[i] for i in range(start) if quoted[i]] + lines[start + has_footer :]
    sig_start = _signature_start(head)
    signature_lines = head[sig_start:] + ([lines[start]] if has_footer else [])
    new_text = _tidy(head[:sig_start])
    if not new_text:
        return ReplyParts(new_text=text.strip(), quoted_text="", signature=None)
    signature = _tidy(signature_lines)
    return ReplyParts(new_text=new_text, quoted_text=_tidy(history), signature=signature or None)


def _quoted_mask(lines: Sequence[str]) -> list[bool]:
    """Mark `>` lines, and the tail of a long `>` line that a client re-wrapped."""
    mask = [line.lstrip().startswith(">") for line in lines]
    for i in range(1, len(lines)):
        # ">:" closing an address wrapped from the line above ends an attribution, not a quote.
        if mask[i] and not mask[i - 1] and lines[i - 1].rfind("<") > lines[i - 1].rfind(">"):
            mask[i] = False
    for i in range(1, len(lines) - 1):
        if not mask[i] and mask[i - 1] and mask[i + 1] and lines[i].strip():
            mask[i] = len(lines[i - 1]) >= _REWRAPPED_LINE_CHARS
    return mask


def _history_start(lines: Sequence[str], quoted: list[bool]) -> tuple[int, bool]:
    """Return the index where the history starts, and whether that line is a mobile footer.

    A footer line belongs to the signature; the history then begins on the line below it.
    Attribution lines that only introduce a `>` quote are marked as quoted in `quoted`.
    """
    for i, line in enumerate(lines):
        if quoted[i] or not line.strip():
            continue
        header_start = _attribution_start(lines, quoted, i)
        if header_start is not None:
            if _next_content_is_quoted(lines, quoted, i):
                quoted[header_start : i + 1] = [True] * (i + 1 - header_start)
                continue
            return header_start, False
        if _HISTORY_SEPARATOR.match(line):
            return i, False
        if _is_header_block(lines, i):
            return _extend_over_separators(lines, i), False
        if _DEVICE_FOOTER.match(line.strip()) and (i == 0 or not lines[i - 1].strip()):
            return i, True
    return len(lines), False


def _attribution_start(lines: Sequence[str], quoted: list[bool], end: int) -> int | None:
    """Return the first line of an attribution ("On ... wrote:") that ends at line `end`.

    The attribution may be wrapped; of the windows that read as one, the highest whose first
    line opens like an attribution (a known opening word, else a date) is chosen, so that a
    greeting just above ("Hi,") stays in the new text.
    """
    last = lines[end].strip().strip("-").strip()
    if not (last.endswith(":") or _ends_with_verb(last)):
        return None
    matches: list[int] = []
    joined = ""
    for start in range(end, max(end - _MAX_HEADER_LINES, -1), -1):
        first = lines[start].strip().strip("-").strip()
        if start < end and (quoted[start] or not first):
            break
        joined = f"{first} {joined}".strip()
        if len(joined) > _MAX_HEADER_CHARS:
            break
        if _is_attribution(joined):
            matches.append(start)
    return _best_attribution_start(lines, matches)


def _best_attribution_start(lines: Sequence[str], matches: Sequence[int]) -> int | None:
    for looks_like_start in (_ATTRIBUTION_OPENER.match, _YEAR_OR_TIME.search):
        opening = [start for start in matches if looks_like_start(lines[start].strip(" -"))]
        if opening:
            return min(opening)
    return matches[0] if matches else None


def _ends_with_verb(text: str) -> bool:
    words = text.rstrip(" :").rsplit(None, 1)
    return bool(words) and words[-1].lower().startswith(_WROTE_LAST_WORDS)


def _has_verb(text: str) -> bool:
    """A cheap substring test, so that the regular expressions run only on likely lines."""
    lowered = text.lower()
    return any(verb in lowered for verb in _WROTE_VERBS)


def _is_attribution(candidate: str) -> bool:
    """Tell whether a (joined) line reads as "<date> <who> wrote:"."""
    if _has_verb(candidate):
        if _ends_with_verb(candidate) or _WROTE_THEN_COLON.search(candidate):
            return "@" in candidate or _YEAR_OR_TIME.search(candidate) is not None
        return False
    return (
        candidate.endswith(":")
        and candidate[:-1].rstrip()[-1:] in (">", ")", "]")
        and _ADDRESS_THEN_COLON.search(candidate) is not None
        and _YEAR_OR_TIME.search(candidate) is not None
    )


def _next_content_is_quoted(lines: Sequence[str], quoted: list[bool], index: int) -> bool:
    for i in range(index + 1, len(lines)):
        if lines[i].strip():
            return quoted[i]
    return False


def _is_header_block(lines: Sequence[str], index: int) -> bool:
    """Tell whether line `index` opens an Outlook-style "From: / Sent: / To:" block."""
    if not _FROM_KEY.match(lines[index]):
        return False
    window = lines[index + 1 : index + 7]
    return sum(1 for line in window if _OTHER_KEY.match(line)) >= 2


def _extend_over_separators(lines: Sequence[str], index: int) -> int:
    """Move a header block's start up over key lines, blank lines and separator rules."""
    start = index
    while start > 0 and lines[start - 1].strip() and _KEY_VALUE.match(lines[start - 1]):
        start -= 1
    above = start
    while above > 0 and not lines[above - 1].strip():
        above -= 1
    if above > 0 and _SEPARATOR_LINE.match(lines[above - 1]):
        return above - 1
    return start


def _signature_start(lines: Sequence[str]) -> int:
    """Return the index of the first signature line in `lines`, or len(lines) if none."""
    below = _non_blank_lines_below(lines)
    for i, line in enumerate(lines):
        if _SIGNATURE_DELIMITER.match(line):
            if below[i] <= _MAX_SIGNATURE_LINES:
                return i
        elif below[i] <= _MAX_SIGN_OFF_BLOCK_LINES and _is_sign_off(line.strip()):
            if _is_short_block(lines, i + 1):
                return i
    return len(lines)


def _non_blank_lines_below(lines: Sequence[str]) -> list[int]:
    """For each line, how many non-blank lines follow it (computed once, from the end)."""
    below = [0] * len(lines)
    count = 0
    for i in range(len(lines) - 1, -1, -1):
        below[i] = count
        count += bool(lines[i].strip())
    return below


def _is_sign_off(line: str) -> bool:
    if not _SIGN_OFF.match(line):
        return False
    return line.endswith(",") or not _SIGN_OFF_NEEDS_COMMA.match(line)


def _is_short_block(lines: Sequence[str], start: int) -> bool:
    """Tell whether the lines after a sign-off are short enough to be a name and a title."""
    return all(len(line.strip()) <= _MAX_SIGN_OFF_LINE_CHARS for line in lines[start:])


def _tidy(lines: Sequence[str]) -> str:
    """Join lines, collapsing runs of blank lines into one and trimming the ends."""
    kept: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()
