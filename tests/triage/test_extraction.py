from __future__ import annotations

import pytest

from supportflow.config import ExtractionPatterns, Product
from supportflow.errors import ConfigurationError
from supportflow.triage.extraction import FIELD_NAMES, extract_fields

NO_PATTERNS = ExtractionPatterns()

RICH_BODY = """Hi team,

My order #12345 hasn't arrived. UPS says 1Z999AA10123456784 and USPS 9400111899223197428490.
The tracking number FedEx gave me is 123456789012. The app shows E-104, then ERR_42 and
error 0x80070005. This is about ticket #4521 and case 123456. Please ship to:

42 Elm Street, Apt 4B
Springfield, IL 62704

Call me on (415) 555-2671. My email is jane.alt@example.org. I need this by tomorrow!

Thanks,
Jane Doe
"""


def _extract(text="", *, subject="", signature=None, from_name=None, from_address=None, **kw):
    return extract_fields(
        subject=subject,
        text=text,
        signature=signature,
        from_name=from_name,
        from_address=from_address,
        patterns=kw.pop("patterns", NO_PATTERNS),
        **kw,
    )


def _values(fields, name):
    return [field.value for field in fields if field.name == name]


CATALOGUE = [
    Product(name="Glide S2", aliases=["S2", "GS2"]),
    Product(name="Brightwave Care+", aliases=["Care+", "Care Plus"]),
    Product(name="Pane P1", aliases=["window robot"]),
]


def test_every_field_of_a_rich_message():
    fields = _extract(
        RICH_BODY + "\nIt is my Glide S2.",
        subject="Re: [#987] order no. AB-1234",
        products=CATALOGUE,
        attachments=["photo.jpg"],
    )

    assert {field.name for field in fields} == set(FIELD_NAMES)
    assert _values(fields, "customer_name") == ["Jane Doe"]
    assert _values(fields, "customer_email") == ["jane.alt@example.org"]
    assert _values(fields, "postal_address") == ["42 Elm Street, Apt 4B\nSpringfield, IL 62704"]
    assert _values(fields, "order_id") == ["AB-1234", "12345"]
    assert _values(fields, "tracking_number") == [
        "1Z999AA10123456784",
        "9400111899223197428490",
        "123456789012",
    ]
    assert _values(fields, "error_code") == ["E-104", "ERR_42", "0x80070005"]
    assert _values(fields, "ticket_reference") == ["987", "4521", "123456"]
    assert _values(fields, "phone_number") == ["+14155552671"]
    assert _values(fields, "urgency") == ["high"]
    assert _values(fields, "product") == ["Glide S2"]
    assert _values(fields, "attachments_present") == ["yes: 1 file (photo.jpg)"]


def test_spans_point_at_the_value_in_its_source():
    subject = "Re: [#987] order no. AB-1234"
    sources = {"subject": subject, "body": RICH_BODY}

    fields = _extract(RICH_BODY, subject=subject)

    for field in fields:
        evidence = sources[field.source][field.start : field.end]
        if field.name == "phone_number":
            assert evidence == "(415) 555-2671"
        elif field.name == "urgency":
            assert evidence == "by tomorrow"
        else:
            assert evidence == field.value, field


def test_fields_come_in_contract_order():
    fields = _extract(RICH_BODY, subject="order no. AB-1234")

    ranks = [FIELD_NAMES.index(field.name) for field in fields]
    assert ranks == sorted(ranks)


def test_customer_name_and_email_come_from_the_header_first():
    fields = _extract(RICH_BODY, from_name="Doe, Jane", from_address="jane@example.com")

    name = next(field for field in fields if field.name == "customer_name")
    assert (name.value, name.source, name.start, name.confidence) == (
        "Jane Doe",
        "header",
        None,
        0.9,
    )
    assert _values(fields, "customer_email") == ["jane@example.com", "jane.alt@example.org"]


@pytest.mark.parametrize(
    "display_name",
    ["ACME SUPPORT", "Acme Billing Team", "Brightwave Ltd", "noreply", "jdoe", "ann@example.com"],
)
def test_company_or_junk_display_names_are_not_names(display_name):
    fields = _extract("Hello", from_name=display_name, from_address="someone@example.com")

    assert _values(fields, "customer_name") == []


def test_a_lowercase_display_name_is_capitalised():
    fields = _extract("Hello", from_name="jane doe", from_address="jane@example.com")

    assert _values(fields, "customer_name") == ["Jane Doe"]


def test_no_reply_senders_give_no_name_or_email():
    fields = _extract("Hello", from_name="Jane Doe", from_address="no-reply@shop.example")

    assert _values(fields, "customer_name") == []
    assert _values(fields, "customer_email") == []


def test_name_under_a_sign_off_in_the_signature():
    signature = "Best regards,\nMarie-Claire O'Neil\nHead of Purchasing"

    fields = _extract("Hello", signature=signature, from_name="Purchasing Dept")

    name = next(field for field in fields if field.name == "customer_name")
    assert (name.value, name.source) == ("Marie-Claire O'Neil", "signature")
    assert signature[name.start : name.end] == name.value


def test_name_beside_a_sign_off_on_the_same_line():
    assert _values(_extract("Can you help?\n\nCheers, Tom"), "customer_name") == ["Tom"]


def test_sign_off_followed_by_prose_or_shouting_is_not_a_name():
    assert _values(_extract("Thanks,\nI will wait for your answer"), "customer_name") == []
    assert _values(_extract("Regards,\nJOHN SMITH"), "customer_name") == []
    assert _values(_extract("Thanks,\nThe Support Team"), "customer_name") == []


def test_first_line_of_a_signature_is_a_weak_name_guess():
    fields = _extract("Hello", signature="Priya Raman\nSenior Engineer")

    name = next(field for field in fields if field.name == "customer_name")
    assert (name.value, name.confidence) == ("Priya Raman", 0.5)


def test_non_ascii_names_and_spans():
    body = (
        "Grüße aus Köln 🙂 — Bestellung: order #A-99812 kam nicht an.\n\n"
        "Viele Grüße,\nJürgen Müller"
    )

    fields = _extract(body)

    by_name = {field.name: field for field in fields}
    assert by_name["customer_name"].value == "Jürgen Müller"
    for field in fields:
        assert body[field.start : field.end] == field.value
    assert _values(fields, "order_id") == ["A-99812"]


def test_body_email_needs_the_customer_to_say_it_is_theirs():
    body = "I wrote to support@shop.example already. Please reply to me.jane@example.org."

    assert _values(_extract(body), "customer_email") == ["me.jane@example.org"]


def test_us_and_uk_postal_addresses():
    body = "Send it to 10 Downing Street, London SW1A 2AA or to PO Box 1234 please."

    fields = _extract(body)

    assert _values(fields, "postal_address") == [
        "10 Downing Street, London SW1A 2AA",
        "PO Box 1234",
    ]
    confidences = [field.confidence for field in fields if field.name == "postal_address"]
    assert confidences == [0.9, 0.75]


def test_tenant_patterns_come_first_and_use_group_one():
    patterns = ExtractionPatterns(order_id=[r"\bBW-(\d{6})\b"], ticket_reference=[r"\bBWT-\d{5}\b"])

    fields = _extract("Order bw-482913 and ticket BWT-48213", patterns=patterns)

    orders = [(field.value, field.confidence) for field in fields if field.name == "order_id"]
    assert orders == [("482913", 0.95)]
    assert _values(fields, "ticket_reference") == ["BWT-48213"]


def test_an_invalid_tenant_pattern_is_a_configuration_error():
    patterns = ExtractionPatterns(error_code=["(unclosed"])

    with pytest.raises(ConfigurationError, match="extraction.error_code"):
        _extract("error", patterns=patterns)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order number: 55512", ["55512"]),
        ("Order ID 9981-22", ["9981-22"]),
        ("cancel purchase 113542617735902", ["113542617735902"]),
        ("I placed the order in 2023 from your shop", []),
        ("order confirmation please", []),
    ],
)
def test_built_in_order_ids(text, expected):
    assert _values(_extract(text), "order_id") == expected


def test_fedex_numbers_need_the_word_tracking():
    assert _values(_extract("Invoice 123456789012 attached"), "tracking_number") == []
    assert _values(_extract("tracking: 123456789012345"), "tracking_number") == ["123456789012345"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Error code: 403 on login", ["403"]),
        ("ERR_CONNECTION_REFUSED in the browser", ["ERR_CONNECTION_REFUSED"]),
        ("I got an error 3 times", []),
        ("send an e-mail", []),
    ],
)
def test_built_in_error_codes(text, expected):
    assert _values(_extract(text), "error_code") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ticket number 77812", ["77812"]),
        ("request #4567 is still open", ["4567"]),
        ("in case 100 people ask", []),
        ("two tickets for 2 people", []),
    ],
)
def test_built_in_ticket_references(text, expected):
    assert _values(_extract(text), "ticket_reference") == expected


def test_bracketed_ticket_numbers_count_only_in_the_subject():
    assert _values(_extract("see [#12]", subject="[Acme #553] Re: help"), "ticket_reference") == [
        "553"
    ]


def test_phone_numbers_are_normalised_with_the_default_region():
    fields = _extract("Ring 020 7946 0958 or +1 (415) 555-2671", default_region="GB")

    assert _values(fields, "phone_number") == ["+442079460958", "+14155552671"]


def test_phone_numbers_in_the_signature_are_found():
    fields = _extract("Hello", signature="Jane Doe\nTel. +1 212 555 0100")

    phone = next(field for field in fields if field.name == "phone_number")
    assert (phone.value, phone.source) == ("+12125550100", "signature")


def test_an_order_number_is_not_read_as_a_phone_number():
    fields = _extract("My order #4155552671 is late")

    assert _values(fields, "order_id") == ["4155552671"]
    assert _values(fields, "phone_number") == []


def test_an_unknown_region_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="'XX'"):
        _extract("hi", default_region="XX")


@pytest.mark.parametrize(
    ("text", "level", "cue"),
    [
        ("If this is not fixed I will file a chargeback.", "urgent", "chargeback"),
        ("We are considering legal action", "urgent", "legal action"),
        ("Please reply ASAP", "high", "ASAP"),
        ("I need it by tomorrow", "high", "by tomorrow"),
        ("Where is my parcel!!!", "high", "!!!"),
        ("No rush, whenever you get a chance.", "low", "No rush"),
        ("This is not urgent.", "low", "not urgent"),
    ],
)
def test_urgency_levels_with_their_evidence(text, level, cue):
    fields = _extract(text)

    urgency = next(field for field in fields if field.name == "urgency")
    assert urgency.value == level
    assert text[urgency.start : urgency.end] == cue


def test_urgency_in_the_subject_counts():
    fields = _extract("hello", subject="URGENT: card blocked")

    urgency = next(field for field in fields if field.name == "urgency")
    assert (urgency.value, urgency.source) == ("urgent", "subject")


def test_several_cues_raise_urgency_confidence():
    one = _extract("Please answer ASAP")
    two = _extract("Please answer ASAP, I need it right away")

    assert _values(one, "urgency") == _values(two, "urgency") == ["high"]
    assert two[-1].confidence > one[-1].confidence


def test_values_are_reported_once_per_field():
    fields = _extract("order #12345, again: ORDER #12345", subject="order #12345")

    assert _values(fields, "order_id") == ["12345"]


def test_plain_prose_yields_nothing():
    prose = (
        "Hello,\n\nI have been a customer for 3 years and in case 100 people ask, the order of "
        "events was odd. I ordered 2 items on 12 March 2024 and paid 45.99 USD. The error was "
        "mine, I think: I typed my street wrong. Best wishes to the team, you have been great. "
        "We were 10 people waiting on Main Street for 20 minutes with version 2.4.1 of the app, "
        "build 20240312. Ticket prices went up. Order placed in 2023.\n\nRegards\n"
    )

    assert _extract(prose, subject="A question about my account") == []


@pytest.mark.timeout(20)
def test_a_megabyte_of_text_is_handled():
    text = (RICH_BODY + "Some filler prose with numbers 12 345 6789 and words. " * 50) * 300
    text = text[:1_000_000]

    fields = _extract(text, signature=text[:5000])

    assert "order_id" in {field.name for field in fields}


def test_products_are_named_by_the_catalogue_with_the_customers_words_as_span():
    body = "My s2 stopped. Is Care+ worth it? Also, does the window robot fit small panes?"

    fields = _extract(body, products=CATALOGUE)

    products = [field for field in fields if field.name == "product"]
    assert [field.value for field in products] == ["Glide S2", "Brightwave Care+", "Pane P1"]
    assert [body[field.start : field.end] for field in products] == [
        "s2",
        "Care+",
        "window robot",
    ]
    assert {field.confidence for field in products} == {0.8}


def test_a_full_product_name_is_stronger_evidence_than_an_alias():
    subject = "Glide  S2 keeps stopping"

    fields = _extract("my S2 again", subject=subject, products=CATALOGUE)

    (product,) = [field for field in fields if field.name == "product"]
    assert (product.source, product.confidence) == ("subject", 0.9)
    assert subject[product.start : product.end] == "Glide  S2"


@pytest.mark.parametrize(
    "text",
    ["serial GS2-4A7731209", "an S20 phone", "the TS2 model", "Care+more", "no products here"],
)
def test_product_aliases_must_stand_as_whole_words(text):
    assert _values(_extract(text, products=CATALOGUE), "product") == []


def test_no_catalogue_means_no_products():
    assert _values(_extract("My Glide S2 is broken"), "product") == []


def test_attachments_present_lists_names_from_the_header():
    fields = _extract("See attached", attachments=["receipt.pdf", None])

    (field,) = [field for field in fields if field.name == "attachments_present"]
    assert field == type(field)(
        "attachments_present", "yes: 2 files (receipt.pdf, unnamed)", 1.0, None, None, "header"
    )


def test_many_or_long_attachment_names_keep_the_value_short():
    names = ["x" * 500, *(f"scan-{i}.png" for i in range(200))]

    (value,) = _values(_extract("", attachments=names), "attachments_present")

    assert value.startswith("yes: 201 files (")
    assert value.endswith(", +196 more)")
    assert len(value) < 200


def test_no_attachments_means_no_attachments_field():
    assert _values(_extract("Hello", attachments=[]), "attachments_present") == []


def test_a_fax_number_is_not_a_phone_number():
    signature = "Dana Whitaker\nTel: +1 (702) 555-0110\nFax: +1 (702) 555-0111"

    assert _values(_extract("Hi", signature=signature), "phone_number") == ["+17025550110"]


def test_someone_elses_address_in_the_body_is_not_the_customers():
    body = "For urgent matters please contact my colleague at office@example.org."

    assert _values(_extract(body), "customer_email") == []


def test_a_flat_before_the_street_and_a_canadian_postal_code():
    body = (
        "Ship to Flat 2, 14 Harcourt Road\nBristol BS6 7RD or 1550 Oak Street\n"
        "Vancouver, BC V6H 2M3"
    )

    assert _values(_extract(body), "postal_address") == [
        "Flat 2, 14 Harcourt Road\nBristol BS6 7RD",
        "1550 Oak Street\nVancouver, BC V6H 2M3",
    ]


def test_a_deadline_on_a_named_day_is_high_but_an_absence_until_then_is_not():
    assert _values(_extract("We need to know by Friday."), "urgency") == ["high"]
    assert _values(_extract("I am away until Monday."), "urgency") == []
