"""RouterConfig from the settings (the router reads no environment) and a registry holding only what is configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

from infra.bootstrap import router_config
from infra.settings import Settings
from router.models import ModelRegistry, RouterConfig
from tests.router.conftest import FakeChatModel

ROUTER_VARIABLES = ("MESTOCKER_LOCAL_LLM_BASE_URL", "MESTOCKER_LOCAL_LLM_MODEL", "MESTOCKER_LOCAL_LLM_API_KEY",
                    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                    "MESTOCKER_OPENAI_MODEL", "MESTOCKER_ANTHROPIC_MODEL", "MESTOCKER_OPENAI_API_KEY",
                    "MESTOCKER_ANTHROPIC_API_KEY", "MESTOCKER_LLM_TIMEOUT_S", "MESTOCKER_LLM_MAX_RETRIES")


def config_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]) -> RouterConfig:
    """The environment read once, by the settings, then turned into a RouterConfig by the composition root."""
    for name in ROUTER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return router_config(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]


def test_empty_environment_has_only_the_offline_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = config_from_env(monkeypatch, tmp_path, {})
    assert config.openai_model == "gpt-4o-mini" and config.local_llm_base_url is None
    registry = ModelRegistry.from_config(config, offline_model=FakeChatModel())
    assert [(m.name, m.kind) for m in registry.models] == [("offline", "offline")]
    assert ModelRegistry.from_config(config).models == []


def test_everything_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {
        "MESTOCKER_LOCAL_LLM_BASE_URL": "http://127.0.0.1:8000/v1",
        "MESTOCKER_LOCAL_LLM_MODEL": "qwen2.5-7b-instruct",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": "http://127.0.0.1:9000/v1",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9001",
        "MESTOCKER_OPENAI_MODEL": "gpt-4.1-mini",
        "MESTOCKER_ANTHROPIC_MODEL": "claude-sonnet-4-5",
    }
    config = config_from_env(monkeypatch, tmp_path, env)
    registry = ModelRegistry.from_config(config, offline_model=FakeChatModel())
    assert [(m.name, m.kind) for m in registry.models] == [
        ("local:qwen2.5-7b-instruct", "local"),
        ("openai:gpt-4.1-mini", "cloud"),
        ("anthropic:claude-sonnet-4-5", "cloud"),
        ("offline", "offline"),
    ]
    local = registry.models[0].model
    assert isinstance(local, ChatOpenAI) and local.openai_api_base == "http://127.0.0.1:8000/v1"
    assert local.max_retries == config.max_retries and local.request_timeout == config.timeout_s
    anthropic = registry.models[2].model
    assert isinstance(anthropic, ChatAnthropic) and anthropic.anthropic_api_url == "http://127.0.0.1:9001"
    assert registry.of_kind("cloud")[0].name == "openai:gpt-4.1-mini"


def test_local_needs_both_url_and_model_and_blank_means_unset(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    config = config_from_env(monkeypatch, tmp_path, {"MESTOCKER_LOCAL_LLM_BASE_URL": "http://x/v1",
                                                     "OPENAI_API_KEY": "  "})
    assert ModelRegistry.from_config(config).models == []


def test_repr_hides_keys() -> None:
    config = RouterConfig(openai_api_key="sk-secret-value", anthropic_api_key="sk-ant-secret",
                          openai_model="gpt-4o-mini", anthropic_model="claude-haiku-4-5", timeout_s=30, max_retries=1)
    assert "secret" not in repr(config)


def test_the_composition_root_builds_the_routed_registry_from_settings(tmp_path: Path) -> None:
    from infra.bootstrap import bootstrap, routed_model

    settings = Settings(_env_file=None, data_dir=tmp_path, openai_api_key="sk-test")  # type: ignore[call-arg]
    platform = bootstrap(settings)
    try:
        model = routed_model(platform)
        assert [m.name for m in model.registry.models] == ["openai:gpt-4o-mini", "offline"]
    finally:
        platform.close()
