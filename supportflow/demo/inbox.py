"""Writes the demo's inbox and knowledge base out of the package into ordinary folders.

Most files are copied as shipped. Two inbox messages are built here instead, because they
cannot sensibly live in the repository: a 5 MB attachment (too big) and a Shift_JIS message
(raw 8-bit bytes in a legacy encoding that editors and diffs would mangle). Both are built
from fixed inputs, so every run writes the same bytes.
"""

from __future__ import annotations

import base64
import random
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from supportflow.demo.pdfs import write_demo_pdfs

SHIFT_JIS_FILE = "84-shift-jis-japanese.eml"
LARGE_ATTACHMENT_FILE = "94-large-attachment-5mb.eml"
LARGE_ATTACHMENT_BYTES = 5 * 1024 * 1024
KB_MANIFEST = "manifest.yaml"

_SHIFT_JIS_SUBJECT = "ロボット掃除機のエラー E-104 について"
_SHIFT_JIS_SENDER = "山田 花子"
_SHIFT_JIS_BODY = """\
ブライトウェーブ サポート御中

いつもお世話になっております。
先月購入した Glide S2（注文番号 BW-583920）について問い合わせいたします。
掃除を始めて数分後に「E-104」というエラーが表示され、止まってしまいます。
車輪に絡まった髪の毛は取り除きましたが、改善しません。
保証で修理または交換をしていただくことは可能でしょうか。

よろしくお願いいたします。

山田 花子
電話: 090-1234-5678
"""


def write_demo_inbox(folder: Path) -> list[Path]:
    """Write every demo message into `folder` (created if missing) as .eml files.

    Returns the paths sorted by name; names start with a number, and the hostile or broken
    messages (80 and up) say what is wrong with them, e.g. `80-empty-body.eml`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = _copy_files(_package_folder("inbox"), folder, suffixes=(".eml",))
    shift_jis = folder / SHIFT_JIS_FILE
    shift_jis.write_bytes(build_shift_jis_message())
    large = folder / LARGE_ATTACHMENT_FILE
    large.write_bytes(build_large_attachment_message())
    return sorted([*paths, shift_jis, large])


def write_demo_kb(folder: Path) -> list[Path]:
    """Write the knowledge base into `folder`: help articles, generated PDFs and manifest.yaml.

    Returns the documents (not the manifest) sorted by name. `manifest.yaml` lists every
    document with its title and tags.
    """
    folder.mkdir(parents=True, exist_ok=True)
    articles = _copy_files(_package_folder("kb"), folder, suffixes=(".md", ".html", ".txt"))
    manifest = _package_folder("kb") / KB_MANIFEST
    (folder / KB_MANIFEST).write_bytes(manifest.read_bytes())
    return sorted([*articles, *write_demo_pdfs(folder)])


def build_shift_jis_message() -> bytes:
    """A Japanese customer message whose body is raw Shift_JIS bytes (8bit), headers RFC 2047."""
    subject = _shift_jis_encoded_word(_SHIFT_JIS_SUBJECT)
    sender = _shift_jis_encoded_word(_SHIFT_JIS_SENDER)
    headers = (
        "Message-ID: <sjis-e104.84.20261124@example.net>\r\n"
        "Date: Tue, 24 Nov 2026 21:40:05 +0900\r\n"
        f"From: {sender} <hanako.yamada@example.net>\r\n"
        "To: support@brightwave.example\r\n"
        f"Subject: {subject}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=Shift_JIS\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
    )
    body = _SHIFT_JIS_BODY.replace("\n", "\r\n").encode("shift_jis")
    return headers.encode("ascii") + body


def _shift_jis_encoded_word(text: str) -> str:
    # email.header.Header would re-encode Japanese as ISO-2022-JP; we want Shift_JIS throughout.
    return f"=?Shift_JIS?B?{base64.b64encode(text.encode('shift_jis')).decode('ascii')}?="


def build_large_attachment_message() -> bytes:
    """A customer message with a 5 MiB video attachment (deterministic pseudo-random bytes).

    The tenant's `max_attachment_bytes` is 2,000,000, so the pipeline should refuse or drop
    the attachment while still handling the text.
    """
    video = b"\x00\x00\x00\x18ftypmp42" + random.Random(94).randbytes(LARGE_ATTACHMENT_BYTES - 12)
    boundary = "----=_Part_94_noise_video"
    text = (
        "Hi,\r\n\r\n"
        "My Glide S2 (order BW-590412) started making a loud grinding noise from the left\r\n"
        "side and stopped with error E-104. I recorded a video of the noise, attached.\r\n"
        "Is this something I can fix myself or does it need a repair under warranty?\r\n\r\n"
        "Thanks,\r\nMateo Rivera\r\n"
    )
    head = (
        "Message-ID: <large-attachment.94.video@example.com>\r\n"
        "Date: Tue, 24 Nov 2026 16:20:44 -0500\r\n"
        "From: Mateo Rivera <mateo.rivera@example.com>\r\n"
        "To: support@brightwave.example\r\n"
        "Subject: Grinding noise + E-104 (video attached)\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"{text}\r\n"
        f"--{boundary}\r\n"
        'Content-Type: video/mp4; name="glide-noise.mp4"\r\n'
        'Content-Disposition: attachment; filename="glide-noise.mp4"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    encoded = base64.encodebytes(video).replace(b"\n", b"\r\n")
    return head.encode("ascii") + encoded + f"\r\n--{boundary}--\r\n".encode("ascii")


def _package_folder(name: str) -> Traversable:
    return resources.files("supportflow.demo") / name


def _copy_files(source: Traversable, target: Path, *, suffixes: tuple[str, ...]) -> list[Path]:
    """Copy the files of one package folder (not its subfolders) whose names end in `suffixes`."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in sorted(source.iterdir(), key=lambda i: i.name):
        if item.is_file() and item.name.endswith(suffixes):
            path = target / item.name
            path.write_bytes(item.read_bytes())
            copied.append(path)
    return copied
