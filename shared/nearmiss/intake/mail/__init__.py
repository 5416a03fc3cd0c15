"""Mail as an intake source: pure parsers from raw RFC 5322 bytes to facts Near Miss acts on.

`message` reads one message (MIME, charsets, HTML to text, attachments) into a `MailMessage`;
the other modules classify what a message is (a reply, an auto-reply, a bounce, a forwarded
rejection or invitation). No AWS and no I/O here, as for the ATS parsers.
"""
