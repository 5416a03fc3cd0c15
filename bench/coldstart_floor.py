"""The floor of a cold start: a fresh interpreter doing the AWS part of a first invocation, nothing else.

    python bench/coldstart_floor.py <plan.json>

It imports boto3, creates the clients the function's first invocation created (with the same
botocore Config the composition root uses) and makes one call with each, against the same moto
server the handler ran against (AWS_ENDPOINT_URL): a DynamoDB GetItem, a Secrets Manager
GetSecretValue of the function's own secret, an EventBridge PutEvents of one entry, an SES v2
GetEmailIdentity. Any handler must do at least this much; what it does beyond it is ours. Prints
one JSON line with the time from before `import boto3` to after the last call.
"""

import json
import os
import sys
import time


def main() -> None:
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    t0 = time.perf_counter()
    import boto3
    from botocore.config import Config

    calls = {
        "dynamodb": lambda c: c.get_item(
            TableName=plan["table"], Key={"pk": {"S": "FLOOR"}, "sk": {"S": "FLOOR"}}
        ),
        "secretsmanager": lambda c: c.get_secret_value(SecretId=plan["secret"]),
        "events": lambda c: c.put_events(
            Entries=[
                {
                    "Source": "bench.floor",
                    "DetailType": "Floor",
                    "Detail": "{}",
                    "EventBusName": plan["bus"],
                }
            ]
        ),
        "sesv2": lambda c: c.get_email_identity(EmailIdentity=plan["sender_domain"]),
        "lambda": lambda c: c.list_functions(MaxItems=1),
        # receive_mail's first call reads the stored message: the floor reads one object too
        "s3": lambda c: (
            c.put_object(Bucket=plan["bucket"], Key="floor/x", Body=b"x")
            and c.get_object(Bucket=plan["bucket"], Key="floor/x")["Body"].read()
        ),
    }
    for service in plan["clients"]:
        client = boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 3}))
        calls[service](client)
    t1 = time.perf_counter()
    sys.stdout.write(json.dumps({"floor_ms": (t1 - t0) * 1000, "pid": os.getpid()}) + "\n")


main()
