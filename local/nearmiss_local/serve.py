"""`make serve`: the HTTP API on 127.0.0.1, backed by the embedded default, the dispatcher ticking.

Requests are handed to the same functions API Gateway would call (routed by template.yaml's
HttpApi events); the rule queues are pumped after each request and the scheduled trigger fires
every `--tick` seconds of real time. One lock serialises the work, as if each function ran with
a concurrency of one; moto's in-process backends are not built for parallel writers.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nearmiss.observability import mask_secrets

from nearmiss_local.runtime import RECEIVING_DOMAIN, LocalStack

MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_MAIL_BYTES = 41 * 1024 * 1024  # a little over SES's 40 MB, so SES's own refusal is what answers
JSON = {"content-type": "application/json"}


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # bursts of concurrent deliveries (the stdlib default is 5)
    daemon_threads = True


class LocalServer:
    def __init__(self, stack: LocalStack, *, port: int, tick_seconds: float = 30.0) -> None:
        self.stack = stack
        self.lock = threading.Lock()
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self.httpd = _Server(("127.0.0.1", port), self._handler_class())
        self.port = self.httpd.server_address[1]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if self.path.split("?")[0] == "/_local/inbound" and self.command == "POST":
                    self._inbound(length)
                    return
                if length > MAX_REQUEST_BYTES:
                    self._answer(
                        413, {"content-type": "application/json"}, json.dumps({"error": "body too large"})
                    )
                    return
                body = self.rfile.read(length).decode("utf-8", errors="replace") if length else None
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path.split("?")[0] == "/_local/mail":
                    with server.lock:
                        mail = server.mailbox()
                    self._answer(200, {"content-type": "application/json"}, json.dumps(mail, indent=2))
                    return
                with server.lock:
                    try:
                        status, out_headers, text = server.stack.http(
                            self.command, self.path, body=body, headers=headers, auth=False
                        )
                    except LookupError:
                        status, out_headers, text = 404, JSON, '{"error": "no route"}'
                    except Exception as exc:  # what API Gateway answers when a function raises
                        sys.stderr.write(mask_secrets(f"function error: {type(exc).__name__}: {exc}\n"))
                        status, out_headers, text = 500, JSON, '{"message": "Internal Server Error"}'
                    server.stack.pump()
                self._answer(status, out_headers, text)

            def _inbound(self, length: int) -> None:
                """POST /_local/inbound?to=<address>[&to=...]: the body is a raw message (.eml), delivered
                as SES would deliver it to the receiving domain (local only: loopback, no key)."""
                from urllib.parse import parse_qs, urlsplit

                from nearmiss_local.runtime import MailRejected

                if length > MAX_MAIL_BYTES:
                    self._answer(413, JSON, json.dumps({"error": f"larger than {MAX_MAIL_BYTES} bytes"}))
                    return
                raw = self.rfile.read(length)
                to = parse_qs(urlsplit(self.path).query).get("to", [])
                with server.lock:
                    try:
                        message_id = server.stack.deliver_mail(raw, to)
                    except MailRejected as exc:
                        self._answer(550, JSON, json.dumps({"error": f"SES refused it: {exc}"}))
                        return
                    server.stack.pump()
                self._answer(202, JSON, json.dumps({"message_id": message_id}))

            def _answer(self, status: int, headers: dict[str, str], text: str) -> None:
                data = (text or "").encode()
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                # The request line carries link tokens in its query string: masked, like every log.
                sys.stderr.write(mask_secrets(f"{self.address_string()} {format % args}\n"))

        return Handler

    def mailbox(self) -> list[dict[str, str]]:
        """What SES accepted, parsed back: the local stand-in for the recipients' inboxes."""
        import email
        import email.policy

        out = []
        for message in self.stack.sent_messages():
            parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain",))
            out.append(
                {
                    "id": message.id,
                    "from": str(parsed["From"]),
                    "to": str(parsed["To"]),
                    "reply_to": str(parsed["Reply-To"] or ""),
                    "subject": str(parsed["Subject"]),
                    "list_unsubscribe": str(parsed["List-Unsubscribe"] or ""),  # the recipient's stop link
                    "text": body.get_content() if body is not None else "",  # type: ignore[union-attr]
                }
            )
        return out

    def _ticker(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            with self.lock:
                self.stack.tick()
                self.stack.pump()

    def start(self) -> None:
        threading.Thread(target=self._ticker, name="dispatcher-tick", daemon=True).start()
        threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tick", type=float, default=30.0, help="seconds between dispatcher runs")
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.port}"
    with LocalStack(base_url=base, parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as stack:
        server = LocalServer(stack, port=args.port, tick_seconds=args.tick)
        server.start()
        print(f"Near Miss on {base} (embedded default; dispatcher every {args.tick:g} s). Ctrl-C stops.")
        print(f"  operator API key (x-api-key): {stack.api_key}")
        for source, secret in stack.webhook_secrets.items():
            print(f"  webhook secret for {source:<10} {secret}")
        print("  mail SES accepted: GET /_local/mail")
        print(
            f"  replies arrive at reply+<token>@{RECEIVING_DOMAIN} (the notes' Reply-To): drop one in with\n"
            f"    python -m nearmiss_local.send_mail reply.eml --to <address> [--port {args.port}]"
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
