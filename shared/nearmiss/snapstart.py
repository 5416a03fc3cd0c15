"""Lambda SnapStart's runtime hooks (template parameter `SnapStart=on`).

With SnapStart, Lambda runs a function's init once per published version, snapshots the memory,
and starts every later environment from that snapshot. Whatever the init left in memory is then
shared by every restored environment, so:
- before the snapshot, the modules a first invocation needs are imported (the saving SnapStart is
  for), but no client, credential, secret or connection is made: the composition root builds those
  on first use, after the restore;
- after each restore, the random generator is reseeded (each environment would otherwise draw the
  same jitter and ids), and the composition root is dropped, with any clients, cached credentials,
  cached secrets and the link-signing key it may hold, so each environment fetches its own.
`register()` is a no-op outside Lambda's managed runtime (the hooks' library is part of it).
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Iterable

# What a first invocation imports lazily, per function (the handler modules import little at init).
WARM_MODULES = {
    "api": ("nearmiss.api", "nearmiss.service.playbooks", "nearmiss.adapters.dynamo"),
    "start_playbook": ("nearmiss.service.playbooks", "nearmiss.adapters.dynamo", "holidays.registry"),
    "stop_playbook": ("nearmiss.service.playbooks", "nearmiss.adapters.dynamo"),
    "send_due_steps": ("nearmiss.service.dispatch", "nearmiss.adapters.ses", "nearmiss.domain.compose"),
    "receive_webhook": ("nearmiss.service.intake", "nearmiss.adapters.dynamo"),
    "handle_ses_feedback": ("nearmiss.service.playbooks", "nearmiss.domain.feedback"),
    "receive_mail": ("nearmiss.service.inbound", "nearmiss.adapters.s3_mail", "nearmiss.adapters.ses"),
}


def before_snapshot(modules: Iterable[str] = ()) -> None:
    for name in ("boto3", "botocore.config", *modules):
        importlib.import_module(name)


def after_restore() -> None:
    from nearmiss import bootstrap

    random.seed(os.urandom(32))
    bootstrap.use(None)  # clients, credentials, secrets and the link key: built again, here


def register(function: str) -> bool:
    """Register both hooks for `function` (a key of WARM_MODULES); False where SnapStart cannot run."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    modules = WARM_MODULES.get(function, ())
    register_before_snapshot(lambda: before_snapshot(modules))
    register_after_restore(after_restore)
    return True
