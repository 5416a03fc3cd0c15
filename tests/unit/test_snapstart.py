"""SnapStart's hooks: a restored environment shares nothing that must be its own."""

from __future__ import annotations

import random

from nearmiss import bootstrap, snapstart
from nearmiss.bootstrap import Container


def test_after_a_restore_the_composition_root_and_the_random_state_are_new() -> None:
    # Given an environment that built its container (clients, secrets, link key) before the snapshot
    before = Container()
    bootstrap.use(before)
    random.seed(42)
    drawn_in_snapshot = random.random()
    random.seed(42)
    # When it is restored
    snapstart.after_restore()
    # Then it builds its own container, and its random draws differ from the snapshot's
    assert bootstrap.container() is not before
    assert random.random() != drawn_in_snapshot
    bootstrap.use(None)


def test_before_the_snapshot_only_modules_are_loaded_no_client_is_made() -> None:
    bootstrap.use(None)
    snapstart.before_snapshot(snapstart.WARM_MODULES["start_playbook"])
    assert bootstrap._current is None  # nothing was built, so nothing is shared


def test_outside_lambdas_runtime_nothing_is_registered() -> None:
    assert snapstart.register("api") is False
