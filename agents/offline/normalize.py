"""Spanish text normalisation after `commerce.shared.text.fold` (case, accents): tokens, numbers written in
words, spelling variants, typo-tolerant comparison."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from commerce.shared.text import fold

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
# "k", "lukas" and "barras" are Colombian slang for thousands of pesos, "palos" for millions.
MULTIPLIERS = {
    "mil": 1000, "k": 1000, "luka": 1000, "lukas": 1000, "luca": 1000, "lucas": 1000, "barras": 1000,
    "millon": 1_000_000, "millones": 1_000_000, "palo": 1_000_000, "palos": 1_000_000,
}
# Counted groups: "una docena", "media docena", "un par de".
_GROUPS = {"docena": 12, "docenas": 12, "decena": 10, "decenas": 10}
# WhatsApp spelling → the word ("k hay d panela" → "que hay de panela"); "pa" is the everyday "para".
ABBREVIATIONS = {
    "q": "que", "k": "que", "ke": "que", "qe": "que", "d": "de", "x": "por", "xq": "porque", "pq": "porque",
    "xk": "porque", "porq": "porque", "xfa": "porfa", "xfavor": "porfa", "pls": "porfa", "plis": "porfa",
    "tb": "tambien", "tmb": "tambien", "tambn": "tambien", "dnd": "donde", "cn": "con", "pa": "para",
    "pal": "para", "info": "informacion", "msj": "mensaje", "bn": "bien", "xa": "para", "cuant": "cuanto",
}
_MONEY_AFTER = {"pesos", "peso", "cop", "mcte"}
_COUNT_AFTER = {"unidades", "unidad", "uds", "cajas", "paquetes", "bolsas", "piezas", "und", "unds"}
_SMALL_WORDS = UNITS | TENS | HUNDREDS
_CLAUSE_BREAK = re.compile(r"[,;:?!¿¡\n]+|\.(?!\d)")
_BEFORE_IMPERATIVE = frozenset({"me", "le", "les", "nos", "lo", "la", "y", "porfa", "favor", "pues", "entonces",
                                "mejor", "ahora", "bueno", "vea", "oiga", "parce", "listo"})
_CLITIC = re.compile(r"^(.{2,}?)([ae])(me|te|le|lo|la|les|los|las|nos|melo|mela|melos|melas|selo|sela|selos|selas)$")
# Usted/vos imperatives that do not follow the a↔e pattern, and their tú form.
_IRREGULAR = {
    "ponga": "pon", "pongale": "ponle", "pongalo": "ponlo", "pongala": "ponla", "poneme": "ponme", "ponele": "ponle",
    "haga": "haz", "hagame": "hazme", "hagale": "hazle", "haceme": "hazme", "hacele": "hazle", "digame": "dime",
    "diga": "di", "decime": "dime", "decile": "dile", "deme": "dame", "dele": "dale", "traigame": "traeme",
    "traiga": "trae", "vaya": "ve", "venga": "ven", "tenga": "ten",
}


@dataclass
class Utterance:
    """A message as tokens, with numbers (in digits or words) merged into one digit token each."""

    text: str
    tokens: list[str] = field(default_factory=list)
    money: set[int] = field(default_factory=set)  # indices of numbers written as money ($, mil, pesos…)
    clauses: list[int] = field(default_factory=lambda: [0])  # index where each comma/question clause starts
    past: set[str] = field(default_factory=set)  # words written with a final "ó" ("canceló"): a past event

    def number(self, i: int) -> float | None:
        tok = self.tokens[i] if 0 <= i < len(self.tokens) else ""
        return float(tok) if tok and tok[0].isdigit() else None

    def has(self, *words: str) -> bool:
        return any(w in self.tokens for w in words)

    def forms(self, i: int) -> tuple[str, ...]:
        """Token i and its other spellings (see `variants`)."""
        tok = self.tokens[i]
        imperative = i in self.clauses or (i > 0 and self.tokens[i - 1] in _BEFORE_IMPERATIVE)
        return variants(tok, imperative)

    def clause_spans(self) -> list[tuple[int, int]]:
        bounds = [*sorted(set(self.clauses)), len(self.tokens)]
        return [(a, b) for a, b in pairwise(bounds) if a < b]


def _canonical_digits(folded: str) -> tuple[str, set[str]]:
    """Colombian money uses "." for thousands ("41.900"); "1,2 millones" is a decimal. Also returns the
    numbers written with thousands separators: a price, unless units follow."""
    grouped: set[str] = set()

    def join(m: re.Match[str]) -> str:
        grouped.add(re.sub(r"[.,]", "", m.group()))
        return re.sub(r"[.,]", "", m.group())

    folded = _THOUSANDS.sub(join, folded)
    return _DECIMAL.sub(lambda m: f"{m.group(1)}.{m.group(2)}", folded), grouped


def _spell(raw: list[str]) -> list[str]:
    """Expand WhatsApp abbreviations and "k" for "qu" ("kiero" → "quiero"), and read counted groups."""
    out: list[str] = []
    for i, tok in enumerate(raw):
        if tok == "k" and i > 0 and raw[i - 1][0].isdigit():
            out.append(tok)  # "55k": thousands
            continue
        tok = ABBREVIATIONS.get(tok, tok)
        if len(tok) > 2 and tok[0] == "k" and tok[1] in "ei":
            tok = "qu" + tok[1:]
        if tok in _GROUPS:
            if out and out[-1] == "media":
                out[-1] = str(_GROUPS[tok] // 2)
                continue
            if out and out[-1] in ("una", "un"):
                out[-1] = str(_GROUPS[tok])
                continue
            if not out or not (out[-1][0].isdigit() or out[-1] in _SMALL_WORDS):
                out.append(str(_GROUPS[tok]))
                continue
        if tok == "par" and out and out[-1] in ("un", "una") and raw[i + 1 : i + 2] == ["de"]:
            out[-1] = "2"
            continue
        out.append(tok)
    return out


def parse(text: str) -> Utterance:
    """Fold, tokenise and turn number words ("mil doscientos", "100 mil", "$41.900") into digits."""
    digits, grouped = _canonical_digits(fold(text))
    utt = Utterance(text=text, clauses=[])
    for clause in _CLAUSE_BREAK.split(digits):
        raw = _spell(_TOKEN.findall(clause))
        if raw:
            utt.clauses.append(len(utt.tokens))
            _read_clause(utt, raw, grouped)
    utt.clauses = utt.clauses or [0]
    utt.past = {fold(w) for w in re.findall(r"\w+ó(?!\w)", text.lower())}
    return utt


def _read_clause(utt: Utterance, raw: list[str], grouped: set[str]) -> None:
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
            start = i
            value, i, scaled = _read_number(raw, i)
            # "100 mil", "2 mil" read as money; an order id ("orden mil uno") is taken before prices are.
            after = raw[i] if i < len(raw) else ""
            written_grouped = raw[start] in grouped and value >= 1000
            if ((scaled or written_grouped) and value >= 1000 and after not in _COUNT_AFTER) or after in _MONEY_AFTER:
                utt.money.add(len(utt.tokens))
            utt.tokens.append(_fmt(value))
            continue
        utt.tokens.append(raw[i])
        i += 1


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


@lru_cache(maxsize=16384)
def variants(token: str, imperative: bool = False) -> tuple[str, ...]:
    """Other spellings of the same request word: the tú imperative of an usted or vos one ("mándeme" →
    "mandame", "cancelen" → "cancela", "ponga" → "pon", "decime" → "dime") and the base of a diminutive
    ("bajito" → "bajo", "poquito" → "poco"). The token itself comes first. A bare "baje"/"mande" is read
    as an imperative only where one stands (`imperative`: the start of a clause, after "me", "le"…), so
    "queda" is never "quede"."""
    out = [token]
    if len(token) < 4 or not token.isalpha():
        return tuple(out)
    if token in _IRREGULAR:
        out.append(_IRREGULAR[token])
    clitic = _CLITIC.match(token)
    if clitic:
        out.append(clitic.group(1) + ("a" if clitic.group(2) == "e" else "e") + clitic.group(3))
    elif token[-1] in "ae" and imperative:
        out.append(token[:-1] + ("a" if token[-1] == "e" else "e"))
    elif token.endswith("en") and len(token) > 5 and imperative:
        out.extend((token[:-2] + "a", token[:-2] + "e"))  # ustedes: "cancelen", "manden", "muevan"
    out.extend(_undiminish(token))
    return tuple(dict.fromkeys(out))


def _undiminish(token: str) -> list[str]:
    m = re.match(r"^(.{2,}?)(qu|gu|c)?it([oa])(s?)$", token)
    if not m or len(token) < 6:
        return []
    base, joint, vowel, plural = m.groups()
    if joint == "qu":
        return [base + "c" + vowel + plural]  # "poquito" → "poco"
    if joint == "gu":
        return [base + "g" + vowel + plural]
    if joint == "c":
        return [base + plural, base + "c" + vowel + plural]  # "cafecito" → "cafe"
    return [base + vowel + plural, base + "o" + plural]  # "bajitas" → "bajas"/"bajos", "ahorita" → "ahora"
