"""What makes two messages the same thread or the same issue when headers do not say so.

Mail clients add reply and forward prefixes in many languages (Re, Fwd, AW, SV, WG...),
sometimes numbered ("Re[2]:"), and change case and spacing; a subject stripped of those is
what a fallback can compare.
"""

from __future__ import annotations

import re
from datetime import timedelta

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

# A reply without In-Reply-To/References joins the customer's thread with its subject only
# if that thread moved within this window; older threads are taken to be finished.
THREAD_FALLBACK_WINDOW = timedelta(days=14)


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, lower-cased, with spaces collapsed."""
    return _SPACES.sub(" ", _REPLY_PREFIX.sub("", subject)).strip().lower()


def is_reply_subject(subject: str) -> bool:
    """Whether the subject starts with a reply or forward prefix ("Re:", "AW:", "Fwd:")."""
    return _REPLY_PREFIX.match(subject) is not None
