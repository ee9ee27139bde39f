from __future__ import annotations

from supportflow.web.console.highlight import highlighted, quoted_spans

PASSAGE = (
    "Returns\n- Items can be returned within 30 days.\n"
    "Refunds go to the original\npayment method within 5 days. Gift cards are <final>."
)


def test_quoted_sentences_are_found_across_line_breaks_and_list_markers() -> None:
    quoted = (
        "Items can be returned within 30 days. "
        "Refunds go to the original payment method within 5 days."
    )
    spans = quoted_spans(PASSAGE, quoted)
    assert [PASSAGE[a:b] for a, b in spans] == [
        "Items can be returned within 30 days.",
        "Refunds go to the original\npayment method within 5 days.",
    ]


def test_highlighting_marks_quotes_and_escapes_everything_else() -> None:
    html = str(highlighted(PASSAGE, "Gift cards are <final>."))
    assert html.endswith("<mark>Gift cards are &lt;final&gt;.</mark>")
    assert "<final>" not in html


def test_a_quote_cut_short_still_marks_what_it_kept() -> None:
    [(start, end)] = quoted_spans(PASSAGE, "Refunds go to the original payment…")
    assert PASSAGE[start:end] == "Refunds go to the original\npayment"


def test_no_quote_means_no_marks() -> None:
    assert "<mark>" not in str(highlighted(PASSAGE, None))
    assert "<mark>" not in str(highlighted(PASSAGE, "Nothing like this is in there."))
