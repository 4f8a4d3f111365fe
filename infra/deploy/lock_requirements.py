"""Write infra/deploy/requirements.lock: MeStocker's runtime dependencies, exact versions and hashes.

Two steps, run with the interpreter of an environment where the test suite passes, from the
repository root:

    .venv/bin/python infra/deploy/lock_requirements.py > infra/deploy/requirements.lock

1. The dependency closure of `mestocker` (pyproject's `[project] dependencies`, no extras) is read
   from that environment, so the image gets the versions that were tested. Two pins that conflict
   (an environment shared with other work can hold such a pair) are both dropped and reported on
   stderr.
2. pip's own resolver (`pip install --dry-run --ignore-installed --report`) resolves the project
   under those pins as constraints: it fills what was dropped and yields a consistent set, with
   the sha256 of each wheel it would download (linux x86_64, CPython 3.11 — the image's platform;
   another platform needs a lock generated there).

The Dockerfile installs the lock with `--require-hashes`, then the project with `--no-deps`, and
runs `pip check`. tests/deploy/test_image.py checks the lock against pyproject.toml. Test-only
packages (pytest, ruff, ...) are not in the closure.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
# Installed by pip itself, never a runtime dependency worth pinning in the image.
SKIP = {"pip", "setuptools", "wheel", "mestocker"}


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """pyproject.toml's `[project] dependencies`."""
    import tomllib

    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return [Requirement(spec) for spec in data["project"]["dependencies"]]


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether `requirement` holds on this platform when its parent was installed with `extras`."""
    if requirement.marker is None:
        return True
    environment: dict[str, str] = {key: str(value) for key, value in default_environment().items()}
    if not extras:
        return requirement.marker.evaluate({**environment, "extra": ""})
    return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in extras)


def closure(roots: list[Requirement]) -> dict[str, str]:
    """canonical name -> installed version for `roots` and everything they need (markers evaluated)."""
    found: dict[str, str] = {}
    pending: list[tuple[Requirement, set[str]]] = [(r, set(r.extras)) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(extras)) in seen or name in SKIP:
            continue
        seen.add((name, frozenset(extras)))
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{requirement.name} is required but not installed in {sys.prefix}") from None
        found[name] = dist.version
        for raw in dist.requires or []:
            child = Requirement(raw)
            if applies(child, extras):
                pending.append((child, set(child.extras)))
    return found


def conflicts(pins: dict[str, str]) -> dict[str, str]:
    """Pinned names some other pinned package rejects -> why (from the installed metadata)."""
    bad: dict[str, str] = {}
    for name in pins:
        dist = metadata.distribution(name)
        for raw in dist.requires or []:
            child = Requirement(raw)
            child_name = canonicalize_name(child.name)
            if child_name in pins and applies(child, set()) and not child.specifier.contains(
                    pins[child_name], prereleases=True):
                why = f"{name} {dist.version} needs {child}, installed {pins[child_name]}"
                # Both sides are left to pip: it may move either (an older requirer, a newer requirement).
                bad[child_name] = bad[name] = why
    return bad


def resolve(constraints: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, version, sha256) of what pip installs for the project under `constraints`."""
    with tempfile.TemporaryDirectory() as folder:
        constraint_file = Path(folder) / "constraints.txt"
        constraint_file.write_text("".join(f"{n}=={v}\n" for n, v in sorted(constraints.items())))
        report = Path(folder) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--report", str(report), "--constraint", str(constraint_file), str(ROOT)],
                       check=True, stdout=sys.stderr)
        installs = json.loads(report.read_text())["install"]
    resolved = []
    for item in installs:
        name = canonicalize_name(item["metadata"]["name"])
        if name in SKIP:
            continue
        digest = item["download_info"].get("archive_info", {}).get("hashes", {}).get("sha256")
        if not digest:
            raise SystemExit(f"pip reported no sha256 for {name}")
        resolved.append((name, item["metadata"]["version"], digest))
    return sorted(resolved)


def render(resolved: list[tuple[str, str, str]], dropped: dict[str, str]) -> str:
    lines = [
        "# Generated by infra/deploy/lock_requirements.py from the environment the tests ran in; do not edit.",
        f"# Python {sys.version_info.major}.{sys.version_info.minor}, linux x86_64 wheels (the image's platform).",
    ]
    lines += [f"# re-resolved by pip (conflicting pins here): {why}" for why in sorted(set(dropped.values()))]
    lines += [f"{name}=={version} --hash=sha256:{digest}" for name, version, digest in resolved]
    return "\n".join(lines) + "\n"


PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)\s+--hash=sha256:[0-9a-f]{64}$")


def parse_lock(text: str) -> dict[str, str]:
    """canonical name -> version of a lock written by `render` (every line an exact, hashed pin)."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        if match is None:
            raise ValueError(f"not an exact pin with its sha256: {line!r}")
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def main() -> None:
    pins = closure(project_requirements())
    dropped = conflicts(pins)
    for why in sorted(set(dropped.values())):
        print(f"lock: dropping conflicting pins, pip re-resolves them: {why}", file=sys.stderr)
    sys.stdout.write(render(resolve({n: v for n, v in pins.items() if n not in dropped}), dropped))


if __name__ == "__main__":
    main()
