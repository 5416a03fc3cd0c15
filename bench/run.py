"""`make bench`: every benchmark section, each in its own fresh interpreter; one table; bench/results.json.

    python bench/run.py                    # all sections
    python bench/run.py --only 2,3         # some sections
    python bench/run.py --quick            # fewer repetitions and smaller scales (a smoke run)
    python bench/run.py --only 1 --functions send_due_steps   # section 1 for some functions only
    python bench/run.py --section 3 --out F   # (internal) run one section, write its measures to F

Timings are ratios measured side by side in the same run, never absolute thresholds: these
machines are noisy. Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (BENCH, ROOT, ROOT / "shared", ROOT / "local"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

SECTIONS = {  # key: (title, module, label in the table)
    "1": ("cold start", "cold_start", "1 cold start"),
    "2": ("AWS requests and cost per rejected application", "requests_cost", "2 requests"),
    "3": ("dispatcher scaling", "dispatcher_scaling", "3 dispatcher"),
    "4": ("webhook acknowledgement", "webhook", "4 webhook"),
    "5": ("throughput and memory of our own code", "throughput", "5 throughput"),
    "6": ("dispatcher throughput and backlog at the SES rate", "dispatch_rate", "6 dispatch rate"),
}
RESULTS = BENCH / "results.json"


def run_section(key: str, out: str, quick: bool) -> None:
    import importlib

    from common import write_section

    module = importlib.import_module(SECTIONS[key][1])
    measures, notes = module.run(quick=quick)
    write_section(out, measures, notes)


def _fmt(value: object, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = (
            f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
        )
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def print_table(measures: list[dict[str, object]]) -> None:
    rows = [("section", "measure", "value", "target", "met")]
    for m in measures:
        met = {True: "yes", False: "NO", None: "-"}[m["met"]]  # type: ignore[index]
        rows.append(
            (str(m["section"]), str(m["name"]), _fmt(m["value"], str(m["unit"])), str(m["target"]), met)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    widths[1] = min(widths[1], 58)
    line = "  ".join("-" * w for w in widths)
    print(line)
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1][: widths[1]].ljust(widths[1]), row[2].rjust(widths[2])]
        cells += [row[3].ljust(widths[3]), row[4]]
        print("  ".join(cells))
        if i == 0:
            print(line)
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated section numbers (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller scales")
    parser.add_argument("--functions", help="comma-separated function folders for section 1 (default: all)")
    parser.add_argument("--section", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--details", action="store_true", help="print each measure's detail line too")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.functions:
        os.environ["BENCH_FUNCTIONS"] = args.functions  # read by cold_start.run, in the section's process

    if args.section:
        run_section(args.section, args.out, args.quick)
        return 0

    keys = [k.strip() for k in args.only.split(",")] if args.only else list(SECTIONS)
    began = time.perf_counter()
    measures: list[dict[str, object]] = []
    notes: dict[str, object] = {}
    timings: dict[str, float] = {}
    for key in keys:
        title, _, label = SECTIONS[key]
        print(f"[bench] {key}. {title} ...", flush=True)
        started = time.perf_counter()
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
            out = tmp.name
        done = subprocess.run(
            [
                sys.executable,
                str(BENCH / "run.py"),
                "--section",
                key,
                "--out",
                out,
                *(["--quick"] if args.quick else []),
            ],
            cwd=ROOT,
        )
        timings[key] = round(time.perf_counter() - started, 1)
        if done.returncode != 0:
            measures.append(
                {
                    "section": label,
                    "name": "section failed",
                    "value": None,
                    "unit": "",
                    "target": "",
                    "met": False,
                    "detail": f"exit status {done.returncode}; see the output above",
                    "extra": {},
                }
            )
            continue
        result = json.loads(Path(out).read_text())
        Path(out).unlink()
        measures += result["measures"]
        notes[key] = result["notes"]
        print(f"[bench] {key}. done in {timings[key]:.0f} s", flush=True)

    total = round(time.perf_counter() - began, 1)
    print()
    print_table(measures)
    targets = [m for m in measures if m["met"] is not None]
    print(
        f"\n{sum(1 for m in targets if m['met'])} of {len(targets)} targets met; "
        f"total {total:.0f} s ({', '.join(f'section {k}: {v:.0f} s' for k, v in timings.items())})"
    )
    if args.details:
        print()
        for m in measures:
            if m["detail"]:
                print(f"- {m['name']}: {m['detail']}")
    results = {
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "sections_run": keys,
        "runtime_seconds": {"total": total, **{f"section_{k}": v for k, v in timings.items()}},
        "measures": measures,
        "notes": notes,
    }
    if not args.only and not args.functions:
        RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    else:
        partial = Path(tempfile.gettempdir()) / "nearmiss-bench-partial.json"
        partial.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {partial} (a partial run does not replace bench/results.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
