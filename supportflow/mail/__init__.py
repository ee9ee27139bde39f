"""The email layer: reading inbound mail and sending threaded replies.

`sources` reads what `ingest` is given (.eml, mbox, Maildir, folders); `parsing` turns raw
bytes into a `ParsedEmail`, with `headers`, `body`, `charsets`, `html`, `attachments`,
`autoreply` and `quoting` doing one part each; `smtp` builds and sends replies.
"""
