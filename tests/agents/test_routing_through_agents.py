"""The privacy router under the real agents: fake local and cloud LLM servers over real HTTP.

The graph, the chat service and the routed model are the production ones; only the LLM endpoints
are local fakes that record every request body they receive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from agents.chat import ChatService
from infra.bootstrap import Platform, build_chat_service, router_config
from router.log import LlmRoutingLog
from tests.agents.conftest import LAURA, conversation
from tests.router.fake_llm_servers import FakeLlmServer

COMPLEX = ("Compara paso a paso el café especial Huila con el café molido de Nariño y analiza cuál conviene más "
           "para regalar en diciembre; recomiéndame uno y justifica por qué, con ventajas y desventajas.")
SENSITIVE = "Tengo diabetes tipo 2 y mi cédula es 1.020.345.678"
MARKERS = ["diabetes", "1.020.345.678", "1020345678"]
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def servers() -> Iterator[dict[str, FakeLlmServer]]:
    started = {"local": FakeLlmServer("openai", "respuesta local").start(),
               "cloud": FakeLlmServer("openai", "respuesta nube").start()}
    yield started
    for server in started.values():
        server.stop()


def _chat(platform: Platform, servers: dict[str, FakeLlmServer], *, local_up: bool = True) -> ChatService:
    settings = platform.settings.model_copy(update={
        "local_llm_base_url": servers["local"].base_url if local_up else "http://127.0.0.1:9/v1",
        "local_llm_model": "qwen-local", "local_llm_api_key": "k", "openai_api_key": "sk-test",
        "openai_base_url": servers["cloud"].base_url, "llm_timeout_s": 5, "llm_max_retries": 0})
    return build_chat_service(platform, InMemorySaver(), router=router_config(settings))


def _cloud_never_saw_secrets(servers: dict[str, FakeLlmServer]) -> None:
    seen = servers["cloud"].received_text()
    assert not any(marker in seen for marker in MARKERS), "sensitive data reached the cloud endpoint"


def test_a_complex_public_turn_goes_to_the_cloud(platform: Platform, servers: dict[str, FakeLlmServer]) -> None:
    turn = conversation(_chat(platform, servers), LAURA)(COMPLEX)
    assert turn.routing["policy_target"] == "cloud" and turn.routing["model"].startswith("openai:")
    assert turn.reply == "respuesta nube" and servers["cloud"].bodies


@pytest.mark.parametrize("local_up", [True, False])
def test_sensitive_turns_and_their_thread_stay_local(platform: Platform, servers: dict[str, FakeLlmServer],
                                                     local_up: bool) -> None:
    say = conversation(_chat(platform, servers, local_up=local_up), LAURA)
    first = say(SENSITIVE)
    assert first.routing["classification"] in ("sensitive", "confidential")
    assert first.routing["policy_target"] == "local"
    expected = "local:" if local_up else "offline"
    assert str(first.routing["model"]).startswith(expected)
    later = say(COMPLEX)  # complex and public by itself, but the thread's history is not
    assert later.routing["policy_target"] == "local" and not str(later.routing["model"]).startswith("openai")
    _cloud_never_saw_secrets(servers)
    assert servers["cloud"].bodies == []


def test_every_model_call_is_logged_without_raw_values(platform: Platform, servers: dict[str, FakeLlmServer]) -> None:
    say = conversation(_chat(platform, servers), LAURA)
    say(SENSITIVE)
    say(COMPLEX)
    with platform.read_uow() as uow:
        rows = list(uow.session.scalars(select(LlmRoutingLog).order_by(LlmRoutingLog.id)))
        uow.session.expunge_all()
    assert len(rows) >= 2 and {row.channel for row in rows} == {"web"}
    assert rows[0].classification in ("sensitive", "confidential") and rows[0].policy_target == "local"
    assert rows[0].entities.get("CO_CEDULA") == 1 and rows[0].principal_hash and rows[0].principal_hash != "6"
    for row in rows:
        dumped = repr({c.name: getattr(row, c.name) for c in LlmRoutingLog.__table__.columns})
        assert not any(marker in dumped for marker in MARKERS)
        assert "laura" not in dumped.lower() and f"u{LAURA.user_id}:" not in dumped
