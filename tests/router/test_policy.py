"""Policy matrix: every level × complexity × available-model combination, plus the file loader."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from router.classifier import Classification, Level
from router.complexity import Complexity
from router.policy import OFFLINE, ModelKind, Policy, PolicyError, decide


@dataclass(frozen=True)
class M:
    name: str
    kind: ModelKind


LOCALS = [M("local:a", "local"), M("local:b", "local")]
CLOUDS = [M("openai:x", "cloud"), M("anthropic:y", "cloud")]
COMBOS = {
    "none": [],
    "local": LOCALS,
    "cloud": CLOUDS,
    "both": [*CLOUDS, *LOCALS],
    "one_each": [LOCALS[0], CLOUDS[1]],
}


def classification(level: Level) -> Classification:
    topics = ("health",) if level is Level.SENSITIVE else ()
    entities = (
        {"CO_CEDULA": 1} if level is Level.CONFIDENTIAL else {"EMAIL_ADDRESS": 1} if level is Level.INTERNAL else {}
    )
    return Classification(level, entities, topics, "test")


def complexity(needs_cloud: bool) -> Complexity:
    return Complexity(0.9 if needs_cloud else 0.1, ("comparison",) if needs_cloud else (), 10, needs_cloud)


@pytest.mark.parametrize(
    ("level", "complex_turn", "combo"), list(itertools.product(list(Level), [False, True], list(COMBOS)))
)
def test_matrix(level: Level, complex_turn: bool, combo: str, policy: Policy) -> None:
    models = COMBOS[combo]
    decision = decide(classification(level), complexity(complex_turn), models, policy)
    locals_ = [m.name for m in models if m.kind == "local"]
    clouds = [m.name for m in models if m.kind == "cloud"]
    assert decision.chain[-1] == OFFLINE and decision.legal_basis and decision.reason
    if level.local_only:
        assert decision.policy_target == "local"
        assert decision.chain == [*locals_, OFFLINE]
        assert not set(decision.chain) & set(clouds) and not decision.cloud_models
    elif complex_turn:
        # The target says what the policy wants even when no cloud model is configured.
        assert decision.policy_target == "cloud"
        assert decision.chain == [*clouds, *locals_, OFFLINE]
    else:
        assert decision.policy_target == "local"
        assert decision.chain == [*locals_, OFFLINE]
    for name in ("cedula", "1020304050", "@"):
        assert name not in decision.reason


def test_no_cloud_configured_is_explained(policy: Policy) -> None:
    decision = decide(classification(Level.PUBLIC), complexity(True), LOCALS, policy)
    assert decision.policy_target == "cloud" and "no cloud model configured" in decision.reason


def test_mask_internal_for_cloud(policy: Policy) -> None:
    masking = Policy(**{**policy.__dict__, "mask_internal_for_cloud": True})
    internal = decide(classification(Level.INTERNAL), complexity(True), COMBOS["both"], masking)
    public = decide(classification(Level.PUBLIC), complexity(True), COMBOS["both"], masking)
    assert internal.mask_for_cloud and "masked" in internal.reason
    assert not public.mask_for_cloud
    # Masking is the bundled default (issue 14); a policy may still turn it off.
    assert decide(classification(Level.INTERNAL), complexity(True), COMBOS["both"], policy).mask_for_cloud
    clear = Policy(**{**policy.__dict__, "mask_internal_for_cloud": False})
    assert not decide(classification(Level.INTERNAL), complexity(True), COMBOS["both"], clear).mask_for_cloud


def test_cloud_fallback_for_simple_turns_option(policy: Policy) -> None:
    relaxed = Policy(**{**policy.__dict__, "cloud_fallback_for_simple_turns": True})
    simple = decide(classification(Level.PUBLIC), complexity(False), COMBOS["both"], relaxed)
    assert simple.chain == ["local:a", "local:b", "openai:x", "anthropic:y", OFFLINE]
    sensitive = decide(classification(Level.SENSITIVE), complexity(False), COMBOS["both"], relaxed)
    assert sensitive.chain == ["local:a", "local:b", OFFLINE]


def test_threshold_comes_from_the_policy(policy: Policy) -> None:
    borderline = Complexity(0.5, ("analysis",), 10, False)
    strict = Policy(**{**policy.__dict__, "complexity_threshold": 0.4})
    assert decide(classification(Level.PUBLIC), borderline, CLOUDS, policy).policy_target == "local"
    assert decide(classification(Level.PUBLIC), borderline, CLOUDS, strict).policy_target == "cloud"


def test_policy_file_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = Path("router/policy.toml").read_text(encoding="utf-8").replace('version = "', 'version = "custom-')
    custom = tmp_path / "policy.toml"
    custom.write_text(text, encoding="utf-8")
    assert Policy.load(custom).version.startswith("custom-")
    monkeypatch.setenv("MESTOCKER_ROUTER_POLICY", str(custom))
    # The environment is read once, by the settings; the composition root hands the path over.
    assert not Policy.load().version.startswith("custom-")
    from infra.bootstrap import routing_policy
    from infra.settings import Settings

    assert routing_policy(Settings(_env_file=None, data_dir=tmp_path)).version.startswith("custom-")  # type: ignore[call-arg]


@pytest.mark.parametrize("level", ["sensitive", "confidential"])
def test_policy_refuses_protected_data_in_the_cloud(tmp_path: Path, level: str) -> None:
    text = Path("router/policy.toml").read_text(encoding="utf-8")
    block = f'[levels.{level}]\ntarget = "local"'
    assert block in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(block, f'[levels.{level}]\ntarget = "cloud_if_complex"'), encoding="utf-8")
    with pytest.raises(PolicyError):
        Policy.load(bad)


def test_policy_needs_every_level() -> None:
    with pytest.raises(PolicyError):
        Policy.from_dict({"levels": {"public": {"target": "local", "legal_basis": "x"}}})
