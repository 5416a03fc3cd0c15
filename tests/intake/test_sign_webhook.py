"""The local signing helper: what it prints is a request our verifiers accept."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from nearmiss.intake.registry import SOURCES
from nearmiss_local import sign_webhook
from webhook_samples import NOW, SECRET, sample_path


def request_from_curl(command: str) -> tuple[str, dict[str, str], bytes]:
    parts = shlex.split(command)
    headers = dict(p.split(": ", 1) for p in (parts[i + 1] for i, part in enumerate(parts) if part == "-H"))
    body = parts[parts.index("--data-binary") + 1].encode("utf-8")
    return parts[parts.index("POST") + 1], headers, body


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_printed_curl_command_posts_a_request_that_verifies(source: str) -> None:
    # Given the helper's curl command for the source's rejection sample
    command = sign_webhook.curl_command(
        source,
        sample_path(source, "rejected"),
        SECRET,
        now=NOW,
        url=sign_webhook.DEFAULT_URL.format(source=source),
    )
    # When the request in it reaches the intake layer (header names lower-cased, as the handler does)
    url, headers, body = request_from_curl(command)
    lowered = {k.lower(): v for k, v in headers.items()}
    # Then it goes to the local server, carries the sample's headers, and verifies
    assert url == f"http://127.0.0.1:8000/webhooks/{source}"
    assert lowered["content-type"] == "application/json"
    SOURCES[source].verify(lowered, body, SECRET, now=NOW)
    assert SOURCES[source].parse(lowered, body).kind == "rejected"


def test_cli_prints_a_curl_command_for_the_local_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert sign_webhook.main(["greenhouse", str(sample_path("greenhouse", "rejected")), "--secret", "S"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("curl ")
    assert "http://127.0.0.1:8000/webhooks/greenhouse" in printed
    assert "Signature: sha256 " in printed
    assert "Greenhouse-Event-ID: " in printed


def test_lever_signing_rewrites_the_body_signature_fields_only() -> None:
    original = json.loads(sample_path("lever", "rejected").read_bytes())
    headers, body = sign_webhook.signed_request(
        "lever", sample_path("lever", "rejected").read_bytes(), SECRET, NOW
    )
    signed = json.loads(body)
    assert headers == {}
    assert signed["triggeredAt"] == int(NOW.timestamp() * 1000)
    assert {k: v for k, v in signed.items() if k not in ("triggeredAt", "signature")} == {
        k: v for k, v in original.items() if k != "triggeredAt"
    }


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        sign_webhook.signed_request("smartrecruiters", b"{}", SECRET, NOW)


def test_every_sample_has_a_headers_file_without_a_signature() -> None:
    events = Path(sample_path("greenhouse", "rejected")).parents[1]
    for body in events.glob("*/*.json"):
        if body.name.endswith(".headers.json"):
            continue
        headers = json.loads(body.with_name(body.stem + ".headers.json").read_text())
        assert headers["Content-Type"] == "application/json"
        assert not any("signature" in name.lower() for name in headers)
