"""`make template`: translate template.yaml with aws-sam-translator, then lint the result with cfn-lint.

cfn-lint alone no longer runs the SAM transform and misses SAM-level mistakes (a bad event type, a
dangling !Ref inside a function's policies, a wrong runtime); the translated CloudFormation shows
them. Needs no credentials: the IAM managed-policy lookup is replaced by an empty map.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from nearmiss_local.runtime import TEMPLATE, load_template


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


def lint(cfn: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.cfn.json"
        path.write_text(json.dumps(cfn))
        cfn_lint = Path(sys.executable).with_name("cfn-lint")
        return subprocess.run(  # noqa: S603 (our own venv's cfn-lint on our own file)
            [str(cfn_lint), str(path), "--regions", "eu-west-1"], capture_output=True, text=True, check=False
        )


def main() -> int:
    cfn = translate()
    result = lint(cfn)
    kinds = sorted({r["Type"] for r in cfn["Resources"].values()})
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        print(f"template: cfn-lint found problems in the translated {TEMPLATE.name}", file=sys.stderr)
        return 1
    print(
        f"template: {TEMPLATE.name} translates to {len(cfn['Resources'])} resources "
        f"({len(kinds)} types); cfn-lint clean"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
