"""Drop a message into `make serve` as if it arrived at SES: `python -m nearmiss_local.send_mail reply.eml
--to reply+<token>@reply.mail.nearmiss.example`. The local server stores it in the inbound bucket and
invokes receive_mail with SES's receipt event, exactly as the template's receipt rule does.

Local only: it talks to 127.0.0.1 (the server refuses nothing else and needs no key for this route).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eml", type=Path, help="the raw message (.eml)")
    parser.add_argument("--to", action="append", required=True, help="an envelope recipient (repeatable)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        raw = args.eml.read_bytes()
    except OSError as exc:
        print(f"send_mail: cannot read {args.eml}: {exc.strerror}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{args.port}/_local/inbound?{urlencode([('to', t) for t in args.to])}"
    request = urllib.request.Request(url, data=raw, method="POST", headers={"content-type": "message/rfc822"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            print(json.loads(answer.read())["message_id"])
            return 0
    except urllib.error.HTTPError as exc:
        print(f"send_mail: {exc.code} {exc.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"send_mail: is `make serve` running on port {args.port}? ({exc.reason})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
