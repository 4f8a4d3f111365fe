"""RouterConfig from the environment and a registry holding only what is configured."""

from __future__ import annotations

from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

from router.models import ModelRegistry, RouterConfig
from tests.router.conftest import FakeChatModel


def test_empty_environment_has_only_the_offline_model() -> None:
    config = RouterConfig.from_env({})
    assert config.openai_model == "gpt-4o-mini" and config.local_llm_base_url is None
    registry = ModelRegistry.from_config(config, offline_model=FakeChatModel())
    assert [(m.name, m.kind) for m in registry.models] == [("offline", "offline")]
    assert ModelRegistry.from_config(config).models == []


def test_everything_configured() -> None:
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
    config = RouterConfig.from_env(env)
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


def test_local_needs_both_url_and_model_and_blank_means_unset() -> None:
    config = RouterConfig.from_env({"MESTOCKER_LOCAL_LLM_BASE_URL": "http://x/v1", "OPENAI_API_KEY": "  "})
    assert ModelRegistry.from_config(config).models == []


def test_repr_hides_keys() -> None:
    config = RouterConfig(openai_api_key="sk-secret-value", anthropic_api_key="sk-ant-secret")
    assert "secret" not in repr(config)
