"""Run tasks through the real chat service, each on a fresh copy of the seeded database.

The path is the one the API uses: `infra.bootstrap.build_chat_service` (LangGraph supervisor and
agents, the privacy router over whatever the settings configure, the offline model as the last
resort), `ChatService.send` per user turn, the routing log written to the task's own database.
What a run keeps per task: every turn's reply, tool calls, routing and latency, the routing-log
rows, the hash of the rows the conversation touched, and what each `search_knowledge` call
retrieved (read from the thread's checkpoint state: the turn result carries no tool results).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, MetaData, Table, select

from agents.threads import thread_config
from commerce.shared.errors import CommerceError
from evals.cloud_standin import CloudStandIn
from evals.contexts import retrieved_searches
from evals.fake_cloud import CloudProbe
from evals.options import ModelChoice
from evals.replay import expected_state
from evals.tasks import Task
from evals.world import World, index_knowledge, principal_for, seed_template, state_hash, table_rows, touched_rows
from infra.bootstrap import Platform, build_chat_service, offline_model
from router.policy import Policy

Cloud = CloudProbe | CloudStandIn


@dataclass
class TurnOutcome:
    user: str
    reply: str
    agent: str
    tool_calls: list[dict[str, Any]]
    pending: str | None
    routing: dict[str, Any]
    latency_ms: float


@dataclass
class TaskRun:
    task_id: str
    repeat: int
    turns: list[TurnOutcome] = field(default_factory=list)
    state_hash: str = ""
    expected_hash: str = ""
    touched: dict[str, Any] = field(default_factory=dict)
    expected_touched: dict[str, Any] = field(default_factory=dict)
    routing_rows: list[dict[str, Any]] = field(default_factory=list)
    cloud_bodies: list[str] = field(default_factory=list)  # what the leak probe's fake cloud received
    retrieved: list[dict[str, Any]] = field(default_factory=list)  # search_knowledge calls: query, passages
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _chat(platform: Platform, model: ModelChoice, policy: Policy | None = None) -> Any:
    if model == "offline":
        return build_chat_service(platform, InMemorySaver(), model=offline_model(platform.bus))
    return build_chat_service(platform, InMemorySaver(), policy=policy)


def _routing_rows(engine: Engine) -> list[dict[str, Any]]:
    table = Table("llm_routing_logs", MetaData(), autoload_with=engine)
    names = ("agent", "classification", "policy_target", "model", "tried", "outcome", "masked")
    cols = [table.c[name] for name in names]
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(*cols).order_by(table.c.id))]


def _turn(chat: Any, platform: Platform, task: Task, thread: str, text: str) -> TurnOutcome:
    principal = principal_for(platform, task.email)
    start = time.perf_counter()
    try:
        result = chat.send(principal=principal, thread_id=thread, message=text, channel="eval")
    except CommerceError as exc:  # the channel shows a typed error's Spanish message
        return TurnOutcome(text, exc.message, "", [], None, {}, (time.perf_counter() - start) * 1000)
    return TurnOutcome(
        user=text, reply=result.reply, agent=result.agent,
        tool_calls=[call.model_dump(mode="json") for call in result.tool_calls],
        pending=result.pending_confirmation.tool if result.pending_confirmation else None,
        routing=result.routing, latency_ms=(time.perf_counter() - start) * 1000,
    )


def _searches(chat: Any, platform: Platform, task: Task, thread: str) -> list[dict[str, Any]]:
    """The thread's `search_knowledge` calls with their passages, from the checkpoint state the API's
    GET thread reads (`ChatService.history` goes through the same graph state)."""
    state = chat.graph.get_state(thread_config(principal_for(platform, task.email), thread))
    return retrieved_searches(state.values.get("messages", []))


def run_task(world: World, task: Task, *, repeat: int = 0, model: ModelChoice = "router",
             expected: tuple[str, dict[str, Any]] | None = None, cloud: Cloud | None = None,
             policy: Policy | None = None) -> TaskRun:
    """One run of `task`: its conversation on a fresh database, then the state it left."""
    expected_hash, expected_touched = expected or expected_state(world, task)
    run = TaskRun(task.id, repeat, expected_hash=expected_hash, expected_touched=expected_touched)
    thread = f"eval-{task.id}-{uuid.uuid4().hex[:6]}"
    mark = cloud.mark() if cloud else []
    with world.fresh(f"{task.id}-r{repeat}-{uuid.uuid4().hex[:6]}", task.setup) as platform:
        if isinstance(cloud, CloudStandIn):  # the stand-in answers over this task's catalog, as the offline model does
            cloud.model = offline_model(platform.bus)
        chat = _chat(platform, model, policy)
        try:
            for turn in task.turns:
                run.turns.append(_turn(chat, platform, task, thread, turn.user))
        except Exception as exc:  # a crash is a failed task with its reason, not a lost run
            run.error = f"{type(exc).__name__}: {exc}"
        run.retrieved = _searches(chat, platform, task, thread)
        run.touched = touched_rows(world.template_rows(), table_rows(platform.engine))
        run.state_hash = state_hash(run.touched)
        run.routing_rows = _routing_rows(platform.engine)
    run.cloud_bodies = cloud.since(mark) if cloud else []
    return run


def prepare_world(workdir: Path) -> World:
    """Seed the template and index the knowledge base for this run under `workdir` (once; every task copies
    the template and reads the index)."""
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    template = seed_template(workdir / "template.db", data_dir)
    index_knowledge(template, data_dir)
    return World(template=template, workdir=workdir, data_dir=data_dir)


def run_tasks(world: World, tasks: Iterable[Task], *, repeats: int = 1, model: ModelChoice = "router",
              progress: Callable[[int], None] = lambda _n: None, cloud: Cloud | None = None,
              policy: Policy | None = None) -> list[TaskRun]:
    """Every task `repeats` times (the expected state is replayed once per task)."""
    runs: list[TaskRun] = []
    for task in tasks:
        expected = expected_state(world, task)
        for repeat in range(repeats):
            runs.append(run_task(world, task, repeat=repeat, model=model, expected=expected, cloud=cloud,
                                 policy=policy))
            progress(1)
    return runs
