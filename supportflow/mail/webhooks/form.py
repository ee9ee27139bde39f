"""The form a provider posts, read as bytes.

Raw-MIME fields (SendGrid's `email`, Mailgun's `body-mime`) must reach the MIME parser byte
for byte: a message in ISO-8859-1 or with 8-bit headers is not UTF-8, and decoding the form
as text (as web frameworks do) would garble it. So the body is read here with
python-multipart's low-level parser (urlencoded or multipart/form-data), every field kept as
bytes with its filename and content type; text is decoded only where text is wanted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message as HeaderBlock
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from supportflow.errors import MalformedEmailError


@dataclass(frozen=True)
class FormPart:
    """One posted field; `filename` is set for an uploaded file."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def text(self) -> str:
        charset = _charset(self.content_type) or "utf-8"
        try:
            return self.data.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            return self.data.decode("utf-8", errors="replace")


FormData = Mapping[str, FormPart]


def parse_form(body: bytes, content_type: str) -> FormData:
    """The fields of a urlencoded or multipart/form-data `body` (the last of a repeated
    name wins). MalformedEmailError for any other content type or a broken body."""
    kind, params = parse_options_header(content_type)
    if kind == b"application/x-www-form-urlencoded":
        return _urlencoded(body)
    if kind == b"multipart/form-data" and params.get(b"boundary"):
        return _multipart(body, params[b"boundary"])
    raise MalformedEmailError(
        "expected a form (multipart/form-data or urlencoded), got "
        f"'{content_type or 'no content type'}'"
    )


def text_field(form: FormData, name: str) -> str | None:
    part = form.get(name)
    return None if part is None else part.text()


def bytes_field(form: FormData, name: str) -> bytes | None:
    part = form.get(name)
    return None if part is None else part.data


def required_text(form: FormData, name: str, provider: str) -> str:
    value = text_field(form, name)
    if not value:
        raise MalformedEmailError(f"{provider} payload: the '{name}' field is missing")
    return value


def _urlencoded(body: bytes) -> dict[str, FormPart]:
    fields = {}
    for pair in body.split(b"&"):
        if pair:
            name, _, value = pair.partition(b"=")
            fields[_unquote(name).decode("utf-8", errors="replace")] = FormPart(_unquote(value))
    return fields


def _unquote(value: bytes) -> bytes:
    return unquote_to_bytes(value.replace(b"+", b" "))


def _multipart(body: bytes, boundary: bytes) -> dict[str, FormPart]:
    collector = _PartCollector()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.begin_part,
            "on_header_field": collector.header_field,
            "on_header_value": collector.header_value,
            "on_header_end": collector.end_header,
            "on_part_data": collector.data,
            "on_part_end": collector.end_part,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise MalformedEmailError(f"the posted form cannot be read: {exc}") from exc
    return collector.fields


class _PartCollector:
    """python-multipart's callbacks, gathering each part's headers and bytes."""

    def __init__(self) -> None:
        self.fields: dict[str, FormPart] = {}
        self._headers = HeaderBlock()
        self._name = bytearray()
        self._value = bytearray()
        self._data = bytearray()

    def begin_part(self) -> None:
        self._headers = HeaderBlock()
        self._data = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def end_header(self) -> None:
        self._headers[self._name.decode("latin-1")] = self._value.decode("utf-8", "replace")
        self._name, self._value = bytearray(), bytearray()

    def data(self, data: bytes, start: int, end: int) -> None:
        self._data += data[start:end]

    def end_part(self) -> None:
        name = self._headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MalformedEmailError("the posted form has a part without a name")
        filename = self._headers.get_param("filename", header="content-disposition")
        self.fields[name] = FormPart(
            bytes(self._data),
            filename=filename if isinstance(filename, str) else None,
            content_type=self._headers.get("content-type"),
        )


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    charset = parse_options_header(content_type)[1].get(b"charset")
    return charset.decode("latin-1") if charset else None
