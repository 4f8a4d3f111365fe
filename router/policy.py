"""Routing policy: which models may see a turn, in which fallback order, and on what legal basis.

The rules live in a data file (router/policy.toml; the composition root passes another path when
the settings name one, MESTOCKER_ROUTER_POLICY). Two invariants are enforced in code, whatever the file says:

* sensitive and confidential turns are routed to local models, then the offline model — never
  to a cloud model, not even as a fallback (a policy file saying otherwise is refused);
* a cloud target falls back to local models, then the offline model.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from router.classifier import Classification, Level
from router.complexity import Complexity

ModelKind = Literal["local", "cloud", "offline"]
Target = Literal["local", "cloud"]
OFFLINE = "offline"
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")


class PolicyError(ValueError):
    """The policy file is malformed or would let protected data reach the cloud."""


class AvailableModel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> ModelKind: ...


@dataclass(frozen=True)
class LevelRule:
    target: Literal["local", "cloud_if_complex"]
    legal_basis: str


@dataclass(frozen=True)
class Policy:
    version: str
    complexity_threshold: float
    mask_internal_for_cloud: bool
    cloud_fallback_for_simple_turns: bool
    levels: Mapping[Level, LevelRule]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        """Read a policy file (default: the bundled router/policy.toml)."""
        source = Path(path or DEFAULT_POLICY_PATH)
        with source.open("rb") as handle:
            return cls.from_dict(tomllib.load(handle))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        try:
            levels = {Level(name): LevelRule(**rule) for name, rule in data["levels"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"invalid [levels] table: {exc}") from exc
        if set(levels) != set(Level):
            raise PolicyError("the policy must give a rule for every level")
        for level, rule in levels.items():
            if rule.target not in ("local", "cloud_if_complex"):
                raise PolicyError(f"unknown target {rule.target!r} for {level.value}")
            if level.local_only and rule.target != "local":
                raise PolicyError(f"{level.value} data must stay local (fail closed)")
        return cls(
            version=str(data.get("version", "unversioned")),
            complexity_threshold=float(data.get("complexity_threshold", 0.6)),
            mask_internal_for_cloud=bool(data.get("mask_internal_for_cloud", True)),
            cloud_fallback_for_simple_turns=bool(data.get("cloud_fallback_for_simple_turns", False)),
            levels=levels,
        )


@dataclass(frozen=True)
class RoutingDecision:
    policy_target: Target
    chain: list[str]
    reason: str
    legal_basis: str
    level: Level = Level.PUBLIC
    mask_for_cloud: bool = False
    cloud_models: frozenset[str] = field(default_factory=frozenset)


def _names(models: Sequence[AvailableModel], kind: ModelKind) -> list[str]:
    return [model.name for model in models if model.kind == kind]


def decide(
    classification: Classification,
    complexity: Complexity,
    available_models: Sequence[AvailableModel],
    policy: Policy | None = None,
) -> RoutingDecision:
    """Choose the target and the ordered fallback chain for one model call."""
    policy = policy or load_default_policy()
    rule = policy.levels[classification.level]
    local, cloud = _names(available_models, "local"), _names(available_models, "cloud")
    if classification.level.local_only:
        why = ", ".join([*classification.topics, *classification.entity_types])
        reason = f"{classification.level.value} data in context ({why}): local models only"
        return RoutingDecision("local", [*local, OFFLINE], reason, rule.legal_basis, classification.level)
    complex_turn = rule.target == "cloud_if_complex" and complexity.score >= policy.complexity_threshold
    signals = ", ".join(complexity.signals) or "none"
    if complex_turn:
        mask = classification.level is Level.INTERNAL and policy.mask_internal_for_cloud
        reason = f"complex turn ({signals}, score {complexity.score:.2f})"
        reason += ": cloud" + (" with entities masked" if mask else "") if cloud else ": no cloud model configured"
        chain = [*cloud, *local, OFFLINE]
        return RoutingDecision("cloud", chain, reason, rule.legal_basis, classification.level, mask, frozenset(cloud))
    reason = f"simple turn (score {complexity.score:.2f}): local"
    mask = classification.level is Level.INTERNAL and policy.mask_internal_for_cloud
    chain = [*local, *cloud, OFFLINE] if policy.cloud_fallback_for_simple_turns else [*local, OFFLINE]
    allowed_cloud = frozenset(cloud) if policy.cloud_fallback_for_simple_turns else frozenset()
    return RoutingDecision("local", chain, reason, rule.legal_basis, classification.level, mask, allowed_cloud)


_default_policy: Policy | None = None


def load_default_policy() -> Policy:
    """The bundled policy file, read once."""
    global _default_policy
    if _default_policy is None:
        _default_policy = Policy.load()
    return _default_policy
