"""Which tool a message asks for: each rule's keyword family, then its cues, then the threshold and priority."""

from __future__ import annotations

from agents.offline.decision import ThreadContext
from agents.offline.extract import Entities
from agents.offline.keywords import phrase_at
from agents.offline.normalize import Utterance
from agents.offline.rules import THRESHOLD, Reading, ToolRule
from agents.offline.tools import RULES


def keyword_scores(utt: Utterance) -> dict[str, float]:
    """Sum of the weights of the keyword families present in the message, per tool."""
    scores: dict[str, float] = {}
    for tool, rule in RULES.items():
        total = sum(weight for phrase, weight in rule.keywords if phrase_at(utt, phrase, rule.past_is_state) >= 0)
        if total:
            scores[tool] = total
    return scores


def scores(utt: Utterance, ents: Entities, ctx: ThreadContext) -> dict[str, float]:
    """Keyword scores per tool, adjusted by each rule's cues (the structure of the message, what it states)."""
    reading = Reading(utt=utt, ents=ents, ctx=ctx, keywords=keyword_scores(utt))
    adjusted = dict(reading.keywords)
    for tool, rule in RULES.items():
        score = _with_cues(rule, reading)
        if score is not None:
            adjusted[tool] = score
    return adjusted


def _with_cues(rule: ToolRule, reading: Reading) -> float | None:
    """The rule's score after its cues, in their order; None while nothing scores the tool."""
    score = reading.keywords.get(rule.tool)
    for cue in rule.cues:
        if (score is not None or not cue.scored_only) and cue.applies(reading):
            score = (score or 0.0) + cue.weight
    return score


def best(scores: dict[str, float]) -> str | None:
    """The highest score, ties to the higher priority; None below the threshold."""
    if not scores:
        return None
    tool = max(scores, key=lambda t: (scores[t], RULES[t].priority))
    return tool if scores[tool] >= THRESHOLD else None
