"""`make template`: lint template.yaml both ways, as AWS's own tools do.

1. cfn-lint on template.yaml itself: it checks SAM properties against SAM's schemas, so a SAM-level
   shape mistake shows here and vanishes in translation. But cfn-lint 1.58 skips, silently, every
   SAM event with an intrinsic function in it (all of ours): a wrong `DeadLetterConfig` shape, which
   the transform turns into a queue of its own, is caught by `dead_letter_problems` instead.
2. aws-sam-translator, then cfn-lint on the CloudFormation it produces: cfn-lint alone no longer runs
   the SAM transform and misses a bad event type, a dangling !Ref inside a function's policies or a
   wrong runtime; the translated template shows them.
Needs no credentials: the IAM managed-policy lookup is replaced by an empty map.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from nearmiss_local.template_model import TEMPLATE, load_template


class OfflinePolicyLoader:
    """SAM looks up AWS managed policy ARNs with an IAM call; offline there is nothing to look up."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: dict[str, Any] | None = None) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    tpl = template or load_template()
    for resource in tpl["Resources"].values():
        props = resource.get("Properties", {})
        # Local folders become placeholders, as `sam validate` does; `sam build` uploads the real code.
        if resource["Type"] == "AWS::Serverless::Function" and not str(props.get("CodeUri", "")).startswith(
            "s3://"
        ):
            props["CodeUri"] = "s3://offline-bucket/code.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://offline-bucket/layer.zip"
    return transform(tpl, {"AWS::Region": "eu-west-1"}, OfflinePolicyLoader())  # type: ignore[no-any-return]


def _cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    return subprocess.run(  # noqa: S603 (our own venv's cfn-lint on our own file)
        [str(cfn_lint), str(path), "--regions", "eu-west-1"], capture_output=True, text=True, check=False
    )


def lint(cfn: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """cfn-lint on a translated (plain CloudFormation) template."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.cfn.json"
        path.write_text(json.dumps(cfn))
        return _cfn_lint(path)


def lint_sam(template: str | None = None) -> subprocess.CompletedProcess[str]:
    """cfn-lint on the SAM template itself (SAM's schemas), the file or the given text."""
    if template is None:
        return _cfn_lint(TEMPLATE)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.yaml"
        path.write_text(template)
        return _cfn_lint(path)


def dead_letter_problems(cfn: dict[str, Any]) -> list[str]:
    """Every dead letter must reach the one queue that is watched (alarm, Outputs, make replay).

    cfn-lint's SAM schemas miss a wrong `DeadLetterConfig` shape when the rule's pattern holds an
    intrinsic, and the transform then quietly creates a queue of its own per rule: so look at what
    the translation made."""
    problems = []
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] == "AWS::SQS::Queue" and logical_id != "DeadLetterQueue":
            problems.append(
                f"{logical_id}: a queue SAM created (a DeadLetterConfig with Type?), watched by nobody"
            )
        if resource["Type"] == "AWS::Events::Rule":
            for target in resource["Properties"].get("Targets", []):
                arn = target.get("DeadLetterConfig", {}).get("Arn")
                if arn is not None and arn != {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}:
                    problems.append(f"{logical_id}: dead letters go to {arn}, not to DeadLetterQueue")
    return problems


def main() -> int:
    failed = 0
    sam = lint_sam()
    if sam.returncode != 0:
        print(sam.stdout + sam.stderr)
        print(f"template: cfn-lint found problems in {TEMPLATE.name} itself (SAM schemas)", file=sys.stderr)
        failed = 1
    cfn = translate()
    result = lint(cfn)
    kinds = sorted({r["Type"] for r in cfn["Resources"].values()})
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        print(f"template: cfn-lint found problems in the translated {TEMPLATE.name}", file=sys.stderr)
        failed = 1
    for problem in dead_letter_problems(cfn):
        print(f"template: {problem}", file=sys.stderr)
        failed = 1
    if not failed:
        print(
            f"template: {TEMPLATE.name} is cfn-lint clean as SAM and as the {len(cfn['Resources'])} "
            f"resources ({len(kinds)} types) it translates to"
        )
    return failed


if __name__ == "__main__":
    sys.exit(main())
