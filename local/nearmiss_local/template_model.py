"""template.yaml as CloudFormation would read it: parameters checked, conditions and intrinsics evaluated.

The local runtime wires the functions from this, so the template is the single source of the wiring:
a parameter outside its AllowedPattern, AllowedValues or bounds is refused with CloudFormation's own
wording, every Condition is evaluated from the parameters (nothing is hard-coded), and an intrinsic
function the runtime cannot evaluate fails loudly, naming where it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class TemplateError(ValueError):
    """The template (or a parameter value) is something CloudFormation, or this runtime, would refuse."""


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(path.read_text())  # type: ignore[no-any-return]


def check_parameters(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """The parameter values CloudFormation would deploy with: defaults filled in, every value checked
    against its constraints, refused as CloudFormation refuses it (`Parameter 'X' ...`)."""
    declared: dict[str, Any] = template.get("Parameters", {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"Parameters: {unknown} do not exist in the template")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            value = str(given[name])
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise TemplateError(f"Parameters: [{name}] must have values")
        _check_parameter(name, spec, value)
        values[name] = value
    return values


def _check_parameter(name: str, spec: Mapping[str, Any], value: str) -> None:
    # The wording is CloudFormation's ("Parameter 'X' must match pattern ...", "failed to satisfy
    # constraint"), with the template's ConstraintDescription when it has one.
    def refuse(what: str) -> TemplateError:
        hint = spec.get("ConstraintDescription")
        return TemplateError(f"Parameter '{name}' {what}" + (f": {hint}" if hint else ""))

    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(v) for v in allowed]:
        raise refuse(f"must be one of AllowedValues {allowed}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise refuse(f"failed to satisfy constraint: must match pattern {pattern}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise refuse("must be a number") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise refuse(f"must be a number not less than {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise refuse(f"must be a number not greater than {spec['MaxValue']}")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        raise refuse(f"must have a length of at least {spec['MinLength']}")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        raise refuse(f"must have a length of at most {spec['MaxLength']}")


@dataclass
class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Join, Fn::Select and the condition functions.

    `names` maps a logical id (or pseudo parameter) to what Ref gives; `attributes` maps
    "LogicalId.Attribute" to what Fn::GetAtt gives. Anything else raises TemplateError naming it.
    """

    template: Mapping[str, Any]
    parameters: Mapping[str, str]
    names: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    attribute_fallback: Callable[[str, str], str] | None = None

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"Condition '{name}' is not defined in the template")
        return self._truth(conditions[name], where=f"Conditions.{name}")

    def _truth(self, expr: Any, *, where: str) -> bool:
        if isinstance(expr, dict) and len(expr) == 1:
            ((fn, arg),) = expr.items()
            if fn == "Fn::Equals":
                left, right = (self.resolve(a, where=where) for a in arg)
                return str(left) == str(right)
            if fn == "Fn::Not":
                return not self._truth(arg[0], where=where)
            if fn == "Fn::And":
                return all(self._truth(a, where=where) for a in arg)
            if fn == "Fn::Or":
                return any(self._truth(a, where=where) for a in arg)
            if fn == "Condition":
                return self.condition(arg)
        raise TemplateError(f"{where}: cannot evaluate {expr!r} as a condition")

    def ref(self, name: str, *, where: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.names:
            return self.names[name]
        raise TemplateError(f"{where}: Ref {name} names nothing the local runtime created")

    def get_att(self, logical_id: str, attribute: str, *, where: str) -> str:
        key = f"{logical_id}.{attribute}"
        if key in self.attributes:
            return self.attributes[key]
        if self.attribute_fallback is not None:
            return self.attribute_fallback(logical_id, attribute)
        raise TemplateError(f"{where}: Fn::GetAtt {key} is not known to the local runtime")

    def resolve(self, value: Any, *, where: str = "template") -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.ref(arg, where=where)
            if fn == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(logical_id, attribute, where=where)
            if fn == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no, where=where)
            if fn == "Fn::Sub":
                return self._sub(arg, where=where)
            if fn == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(self.resolve(i, where=where)) for i in items)
            if fn == "Fn::Select":
                index, items = arg
                return self.resolve(items, where=where)[int(index)]
            if fn.startswith("Fn::") or fn == "Condition":
                raise TemplateError(f"{where}: the local runtime cannot evaluate {fn}")
        if isinstance(value, dict):
            return {k: self.resolve(v, where=f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, where=f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    def _sub(self, arg: Any, *, where: str) -> str:
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        variables = {k: str(self.resolve(v, where=where)) for k, v in local.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal}
            if name in variables:
                return variables[name]
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute, where=where))
            return str(self.ref(name, where=where))

        return re.sub(r"\$\{([^}]+)\}", one, text)
