"""What the offline model knows about one tool, declared in one place: `ToolRule`.

A rule names the tool, its keyword family, the structural cues that move its score, its priority for
ties and the builder of its arguments. The rules live next to each other per agent in
`agents/offline/tools/`; the engine (`scoring.py`, `planner.py`) only reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import Utterance

# A keyword is a word stem ("cancel" matches "cancélalo", "cancelar") or, ending in "=", an exact word
# ("pasa=" does not match "pasada"); a phrase is words that must follow each other. Weights: see below.
Keywords = tuple[tuple[str, float], ...]
Builder = Callable[[Utterance, Entities, ThreadContext, Lexicon], Decision]
# After the tool's result: another tool the same answer needs ("¿puedo devolver el pedido 1003?" needs the
# order and the return policy), or None. The model runs it before composing (one call per model step).
Companion = Callable[[Utterance, Entities, ThreadContext, Lexicon], Decision | None]

# The weight scale every keyword and cue is written on. The best tool must reach THRESHOLD, so one clear
# keyword (1.5) is enough and one hint (0.5) never is.
THRESHOLD = 1.5
HINT = 0.5  # tips a tie between tools that both read the message; never decides alone
LEAN = 1.0  # one supporting sign
CLEAR = THRESHOLD  # enough on its own to choose the tool, with no keyword at all
STRONG = 2.0  # outweighs one ordinary keyword (1.5) of a competing tool
DECISIVE = 3.0  # outweighs a typical keyword of a competing tool (2–2.5)
OVERRIDE = 3.5  # as heavy as the heaviest single keyword (3.5): the structure wins over any one word


@dataclass(frozen=True)
class Reading:
    """What a cue may look at: the message, its entities, the thread, and the keyword scores alone."""

    utt: Utterance
    ents: Entities
    ctx: ThreadContext
    keywords: dict[str, float]


@dataclass(frozen=True)
class Cue:
    """When `applies`, the tool's score moves by `weight`. A `scored_only` cue adjusts a tool the message
    already leans to (a keyword or an earlier cue of the same rule) and never brings one in by itself."""

    applies: Callable[[Reading], bool]
    weight: float
    scored_only: bool = False


@dataclass(frozen=True)
class ToolRule:
    """One tool as the offline model reads it.

    `priority` breaks ties between equal scores: the more specific request wins (a cancellation mentions
    an order, not the other way round), so it must be distinct across rules. `past_is_state` makes a
    past form of the tool's verb a question about state ("¿se canceló?"), not an order to act.
    """

    tool: str
    keywords: Keywords
    build: Builder
    priority: int
    cues: tuple[Cue, ...] = field(default=())
    past_is_state: bool = False
    then: Companion | None = None
