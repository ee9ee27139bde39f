"""Finding the tenant's products in a message by their names and aliases.

A product counts when its name or an alias stands as a whole word ("my S2", "Glide S2's"),
in any case; "GS2-4A77" (a serial number) and "S20" do not. The value is the catalogue name,
the span the words the customer used. A name is stronger evidence than an alias, which may
be a short model code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from supportflow.config import Product
from supportflow.triage.fields import ExtractedField

NAME_CONFIDENCE = 0.9
ALIAS_CONFIDENCE = 0.8
# Neither a word character nor a joining hyphen or plus may touch the matched words.
_BEFORE = r"(?<![\w+-])"
_AFTER = r"(?![\w+]|-\w)"


def find_products(texts: dict[str, str], products: Sequence[Product]) -> Iterator[ExtractedField]:
    """Each mention of a catalogue product in `texts` (source name -> text), in text order."""
    for product in products:
        regex = _product_pattern(product.name, tuple(product.aliases))
        for source, text in texts.items():
            for match in regex.finditer(text):
                is_name = _words(match.group(0)) == _words(product.name)
                confidence = NAME_CONFIDENCE if is_name else ALIAS_CONFIDENCE
                yield ExtractedField(
                    "product", product.name, confidence, match.start(), match.end(), source
                )


@lru_cache(maxsize=256)
def _product_pattern(name: str, aliases: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so "Glide S2" is matched whole rather than as its alias "S2".
    spellings = sorted({name, *aliases} - {""}, key=len, reverse=True)
    choices = "|".join(r"\s+".join(map(re.escape, s.split())) for s in spellings if s.strip())
    return re.compile(rf"{_BEFORE}(?:{choices}){_AFTER}", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return text.casefold().split()
