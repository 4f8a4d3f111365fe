"""Every Python package of the project is listed in pyproject.toml, so the wheel ships all of it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = ("commerce", "infra", "api", "tools", "agents", "router", "knowledge", "evals")


def test_every_package_directory_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    data_only = {name for name in config["package-data"] if not any(ROOT.joinpath(*name.split(".")).glob("*.py"))}
    listed = set(config["packages"]) - data_only
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in TOP for path in (ROOT / top).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert found == listed, f"missing: {sorted(found - listed)}, stale: {sorted(listed - found)}"


def test_data_files_ship_with_their_packages() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for package, patterns in data.items():
        base = ROOT.joinpath(*package.split("."))
        assert any(any(base.glob(pattern)) for pattern in patterns), (package, patterns)
    assert (ROOT / "router" / "policy.toml").exists() and "router" in data
