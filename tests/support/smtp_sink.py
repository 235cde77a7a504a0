"""An aiosmtpd handler for the test suite.

aiosmtpd (PyPI) is the SMTP server; this handler only keeps what it receives: each message
becomes one JSON file (envelope, headers, and the text part as a mail client would show it)
in the folder given, written under a temporary name and renamed, so a reader never sees half
a file.

    python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c smtp_sink.JsonSink /tmp/mails
"""

import json
import os
import uuid
from email import message_from_bytes, policy


class JsonSink:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("JsonSink takes one argument: the folder to write into")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        part = msg.get_body(preferencelist=("plain",))
        doc = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "subject": str(msg.get("subject", "")),
            "to": str(msg.get("to", "")),
            "body": part.get_content() if part is not None else "",
        }
        name = str(uuid.uuid4())
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.folder, name + ".json"))
        return "250 Message accepted for delivery"
