"""The reliability suite's table: every test adds a row; the session prints them at the end.

    make reliability   ->   pytest tests/reliability -m reliability -s

Each row: the scenario, the load, the faults injected, messages expected (fixed by the scenario's
inputs, never read back from the system under test), sent (accepted by SES), duplicates (a second
message for one (application, recipient, step)), needs_review and failed (steps left for a person
to look at, or failed for good with the reason: not sent, but visible in the timeline), and lost
(expected, but neither sent nor visible as needs_review or failed). A needs_review step whose
message SES did accept (a crash after the send) counts in both sent and needs_review.
Scenarios that cannot count deliveries (input checks, log hygiene, properties) are a table of
their own, with what they checked instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Row:
    scenario: str
    load: str
    faults: str
    expected: int | str
    sent: int | str
    duplicates: int | str
    lost: int | str
    seconds: float = 0.0
    outcome: str = ""
    needs_review: int | str = "-"
    failed: int | str = "-"

    @property
    def counts_deliveries(self) -> bool:
        return isinstance(self.expected, int) and isinstance(self.sent, int)


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(
        self,
        scenario: str,
        *,
        load: str,
        faults: str,
        expected: int | str = "-",
        sent: int | str = "-",
        duplicates: int | str = "-",
        lost: int | str = "-",
        seconds: float = 0.0,
        needs_review: int | str = "-",
        failed: int | str = "-",
    ) -> Row:
        row = Row(scenario, load, faults, expected, sent, duplicates, lost, seconds, "", needs_review, failed)
        self.rows.append(row)
        print(
            f"\n  [{scenario}] load: {load}; faults: {faults}; expected {expected}, sent {sent}, "
            f"duplicates {duplicates}, needs review {needs_review}, failed {failed}, lost {lost}"
            + (f" ({seconds:.1f} s)" if seconds else "")
        )
        return row


_TABLE_KEY = pytest.StashKey[Table]()


def _table(config: pytest.Config) -> Table:
    if _TABLE_KEY not in config.stash:
        config.stash[_TABLE_KEY] = Table()
    return config.stash[_TABLE_KEY]


@pytest.fixture
def table(request: pytest.FixtureRequest) -> Iterator[Table]:
    """The session's table; rows added by this test get its duration and its outcome."""
    shared = _table(request.config)
    before = len(shared.rows)
    began = time.perf_counter()
    yield shared
    for row in shared.rows[before:]:
        row.seconds = row.seconds or time.perf_counter() - began


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if report.when == "call":  # type: ignore[attr-defined]
        table = _table(item.config)
        outcome = "xfail" if hasattr(report, "wasxfail") else report.outcome  # type: ignore[attr-defined]
        mine = [row for row in table.rows if not row.outcome]
        if not mine:  # a test without figures of its own (the property tests): one row with what it ran
            mine = [_row_for(item, table, call)]
        for row in mine:
            row.outcome = outcome
    return report


def _row_for(item: pytest.Item, table: Table, call: pytest.CallInfo[None]) -> Row:
    test = getattr(item, "obj", None)
    hypothesis_settings = getattr(test, "_hypothesis_internal_use_settings", None)
    load = f"{hypothesis_settings.max_examples} generated examples" if hypothesis_settings else "-"
    name = item.name.removeprefix("test_").replace("_", " ")
    row = table.add(
        f"property: {name}" if hypothesis_settings else name,
        load=load,
        faults="arbitrary text in every field" if hypothesis_settings else "-",
        expected="holds",
        sent="-",
        duplicates="-",
        lost="-",
        seconds=call.duration,
    )
    return row


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if _TABLE_KEY not in config.stash or not config.stash[_TABLE_KEY].rows:
        return
    rows = config.stash[_TABLE_KEY].rows
    counted = [r for r in rows if r.counts_deliveries]
    checks = [r for r in rows if not r.counts_deliveries]
    terminalreporter.write_sep("=", "reliability summary: deliveries")
    head = ("scenario", "load", "faults injected", "expected", "sent", "dup", "review", "failed", "lost", "s")
    _write(
        terminalreporter,
        (*head, "result"),
        [
            (
                r.scenario,
                r.load,
                r.faults,
                str(r.expected),
                str(r.sent),
                str(r.duplicates),
                str(r.needs_review),
                str(r.failed),
                str(r.lost),
                f"{r.seconds:.1f}",
                r.outcome or "?",
            )
            for r in counted
        ],
    )
    terminalreporter.write_line(
        f"{len(counted)} scenarios; duplicates in total: "
        f"{sum(r.duplicates for r in counted if isinstance(r.duplicates, int))}; "
        f"lost in total: {sum(r.lost for r in counted if isinstance(r.lost, int))}"
    )
    if checks:
        terminalreporter.write_sep("=", "reliability summary: scenarios that cannot count deliveries")
        _write(
            terminalreporter,
            ("scenario", "load", "faults injected", "expected", "found", "s", "result"),
            [
                (
                    r.scenario,
                    r.load,
                    r.faults,
                    str(r.expected),
                    "; ".join(str(v) for v in (r.sent, r.duplicates, r.lost) if v != "-") or "-",
                    f"{r.seconds:.1f}",
                    r.outcome or "?",
                )
                for r in checks
            ],
        )
        terminalreporter.write_line(f"{len(checks)} scenarios")


def _write(
    terminalreporter: pytest.TerminalReporter, head: tuple[str, ...], cells: list[tuple[str, ...]]
) -> None:
    widths = [
        min(60, max(len(h), *(len(c[i]) for c in cells))) if cells else len(h) for i, h in enumerate(head)
    ]

    def line(values: tuple[str, ...]) -> str:
        out = []
        for value, width in zip(values, widths, strict=True):
            text = value if len(value) <= width else value[: width - 1] + "…"
            out.append(text.ljust(width))
        return "| " + " | ".join(out) + " |"

    terminalreporter.write_line(line(head))
    terminalreporter.write_line("|-" + "-|-".join("-" * w for w in widths) + "-|")
    for cell in cells:
        terminalreporter.write_line(line(cell))
