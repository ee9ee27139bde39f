"""A private Dovecot IMAP server for tests: its own throwaway configuration, one passwd-file
user, maildirs under the test's tmp_path, plaintext login on 127.0.0.1 only.

Dovecot refuses to serve mail as root, so when the tests run as root the mail processes
chroot into the mail folder and run as Dovecot's own system user, and the login and auth
processes as Debian's `dovenull` and root; as any other user everything runs as that user.

Use the `imap_server` fixture (import it into a conftest.py); it skips the test when Debian's
dovecot-imapd is not installed.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USERNAME = "support"
PASSWORD = "imap-test-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class DovecotServer:
    """A running Dovecot; `stop()` and `start()` may be called again within a test."""

    root: Path
    host: str
    port: int
    username: str = USERNAME
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None

    @property
    def config_file(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> None:
        log = (self.root / "dovecot.stdout").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [DOVECOT, "-F", "-c", str(self.config_file)], stdout=log, stderr=log
        )
        log.close()
        self._wait_until_serving()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def client(self) -> imaplib.IMAP4:
        """A logged-in imaplib client (close it with logout())."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.username, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """IMAP APPEND `raw` to `folder`, creating the folder when missing."""
        client = self.client()
        try:
            if folder != "INBOX":
                client.create(folder)  # NO when it exists: fine
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start serving:\n{self.log()}")


def write_config(root: Path, port: int) -> None:
    """A complete dovecot.conf (nothing from /etc/dovecot) and its passwd-file user."""
    mail = root / "mail"
    (mail / USERNAME).mkdir(parents=True)
    if os.geteuid() == 0:
        system = pwd.getpwnam("dovecot")
        uid, gid, home = system.pw_uid, system.pw_gid, f"/{USERNAME}"
        for folder in (mail, mail / USERNAME):
            os.chown(folder, uid, gid)
        identity = _ROOT_IDENTITY.format(mail=mail)
    else:
        me = pwd.getpwuid(os.getuid())
        uid, gid, home = me.pw_uid, me.pw_gid, str(mail / USERNAME)
        group = grp.getgrgid(me.pw_gid).gr_name
        identity = _USER_IDENTITY.format(user=me.pw_name, group=group)
    (root / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}\n")
    root.joinpath("dovecot.conf").write_text(
        _CONFIG.format(root=root, port=port, identity=identity)
    )


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{identity}"""

# As root: login processes chroot (default) as dovenull; mail processes chroot into the mail
# folder and run as the dovecot user (UID 0 is refused); auth reads the passwd file as root.
_ROOT_IDENTITY = """\
}}
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
valid_chroot_dirs = /
mail_chroot = {mail}
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
"""

# As anyone else: every process runs as that user and nothing can chroot.
_USER_IDENTITY = """\
  chroot =
}}
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service anvil {{
  chroot =
}}
"""


@pytest.fixture
def imap_server(tmp_path: Path) -> Iterator[DovecotServer]:
    """A private Dovecot on a free 127.0.0.1 port, stopped when the test ends."""
    if not Path(DOVECOT).exists():
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    root = tmp_path / "dovecot"
    root.mkdir()
    port = free_port()
    write_config(root, port)
    server = DovecotServer(root=root, host="127.0.0.1", port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
