"""`make receiving-check STACK=<stack name>`: is the deployed stack actually receiving replies?

CloudFormation creates the receipt rule set but cannot make it the active one, and an account has
exactly one active rule set per Region (perhaps another application's). So activation is a
documented one-time command (README, "Receiving mail"), never done blindly by the stack; this check
reads, and changes nothing:
- the Region is one where SES receives mail;
- the receiving domain is a verified SES identity (DKIM records published);
- the active rule set is ours (none active: prints the command; another one: says whose, and how to
  add our rule to it instead of replacing it);
- our rule is enabled, scans, requires TLS, stores to our bucket and then invokes receive_mail;
- the MX record to publish.
Exit status 0 only when all hold. Uses the caller's AWS credentials (read-only calls).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

# Regions with an SES email-receiving endpoint (inbound-smtp.<region>.amazonaws.com), from the AWS
# General Reference "Amazon Simple Email Service endpoints and quotas" (checked December 2026).
RECEIVING_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-northeast-1",
    }
)


def check(outputs: dict[str, str], region: str, ses: Any, sesv2: Any) -> list[str]:
    """The problems found (empty: receiving works), each with what to do."""
    problems: list[str] = []
    rule_set = outputs.get("ReceiptRuleSetName")
    mx = outputs.get("ReceivingMxRecord", "")
    if not rule_set:
        return ["the stack has no receipt rule set: deploy with ReceivingDomain=<subdomain>"]
    domain = mx.split(" ", 1)[0]
    if region not in RECEIVING_REGIONS:
        problems.append(
            f"SES does not receive mail in {region}: deploy the stack in one of {sorted(RECEIVING_REGIONS)}"
        )
    identity = sesv2.get_email_identity(EmailIdentity=domain)
    if not identity.get("VerifiedForSendingStatus"):
        problems.append(f"{domain} is not verified yet: publish the ReceivingDkimRecords output's CNAMEs")
    active = ses.describe_active_receipt_rule_set()
    name = (active.get("Metadata") or {}).get("Name")
    if name is None:
        problems.append(
            "no rule set is active in this account and Region; make ours active (once):\n"
            f"    aws ses set-active-receipt-rule-set --rule-set-name {rule_set} --region {region}"
        )
    elif name != rule_set:
        problems.append(
            f"the active rule set is {name!r}, not ours ({rule_set!r}), and an account has one active set "
            "per Region: do not replace it; ask its owner to add a rule for the receiving domain to it "
            f"(copy ours: aws ses describe-receipt-rule --rule-set-name {rule_set} --rule-name "
            f"<rule> --region {region}), or receive in another Region"
        )
    rules = ses.describe_receipt_rule_set(RuleSetName=rule_set).get("Rules", [])
    if len(rules) != 1:
        problems.append(f"rule set {rule_set} holds {len(rules)} rules, expected our one")
    for rule in rules:
        kinds = [next(iter(a)) for a in rule.get("Actions", [])]
        if not rule.get("Enabled") or not rule.get("ScanEnabled") or rule.get("TlsPolicy") != "Require":
            problems.append(f"rule {rule['Name']}: must be enabled, scan, and require TLS")
        if kinds != ["S3Action", "LambdaAction"]:
            problems.append(f"rule {rule['Name']}: actions {kinds}, expected S3Action then LambdaAction")
    print(f"publish: {mx}")
    return problems


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the CloudFormation stack name (samconfig.toml)")
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    region = session.region_name or "us-east-1"
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    problems = check(outputs, region, session.client("ses"), session.client("sesv2"))
    for problem in problems:
        print(f"receiving-check: {problem}", file=sys.stderr)
    if not problems:
        print(f"receiving-check: {args.stack} receives mail in {region}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
