"""A TCP proxy in front of the test IMAP server that cuts connections mid-fetch.

It forwards bytes both ways and counts the client's UID FETCH commands; the one numbered
`drop_at_fetch` is not forwarded: both sockets are closed instead, as when a server or a
network dies with the client waiting for a message. While `refusing`, new connections are
closed at once (the server is down); `down_after_drop` starts refusing at the drop.
"""

from __future__ import annotations

import socket
import threading


class DroppingProxy:
    def __init__(
        self, target_port: int, *, drop_at_fetch: int | None = None, down_after_drop: bool = False
    ) -> None:
        self.target_port = target_port
        self.drop_at_fetch = drop_at_fetch
        self.down_after_drop = down_after_drop
        self.refusing = False
        self.fetches = 0
        self.drops = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        for sock in list(self._open):
            _close(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                _close(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and self._should_drop(data):
                    break
                sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)

    def _should_drop(self, data: bytes) -> bool:
        if b"UID FETCH" not in data.upper():
            return False
        with self._lock:
            self.fetches += 1
            if self.fetches == self.drop_at_fetch:
                self.drops += 1
                self.refusing = self.down_after_drop
                return True
        return False


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
