from __future__ import annotations

import pytest

from supportflow.mail.html import html_to_text


def test_paragraphs_and_line_breaks_become_lines():
    html = "<p>Hello <b>Jane</b>,</p><p>Your order is <i>ready</i>.<br>Pick it up today.</p>"
    assert html_to_text(html) == "Hello Jane,\n\nYour order is ready.\nPick it up today."


def test_script_style_and_head_are_dropped():
    html = (
        "<html><head><title>Title</title><style>p {color: red}</style></head>"
        "<body><script>alert('x')</script><p>Body</p><!-- a comment --></body></html>"
    )
    assert html_to_text(html) == "Body"


def test_whitespace_is_collapsed_and_entities_decoded():
    html = "<div>  Fish &amp;\n\n   chips&nbsp;&nbsp;for &lt;two&gt;  </div>"
    assert html_to_text(html) == "Fish & chips for <two>"


def test_list_items_are_bulleted_lines():
    assert html_to_text("<ul><li>One</li><li>Two</li></ul>") == "- One\n- Two"


def test_links_show_their_target_when_it_differs_from_the_text():
    html = (
        '<p><a href="https://shop.example/track?id=1">Track your parcel</a> or visit '
        '<a href="https://shop.example/">shop.example</a> or mail '
        '<a href="mailto:help@shop.example">help@shop.example</a>'
        '<a href="javascript:void(0)">.</a></p>'
    )
    assert html_to_text(html) == (
        "Track your parcel (https://shop.example/track?id=1) or visit shop.example"
        " or mail help@shop.example."
    )


def test_blockquotes_are_marked_as_quotes():
    html = (
        "<div>Thanks!</div><div>On Mon, 1 Jan 2024, Bob &lt;b@example.com&gt; wrote:</div>"
        "<blockquote>Old <blockquote>older</blockquote></blockquote><p>after</p>"
    )
    assert html_to_text(html) == (
        "Thanks!\nOn Mon, 1 Jan 2024, Bob <b@example.com> wrote:\n\n> Old\n>\n> > older\n>\n\nafter"
    )


def test_preformatted_text_keeps_its_layout():
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


def test_table_rows_become_lines():
    html = "<table><tr><td>Order</td><td>123</td></tr><tr><td>Total</td><td>9.99</td></tr></table>"
    assert html_to_text(html) == "Order 123\nTotal 9.99"


def test_image_alt_text_is_kept():
    assert html_to_text('<p>Logo: <img src="cid:x" alt="ACME"></p>') == "Logo: ACME"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<p></p>",
        "<<<>>>",
        "<div><span>unclosed",
        "&#xZZ;",
        "https://example.com/looks-like-a-url",
        "invoice.html",
        '<?xml version="1.0"?><root><a>xml</a></root>',
    ],
)
def test_odd_input_never_fails(html: str):
    assert isinstance(html_to_text(html), str)


@pytest.mark.timeout(10)
def test_deeply_nested_markup_does_not_exhaust_recursion():
    html = "<div>" * 3000 + "deep" + "</div>" * 3000
    assert html_to_text(html) == "deep"
