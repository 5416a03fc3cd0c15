"""What every benchmark section shares: paths, the function environment, measures, timing helpers.

bench/ is not a package: run.py puts bench/ itself, the project root, shared/ and local/ on sys.path
(as pyproject's pytest `pythonpath` does), so the sections import this module as `common`.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHONPATH = os.pathsep.join(str(p) for p in (ROOT, ROOT / "shared", ROOT / "local"))
REGION = "eu-west-1"

# The environment template.yaml gives every function (Globals), with plain placeholder values: enough
# for import-time measurement, where nothing talks to AWS yet.
FUNCTION_ENV: dict[str, str] = {
    "NEARMISS_TABLE_NAME": "nearmiss-bench",
    "NEARMISS_EVENT_BUS_NAME": "nearmiss-bench",
    "NEARMISS_SENDER_DOMAIN": "mail.example.org",
    "NEARMISS_RETENTION_DAYS": "400",
    "NEARMISS_LINK_SECRET": "bench-link-secret-0123456789abcdef0123456789",
    "NEARMISS_API_KEY": "bench-api-key-0123456789",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "nearmiss",
    "POWERTOOLS_METRICS_NAMESPACE": "NearMiss",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}

# The functions, by folder, with their template logical id and the boto3 clients their composition
# root (shared/nearmiss/bootstrap.py) builds on the paths the benchmarks exercise. Powertools'
# parameters utility builds its own secretsmanager client when a secret comes from an ARN.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "api": {"logical_id": "ApiFunction", "clients": ["dynamodb", "events", "secretsmanager"]},
    "start_playbook": {"logical_id": "StartPlaybookFunction", "clients": ["dynamodb"]},
    "stop_playbook": {"logical_id": "StopPlaybookFunction", "clients": ["dynamodb"]},
    "send_due_steps": {
        "logical_id": "SendDueStepsFunction",
        "clients": ["dynamodb", "sesv2", "secretsmanager"],
    },
    "receive_mail": {
        "logical_id": "ReceiveMailFunction",
        "clients": ["s3", "dynamodb", "sesv2", "secretsmanager"],
    },
}


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a fresh interpreter: PATH and friends, our PYTHONPATH, the function env."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    return {**keep, "PYTHONPATH": PYTHONPATH, **FUNCTION_ENV, **(extra or {})}


@dataclass
class Measure:
    section: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None  # None: informative (no target) or not measurable here
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def write_section(path: str, measures: list[Measure], notes: dict[str, Any] | None = None) -> None:
    Path(path).write_text(
        json.dumps({"measures": [m.as_dict() for m in measures], "notes": notes or {}}, indent=2, default=str)
    )


def peak_rss_mb() -> float:
    """This address space's peak resident set size (VmHWM), in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except OSError:
        return float("nan")
