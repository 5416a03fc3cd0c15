"""`make build`: check that what `sam build` made is what Lambda (python3.13 on arm64) can load.

    python -m nearmiss_local.build_check [.aws-sam/build] [--template template.yaml]

`sam build` without a container runs pip on this x86_64 machine and asks PyPI for manylinux wheels of
the template's architecture. It picks them by their file names and never looks at what it unpacked:
it keeps an allow-listed package whatever its wheel says, and it copies whatever lies in a CodeUri or
ContentUri folder as it is (a package someone `pip install -t`-ed there, with this machine's x86_64
.so files, or a stale copy of a pinned package). None of this shows in the tests, which run on x86_64
from the source folders: it shows on Lambda, at cold start, as an ImportError. So this reads the build
output itself and fails unless, in every layer and function artifact of the built template:
- every ELF shared object is for the artifact's architecture (arm64 is aarch64), and every extension
  module is tagged for its runtime (cpython-313-aarch64-linux-gnu) or for the stable ABI (abi3);
- every wheel that is not pure Python is tagged for that runtime and architecture, on a glibc that
  Lambda's python3.13 (Amazon Linux 2023, glibc 2.34) has;
- the packages are the ones its requirements.txt pins, at those versions, once each, plus only what
  those require (no stray package copied in from the source folder);
- a function's layer was built for the function's runtime and architecture.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Lambda's names for the architectures, as ELF machine numbers and as wheel/extension platform names.
MACHINES = {"arm64": (183, "aarch64"), "x86_64": (62, "x86_64")}
ELF_MACHINE_NAMES = {183: "aarch64", 62: "x86_64", 3: "i386", 40: "arm", 243: "riscv"}
# Lambda's Python runtimes from 3.12 on run on Amazon Linux 2023 (glibc 2.34); 3.11 and older on AL2.
RUNTIME_GLIBC = {"python3.12": 34, "python3.13": 34, "python3.14": 34}
DEFAULT_GLIBC = 26
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)\s*(;.*)?$")
EXTENSION = re.compile(r"\.(cpython-(\d+)(t?)-([^.]+)|abi3)\.so$")
MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(\w+)$")
LEGACY_MANYLINUX = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}


@dataclass(frozen=True)
class Target:
    """What Lambda will load an artifact with: its runtime and its architecture."""

    runtime: str
    architecture: str

    @property
    def cp(self) -> str:
        return "cp" + self.runtime.removeprefix("python").replace(".", "")

    @property
    def machine(self) -> str:
        return MACHINES[self.architecture][1]

    def __str__(self) -> str:
        return f"{self.runtime}/{self.architecture}"


@dataclass
class Artifact:
    """One built folder: a function's code or a layer's content, with where its packages sit."""

    logical_id: str
    kind: str  # "function" or "layer"
    path: Path
    target: Target
    requirements: Path | None
    layers: list[str] = field(default_factory=list)

    @property
    def site(self) -> Path:
        # A Python layer's packages are in python/ (Lambda's /opt/python); a function's at its root.
        return self.path / "python" if self.kind == "layer" else self.path


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def fail(self, artifact: Artifact, message: str) -> None:
        self.problems.append(f"{artifact.logical_id}: {message}")


def load_template(path: Path) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse  # reads the short forms (!Ref, !GetAtt) as sam does

    return yaml_parse(path.read_text())  # type: ignore[no-any-return]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_and_architecture(props: dict[str, Any], defaults: dict[str, Any]) -> Target:
    runtime = props.get("Runtime", defaults.get("Runtime", ""))
    architectures = props.get("Architectures", defaults.get("Architectures", ["x86_64"]))
    return Target(str(runtime), str(architectures[0]))


def artifacts(
    built: dict[str, Any], build_dir: Path, source: dict[str, Any], source_dir: Path
) -> list[Artifact]:
    """The built template's functions and layers, each with the requirements.txt of its source folder."""
    defaults = built.get("Globals", {}).get("Function", {})
    found: list[Artifact] = []
    for logical_id, resource in built["Resources"].items():
        props = resource.get("Properties", {})
        source_props = source["Resources"].get(logical_id, {}).get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            target = _runtime_and_architecture(props, defaults)
            uri, source_uri = props["CodeUri"], source_props.get("CodeUri")
            refs = props.get("Layers", defaults.get("Layers", []))
            layers = [ref["Ref"] for ref in refs if isinstance(ref, dict) and "Ref" in ref]
            kind = "function"
        elif resource["Type"] == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            meta = resource.get("Metadata", {})
            target = Target(str(meta.get("BuildMethod", "")), str(meta.get("BuildArchitecture", "x86_64")))
            uri, source_uri, layers, kind = props["ContentUri"], source_props.get("ContentUri"), [], "layer"
        else:
            continue
        requirements = source_dir / source_uri / "requirements.txt" if isinstance(source_uri, str) else None
        found.append(Artifact(logical_id, kind, build_dir / uri, target, requirements, layers))
    return found


def read_pins(path: Path) -> tuple[dict[str, str], list[str]]:
    """`name==version` lines of a requirements file, by normalized name; and the lines that are not."""
    pins: dict[str, str] = {}
    bad: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        if match is None:
            bad.append(line)
        else:
            pins[normalize(match.group(1))] = match.group(3)
    return pins, bad


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires: tuple[str, ...]
    purelib: bool
    tags: tuple[str, ...]
    info: Path


def installed(site: Path) -> Iterator[Dist]:
    for info in sorted(site.glob("*.dist-info")):
        meta_file = info / "METADATA"
        meta = Parser().parsestr(meta_file.read_text(errors="replace") if meta_file.exists() else "", True)
        wheel_file = info / "WHEEL"
        wheel = Parser().parsestr(wheel_file.read_text() if wheel_file.exists() else "", headersonly=True)
        requires = tuple(
            normalize(match.group(0))
            for req in meta.get_all("Requires-Dist") or []
            if (match := re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req.strip()))
        )
        yield Dist(
            name=normalize(str(meta["Name"] or info.name.split("-")[0])),
            version=str(meta["Version"] or "(no METADATA)"),
            requires=requires,
            purelib=str(wheel.get("Root-Is-Purelib", "true")).strip().lower() == "true",
            tags=tuple(str(tag).strip() for tag in wheel.get_all("Tag") or []),
            info=info,
        )


def platform_fits(platform: str, target: Target) -> bool:
    if platform == "any":
        return True
    glibc = RUNTIME_GLIBC.get(target.runtime, DEFAULT_GLIBC)
    if platform == f"linux_{target.machine}":
        return True
    legacy, _, arch = platform.partition("_")
    if legacy in LEGACY_MANYLINUX:
        return arch == target.machine and LEGACY_MANYLINUX[legacy] <= glibc
    match = MANYLINUX.match(platform)
    return match is not None and match.group(3) == target.machine and int(match.group(2)) <= glibc


def tag_fits(tag: str, target: Target) -> bool:
    """One wheel tag (e.g. cp313-cp313-manylinux_2_17_aarch64) against the runtime and architecture."""
    parts = tag.split("-")
    if len(parts) != 3:
        return False
    # A compressed tag set (py2.py3-none-any) fits when one of the tags it stands for does.
    return any(
        _python_fits(interpreter, abi, target) and platform_fits(platform, target)
        for interpreter in parts[0].split(".")
        for abi in parts[1].split(".")
        for platform in parts[2].split(".")
    )


def _python_fits(interpreter: str, abi: str, target: Target) -> bool:
    if abi == "none":
        return interpreter in (target.cp, "py3")
    if abi == "abi3":
        # A stable-ABI wheel built for cp3X loads on every CPython from 3.X on.
        match = re.fullmatch(r"cp3(\d+)", interpreter)
        return match is not None and int(match.group(1)) <= int(target.cp[3:])
    return interpreter == target.cp and abi == target.cp


def elf_machine(path: Path) -> tuple[int, int] | None:
    """(ELF class, machine number) of a shared object, or None when the file is not ELF."""
    with path.open("rb") as handle:
        head = handle.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    byteorder: Any = "little" if head[5] == 1 else "big"
    return head[4], int.from_bytes(head[18:20], byteorder)


def check_shared_objects(artifact: Artifact, report: Report) -> tuple[int, int]:
    """Every .so in the artifact is ELF for its architecture; every extension module fits its runtime."""
    want_machine, want_name = MACHINES[artifact.target.architecture]
    extensions = libraries = 0
    for path in sorted(artifact.path.rglob("*.so*")):
        if not path.is_file() or not re.search(r"\.so(\.\d+)*$", path.name):
            continue
        rel = path.relative_to(artifact.path)
        elf = elf_machine(path)
        if elf is None:
            report.fail(artifact, f"{rel} is not an ELF shared object")
            continue
        elf_class, machine = elf
        if machine != want_machine or elf_class != 2:
            found = ELF_MACHINE_NAMES.get(machine, f"machine {machine}")
            bits = 64 if elf_class == 2 else 32
            report.fail(
                artifact,
                f"{rel} is built for {found} ({bits}-bit); Lambda {artifact.target} needs {want_name}",
            )
        match = EXTENSION.search(path.name)
        if match is None:
            libraries += 1  # a plain library (lib*.so, *.libs/): its architecture is all there is to check
            continue
        extensions += 1
        if match.group(1) == "abi3":
            continue
        version, threaded, platform = match.group(2), match.group(3), match.group(4)
        want = f"cpython-{artifact.target.cp[2:]}-{want_name}-linux-gnu"
        if f"cpython-{version}{threaded}-{platform}" != want:
            found = f"cpython-{version}{threaded}-{platform}"
            report.fail(artifact, f"{rel} is an extension module for {found}; Lambda imports {want} or abi3")
    return extensions, libraries


def check_packages(artifact: Artifact, report: Report) -> int:
    """The artifact's packages are its requirements' pins, once each, plus only what they require."""
    dists = list(installed(artifact.site)) if artifact.site.is_dir() else []
    by_name: dict[str, list[Dist]] = {}
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
        if not dist.purelib and not any(tag_fits(tag, artifact.target) for tag in dist.tags):
            tags = ", ".join(dist.tags) or "(no tag)"
            want = f"{artifact.target.cp} or abi3 on manylinux {artifact.target.machine}"
            report.fail(artifact, f"{dist.name} {dist.version} is a wheel tagged {tags}; Lambda needs {want}")
    for name, copies in by_name.items():
        if len(copies) > 1:
            versions = ", ".join(f"{d.version} ({d.info.name})" for d in copies)
            report.fail(artifact, f"{name} is installed {len(copies)} times: {versions}")
    pins: dict[str, str] = {}
    if artifact.requirements is None or not artifact.requirements.exists():
        where = artifact.requirements or "its source folder"
        if dists:
            report.fail(artifact, f"holds {len(dists)} packages but {where} has no requirements.txt")
    else:
        pins, bad = read_pins(artifact.requirements)
        for line in bad:
            report.fail(artifact, f"{artifact.requirements}: {line!r} is not an exact pin (name==version)")
        for name, version in pins.items():
            have = by_name.get(name)
            if not have:
                report.fail(
                    artifact, f"{name}=={version} is pinned in {artifact.requirements} but not installed"
                )
            elif all(d.version != version for d in have):
                found = ", ".join(d.version for d in have)
                report.fail(artifact, f"{name} is {found}, but {artifact.requirements} pins {version}")
    # Everything else must be required, directly or not, by a pinned package (markers and extras are not
    # evaluated, so this can only let a stray through, never fail a needed package).
    needed, todo = set(), list(pins)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        for dist in by_name.get(name, []):
            todo.extend(dist.requires)
    for name in sorted(set(by_name) - needed):
        report.fail(
            artifact, f"{name} {by_name[name][0].version} is neither pinned nor required by a pinned package"
        )
    return len(dists)


def check(build_dir: Path, template: Path) -> Report:
    report = Report()
    built = load_template(build_dir / "template.yaml")
    found = artifacts(built, build_dir, load_template(template), template.parent)
    layers = {a.logical_id: a for a in found if a.kind == "layer"}
    for artifact in found:
        if artifact.target.architecture not in MACHINES or not artifact.target.runtime.startswith("python3"):
            report.fail(
                artifact, f"built for {artifact.target}: this check knows python3.x on arm64 or x86_64 only"
            )
            continue
        if not artifact.path.is_dir():
            report.fail(artifact, f"{artifact.path} is missing: run sam build first")
            continue
        for layer_id in artifact.layers:
            layer = layers.get(layer_id)
            if layer is not None and layer.target != artifact.target:
                report.fail(
                    artifact,
                    f"runs on {artifact.target} but its layer {layer_id} is built for {layer.target}",
                )
        extensions, libraries = check_shared_objects(artifact, report)
        packages = check_packages(artifact, report)
        report.lines.append(
            f"  {artifact.kind} {artifact.logical_id} ({artifact.target}): {packages} packages, "
            f"{extensions} extension modules, {libraries} other shared objects"
        )
    if not found:
        report.problems.append(f"{build_dir / 'template.yaml'} has no function or layer built from a folder")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument(
        "--template", type=Path, help="the source template (default: the one two folders above the build dir)"
    )
    args = parser.parse_args(argv)
    build_dir: Path = args.build_dir.resolve()
    template: Path = args.template or build_dir.parents[1] / "template.yaml"
    for needed in (build_dir / "template.yaml", template):
        if not needed.exists():
            print(f"build: {needed} not found (run sam build first, or pass --template)", file=sys.stderr)
            return 2
    report = check(build_dir, template)
    if report.problems:
        print("\n".join(f"  {problem}" for problem in report.problems), file=sys.stderr)
        print(f"build: {len(report.problems)} problems in {build_dir}", file=sys.stderr)
        return 1
    print(f"build: {build_dir} holds only code that Lambda can load")
    print("\n".join(report.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
