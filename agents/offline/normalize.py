"""Spanish text normalisation: accents, tokens, numbers written in words, typo-tolerant comparison."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)")
_DECIMAL = re.compile(r"(\d+)[.,](\d+)")
_TOKEN = re.compile(r"\$|\d+(?:\.\d+)?|[a-z]+")

UNITS = {
    "cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiun": 21,
    "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}
TENS = {"treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90}
HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300, "trescientas": 300,
    "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500, "seiscientos": 600,
    "seiscientas": 600, "setecientos": 700, "setecientas": 700, "ochocientos": 800, "ochocientas": 800,
    "novecientos": 900, "novecientas": 900,
}
MULTIPLIERS = {"mil": 1000, "k": 1000, "millon": 1_000_000, "millones": 1_000_000, "palos": 1_000_000}
_MONEY_AFTER = {"pesos", "peso", "cop", "mcte"}
_COUNT_AFTER = {"unidades", "unidad", "uds", "cajas", "paquetes", "bolsas", "piezas", "und", "unds"}
_SMALL_WORDS = UNITS | TENS | HUNDREDS


def fold(text: str) -> str:
    """Lower-case and strip accents ("Bogotá" → "bogota", "Nariño" → "narino")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass
class Utterance:
    """A message as tokens, with numbers (in digits or words) merged into one digit token each."""

    text: str
    tokens: list[str] = field(default_factory=list)
    money: set[int] = field(default_factory=set)  # indices of numbers written as money ($, mil, pesos…)

    def number(self, i: int) -> float | None:
        tok = self.tokens[i] if 0 <= i < len(self.tokens) else ""
        return float(tok) if tok and tok[0].isdigit() else None

    def has(self, *words: str) -> bool:
        return any(w in self.tokens for w in words)


def _canonical_digits(folded: str) -> str:
    # Colombian money uses "." for thousands ("41.900"); "1,2 millones" is a decimal.
    folded = _THOUSANDS.sub(lambda m: re.sub(r"[.,]", "", m.group()), folded)
    return _DECIMAL.sub(lambda m: f"{m.group(1)}.{m.group(2)}", folded)


def parse(text: str) -> Utterance:
    """Fold, tokenise and turn number words ("mil doscientos", "100 mil", "$41.900") into digits."""
    raw = _TOKEN.findall(_canonical_digits(fold(text)))
    utt = Utterance(text=text)
    i = 0
    while i < len(raw):
        if raw[i] == "$":
            i += 1
            if i < len(raw) and raw[i][0].isdigit():
                value, i, _ = _read_number(raw, i)
                utt.money.add(len(utt.tokens))
                utt.tokens.append(_fmt(value))
            continue
        if _starts_number(raw, i):
            value, i, scaled = _read_number(raw, i)
            # "100 mil", "2 mil" read as money; an order id ("orden mil uno") is taken before prices are.
            after = raw[i] if i < len(raw) else ""
            if (scaled and value >= 1000 and after not in _COUNT_AFTER) or after in _MONEY_AFTER:
                utt.money.add(len(utt.tokens))
            utt.tokens.append(_fmt(value))
            continue
        utt.tokens.append(raw[i])
        i += 1
    return utt


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _starts_number(raw: list[str], i: int) -> bool:
    tok = raw[i]
    if tok[0].isdigit() or tok in _SMALL_WORDS:
        return True
    # "mil pesos", "un millón" — a multiplier can start a number by itself.
    return tok in ("mil", "millon") and i + 1 < len(raw)


def _read_number(raw: list[str], i: int) -> tuple[float, int, bool]:
    """Read one number starting at raw[i]; return (value, next index, used a multiplier)."""
    total, current, scaled = 0.0, 0.0, False
    last = 0.0  # value of the previous word of this group: "dos tres" is two numbers, "ciento veinte" one
    while i < len(raw):
        tok = raw[i]
        if tok[0].isdigit():
            if last:
                break
            current += float(tok)
            last = float("inf")
        elif tok in _SMALL_WORDS:
            value = _word_value(tok)
            if last and value >= last:
                break
            current += value
            last = value
        elif tok == "y" and 20 <= last < 100 and i + 1 < len(raw) and raw[i + 1] in UNITS:
            last = 10  # "treinta y cinco": the unit may follow
        elif tok in MULTIPLIERS and (current or tok in ("mil", "millon")):
            mult = MULTIPLIERS[tok]
            if mult == 1000:
                total += (current or 1) * 1000
            else:
                total = (total + (current or 1)) * mult
            current, scaled, last = 0.0, True, 0.0
        else:
            break
        i += 1
    return total + current, i, scaled


def _word_value(tok: str) -> int:
    return UNITS.get(tok) or TENS.get(tok) or HUNDREDS.get(tok) or 0


def stem(token: str) -> str:
    """Crude Spanish singular: "audifonos" → "audifono", "cargadores" → "cargador"."""
    if len(token) > 4 and token.endswith("es") and token[-3] in "rlndz":
        return token[:-2]
    if len(token) > 3 and token.endswith("s"):
        return token[:-1]
    return token


@lru_cache(maxsize=8192)
def phonetic(token: str) -> str:
    """A Spanish sound key so "barranquiya" ≈ "barranquilla" and "medeyin" ≈ "medellin"."""
    t = token.replace("ch", "x").replace("ll", "y").replace("qu", "k").replace("h", "")
    t = re.sub(r"c([ei])", r"s\1", t).replace("c", "k").replace("z", "s").replace("v", "b")
    t = re.sub(r"g([ei])", r"j\1", t)
    return re.sub(r"(.)\1+", r"\1", t)


@lru_cache(maxsize=65536)
def distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (adjacent transpositions count as one edit)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def allowed_edits(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def similar(token: str, word: str) -> bool:
    """True when `token` is `word` with a typo, a missing accent or a Spanish spelling slip."""
    if token == word:
        return True
    if token[:1] != word[:1] and phonetic(token)[:1] != phonetic(word)[:1]:
        return False  # first letters are rarely wrong; this keeps "casa" from matching "pasa"
    budget = allowed_edits(word)
    if budget and abs(len(token) - len(word)) <= budget and distance(token, word) <= budget:
        return True
    return phonetic(token) == phonetic(word) and len(word) >= 4


def starts_like(token: str, stem_: str) -> bool:
    """Prefix match tolerant to one typo: "inventaro" and "invetario" start like "inventari"."""
    if token.startswith(stem_):
        return True
    if len(stem_) < 5 or len(token) < len(stem_) - 1:
        return False
    return any(similar(token[:n], stem_) for n in (len(stem_) - 1, len(stem_), len(stem_) + 1) if n <= len(token))
