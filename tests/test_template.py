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


def test_each_function_is_configured_from_its_own_environment_as_lambda_would(stack) -> None:  # type: ignore[no-untyped-def]
    # Given the stack, each function's settings come from os.environ as the template sets it
    for logical_id, fn in stack.functions.items():
        settings = stack._container(fn).settings
        assert settings.table_name == stack.names["Table"], logical_id
        assert settings.event_bus_name == "nearmiss-dev", logical_id  # !Sub nearmiss-${Stage}
    # And the functions that send (the dispatcher; the API, its proof mails) get the configuration
    # set, and only the dispatcher the send rate
    dispatcher = stack._container(stack.functions["SendDueStepsFunction"]).settings
    assert dispatcher.ses_configuration_set == "nearmiss-dev"
    assert dispatcher.ses_max_send_rate == 1000
    assert stack._container(stack.functions["ApiFunction"]).settings.ses_configuration_set == "nearmiss-dev"
    webhook = stack._container(stack.functions["ReceiveWebhookFunction"]).settings
    assert webhook.ses_configuration_set is None


# ---- production fidelity: what AWS and SAM would do with the template ---------------------------------
def test_cfn_lint_on_the_sam_template_itself_is_clean() -> None:
    from nearmiss_local.check_template import lint_sam

    result = lint_sam()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_dead_letter_config_in_the_wrong_shape_is_caught_before_deploy() -> None:
    # Given the shape that made SAM create a queue per rule, one nobody watches
    from nearmiss_local.check_template import dead_letter_problems

    template = load_template()
    feedback = template["Resources"]["HandleSesFeedbackFunction"]["Properties"]["Events"]["Feedback"]
    feedback["Properties"]["DeadLetterConfig"] = {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }
    # Then `make template` refuses it (cfn-lint's SAM schemas miss it when the pattern holds a !Ref)
    problems = dead_letter_problems(translate(template))
    assert problems and "HandleSesFeedbackFunctionFeedbackQueue" in problems[0]


def test_every_dead_letter_goes_to_the_one_watched_queue(cfn: dict[str, Any]) -> None:
    # SAM creates no queue of its own: the only queue is ours, in the Outputs, with an alarm on it
    queues = [k for k, r in cfn["Resources"].items() if r["Type"] == "AWS::SQS::Queue"]
    assert queues == ["DeadLetterQueue"]
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] == "AWS::Events::Rule":
            for target in resource["Properties"]["Targets"]:
                if "DeadLetterConfig" in target:
                    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
                else:
                    assert "Tick" in logical_id  # the schedule: the next tick is its retry
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig":
            on_failure = resource["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
            assert on_failure == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}, logical_id


def test_the_ses_feedback_rule_takes_only_this_stacks_configuration_set() -> None:
    rule = load_template()["Resources"]["HandleSesFeedbackFunction"]["Properties"]["Events"]["Feedback"]
    pattern = rule["Properties"]["Pattern"]
    assert pattern["detail"]["mail"]["tags"]["ses:configuration-set"] == [{"Ref": "SesConfigurationSet"}]


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("PublicBaseUrl", "links.example.org"),  # no scheme
        ("PublicBaseUrl", "http://links.example.org"),  # plain http off loopback
        ("PublicBaseUrl", "https://links.example.org/?a=1"),
        ("SesMaxSendRate", "0"),
        ("SesMaxSendRate", "fast"),
        ("DispatchRate", "rate(5 minute)"),
        ("DispatchRate", "rate(0 minutes)"),
        ("DispatchRate", "cron(0 * * * ? *)"),
        ("SenderDomain", "https://mail.example.org"),
        ("SenderDomain", "notes@mail.example.org"),
        ("Stage", "production"),
        ("AlarmEmail", "ops team"),
        ("RetentionDays", "7"),
        ("ReceivingDomain", "example.org"),  # the organisation's own domain: its MX would take its mail
        ("ReceivingDomain", "Reply.Example.org"),
        ("ReceivingDomain", "reply@example.org"),
        ("InboundRetentionDays", "0"),
    ],
)
def test_a_parameter_outside_its_constraint_is_refused_at_deploy_naming_it(
    parameter: str, value: str
) -> None:
    from nearmiss_local.template_model import TemplateError, check_parameters

    given = {"SenderDomain": "mail.example.org", parameter: value}
    with pytest.raises(TemplateError, match=f"Parameter '{parameter}'"):
        check_parameters(load_template(), given)


def test_the_parameters_a_real_deploy_uses_are_accepted() -> None:
    from nearmiss_local.template_model import check_parameters

    values = check_parameters(
        load_template(),
        {
            "SenderDomain": "mail.careers.example.org",
            "PublicBaseUrl": "https://links.careers.example.org/nm",
            "DispatchRate": "rate(1 minute)",
            "SesMaxSendRate": "14",
            "AlarmEmail": "ops@careers.example.org",
            "Stage": "prod",
        },
    )
    assert values["CreateSenderIdentity"] == "true" and values["MailFromSubdomain"] == "bounce"


def test_the_table_and_the_secrets_survive_a_stack_deletion_and_a_replacement() -> None:
    resources = load_template()["Resources"]
    for logical_id in ("Table", "LinkSecret", "ApiKeySecret", "WebhookSecrets"):
        assert resources[logical_id]["DeletionPolicy"] == "Retain", logical_id
        assert resources[logical_id]["UpdateReplacePolicy"] == "Retain", logical_id
    protection = resources["Table"]["Properties"]["DeletionProtectionEnabled"]
    assert protection == {"Fn::If": ["IsProd", True, False]}


def test_no_secret_value_is_written_by_the_template() -> None:
    # An update of the stack must never reset what the operator stored
    for logical_id, resource in load_template()["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            assert "SecretString" not in resource["Properties"], logical_id
            assert "GenerateSecretString" in resource["Properties"], logical_id


def test_every_resource_that_can_carry_tags_carries_the_project_tag(cfn: dict[str, Any]) -> None:
    import json as _json

    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    provider = _json.loads((schemas / "providers" / "eu-west-1.json").read_text())
    # SAM writes no tags on the rules it generates, nor on the HTTP API (they live in its body): the stack
    # tags in samconfig.toml reach those, as CloudFormation puts stack tags on every taggable resource.
    untagged_by_sam = {"AWS::Events::Rule", "AWS::ApiGatewayV2::Api"}
    missing = []
    for logical_id, resource in cfn["Resources"].items():
        schema_id = provider.get(resource["Type"])
        if not schema_id or resource["Type"] in untagged_by_sam:
            continue
        schema = _json.loads((schemas / "resources" / f"{schema_id}.json").read_text())
        if "Tags" in schema.get("properties", {}) and "project" not in str(
            resource["Properties"].get("Tags")
        ):
            missing.append(logical_id)
    assert missing == []
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert 'project="near-miss"' in samconfig["default"]["deploy"]["parameters"]["tags"]


def test_alarms_watch_dead_letters_the_dispatcher_needs_review_and_ses_reputation() -> None:
    resources = load_template()["Resources"]
    alarms = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    watched = {(a["Namespace"], a["MetricName"]): a for a in alarms.values()}
    assert watched[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]["Threshold"] == 1
    assert watched[("AWS/Lambda", "Errors")]["Dimensions"][0]["Value"] == {"Ref": "SendDueStepsFunction"}
    assert ("NearMiss", "Steps_needs_review") in watched
    # SES reviews an account at 5 % bounces and 0.1 % complaints: the alarms fire before that
    assert watched[("AWS/SES", "Reputation.BounceRate")]["Threshold"] < 0.05
    assert watched[("AWS/SES", "Reputation.ComplaintRate")]["Threshold"] < 0.001
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_the_platform_identity_signs_with_dkim_and_a_custom_mail_from_and_outputs_its_dns() -> None:
    template = load_template()
    identity = template["Resources"]["SenderIdentity"]["Properties"]
    assert identity["EmailIdentity"] == {"Ref": "SenderDomain"}
    assert identity["DkimSigningAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT"
    assert identity["MailFromAttributes"]["MailFromDomain"] == {
        "Fn::Sub": "${MailFromSubdomain}.${SenderDomain}"
    }
    outputs = template["Outputs"]
    for n in (1, 2, 3):
        assert f"DkimDNSTokenName{n}" in str(outputs[f"SesDkimRecord{n}"]["Value"])
    assert "feedback-smtp.${AWS::Region}.amazonses.com" in str(outputs["SesMailFromMxRecord"]["Value"])
    assert "include:amazonses.com" in str(outputs["SesMailFromSpfRecord"]["Value"])
    assert "v=DMARC1" in str(outputs["DmarcRecord"]["Value"])


# ---- receiving (SES): replies to the notes ----------------------------------------------------------------
def test_the_receiving_side_exists_only_with_a_receiving_domain() -> None:
    from nearmiss_local.template_model import Resolver, check_parameters

    template = load_template()
    receiving = [k for k, r in template["Resources"].items() if r.get("Condition") == "ReceivesMail"]
    assert set(receiving) >= {
        "InboundMailBucket",
        "InboundMailBucketPolicy",
        "ReceiptRuleSet",
        "ReceiptRule",
        "ReceiveMailPermission",
        "ReceiveMailFunction",
        "ReceiveMailLogGroup",
        "ReceivingIdentity",  # SES receives only for a domain it verified
    }
    without = check_parameters(template, {"SenderDomain": "mail.example.org"})
    assert without["ReceivingDomain"] == "" and not Resolver(template, without).condition("ReceivesMail")
    given = check_parameters(
        template, {"SenderDomain": "mail.example.org", "ReceivingDomain": "reply.example.org"}
    )
    assert Resolver(template, given).condition("ReceivesMail") and given["InboundRetentionDays"] == "30"


def test_received_mail_is_encrypted_private_tls_only_and_expires() -> None:
    resources = load_template()["Resources"]
    bucket = resources["InboundMailBucket"]["Properties"]
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (expiry,) = bucket["LifecycleConfiguration"]["Rules"]
    assert expiry["Status"] == "Enabled" and expiry["ExpirationInDays"] == {"Ref": "InboundRetentionDays"}
    statements = resources["InboundMailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(st for st in statements if st["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "s3:*"


def test_only_our_receipt_rule_may_store_mail_and_invoke_receive_mail() -> None:
    resources = load_template()["Resources"]
    rule_arn = (
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:receipt-rule-set/nearmiss-${Stage}"
        ":receipt-rule/nearmiss-${Stage}-replies"
    )
    statements = resources["InboundMailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    ses = next(st for st in statements if st["Effect"] == "Allow")
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"} and ses["Action"] == "s3:PutObject"
    assert ses["Resource"] == {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}
    assert ses["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"},
        "aws:SourceArn": {"Fn::Sub": rule_arn},
    }
    permission = resources["ReceiveMailPermission"]["Properties"]
    assert permission["Principal"] == "ses.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"] == {"Fn::Sub": rule_arn}
    rule = resources["ReceiptRule"]["Properties"]["Rule"]
    assert rule["Name"] == {"Fn::Sub": "nearmiss-${Stage}-replies"}  # the name both conditions trust
    assert rule["Recipients"] == [{"Ref": "ReceivingDomain"}]
    assert rule["ScanEnabled"] is True and rule["TlsPolicy"] == "Require"
    s3_action, lambda_action = (
        a["S3Action"] if "S3Action" in a else a["LambdaAction"] for a in rule["Actions"]
    )
    assert list(rule["Actions"][0]) == ["S3Action"] and list(rule["Actions"][1]) == ["LambdaAction"]
    assert s3_action == {"BucketName": {"Ref": "InboundMailBucket"}, "ObjectKeyPrefix": "inbound/"}
    assert lambda_action == {"FunctionArn": {"Ref": "ReceiveMailFunction.Alias"}, "InvocationType": "Event"}


def test_receive_mail_is_least_privilege_and_has_a_failure_route(cfn: dict[str, Any]) -> None:
    props = load_template()["Resources"]["ReceiveMailFunction"]["Properties"]
    config = props["EventInvokeConfig"]
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }
    assert 0 < config["MaximumRetryAttempts"] <= 2
    statements = props["Policies"][0]["Statement"]
    actions = {
        a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert actions == {
        "s3:GetObject",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",  # a forward's member and application, read as one
        "secretsmanager:GetSecretValue",
        "ses:SendEmail",
    }
    s3 = next(st for st in statements if st["Action"] == "s3:GetObject")
    assert s3["Resource"] == {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}
    assert cfn["Resources"]["ReceiveMailFunctionEventInvokeConfig"]["Properties"]["Qualifier"] == "live"


def test_the_outputs_give_the_mx_record_to_publish() -> None:
    outputs = load_template()["Outputs"]
    assert outputs["ReceivingMxRecord"]["Value"] == {
        "Fn::Sub": "${ReceivingDomain} MX 10 inbound-smtp.${AWS::Region}.amazonaws.com"
    }
    assert outputs["ReceiptRuleSetName"]["Value"] == {"Ref": "ReceiptRuleSet"}
    assert "ReceivingIdentity.DkimDNSTokenName1" in str(outputs["ReceivingDkimRecords"]["Value"])
