"""The embedded local default: template.yaml's wiring, on moto, with the real handlers in process.

What `sam local` would do with Docker, done here without it, with the template as the single source
of the wiring (nearmiss_local.template_model evaluates it as CloudFormation would):
- the parameters are checked against their constraints and every Condition is evaluated from them;
- the table, the bus, the queues, the secrets and the SES identity and configuration set are created
  in moto from their template resources;
- each EventBridgeRule event becomes a real rule on the moto bus with the template's own pattern,
  targeting an SQS queue (moto cannot invoke Lambda targets); `pump()` drains those queues into the
  function's handler as Lambda's asynchronous invocation would: the rule's RetryPolicy and
  DeadLetterConfig for a delivery that fails, then the function's EventInvokeConfig (its retries and
  its OnFailure destination) for a handler that fails;
- each Schedule event becomes a ticker that `tick()` fires; each HttpApi event a route of `http()`;
- Lambda `Invoke` calls (dead-letter replay) run the real handler of the function they name;
- each function runs with exactly the environment the template gives it, parsed by the same
  settings code Lambda runs, and with its execution role's actions enforced (nearmiss_local.iam);
- every request goes through the AWS contract layer (nearmiss_local.contract), which refuses what
  AWS refuses and moto would accept.
A property of a function or event that the runtime cannot honour fails loudly, naming it.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets as pysecrets
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from nearmiss_local.template_model import (
    TEMPLATE,
    Resolver,
    TemplateError,
    check_parameters,
    load_template,
)

__all__ = ["TEMPLATE", "LocalStack", "TemplateError", "load_template", "set_fake_credentials"]

REGION = "eu-west-1"
ACCOUNT = "123456789012"
SENDER_DOMAIN = "mail.nearmiss.example"
RECEIVING_DOMAIN = "reply.mail.nearmiss.example"  # what tests and the demo pass as ReceivingDomain
WEBHOOK_SOURCES = ("greenhouse", "lever", "ashby", "workable", "recruitee", "generic")
# Lambda's defaults when the template says nothing (asynchronous invocation: two retries).
DEFAULT_ASYNC_RETRIES = 2
DEFAULT_RULE_RETRIES = 185

# What the runtime does with each function property: honoured, or meaningful only in AWS (with why).
HONOURED = frozenset(
    {
        "CodeUri",
        "Handler",
        "Environment",
        "Timeout",
        "MemorySize",
        "Events",
        "EventInvokeConfig",
        "Description",
    }
)
NOT_EMULATED = {
    "Runtime": "the handlers run on this interpreter, which make checks is the Lambda runtime's version",
    "Architectures": "the code is pure Python; `make build` checks the arm64 wheels",
    "Tracing": "X-Ray segments are written by Lambda itself, not by our code",
    "Layers": "the layer's packages are on sys.path, as /opt/python is in Lambda",
    "Policies": "enforced as the execution role's actions by nearmiss_local.iam",
    "Tags": "cost allocation only",
    "AutoPublishAlias": "versions exist only in AWS; the alias qualifies the ARNs in the records written",
    "AutoPublishCodeSha256": "versions exist only in AWS",
    "SnapStart": "no snapshots locally; the restore hooks (nearmiss.snapstart) are unit-tested",
    "PropagateTags": "cost allocation only",
}
EVENT_PROPERTIES = {
    "EventBridgeRule": frozenset({"EventBusName", "Pattern", "RetryPolicy", "DeadLetterConfig", "RuleName"}),
    "Schedule": frozenset({"Schedule", "Description", "Enabled"}),
    "HttpApi": frozenset({"ApiId", "Path", "Method"}),
}


def _age_seconds(event: dict[str, Any]) -> float:
    """How long ago the event happened (its `time`: ISO 8601 from AWS, an epoch number from moto)."""
    stamp = event.get("time")
    try:
        if isinstance(stamp, int | float):
            at = datetime.fromtimestamp(float(stamp), UTC)
        elif isinstance(stamp, str):
            at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        else:
            return 0.0
    except (ValueError, OverflowError):
        return 0.0
    return (datetime.now(UTC) - at).total_seconds()


class UnsupportedTemplateProperty(TemplateError):
    """The template uses what the local runtime cannot honour: it refuses to run rather than ignore it."""


def table_definition(template: dict[str, Any], name: str = "nearmiss-local") -> dict[str, Any]:
    """CreateTable arguments taken from the template's own Table resource: code and template cannot drift."""
    props = template["Resources"]["Table"]["Properties"]
    return {
        "TableName": name,
        "BillingMode": props["BillingMode"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props.get("GlobalSecondaryIndexes", []),
    }


def set_fake_credentials() -> None:
    """moto needs some credentials; these guarantee nothing can ever sign a request to real AWS."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        os.environ[key] = value
    os.environ.pop("AWS_PROFILE", None)


@dataclass
class FakeContext:
    """The bits of the Lambda context the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_s: int = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Rule:
    """An EventBridgeRule event: its rule on the bus, the queue standing in for the Lambda target."""

    name: str
    event_name: str
    bus: str
    pattern: dict[str, Any]
    queue_url: str
    retry_attempts: int = DEFAULT_RULE_RETRIES
    max_age_seconds: int = 86400  # RetryPolicy.MaximumEventAgeInSeconds (EventBridge's default: 24 h)
    dead_letter_url: str | None = None

    @property
    def arn(self) -> str:
        bus = "" if self.bus == "default" else f"{self.bus}/"
        return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}{self.name}"


@dataclass
class Function:
    logical_id: str
    module: str
    handler_name: str
    env: dict[str, str]
    timeout: int
    memory: int
    rules: list[Rule] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)
    routes: list[tuple[str, str]] = field(default_factory=list)  # (method, path template) of HttpApi events
    async_retries: int = DEFAULT_ASYNC_RETRIES  # EventInvokeConfig.MaximumRetryAttempts
    async_max_age_seconds: int = 21600  # EventInvokeConfig.MaximumEventAgeInSeconds (Lambda's default: 6 h)
    on_failure_url: str | None = None  # EventInvokeConfig.DestinationConfig.OnFailure (an SQS queue)
    alias: str | None = None  # AutoPublishAlias: triggers (and the records AWS writes) name the alias

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.logical_id}"

    @property
    def invoked_arn(self) -> str:
        return f"{self.arn}:{self.alias or '$LATEST'}"

    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        return getattr(importlib.import_module(self.module), self.handler_name)  # type: ignore[no-any-return]


@dataclass
class DeadLetter:
    function: str
    event: dict[str, Any]
    error: str


@dataclass
class ReceiptRule:
    """An AWS::SES::ReceiptRule of the (one, active) rule set: which recipients it takes and its
    actions, in order: the S3 action's bucket and prefix, then the Lambda action's function."""

    name: str
    rule_set: str
    recipients: list[str]
    tls_required: bool
    scan: bool
    bucket: str
    prefix: str
    function: str
    invocation_type: str

    @property
    def arn(self) -> str:
        return f"arn:aws:ses:{REGION}:{ACCOUNT}:receipt-rule-set/{self.rule_set}:receipt-rule/{self.name}"

    def takes(self, address: str) -> bool:
        """SES's matching: an address matches an entry that is the address itself or its domain
        (a domain entry does not cover its subdomains)."""
        address = address.strip().lower()
        domain = address.rpartition("@")[2]
        return any(entry.lower() in (address, domain) for entry in self.recipients)


class MailRejected(Exception):
    """SES refused the message at SMTP time (the sender gets a bounce): nothing was stored or invoked."""


class LocalStack:
    """template.yaml on moto. Use as a context manager: `with LocalStack() as stack: ...`.

    `parameters` are the template parameters (checked as CloudFormation checks them); the local
    defaults are the platform domain below, the base URL of the local server and an SES rate the
    simulated clock never waits for.
    """

    def __init__(
        self,
        *,
        base_url: str = "http://127.0.0.1:8000",
        quiet: bool = True,
        parameters: dict[str, str] | None = None,
        template: dict[str, Any] | None = None,
    ) -> None:
        self.template = template if template is not None else load_template()
        self.base_url = base_url
        self.quiet = quiet
        self.parameters = check_parameters(
            self.template,
            {
                "SenderDomain": SENDER_DOMAIN,
                "PublicBaseUrl": base_url,
                "SesMaxSendRate": "1000",  # the simulated clock does not wait; pacing is tested on its own
                **(parameters or {}),
            },
        )
        self.resolver = Resolver(self.template, self.parameters)
        self.names: dict[str, str] = self.resolver.names  # Ref of each resource the runtime created
        self.functions: dict[str, Function] = {}
        self.receipt_rules: list[ReceiptRule] = []
        self.dead_letters: list[DeadLetter] = []
        self.invocations: list[tuple[str, str]] = []  # (function, outcome)
        # Tests set this to make EventBridge's delivery to a function fail: (function, event) -> error.
        self.delivery_fault: Callable[[str, dict[str, Any]], str | None] | None = None
        self._mock: Any = None
        self._containers: dict[str, Any] = {}
        self._queue_urls: dict[str, str] = {}  # queue ARN -> URL
        self.api_key = pysecrets.token_urlsafe(24)
        # One signing secret per ATS, as an operator would store them (see events/webhooks and sign_webhook).
        self.webhook_secrets = {source: f"local-{source}-signing-secret" for source in WEBHOOK_SOURCES}

    # ---- set-up --------------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        set_fake_credentials()
        # A run that publishes no metric (an API read, an empty tick) is normal here.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        from moto import mock_aws

        from nearmiss_local import hooks, moto_patches

        moto_patches.apply()  # transactions cost what they cost in DynamoDB, not a copy of the table
        hooks.install()
        hooks.use_stack(self)
        self._mock = mock_aws()
        self._mock.start()
        try:
            self._create_resources()
            self._wire_functions()
            self._wire_receipt_rules()
        except BaseException:
            self.__exit__()  # a template the runtime refuses leaves nothing behind
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        from nearmiss import bootstrap

        from nearmiss_local import hooks

        bootstrap.use(None)
        hooks.use_stack(None)
        if self._mock is not None:
            self._mock.stop()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def condition(self, name: str) -> bool:
        return self.resolver.condition(name)

    def resolve(self, value: Any, *, where: str = "template") -> Any:
        return self.resolver.resolve(value, where=where)

    def _resources(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The template's resources of one type whose Condition (if any) holds."""
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != kind:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            yield logical_id, resource.get("Properties", {})

    def _create_resources(self) -> None:
        ddb, events, sqs, sm = (self.client(s) for s in ("dynamodb", "events", "sqs", "secretsmanager"))
        names, attributes = self.resolver.names, self.resolver.attributes
        names.update(
            {
                "AWS::Region": REGION,
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::AccountId": ACCOUNT,
                "AWS::Partition": "aws",
                "AWS::StackName": "nearmiss-local",
            }
        )
        table = table_definition(self.template)
        arn = ddb.create_table(**table)["TableDescription"]["TableArn"]
        names["Table"], attributes["Table.Arn"] = table["TableName"], arn
        for logical_id, props in self._resources("AWS::Events::EventBus"):
            bus = self.resolve(props["Name"], where=f"{logical_id}.Name")
            names[logical_id] = bus
            attributes[f"{logical_id}.Arn"] = events.create_event_bus(Name=bus)["EventBusArn"]
        for logical_id, _props in self._resources("AWS::SQS::Queue"):
            url = sqs.create_queue(QueueName=f"nearmiss-local-{logical_id}")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            names[logical_id] = url
            attributes[f"{logical_id}.Arn"] = queue_arn
            attributes[f"{logical_id}.QueueName"] = queue_arn.rsplit(":", 1)[-1]
            self._queue_urls[queue_arn] = url
        for logical_id, props in self._resources("AWS::SecretsManager::Secret"):
            names[logical_id] = sm.create_secret(
                Name=f"nearmiss-local-{logical_id}", SecretString=self._secret_value(logical_id, props)
            )["ARN"]
        s3 = self.client("s3")
        for logical_id, _props in self._resources("AWS::S3::Bucket"):
            bucket = f"nearmiss-local-{logical_id.lower()}"
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            names[logical_id] = bucket
            attributes[f"{logical_id}.Arn"] = f"arn:aws:s3:::{bucket}"
        for logical_id, props in self._resources("AWS::SES::ReceiptRuleSet"):
            names[logical_id] = self.resolve(props["RuleSetName"], where=f"{logical_id}.RuleSetName")
        ses = self.client("sesv2")
        for logical_id, props in self._resources("AWS::SES::ConfigurationSet"):
            name = self.resolve(props["Name"], where=f"{logical_id}.Name")
            ses.create_configuration_set(ConfigurationSetName=name)
            names[logical_id] = name
        # The platform's identity: created by the stack, or (CreateSenderIdentity false) already in the
        # account; either way SES can send from it here. moto verifies it at once; DNS does that in AWS.
        domain = self.parameters["SenderDomain"]
        ses.create_email_identity(EmailIdentity=domain)
        for logical_id, props in self._resources("AWS::SES::EmailIdentity"):
            identity = str(self.resolve(props["EmailIdentity"], where=f"{logical_id}.EmailIdentity"))
            if identity != domain:  # the receiving domain: verified at once here, by DNS in AWS
                ses.create_email_identity(EmailIdentity=identity)
            names[logical_id] = identity
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] == "AWS::Serverless::Function":
                names[logical_id] = logical_id  # the function's name
                # SAM's `!Ref <Function>.Alias`: the alias ARN (AutoPublishAlias)
                alias = resource["Properties"].get(
                    "AutoPublishAlias",
                    self.template.get("Globals", {}).get("Function", {}).get("AutoPublishAlias"),
                )
                if alias:
                    names[f"{logical_id}.Alias"] = (
                        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}:{alias}"
                    )
        names["HttpApi"] = "local"

    def _secret_value(self, logical_id: str, props: dict[str, Any]) -> str:
        """What the secret holds once the operator has set it up: generated values as CloudFormation
        generates them; the webhook secrets as an operator stores them, one per source."""
        if logical_id == "ApiKeySecret":
            return self.api_key
        if logical_id == "WebhookSecrets":
            return json.dumps(self.webhook_secrets)
        if "SecretString" in props:
            return str(self.resolve(props["SecretString"], where=f"{logical_id}.SecretString"))
        spec = props.get("GenerateSecretString", {})
        return pysecrets.token_urlsafe(int(spec.get("PasswordLength", 32)))[
            : int(spec.get("PasswordLength", 32))
        ]

    # ---- the wiring ------------------------------------------------------------------------------
    def _check_properties(self, where: str, props: dict[str, Any]) -> None:
        for name in props:
            if name not in HONOURED and name not in NOT_EMULATED:
                raise UnsupportedTemplateProperty(
                    f"{where}.{name}: the local runtime cannot honour this property; teach "
                    "nearmiss_local.runtime what it means before using it"
                )

    def _queue_url(self, arn: str, *, where: str) -> str:
        if arn not in self._queue_urls:
            raise UnsupportedTemplateProperty(f"{where}: {arn} is not an SQS queue of this template")
        return self._queue_urls[arn]

    def _wire_functions(self) -> None:
        glob = self.template.get("Globals", {}).get("Function", {})
        self._check_properties("Globals.Function", glob)
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            props = resource["Properties"]
            where = f"Resources.{logical_id}.Properties"
            self._check_properties(where, props)
            env = {
                **self.resolve(glob.get("Environment", {}).get("Variables", {}), where="Globals"),
                **self.resolve(props.get("Environment", {}).get("Variables", {}), where=where),
            }
            code = props["CodeUri"].strip("/").replace("/", ".")
            module_name, handler_name = props["Handler"].rsplit(".", 1)
            fn = Function(
                logical_id=logical_id,
                module=f"{code}.{module_name}",
                handler_name=handler_name,
                env={k: str(v) for k, v in env.items()},
                timeout=int(props.get("Timeout", glob.get("Timeout", 3))),
                memory=int(props.get("MemorySize", glob.get("MemorySize", 128))),
                alias=props.get("AutoPublishAlias", glob.get("AutoPublishAlias")),
            )
            self._wire_invoke_config(fn, props.get("EventInvokeConfig"), where=f"{where}.EventInvokeConfig")
            for event_name, event in props.get("Events", {}).items():
                self._wire_event(fn, event_name, event, where=f"{where}.Events.{event_name}")
            self.functions[logical_id] = fn

    def _wire_invoke_config(self, fn: Function, config: dict[str, Any] | None, *, where: str) -> None:
        if config is None:
            return
        for name in config:
            if name not in ("MaximumRetryAttempts", "DestinationConfig", "MaximumEventAgeInSeconds"):
                raise UnsupportedTemplateProperty(f"{where}.{name}: not honoured by the local runtime")
        fn.async_retries = int(config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES))
        fn.async_max_age_seconds = int(config.get("MaximumEventAgeInSeconds", fn.async_max_age_seconds))
        destinations = config.get("DestinationConfig", {})
        for name, target in destinations.items():
            if name != "OnFailure" or target.get("Type") != "SQS":
                raise UnsupportedTemplateProperty(
                    f"{where}.DestinationConfig.{name}: only an SQS OnFailure destination is honoured locally"
                )
            arn = self.resolve(target["Destination"], where=where)
            fn.on_failure_url = self._queue_url(arn, where=f"{where}.DestinationConfig.OnFailure")

    def _wire_event(self, fn: Function, event_name: str, event: dict[str, Any], *, where: str) -> None:
        kind, eprops = event["Type"], event.get("Properties", {})
        if kind not in EVENT_PROPERTIES:
            raise UnsupportedTemplateProperty(f"{where}.Type: {kind} events are not honoured locally")
        for name in eprops:
            if name not in EVENT_PROPERTIES[kind]:
                raise UnsupportedTemplateProperty(
                    f"{where}.Properties.{name}: not honoured by the local runtime"
                )
        if kind == "EventBridgeRule":
            self._wire_rule(fn, event_name, eprops, where=f"{where}.Properties")
        elif kind == "Schedule":
            if eprops.get("Enabled", True):
                fn.schedules.append(self.resolve(eprops["Schedule"], where=where))
        else:
            fn.routes.append((str(eprops.get("Method", "ANY")).upper(), str(eprops["Path"])))

    def _wire_rule(self, fn: Function, event_name: str, eprops: dict[str, Any], *, where: str) -> None:
        events, sqs = self.client("events"), self.client("sqs")
        name = str(self.resolve(eprops.get("RuleName", f"{fn.logical_id}{event_name}"), where=where))
        pattern = self.resolve(eprops["Pattern"], where=f"{where}.Pattern")
        bus = self.resolve(eprops.get("EventBusName", "default"), where=where)
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED")
        queue_url = sqs.create_queue(QueueName=f"rule-{name}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "fn", "Arn": queue_arn}])
        rule = Rule(name=name, event_name=event_name, bus=bus, pattern=pattern, queue_url=queue_url)
        retry = eprops.get("RetryPolicy", {})
        for key in retry:
            if key not in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
                raise UnsupportedTemplateProperty(
                    f"{where}.RetryPolicy.{key}: not honoured by the local runtime"
                )
        rule.retry_attempts = int(retry.get("MaximumRetryAttempts", DEFAULT_RULE_RETRIES))
        rule.max_age_seconds = int(retry.get("MaximumEventAgeInSeconds", rule.max_age_seconds))
        dlq = eprops.get("DeadLetterConfig")
        if dlq is not None:
            if set(dlq) != {"Arn"}:
                # SAM's `Type: SQS` makes a new queue per rule (one nobody watches); name ours with Arn.
                raise UnsupportedTemplateProperty(
                    f"{where}.DeadLetterConfig: only {{Arn: <queue arn>}} is honoured (got {sorted(dlq)})"
                )
            arn = self.resolve(dlq["Arn"], where=f"{where}.DeadLetterConfig.Arn")
            rule.dead_letter_url = self._queue_url(arn, where=f"{where}.DeadLetterConfig.Arn")
        fn.rules.append(rule)

    def _wire_receipt_rules(self) -> None:
        """Each receipt rule, checked as SES checks it when the rule is created: its S3 action's bucket
        lets ses.amazonaws.com put under the prefix for this rule, and a Lambda permission lets SES invoke
        its function for this rule. The rule set counts as the active one (README "Receiving mail")."""
        permissions = [self.resolve(p, where=i) for i, p in self._resources("AWS::Lambda::Permission")]
        policies = [self.resolve(p, where=i) for i, p in self._resources("AWS::S3::BucketPolicy")]
        for logical_id, props in self._resources("AWS::SES::ReceiptRule"):
            where = f"Resources.{logical_id}.Properties.Rule"
            rule = self.resolve(props["Rule"], where=where)
            known = {"Name", "Enabled", "Recipients", "ScanEnabled", "TlsPolicy", "Actions"}
            for name in set(rule) - known:
                raise UnsupportedTemplateProperty(f"{where}.{name}: not honoured by the local runtime")
            if not rule.get("Enabled", False):
                continue
            actions = rule.get("Actions", [])
            kinds = [next(iter(a)) for a in actions]
            if kinds != ["S3Action", "LambdaAction"]:
                raise UnsupportedTemplateProperty(
                    f"{where}.Actions: the local runtime honours S3Action then LambdaAction (got {kinds})"
                )
            s3_action, lambda_action = actions[0]["S3Action"], actions[1]["LambdaAction"]
            for name in set(s3_action) - {"BucketName", "ObjectKeyPrefix"}:
                raise UnsupportedTemplateProperty(f"{where}.Actions.S3Action.{name}: not honoured locally")
            fn = self.function_named(str(lambda_action["FunctionArn"]))
            if fn is None:
                raise TemplateError(f"{where}.Actions.LambdaAction.FunctionArn: no function of this template")
            wired = ReceiptRule(
                name=str(rule["Name"]),
                rule_set=str(self.resolve(props["RuleSetName"], where=where)),
                recipients=[str(r) for r in rule.get("Recipients", [])],
                tls_required=rule.get("TlsPolicy", "Optional") == "Require",
                scan=bool(rule.get("ScanEnabled", False)),
                bucket=str(s3_action["BucketName"]),
                prefix=str(s3_action.get("ObjectKeyPrefix", "")),
                function=fn.logical_id,
                invocation_type=str(lambda_action.get("InvocationType", "Event")),
            )
            if not any(
                p.get("Principal") == "ses.amazonaws.com"
                and self.function_named(str(p.get("FunctionName", ""))) is fn
                and p.get("SourceArn") in (None, wired.arn)
                for p in permissions
            ):
                raise TemplateError(
                    f"{where}: no AWS::Lambda::Permission lets ses.amazonaws.com invoke {fn.logical_id} for "
                    f"{wired.arn} (SES refuses to create the rule)"
                )
            if not any(self._lets_ses_put(policy, wired) for policy in policies):
                raise TemplateError(
                    f"{where}: the bucket policy of {wired.bucket} does not let ses.amazonaws.com put "
                    f"{wired.prefix}* for {wired.arn} (SES refuses to create the rule)"
                )
            self.receipt_rules.append(wired)

    @staticmethod
    def _lets_ses_put(policy: dict[str, Any], rule: ReceiptRule) -> bool:
        if policy.get("Bucket") != rule.bucket:
            return False
        for statement in policy.get("PolicyDocument", {}).get("Statement", []):
            principal = statement.get("Principal", {})
            resource = statement.get("Resource")
            conditions = statement.get("Condition", {})
            source = {**conditions.get("StringEquals", {}), **conditions.get("ArnLike", {})}.get(
                "aws:SourceArn"
            )
            if (
                statement.get("Effect") == "Allow"
                and isinstance(principal, dict)
                and principal.get("Service") == "ses.amazonaws.com"
                and statement.get("Action") in ("s3:PutObject", ["s3:PutObject"])
                and isinstance(resource, str)
                and (f"arn:aws:s3:::{rule.bucket}/{rule.prefix}").startswith(resource.rstrip("*"))
                and source in (None, rule.arn)
            ):
                return True
        return False

    def deliver_mail(
        self,
        raw: bytes,
        recipients: list[str],
        *,
        verdicts: dict[str, str] | None = None,
        source: str | None = None,
        tls: bool = True,
        message_id: str | None = None,
        dkim_domain: str | None = None,
    ) -> str:
        """What SES does with a message that arrives for `recipients` (the SMTP envelope): refuse it at
        SMTP time as SES would (MailRejected), else for each receipt rule that takes some of them, put
        the object at ObjectKeyPrefix + messageId in the rule's bucket, then invoke the function with
        SES's receipt event (asynchronously for InvocationType Event: retries, then OnFailure).
        `verdicts` overrides SES's (default PASS): {"spam": "FAIL", "dkim": "GRAY", ...}. Returns
        the messageId. A redelivery is `deliver_mail(..., message_id=<the same id>)`. As SES does, an
        `Authentication-Results: amazonses.com; ...` header goes on top of the event's headers (the
        stored object is left as sent); its DKIM result names `dkim_domain` (default: the From domain)."""
        import email as email_lib
        import email.policy
        import email.utils

        from nearmiss_local import contract

        taken = [(rule, [r for r in recipients if rule.takes(r)]) for rule in self.receipt_rules]
        taken = [(rule, rcpts) for rule, rcpts in taken if rcpts]
        matched = [r for _, rcpts in taken for r in rcpts]
        tls_required = any(rule.tls_required for rule, _ in taken)
        refusal = contract.ses_receiving_refusal(len(raw), matched, tls=tls, tls_required=tls_required)
        if refusal is not None:
            raise MailRejected(refusal)
        message_id = message_id or "".join(
            pysecrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(40)
        )
        parsed = email_lib.message_from_bytes(raw, policy=email.policy.compat32)
        headers = [{"name": str(k), "value": str(v)} for k, v in parsed.items()]

        def addresses(name: str) -> list[str] | None:
            values = parsed.get_all(name)
            return [str(v) for v in values] if values else None

        envelope_from = source or (email.utils.parseaddr(str(parsed.get("From", "")))[1] or "unknown@invalid")
        common: dict[str, Any] = {"returnPath": envelope_from}
        for key, header in (
            ("from", "From"),
            ("to", "To"),
            ("cc", "Cc"),
            ("replyTo", "Reply-To"),
            ("sender", "Sender"),
        ):
            found = addresses(header)
            if found:
                common[key] = found
        for key, header in (("date", "Date"), ("messageId", "Message-ID"), ("subject", "Subject")):
            if parsed.get(header) is not None:
                common[key] = str(parsed[header])
        # AWS: destination is "a complete list of all recipient addresses (including To: and CC:
        # recipients) from the MIME headers"; the envelope (`recipients`) is receipt.recipients.
        destination = [
            addr
            for _, addr in email.utils.getaddresses(
                [str(v) for v in (parsed.get_all("To") or [])]
                + [str(v) for v in (parsed.get_all("Cc") or [])]
            )
            if addr
        ]
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        given = {
            "spam": "PASS",
            "virus": "PASS",
            "spf": "PASS",
            "dkim": "PASS",
            "dmarc": "PASS",
            **(verdicts or {}),
        }
        unknown = {status for status in given.values() if status not in contract.SES_VERDICT_STATUSES}
        if unknown:
            raise ValueError(f"verdicts: SES has no status {sorted(unknown)}")
        from_domain = email.utils.parseaddr(str(parsed.get("From", "")))[1].rpartition("@")[2].lower()
        signed_by = dkim_domain or from_domain or "invalid"
        word = contract.SES_AUTHENTICATION_RESULT
        results = (
            f"amazonses.com; spf={word[given['spf']]} (spfCheck: the local runtime) "
            f"smtp.mailfrom={envelope_from}; dkim={word[given['dkim']]} header.i=@{signed_by}; "
            f"dmarc={word[given['dmarc']]} header.from={from_domain or 'invalid'};"
        )
        headers.insert(0, {"name": "Authentication-Results", "value": results})
        s3 = self.client("s3")
        for rule, rcpts in taken:
            s3.put_object(Bucket=rule.bucket, Key=f"{rule.prefix}{message_id}", Body=raw)
            fn = self.functions[rule.function]
            receipt: dict[str, Any] = {
                "timestamp": stamp,
                "processingTimeMillis": 420,
                "recipients": rcpts,
                # (the template's rule scans: every verdict is SES's own)
                **{
                    f"{name}Verdict": {"status": given[name]}
                    for name in ("spam", "virus", "spf", "dkim", "dmarc")
                },
                "action": {
                    "type": "Lambda",
                    "functionArn": fn.invoked_arn,
                    "invocationType": rule.invocation_type,
                },
            }
            if given["dmarc"] == "FAIL":
                receipt["dmarcPolicy"] = "reject"
            event = {
                "Records": [
                    {
                        "eventSource": "aws:ses",
                        "eventVersion": "1.0",
                        "ses": {
                            "mail": {
                                "timestamp": stamp,
                                "source": envelope_from,
                                "messageId": message_id,
                                "destination": destination,
                                "headersTruncated": False,
                                "headers": headers,
                                "commonHeaders": common,
                            },
                            "receipt": receipt,
                        },
                    }
                ]
            }
            problems = contract.ses_receipt_event_problems(event)
            if problems:
                raise AssertionError(f"the receipt event is not SES's: {problems}")
            if rule.invocation_type == "Event":
                self._invoke_async(fn, event)
            else:
                self.invoke(fn.logical_id, event)
        return message_id

    # ---- invoking ------------------------------------------------------------------------------------
    @contextmanager
    def _environment(self, fn: Function) -> Iterator[None]:
        """os.environ as the function's sandbox has it: the template's variables for this function
        (and none of another's), beside the process's own AWS settings."""
        saved = dict(os.environ)
        for key in [k for k in os.environ if k.startswith(("NEARMISS_", "POWERTOOLS_"))]:
            if key not in fn.env and not key.startswith("NEARMISS_WEBHOOK_SECRET_"):
                del os.environ[key]
        os.environ.update(fn.env)
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = fn.logical_id
        os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(fn.memory)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def _container(self, fn: Function) -> Any:
        from nearmiss.bootstrap import Container
        from nearmiss.config import Settings

        if fn.logical_id not in self._containers:
            with self._environment(fn):
                settings = Settings.from_environ()  # from the environment, as in Lambda
            # moto in process is not thread-safe for concurrent writers (moto_patches.py's note): the
            # dispatcher's sender threads run one at a time here. The claim is the same at any count.
            settings = settings.model_copy(update={"send_concurrency": 1})
            self._containers[fn.logical_id] = Container(settings)
        return self._containers[fn.logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Call a function's real handler as Lambda would: its environment, its container, its role."""
        from nearmiss import bootstrap

        from nearmiss_local import iam

        fn = self.functions[logical_id]
        container = self._container(fn)
        bootstrap.use(container)
        with self._environment(fn), iam.acting_as(logical_id), self._quiet():
            return fn.handler()(event, FakeContext(fn.logical_id, fn.memory, fn.timeout))

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Handlers log JSON to stdout (CloudWatch in AWS); the demo shows its own story instead."""
        if not self.quiet:
            yield
            return
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            yield

    def pump(self) -> int:
        """Deliver every event waiting in the rule queues to its function; returns how many ran."""
        sqs = self.client("sqs")
        delivered = 0
        while True:
            moved = 0
            for fn in self.functions.values():
                for rule in fn.rules:
                    got = sqs.receive_message(QueueUrl=rule.queue_url, MaxNumberOfMessages=10)
                    for message in got.get("Messages", []):
                        event = json.loads(message["Body"])
                        event.setdefault("account", ACCOUNT)  # moto's delivery omits it
                        self._deliver(fn, rule, event)
                        sqs.delete_message(QueueUrl=rule.queue_url, ReceiptHandle=message["ReceiptHandle"])
                        moved += 1
            delivered += moved
            if not moved:
                return delivered

    def _deliver(self, fn: Function, rule: Rule, event: dict[str, Any]) -> None:
        """EventBridge hands the event to Lambda's asynchronous invocation, retrying a delivery that
        fails (RetryPolicy) and then putting the event on the rule's dead-letter queue."""
        error, exhausted = None, "MaximumRetryAttempts"
        if _age_seconds(event) > rule.max_age_seconds:
            error, exhausted = (
                "the event is older than the rule's MaximumEventAgeInSeconds",
                "MaximumEventAgeInSeconds",
            )
        else:
            for _ in range(1 + rule.retry_attempts):
                error = self.delivery_fault(fn.logical_id, event) if self.delivery_fault else None
                if error is None:
                    self._invoke_async(fn, event)
                    return
        self.invocations.append((fn.logical_id, "undeliverable"))
        self.dead_letters.append(DeadLetter(fn.logical_id, event, f"delivery failed: {error}"))
        if rule.dead_letter_url is None:
            return  # EventBridge drops it: the template test makes sure every rule has a queue
        # What EventBridge writes to a rule's dead-letter queue: the event, and why, as attributes.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": fn.invoked_arn if fn.alias else fn.arn,
            "ERROR_CODE": "SDK_CLIENT_ERROR",
            "ERROR_MESSAGE": str(error),
            "EXHAUSTED_RETRY_CONDITION": exhausted,
            "RETRY_ATTEMPTS": str(rule.retry_attempts),
        }
        self.client("sqs").send_message(
            QueueUrl=rule.dead_letter_url,
            MessageBody=json.dumps(event),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )

    def _invoke_async(self, fn: Function, event: dict[str, Any]) -> None:
        """Lambda's asynchronous invocation: the first try, EventInvokeConfig's retries, then the
        OnFailure destination with the record Lambda writes there."""
        error = ""
        attempts = 1 + fn.async_retries
        if _age_seconds(event) > fn.async_max_age_seconds:
            attempts, error = 0, "EventAgeExceeded: older than EventInvokeConfig.MaximumEventAgeInSeconds"
        for _ in range(attempts):
            try:
                self.invoke(fn.logical_id, event)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            self.invocations.append((fn.logical_id, "ok"))
            return
        self.invocations.append((fn.logical_id, "dead-lettered"))
        self.dead_letters.append(DeadLetter(fn.logical_id, event, error))
        if fn.on_failure_url is None:
            return  # Lambda drops it: the template test makes sure every function has a destination
        # https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": fn.invoked_arn,
                "condition": "RetriesExhausted" if attempts else "EventAgeExceeded",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorMessage": error},
        }
        self.client("sqs").send_message(QueueUrl=fn.on_failure_url, MessageBody=json.dumps(record))

    def function_named(self, name: str) -> Function | None:
        """The function a Lambda API call names: its name, its ARN (qualified or not), or a partial ARN."""
        bare = name.split(":function:")[-1].split(":")[0]
        return self.functions.get(bare)

    def publish_as_aws(self, entry: dict[str, Any]) -> None:
        """An event an AWS service (SES) puts on the default bus itself: allowed to use its `aws.`
        source, which PutEvents refuses to anyone else."""
        from moto.events.models import events_backends

        backend = events_backends[ACCOUNT][REGION]
        (answer,) = backend.put_events([{"EventBusName": "default", **entry}])
        if "ErrorCode" in answer:
            raise RuntimeError(f"the default bus refused {entry.get('DetailType')}: {answer}")

    def tick(self) -> list[Any]:
        """Fire every scheduled function once (what EventBridge Scheduler does every few minutes)."""
        results = []
        for fn in self.functions.values():
            for _ in fn.schedules:
                event = {
                    "version": "0",
                    "id": str(uuid.uuid4()),
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "account": ACCOUNT,
                    "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "region": REGION,
                    "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{fn.logical_id}"],
                    "detail": {},
                }
                results.append(self.invoke(fn.logical_id, event))
        return results

    def http(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> tuple[int, dict[str, str], str]:
        """One request, routed as API Gateway routes it (the most specific route wins), to the function
        behind that route, as an API Gateway HTTP API (payload format 2.0) event."""
        parts = urlsplit(path)
        fn, route_key, path_parameters = self.route(method, parts.path)
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        base = urlsplit(self.base_url)
        hdrs.setdefault("host", base.netloc)  # as API Gateway passes them on
        hdrs.setdefault("x-forwarded-proto", base.scheme)
        if auth:
            hdrs.setdefault("x-api-key", self.api_key)
        raw = body if isinstance(body, str) or body is None else json.dumps(body)
        if raw is not None:
            hdrs.setdefault("content-type", "application/json")
        event = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": parts.path,
            "rawQueryString": parts.query,
            "queryStringParameters": dict(parse_qsl(parts.query)) or None,
            "headers": hdrs,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "local",
                "domainName": "127.0.0.1",
                "http": {
                    "method": method.upper(),
                    "path": parts.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "local",
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route_key,
                "stage": "$default",
                "time": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(time.time() * 1000),
            },
            "pathParameters": path_parameters,
            "body": raw,
            "isBase64Encoded": False,
        }
        response = self.invoke(fn.logical_id, event)
        return int(response["statusCode"]), response.get("headers", {}), response.get("body", "")

    def route(self, method: str, path: str) -> tuple[Function, str, dict[str, str]]:
        candidates = []
        for fn in self.functions.values():
            for route_method, template in fn.routes:
                if route_method not in ("ANY", method.upper()):
                    continue
                pattern = re.sub(r"\\{(\w+)\\\+\\}", r"(?P<\1>.+)", re.escape(template))
                pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", pattern)
                match = re.fullmatch(pattern, path)
                if match:
                    greedy = "+}" in template
                    literal = len(re.sub(r"\{[^}]+\}", "", template))
                    candidates.append(
                        (
                            (greedy, -literal, route_method == "ANY"),
                            fn,
                            f"{route_method} {template}",
                            match.groupdict(),
                        )
                    )
        if not candidates:
            raise LookupError(f"no route for {method} {path}")
        _, fn, key, params = min(candidates, key=lambda c: c[0])
        return fn, key, params

    # ---- what a person running it wants to see ---------------------------------------------------------
    def next_due(self) -> datetime | None:
        """The earliest due instant in the due-index (for the simulated clock to jump to)."""
        ddb = self.client("dynamodb")
        shards = int(self.functions["SendDueStepsFunction"].env.get("NEARMISS_DUE_SHARDS", "4"))
        earliest = None
        for shard in range(shards):
            page = ddb.query(
                TableName=self.names["Table"],
                IndexName="due",
                KeyConditionExpression="due_shard = :s",
                ExpressionAttributeValues={":s": {"S": f"DUE#{shard}"}},
                Limit=1,
            )
            for item in page["Items"]:
                at = datetime.strptime(item["due_at"]["S"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                earliest = at if earliest is None or at < earliest else earliest
        return earliest

    def sent_messages(self) -> list[Any]:
        """Every message SES accepted, as SES received it."""
        from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)
