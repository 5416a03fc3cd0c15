"""The embedded local default: template.yaml's wiring, on moto, with the real handlers in process.

What `sam local` would do with Docker, done here without it:
- the table, the bus, the secrets and the dead-letter queue are created in moto from template.yaml;
- each EventBridgeRule event becomes a real rule on the moto bus with the template's own pattern,
  targeting an SQS queue (moto cannot invoke Lambda targets); `pump()` drains those queues into
  the function's handler, retrying as Lambda's async invocation would and then dead-lettering
  the event with its error;
- each Schedule event becomes a ticker that `tick()` fires;
- the HttpApi event becomes `http()`, which builds an API Gateway v2 event for the API function.

Every function gets the environment the template gives it (Globals merged with its own), and
its own composition root, as it would in its own Lambda sandbox.
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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"
SENDER_DOMAIN = "mail.nearmiss.example"
MAX_ASYNC_ATTEMPTS = 3
WEBHOOK_SOURCES = (
    "greenhouse",
    "lever",
    "ashby",
    "workable",
    "recruitee",
    "generic",
)  # Lambda's asynchronous invocation: the first try and two retries


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(path.read_text())  # type: ignore[no-any-return]


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
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

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
class Function:
    logical_id: str
    module: str
    handler_name: str
    env: dict[str, str]
    timeout: int
    memory: int
    rules: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (event name, pattern)
    schedules: list[str] = field(default_factory=list)
    routes: list[tuple[str, str]] = field(default_factory=list)  # (method, path template) of HttpApi events
    queue_url: str | None = None

    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        return getattr(importlib.import_module(self.module), self.handler_name)  # type: ignore[no-any-return]


@dataclass
class DeadLetter:
    function: str
    event: dict[str, Any]
    error: str


class LocalStack:
    """template.yaml on moto. Use as a context manager: `with LocalStack() as stack: ...`."""

    def __init__(self, *, base_url: str = "http://127.0.0.1:8000", quiet: bool = True) -> None:
        self.template = load_template()
        self.base_url = base_url
        self.quiet = quiet
        self.functions: dict[str, Function] = {}
        self.dead_letters: list[DeadLetter] = []
        self.invocations: list[tuple[str, str]] = []  # (function, outcome)
        self._mock: Any = None
        self._containers: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self.api_key = pysecrets.token_urlsafe(24)
        # One signing secret per ATS, as an operator would store them (see events/webhooks and sign_webhook).
        self.webhook_secrets = {source: f"local-{source}-signing-secret" for source in WEBHOOK_SOURCES}

    # ---- set-up --------------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        set_fake_credentials()
        # A run that publishes no metric (an API read, an empty tick) is normal here.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        from moto import mock_aws

        from nearmiss_local import moto_patches

        moto_patches.apply()  # transactions cost what they cost in DynamoDB, not a copy of the table
        self._mock = mock_aws()
        self._mock.start()
        self._create_resources()
        self._wire_functions()
        return self

    def __exit__(self, *exc: object) -> None:
        from nearmiss import bootstrap

        bootstrap.use(None)
        if self._mock is not None:
            self._mock.stop()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def _create_resources(self) -> None:
        ddb, events, sqs, sm = (self.client(s) for s in ("dynamodb", "events", "sqs", "secretsmanager"))
        table = table_definition(self.template)
        ddb.create_table(**table)
        bus = "nearmiss-local"
        events.create_event_bus(Name=bus)
        dlq = sqs.create_queue(QueueName="nearmiss-dlq")["QueueUrl"]
        link = sm.create_secret(Name="nearmiss-link-secret", SecretString=pysecrets.token_urlsafe(48))["ARN"]
        key = sm.create_secret(Name="nearmiss-api-key", SecretString=self.api_key)["ARN"]
        hooks = sm.create_secret(
            Name="nearmiss-webhook-secrets", SecretString=json.dumps(self.webhook_secrets)
        )["ARN"]
        ses = self.client("sesv2")
        ses.create_email_identity(EmailIdentity=SENDER_DOMAIN)
        ses.create_configuration_set(ConfigurationSetName="nearmiss-local")
        self.names = {
            "Table": table["TableName"],
            "EventBus": bus,
            "DeadLetterQueue": dlq,
            "LinkSecret": link,
            "ApiKeySecret": key,
            "WebhookSecrets": hooks,
            "SenderDomain": SENDER_DOMAIN,
            "SesConfigurationSet": "nearmiss-local",
            "PublicBaseUrl": self.base_url,
            "Stage": "dev",
            "RetentionDays": "400",
            "SesMaxSendRate": "1000",  # the simulated clock does not wait; pacing is tested on its own
            "DispatchRate": "rate(5 minutes)",
            "HttpApi": "local",
            "AWS::Region": REGION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::AccountId": "123456789012",
            "AWS::Partition": "aws",
        }

    # ---- the template's intrinsic functions, as far as the wiring uses them -----------------------------
    def _condition(self, name: str) -> bool:
        return {"IsProd": False, "HasPublicBaseUrl": True}[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.names[arg]
            if fn == "Fn::If":
                cond, yes, no = arg
                return self.resolve(yes if self._condition(cond) else no)
            if fn == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                for key, val in self.names.items():
                    text = text.replace("${" + key + "}", str(val))
                return text
            if fn == "Fn::GetAtt":
                return f"arn:local:{arg[0]}"
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _wire_functions(self) -> None:
        glob = self.template["Globals"]["Function"]
        events, sqs = self.client("events"), self.client("sqs")
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            props = resource["Properties"]
            env = {
                **self.resolve(glob["Environment"]["Variables"]),
                **self.resolve(props.get("Environment", {}).get("Variables", {})),
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
            )
            for event_name, event in props.get("Events", {}).items():
                kind, eprops = event["Type"], event["Properties"]
                if kind == "EventBridgeRule":
                    rule = f"{logical_id}-{event_name}"
                    pattern = self.resolve(eprops["Pattern"])
                    bus = self.resolve(eprops.get("EventBusName", "default"))  # SES feedback: the default bus
                    events.put_rule(
                        Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED"
                    )
                    if fn.queue_url is None:
                        fn.queue_url = sqs.create_queue(QueueName=f"fn-{logical_id}")["QueueUrl"]
                    arn = sqs.get_queue_attributes(QueueUrl=fn.queue_url, AttributeNames=["QueueArn"])[
                        "Attributes"
                    ]["QueueArn"]
                    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "fn", "Arn": arn}])
                    fn.rules.append((event_name, pattern))
                elif kind in ("Schedule", "ScheduleV2"):
                    fn.schedules.append(self.resolve(eprops.get("Schedule") or eprops["ScheduleExpression"]))
                elif kind == "HttpApi":
                    fn.routes.append((str(eprops.get("Method", "ANY")).upper(), str(eprops["Path"])))
            self.functions[logical_id] = fn

    # ---- invoking ------------------------------------------------------------------------------------
    def _container(self, fn: Function) -> Any:
        from nearmiss.bootstrap import Container
        from nearmiss.config import Settings

        if fn.logical_id not in self._containers:
            values = {
                k.removeprefix("NEARMISS_").lower(): v for k, v in fn.env.items() if k.startswith("NEARMISS_")
            }
            self._containers[fn.logical_id] = Container(Settings(**values))  # type: ignore[arg-type]
        return self._containers[fn.logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Call a function's real handler as Lambda would: its environment, its container, a context."""
        from nearmiss import bootstrap

        fn = self.functions[logical_id]
        bootstrap.use(self._container(fn))
        powertools = {k: v for k, v in fn.env.items() if k.startswith("POWERTOOLS_")}
        saved = {k: os.environ.get(k) for k in powertools}
        os.environ.update(powertools)
        try:
            with self._quiet():
                return fn.handler()(event, FakeContext(fn.logical_id, fn.memory, fn.timeout))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

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
                if fn.queue_url is None:
                    continue
                got = sqs.receive_message(QueueUrl=fn.queue_url, MaxNumberOfMessages=10)
                for message in got.get("Messages", []):
                    event = json.loads(message["Body"])
                    event.setdefault("account", "123456789012")  # moto's delivery omits it
                    self._invoke_async(fn, event)
                    sqs.delete_message(QueueUrl=fn.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    moved += 1
            delivered += moved
            if not moved:
                return delivered

    def _invoke_async(self, fn: Function, event: dict[str, Any]) -> None:
        error = ""
        for _ in range(MAX_ASYNC_ATTEMPTS):
            try:
                self.invoke(fn.logical_id, event)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            self.invocations.append((fn.logical_id, "ok"))
            return
        self.invocations.append((fn.logical_id, "dead-lettered"))
        self.dead_letters.append(DeadLetter(fn.logical_id, event, error))
        # The record Lambda's OnFailure destination writes (the same shape, so replay reads both).
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:{fn.logical_id}",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": MAX_ASYNC_ATTEMPTS,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorMessage": error},
        }
        self.client("sqs").send_message(
            QueueUrl=self.names["DeadLetterQueue"], MessageBody=json.dumps(record)
        )

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
                    "account": "123456789012",
                    "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "region": REGION,
                    "resources": [f"arn:aws:events:{REGION}:123456789012:rule/{fn.logical_id}"],
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
                "accountId": "123456789012",
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
