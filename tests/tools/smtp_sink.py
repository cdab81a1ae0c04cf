#!/usr/bin/python3
"""smtp_sink.py — a real SMTP server for the mail tests (Debian's aiosmtpd).

Usage: smtp_sink.py HOST PORT DIR

Accepts every message and writes its raw bytes, exactly as received after
the DATA dot-unstuffing, to DIR/NNNN.eml (one file per message, written to a
temporary name first and renamed, so a reader never sees half a message),
with the envelope in DIR/NNNN.env ("MAIL FROM" and each "RCPT TO" on a line).
Writes "ready" on stdout once listening, then closes it. Runs until killed.
"""
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, "%04d" % self.count)
        with open(base + ".env.tmp", "w") as f:
            f.write(envelope.mail_from + "\n")
            for rcpt in envelope.rcpt_tos:
                f.write(rcpt + "\n")
        os.rename(base + ".env.tmp", base + ".env")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    host, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname=host, port=port)
    controller.start()
    # One write, then stdout is closed: the reader may go away at once.
    try:
        os.write(1, b"ready\n")
    except OSError:
        pass
    os.close(1)
    threading.Event().wait()


if __name__ == "__main__":
    main()
