from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from supportflow.errors import DocumentLoadError
from supportflow.knowledge.loaders import Section, load_document

MARKDOWN = """\
---
title: Returns Guide
tags: [returns]
---
Intro before any heading.

# Returns

You can return any item within **30 days**. See [our policy](https://example.test/policy)
for the details.

## Refunds

Refunds reach your card in 5-10 business days.

* Keep the receipt
+ Pack the item

### By Mail

```
# not a heading inside a fence
```

## Exchanges
Exchanges are free.
"""

HTML = """\
<!doctype html>
<html><head><title>Reset your password | Acme Help</title><style>p{}</style></head>
<body class="menu-open">
<header><a href="/">Acme</a> <a href="/login">Log in</a></header>
<nav><ul><li>Home</li><li>Billing</li></ul></nav>
<div class="cookie-banner">We use cookies. <button>Accept</button></div>
<div id="breadcrumbs">Help &gt; Account</div>
<main>
  <article>
    <header><h1>Reset your password</h1></header>
    <p>Open <b>Settings</b> and choose <em>Security</em>.<br>Then click Reset.</p>
    <h2>If the email does not arrive</h2>
    <ul><li>Check the spam folder</li><li>Wait five minutes
      <ul><li>then try again</li></ul></li></ul>
    <table><tr><th>Plan</th><th>Resets per day</th></tr><tr><td>Free</td><td>3</td></tr></table>
    <script>track()</script>
    <aside>Related: change your email</aside>
  </article>
  <div class="sidebar-menu">Popular articles</div>
</main>
<footer>© Acme 2024</footer>
</body></html>
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_markdown_headings_make_heading_paths(tmp_path):
    doc = load_document(write(tmp_path, "returns.md", MARKDOWN))

    assert doc.kind == "markdown"
    assert [s.heading_path for s in doc.sections] == [
        (),
        ("Returns",),
        ("Returns", "Refunds"),
        ("Returns", "Refunds", "By Mail"),
        ("Returns", "Exchanges"),
    ]
    assert doc.sections[0].text == "Intro before any heading."
    assert doc.sections[1].text == (
        "You can return any item within 30 days. See our policy for the details."
    )
    assert doc.sections[2].text.endswith("- Keep the receipt\n- Pack the item")
    assert doc.sections[3].text == "# not a heading inside a fence"
    assert all(section.page is None for section in doc.sections)


def test_markdown_front_matter_is_dropped_and_gives_the_title(tmp_path):
    doc = load_document(write(tmp_path, "returns.md", MARKDOWN))

    assert doc.title == "Returns Guide"
    assert "tags:" not in " ".join(section.text for section in doc.sections)


def test_markdown_title_falls_back_to_first_heading_then_file_stem(tmp_path):
    assert load_document(write(tmp_path, "a.md", "# Shipping\n\nWe ship daily.")).title == (
        "Shipping"
    )
    assert load_document(write(tmp_path, "shipping-faq.md", "We ship daily.")).title == (
        "shipping-faq"
    )


def test_markdown_setext_headings_are_headings(tmp_path):
    doc = load_document(
        write(tmp_path, "a.md", "Billing\n=======\n\nPay by card.\n\nTaxes\n---\nVAT.")
    )

    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (("Billing",), "Pay by card."),
        (("Billing", "Taxes"), "VAT."),
    ]


def test_explicit_title_wins(tmp_path):
    doc = load_document(write(tmp_path, "returns.md", MARKDOWN), title="  Our Returns  ")

    assert doc.title == "Our Returns"


def test_html_keeps_the_article_and_drops_boilerplate(tmp_path):
    doc = load_document(write(tmp_path, "reset.html", HTML))
    everything = "\n".join(section.text for section in doc.sections)

    assert doc.kind == "html"
    assert doc.title == "Reset your password"
    for boilerplate in ("Log in", "Billing", "cookies", "Accept", "Help > Account", "track()",
                        "Related", "Popular articles", "© Acme"):  # fmt: skip
        assert boilerplate not in everything
    assert doc.sections[0] == Section(
        "Open Settings and choose Security.\nThen click Reset.", ("Reset your password",), None
    )
    assert doc.sections[1].heading_path == ("Reset your password", "If the email does not arrive")
    assert doc.sections[1].text == (
        "- Check the spam folder\n- Wait five minutes\n  - then try again\n\n"
        "Plan | Resets per day\nFree | 3"
    )


def test_html_without_main_reads_the_body(tmp_path):
    page = "<html><body><nav>Menu</nav><h2>Hours</h2><div>Open <i>daily</i> 9-17.</div></body>"
    doc = load_document(write(tmp_path, "hours.htm", page))

    assert [(s.heading_path, s.text) for s in doc.sections] == [(("Hours",), "Open daily 9-17.")]


def test_text_is_one_section_titled_by_its_first_line(tmp_path):
    content = "Warranty terms\n\nEvery router has a two-year warranty.\nKeep the receipt.\n"
    doc = load_document(write(tmp_path, "warranty.txt", content))

    assert doc.kind == "text"
    assert doc.title == "Warranty terms"
    assert doc.page_count is None
    assert doc.sections == (
        Section(
            "Warranty terms\n\nEvery router has a two-year warranty.\nKeep the receipt.", (), None
        ),
    )


def test_content_hash_is_sha256_of_the_file_bytes(tmp_path):
    path = write(tmp_path, "a.txt", "Hello there")

    assert load_document(path).content_hash == hashlib.sha256(b"Hello there").hexdigest()
    assert load_document(path).source == str(path)


def test_cp1252_text_is_read_with_a_note(tmp_path):
    path = write(tmp_path, "legacy.txt", b"Caf\xe9 \x93quotes\x94 and 5\x80")

    doc = load_document(path)

    assert doc.sections[0].text == "Café “quotes” and 5€"
    assert doc.notes == (f"{path} is not UTF-8; read it as cp1252",)


def test_bytes_cp1252_cannot_read_fall_back_to_latin1(tmp_path):
    doc = load_document(write(tmp_path, "odd.txt", b"Stra\xdfe \x81 42"))

    assert doc.sections[0].text.startswith("Straße")
    assert "latin-1" in doc.notes[0]


def test_utf16_with_bom_is_read(tmp_path):
    doc = load_document(write(tmp_path, "wide.txt", "Bonjour à tous".encode("utf-16")))

    assert doc.sections[0].text == "Bonjour à tous"
    assert doc.notes == ()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.odt", b"PK\x03\x04", "unsupported file type '.odt'"),
        ("empty.md", b"", "the file is empty"),
        ("blank.txt", b"  \n\t\n", "the file is empty"),
        ("binary.txt", b"\x00\x01\x02abc", "binary data"),
        ("only-front-matter.md", b"---\ntitle: x\n---\n", "no readable text"),
        ("chrome-only.html", b"<nav>Home</nav><footer>(c)</footer>", "no readable text"),
    ],
)
def test_unloadable_files_raise_an_error_naming_the_file(tmp_path, name, content, reason):
    path = write(tmp_path, name, content)

    with pytest.raises(DocumentLoadError) as caught:
        load_document(path)

    assert str(path) in str(caught.value)
    assert reason in str(caught.value)


def test_a_missing_file_or_a_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(DocumentLoadError, match="does not exist") as caught:
        load_document(tmp_path / "gone.md")
    assert "gone.md" in str(caught.value)

    (tmp_path / "folder.md").mkdir()
    with pytest.raises(DocumentLoadError, match="folder.md: it is a folder"):
        load_document(tmp_path / "folder.md")


def test_markdown_tables_numbered_lists_and_quotes_keep_their_lines(tmp_path):
    content = (
        "# Plans\n\n| Plan | Price |\n|------|------:|\n| Free | 0 |\n\n"
        "1. Open the app\n2. Tap **Settings**\n   and then Account\n> Note: see [help][1]\n"
    )

    [section] = load_document(write(tmp_path, "plans.md", content)).sections

    assert section.text == (
        "| Plan | Price |\n| Free | 0 |\n\n"
        "1. Open the app\n2. Tap Settings and then Account\nNote: see help"
    )
