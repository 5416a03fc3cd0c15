"""Cold start, pinned by structure rather than by timing: what a fresh interpreter loads and builds.

Each check runs in its own interpreter (this one has imported everything already). Importing a
handler module loads neither boto3 nor any library only some paths need, and builds no domain
model's validator; the first planning and the first dispatch run on documents read back from the
table (validated with FROM_STORE, as the DynamoDB adapter reads them) load no email_validator, and
the dispatcher renders the precompiled templates without compiling one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from nearmiss.domain.models import Mode

from tests.conftest import NOW, make_application, make_candidate, make_rejection

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
# Libraries a path may need, never the import: the SDK (built on first use; Powertools' user-agent hook
# imports only botocore's package module), mail rendering, address validation, holiday calendars, the
# mail parsers' date and calendar libraries.
HEAVY = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "jinja2",
    "email_validator",
    "holidays",
    "dateparser",
    "icalendar",
)
# The two models whose instances are the defaults of every member's settings (built where defined).
DEFAULTS = ["PlaybookSettings", "SendWindow"]
# What each function's import must not load of our own code either (its use cases load on first call).
NOT_AT_IMPORT = (
    "nearmiss.adapters.dynamo",
    "nearmiss.service.dispatch",
    "nearmiss.service.playbooks",
    "nearmiss.service.inbound",
    "nearmiss.service.forwards",
    "nearmiss.intake.mail.rejections",
)
ENV = {
    "NEARMISS_TABLE_NAME": "nearmiss-test",
    "NEARMISS_EVENT_BUS_NAME": "nearmiss-test",
    "NEARMISS_SENDER_DOMAIN": "mail.example.org",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def fresh(script: str) -> str:
    """Run `script` in a fresh interpreter with this checkout on the path; its stdout."""
    path = os.pathsep.join(str(ROOT / p) for p in ("", "shared", "local"))
    done = subprocess.run(  # noqa: S603 (a fixed command: this interpreter and the script)
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}, **ENV, "PYTHONPATH": path},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("function", FUNCTIONS)
def test_importing_a_handler_loads_no_sdk_no_optional_library_and_builds_no_domain_model(
    function: str,
) -> None:
    out = fresh(
        f"""
        import json, sys
        import functions.{function}.app
        from nearmiss.domain import models
        built = sorted(
            name for name, value in vars(models).items()
            if isinstance(value, type) and issubclass(value, models.Strict) and value.__pydantic_complete__
        )
        heavy = {list(HEAVY)!r}
        loaded = sorted(
            m for m in sys.modules if m.split(".")[0] in heavy or m in heavy or m in {list(NOT_AT_IMPORT)!r}
        )
        print(json.dumps({{"loaded": loaded, "built": built}}))
        """
    )
    assert json.loads(out.splitlines()[-1]) == {"loaded": [], "built": DEFAULTS}


def test_planning_and_dispatching_stored_documents_validate_no_address_again_and_compile_no_template() -> (
    None
):
    # Given a member, an application and a rejection as the table holds them (validated when they came in)
    documents = {
        "candidate": make_candidate(mode=Mode.AUTO).model_dump_json(),
        "application": make_application().model_dump_json(),
        "rejection": make_rejection().model_dump_json(),
    }
    # When a fresh interpreter reads them back, plans the playbook and sends what is due a day later
    out = fresh(
        f"""
        import json, sys
        from datetime import datetime, timedelta
        from nearmiss.domain.events import ApplicationRejected
        from nearmiss.domain.models import FROM_STORE, Application, Candidate
        from nearmiss.service.dispatch import Dispatcher
        from nearmiss.service.links import Links
        from nearmiss.service.playbooks import SenderPolicy, start_playbook
        from nearmiss_local.fakes import MemoryStore, RecordingMailer

        documents = {json.dumps(documents)!r}
        documents = json.loads(documents)
        store, mailer = MemoryStore(), RecordingMailer()
        store.put_candidate(Candidate.model_validate_json(documents["candidate"], context=FROM_STORE))
        store.put_application(Application.model_validate_json(documents["application"], context=FROM_STORE))
        rejection = ApplicationRejected.model_validate_json(documents["rejection"], context=FROM_STORE)
        now = datetime.fromisoformat({NOW.isoformat()!r})
        outcome, steps = start_playbook(store, rejection, SenderPolicy(domain="mail.example.org"), now=now)
        after_planning = sorted(m for m in ("email_validator", "jinja2") if m in sys.modules)
        import jinja2

        def compile_at_run_time(*args, **kwargs):
            raise AssertionError("a template was compiled at run time")

        jinja2.Environment.compile = compile_at_run_time
        dispatcher = Dispatcher(
            store, mailer, Links("https://nearmiss.example", b"s" * 32),
            platform_address="notes@mail.example.org", sleep=lambda s: None,
        )
        report = dispatcher.run(now + timedelta(days={timedelta(days=1).days}))
        print(json.dumps({{
            "outcome": outcome.value,
            "sent": sorted(m.to_address for m in mailer.sent),
            "after_planning": after_planning,
            "email_validator": "email_validator" in sys.modules,
        }}))
        """
    )
    # Then the thank-you notes go out, and neither step validated an address again nor compiled a template
    assert json.loads(out.splitlines()[-1]) == {
        "outcome": "created",
        "sent": ["grace@northwind.example", "mei@northwind.example", "sam@northwind.example"],
        "after_planning": [],
        "email_validator": False,
    }


def test_an_address_from_input_is_still_validated_in_full_and_a_stored_one_only_when_it_looks_wrong() -> None:
    out = fresh(
        """
        import json, sys
        from nearmiss.domain.models import FROM_STORE, Contact
        stored = {"name": "Grace Park", "email": "grace@northwind.example", "role": "interviewer"}
        Contact.model_validate_json(json.dumps(stored), context=FROM_STORE)
        read_back_without_validator = "email_validator" not in sys.modules
        odd = {**stored, "email": "grace@northwind..example"}
        try:
            Contact.model_validate_json(json.dumps(odd), context=FROM_STORE)
            stored_odd = "accepted"
        except ValueError as exc:
            stored_odd = "refused" if "not a usable email address" in str(exc) else str(exc)
        typed = Contact.model_validate({**stored, "email": "Grace@Northwind.EXAMPLE"})
        print(json.dumps([read_back_without_validator, stored_odd, typed.email]))
        """
    )
    assert json.loads(out.splitlines()[-1]) == [True, "refused", "Grace@northwind.example"]
