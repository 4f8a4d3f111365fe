"""A knowledge answer from retrieved passages: the sentence(s) that answer the question, and their source.

The passages come from `search_knowledge` (best first). Each passage is cut into answer units
(sentences, list items, table rows) and each unit is scored against the question:

- the question's content words found in the unit, each weighted by how rare it is among the units
  of this answer (an inverse document frequency over the retrieved passages, so "días" decides
  between the sentences of a returns passage and "devolver", present everywhere, does not);
- the same words found only in the unit's heading path, at a lower weight (a heading names the
  topic its sentences answer: "Plazo para retractarte: 5 días hábiles");
- a question about an amount or a time ("¿cuántos días…?", "¿cuánto se demora…?", "¿plazo…?")
  prefers units that state a number;
- the retriever's order, as a small prior.

Words match after accent folding and the offline model's own normalisation (WhatsApp spelling),
by a shared 5-letter stem, the same singular, or a typo (`normalize.similar`). The best unit is
the answer; the next ones join it when they score close to it (a list of options across
passages), and a unit that introduces a list ("Puedes pagar con:") brings its items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from agents.offline.normalize import parse, similar, stem

NO_ANSWER = ("No tengo esa información en la base de conocimiento de MeStocker, así que no quiero "
             "inventarte una respuesta.")
OFFER_PERSON = "¿Quieres que te comunique con una persona del equipo de MeStocker?"

MAX_UNITS = 3  # an answer is a few sentences, not the chunk
CLOSE_TO_BEST = 0.8  # a second unit joins the answer when it scores this close to the best one
HEADING_WEIGHT = 0.5  # a word found only in the heading counts half: it names the topic, not the fact
NUMBER_BONUS = 1.0  # on the idf scale: about one rare word
RANK_PRIOR = 1.0  # the retriever's first passage gets this much, the next ones less (it ranks chunks better)
NEW_COVERAGE = 0.5  # another unit joins when it covers question words the answer lacks, this much of the best
MAX_LIST_ITEMS = 6
STEM = 5  # the same stem length the keyword retriever uses ("devolver", "devolución")

# Words that ask for an amount or a time: the answer is a unit with a number in it. They say what kind of
# answer is wanted, not what it is about, so they are not matched as content words.
_QUESTION_WORDS = ("cuant", "cuand", "demor", "tard", "dura", "tiempo", "plazo")
_NUMBER = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[¿¡\"«(A-ZÁÉÍÓÚÑ0-9])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_MARKUP = re.compile(r"\*\*|__|`")


@dataclass(eq=False)
class Unit:
    """One answer candidate: a sentence, a list item or a table row of a passage."""

    text: str
    passage: int  # rank of its passage in the retriever's answer
    words: frozenset[str]
    heading_words: frozenset[str]  # the whole heading path
    own_heading: frozenset[str]  # the passage's own (last) heading
    items: list[Unit] = field(default_factory=list)  # the list a "…:" sentence introduces
    item: bool = False
    neighbours: list[Unit] = field(default_factory=list)  # for a list item, the items of its list
    score: float = 0.0

    def extend(self, text: str) -> None:
        self.text += " " + text
        self.words = _words(self.text)


def compose_knowledge(passages: Sequence[Mapping[str, Any]], question: str) -> str:
    """The answer to `question` from the passages, with "Fuente: …" for each document it quotes."""
    usable = [p for p in passages if str(p.get("text") or "").strip()]
    units = [u for rank, p in enumerate(usable) for u in _units(p, rank)]
    if not units:
        return f"{NO_ANSWER} {OFFER_PERSON}"
    words = _content_words(question)
    asks_amount = any(w.startswith(_QUESTION_WORDS) for w in words)
    terms = [w for w in words if not w.startswith(_QUESTION_WORDS)] or words
    idf = _score(units, terms, asks_amount=asks_amount)
    chosen = _choose(units, terms, idf)
    chosen += _siblings(units, chosen, usable, terms)
    listed = {id(item) for u in chosen for item in u.items}
    shown = [u for u in units if u in chosen and id(u) not in listed]  # document order
    sources = dict.fromkeys(_citation(usable[u.passage]) for u in shown)
    lines = _render_all(shown, usable, asks_amount)
    return "\n".join(lines) + "\n\n" + "\n".join(s for s in sources if s)


def _citation(passage: Mapping[str, Any]) -> str:
    if passage.get("citation"):
        return str(passage["citation"])
    title = passage.get("title") or passage.get("source")
    return f"Fuente: {title}" if title else ""


def _blocks(text: str) -> list[tuple[str, str]]:
    """The passage as (kind, text) blocks: "para" (a paragraph, its wrapped lines joined), "item" (a list
    item) or "row" (a table row); headings inside a chunk are already in its heading path."""
    blocks: list[tuple[str, str]] = []
    for line in text.splitlines():
        clean = _MARKUP.sub("", line).strip()
        if not clean or set(clean) <= set("|-: ") or clean.startswith("#"):
            blocks.append(("gap", ""))
        elif clean.startswith("|"):
            blocks.append(("row", clean))
        elif _LIST_ITEM.match(clean):
            blocks.append(("item", _LIST_ITEM.sub("", clean)))
        elif blocks and blocks[-1][0] in ("para", "item"):
            blocks[-1] = (blocks[-1][0], f"{blocks[-1][1]} {clean}")  # Markdown wraps lines
        else:
            blocks.append(("para", clean))
    return [b for b in blocks if b[0] != "gap"]


def _units(passage: Mapping[str, Any], rank: int) -> list[Unit]:
    path = str(passage.get("heading_path") or "")
    heading, own = _words(path), _words(path.rpartition(" > ")[2])
    units: list[Unit] = []
    run: list[Unit] = []  # the list items being read, side by side
    intro: Unit | None = None  # the sentence ending in ":" whose list is being read
    header: list[str] = []  # the first row of the table being read
    for kind, text in _blocks(str(passage.get("text") or "")):
        if kind == "row":
            cells = [cell.strip() for cell in text.strip("|").split("|")]
            if not header:
                header = cells
                continue
            text = _row(header, cells)
        else:
            header = []
        pieces = [text] if kind != "para" else _SENTENCE_END.split(text)
        made = [Unit(text=t.strip(), passage=rank, words=_words(t), heading_words=heading, own_heading=own,
                     item=kind == "item") for t in pieces if t.strip()]
        run = run + made if kind == "item" else []
        for item in run:
            item.neighbours = run
        if kind == "item" and intro is not None:
            intro.items.extend(made)
        elif kind != "item":
            intro = made[-1] if made and made[-1].text.endswith(":") else None
        units.extend(made)
    return [u for u in units if u.words]


def _row(header: list[str], cells: list[str]) -> str:
    """A table row read with its header: "Hasta 1 kg: Bogotá… $9.900; Ciudades intermedias $12.900"."""
    pairs = [f"{h} {c}" if h else c for h, c in zip(header[1:], cells[1:], strict=False)]
    return f"{cells[0]}: " + "; ".join(pairs) + "."


def _words(text: str) -> frozenset[str]:
    return frozenset(parse(text).tokens)


def _content_words(question: str) -> list[str]:
    from knowledge.retrieval import STOPWORDS  # the retriever's function words (a rule lives once)

    return list(dict.fromkeys(t for t in parse(question).tokens if t not in STOPWORDS and len(t) > 2))


@lru_cache(maxsize=65536)
def _same_word(term: str, word: str) -> bool:
    if term == word or stem(term) == stem(word):
        return True
    if len(term) >= STEM and len(word) >= STEM and term[:STEM] == word[:STEM]:
        return True
    return len(term) >= STEM and similar(term, word)


def _found(term: str, words: frozenset[str]) -> bool:
    return any(_same_word(term, w) for w in words)


def _score(units: list[Unit], terms: list[str], *, asks_amount: bool) -> dict[str, float]:
    n = len(units)
    idf = {t: math.log((n + 1) / (sum(_found(t, u.words | u.heading_words) for u in units) + 0.5)) for t in terms}
    for u in units:
        in_text = [t for t in terms if _found(t, u.words)]
        in_heading = [t for t in terms if t not in in_text and _found(t, u.heading_words)]
        u.score = sum(idf[t] for t in in_text) + HEADING_WEIGHT * sum(idf[t] for t in in_heading)
        if asks_amount and _NUMBER.search(u.text):
            u.score += NUMBER_BONUS
        u.score += RANK_PRIOR / (1 + u.passage)
    return idf


def _choose(units: list[Unit], terms: list[str], idf: dict[str, float]) -> list[Unit]:
    """The best unit, then units that answer what it leaves out (a two-part question), best gain first."""
    best = max(units, key=lambda u: u.score)
    chosen = [best]
    covered = {t for t in terms if _found(t, best.words | best.own_heading)}
    enough = NEW_COVERAGE * sum(idf[t] for t in covered)
    while len(chosen) < MAX_UNITS:
        gains = [(sum(idf[t] for t in terms if t not in covered and _found(t, u.words)), u.score, i)
                 for i, u in enumerate(units) if u not in chosen]
        gain, _, at = max(gains, default=(0.0, 0.0, -1))
        if gain <= 0 or gain < enough:
            break
        chosen.append(units[at])
        covered |= {t for t in terms if _found(t, units[at].words)}
    return chosen


def _parent(passage: Mapping[str, Any]) -> str:
    return str(passage.get("heading_path") or "").rpartition(" > ")[0]


def _siblings(units: list[Unit], chosen: list[Unit], passages: Sequence[Mapping[str, Any]],
              terms: list[str]) -> list[Unit]:
    """Options listed side by side (items of one list; PayU, MercadoPago, Nequi under "Medios
    disponibles"): when another item, or another retrieved passage under the same section, matches every
    question word the answer matched, it joins (its best unit), so "¿qué medios de pago hay?" lists them
    all and "¿puedo pagar con Nequi?" only Nequi."""
    best = chosen[0]
    wanted = {t for t in terms if _found(t, best.words | best.heading_words)}
    extra = [u for u in best.neighbours if u not in chosen and wanted <= {t for t in terms
                                                                        if _found(t, u.words | u.heading_words)}]
    parent = _parent(passages[best.passage])
    if " > " not in parent:
        return extra  # a document's sections are different topics; a section's subsections are options
    for rank, passage in enumerate(passages):
        if rank in {u.passage for u in chosen} or _parent(passage) != parent:
            continue
        own = [u for u in units if u.passage == rank]
        if own and all(any(_found(t, u.words | u.heading_words) for u in own) for t in wanted):
            extra.append(max(own, key=lambda u: u.score))
    return extra


def _render_all(shown: list[Unit], passages: Sequence[Mapping[str, Any]], asks_amount: bool) -> list[str]:
    """One line per unit; a passage whose heading states the amount asked ("Ciudades intermedias: 2 a 4
    días hábiles") and whose quoted sentences do not, is introduced by that heading."""
    lines, introduced = [], set()
    for u in shown:
        heading = str(passages[u.passage].get("heading_path") or "").rpartition(" > ")[2]
        quoted = [v for v in shown if v.passage == u.passage]
        if (asks_amount and u.passage not in introduced and _NUMBER.search(heading)
                and not any(_NUMBER.search(v.text) for v in quoted)):
            lines.append(f"{heading}.")
        introduced.add(u.passage)
        lines.append(_render(u))
    return lines


def _render(unit: Unit) -> str:
    if unit.item:
        return f"• {unit.text}"
    if not unit.items:
        return unit.text
    return unit.text + "\n" + "\n".join(f"• {item.text}" for item in unit.items[:MAX_LIST_ITEMS])
