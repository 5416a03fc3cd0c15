"""template.yaml: it translates and lints, it is least-privilege, and every async path has a failure route."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from nearmiss_local.check_template import lint, translate
from nearmiss_local.runtime import load_template

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate()


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def test_the_translated_template_is_cfn_lint_clean(cfn: dict[str, Any]) -> None:
    result = lint(cfn)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_sam_level_mistake_is_caught() -> None:
    broken = load_template()
    broken["Globals"]["Function"]["Runtime"] = "python3.99"
    assert lint(translate(broken)).returncode != 0


def test_every_function_runs_on_python_3_13_with_the_shared_layer() -> None:
    template = load_template()
    assert template["Globals"]["Function"]["Runtime"] == "python3.13"
    for name, fn in functions(template).items():
        assert "Runtime" not in fn["Properties"] or fn["Properties"]["Runtime"] == "python3.13", name
        assert (ROOT / fn["Properties"]["CodeUri"] / "app.py").is_file(), name


def test_no_iam_statement_allows_any_action_on_any_resource(cfn: dict[str, Any]) -> None:
    statements = []
    for resource in cfn["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                statements += policy["PolicyDocument"]["Statement"]
            assert not [
                p
                for p in resource["Properties"].get("ManagedPolicyArns", [])
                if "AdministratorAccess" in str(p)
            ]
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        wild_action = any(a == "*" or a.endswith(":*") for a in actions)
        wild_resource = any(r == "*" for r in resources)
        assert not (wild_action and wild_resource), statement
        assert not any(a == "*" for a in actions), statement


def test_no_function_can_scan_the_table(cfn: dict[str, Any]) -> None:
    assert "dynamodb:Scan" not in str(cfn)


def test_every_asynchronous_path_has_a_failure_route() -> None:
    for name, fn in functions(load_template()).items():
        props = fn["Properties"]
        kinds = {e["Type"] for e in props.get("Events", {}).values()}
        if kinds & {"EventBridgeRule", "Schedule", "ScheduleV2"}:
            assert props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"] == "SQS", name
        for event in props.get("Events", {}).values():
            if event["Type"] == "EventBridgeRule":
                assert "DeadLetterConfig" in event["Properties"] and "RetryPolicy" in event["Properties"], (
                    name
                )


def test_every_function_has_a_log_group_with_retention() -> None:
    template = load_template()
    groups = {
        str(r["Properties"]["LogGroupName"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup" and "LogGroupName" in r["Properties"]
    }
    for name in functions(template):
        assert any(name in g for g in groups), name


def test_the_layer_installs_exactly_the_runtime_dependencies_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [
        line.strip()
        for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    normalise = lambda deps: sorted(re.sub(r"\s+#.*", "", d).strip().lower() for d in deps)  # noqa: E731
    assert normalise(layer) == normalise(project)


def test_the_table_in_moto_is_built_from_the_templates_key_schema(stack) -> None:  # type: ignore[no-untyped-def]
    described = stack.client("dynamodb").describe_table(TableName=stack.names["Table"])["Table"]
    props = load_template()["Resources"]["Table"]["Properties"]
    assert described["KeySchema"] == props["KeySchema"]
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == [
        i["IndexName"] for i in props["GlobalSecondaryIndexes"]
    ]
    assert props["TimeToLiveSpecification"]["Enabled"] is True


def test_the_environment_the_template_gives_each_function_is_a_valid_configuration() -> None:
    from nearmiss_local.runtime import LocalStack

    stack = LocalStack()
    stack.names = {
        k: f"local-{k}"
        for k in (
            "Table",
            "EventBus",
            "LinkSecret",
            "ApiKeySecret",
            "WebhookSecrets",
            "DeadLetterQueue",
            "SesConfigurationSet",
        )
    }
    stack.names.update(
        SenderDomain="mail.example.org",
        RetentionDays="400",
        PublicBaseUrl="https://x.example",
        SesMaxSendRate="10",
        HttpApi="h",
        Stage="dev",
    )
    stack.names.update({"AWS::Region": "eu-west-1", "AWS::URLSuffix": "amazonaws.com"})
    from nearmiss.config import Settings

    for fn in functions(stack.template).values():
        env = {
            **stack.resolve(stack.template["Globals"]["Function"]["Environment"]["Variables"]),
            **stack.resolve(fn["Properties"].get("Environment", {}).get("Variables", {})),
        }
        values = {k.removeprefix("NEARMISS_").lower(): v for k, v in env.items() if k.startswith("NEARMISS_")}
        Settings(**values)  # raises if the template sets something the code does not accept
