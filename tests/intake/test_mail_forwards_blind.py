"""The rejection decision scored on mails written blind: by a developer who never saw the phrase
tables, the corpus or the held-out set, and never ran the classifier (tests/fixtures/mail/forwards/
blind.json, 34 rejections and 26 look-alikes in en/de/fr/es/nl). No rule was tuned on them.

This is the honest figure for new wording, held to the issue's bars (precision 0.95, recall 0.90).
Do not tune the phrase tables on these mails: that would make this another development set. A
missed rejection is not lost (the member is asked "is this a rejection?", reason "no rejection
phrase"); a false one would offer to start notes after a mail that said something else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nearmiss.intake.mail.forwards import Original, Sender
from nearmiss.intake.mail.rejections import decide

BLIND = Path(__file__).parents[1] / "fixtures" / "mail" / "forwards" / "blind.json"
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.90


def _original(mail: dict[str, object]) -> Original:
    return Original(
        sender=Sender(str(mail["sender"]), None),
        date=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
        subject=str(mail["subject"]),
        text=str(mail["text"]),
        html=None,
        attachments=(),
        to=(),
        form="gmail",
        depth=1,
    )


def test_the_decision_on_mails_written_blind(capsys: pytest.CaptureFixture[str]) -> None:
    mails = json.loads(BLIND.read_text())["mails"]
    wanted = [bool(mail["is_rejection"]) for mail in mails]
    got = [decide(_original(mail)).is_rejection for mail in mails]
    true_pos = sum(1 for w, g in zip(wanted, got, strict=True) if w and g)
    false_pos = sum(1 for w, g in zip(wanted, got, strict=True) if g and not w)
    rejections = sum(wanted)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / rejections
    missed = [mail["subject"] for mail, w, g in zip(mails, wanted, got, strict=True) if w and not g]
    wrong = [mail["subject"] for mail, w, g in zip(mails, wanted, got, strict=True) if g and not w]
    with capsys.disabled():
        print(
            f"\nblind set ({len(mails)} mails, {rejections} rejections): precision {precision:.3f}, "
            f"recall {recall:.3f} ({true_pos}/{rejections} caught, {false_pos} false)"
            + (f"; missed: {missed}" if missed else "")
            + (f"; false: {wrong}" if wrong else "")
        )
    assert precision >= PRECISION_FLOOR, wrong
    assert recall >= RECALL_FLOOR, missed
