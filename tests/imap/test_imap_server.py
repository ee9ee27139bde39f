"""The test Dovecot itself: it stores what is appended and keeps it across a restart."""


def test_dovecot_keeps_appended_messages_across_a_restart(imap_server) -> None:
    imap_server.append(b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nhi\r\n")
    imap_server.append(b"Subject: y\r\n\r\nhi\r\n", folder="Sent")
    client = imap_server.client()
    assert client.select("Sent")[1] == [b"1"]
    client.logout()
    imap_server.stop()
    imap_server.start()
    client = imap_server.client()
    assert client.select("INBOX")[1] == [b"1"]
    client.logout()
