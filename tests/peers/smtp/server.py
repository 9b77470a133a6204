"""A real SMTP server for Kith's mail tests (aiosmtpd): listens on 127.0.0.1:PORT and writes
each message it receives as one JSON file in DIR (recipients, subject, headers, and the plain
text body decoded), written under a temporary name then renamed, so a reader never sees half a
file. Prints "ready" once listening; runs until killed."""

import email
import email.policy
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "rcpt": list(envelope.rcpt_tos),
            "subject": str(message["Subject"] or ""),
            "headers": {k: str(v) for k, v in message.items()},
            "body": body.get_content() if body is not None else "",
        }
        with self.lock:
            self.count += 1
            name = os.path.join(self.folder, f"{self.count:05d}.json")
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Save(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
