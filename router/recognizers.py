"""Colombian PII recognizers for Presidio, with Spanish context words.

Scores follow one convention (see router/nlp.py): a candidate needs 0.5 to count. Formats that
identify an entity on their own (a NIT whose DIAN check digit is right, a valid mobile number, a
street address) score above it; ambiguous formats (a bare 8-digit number could be a cédula, an
account, a quantity) start at 0.1–0.3 and only pass when Presidio finds one of the recognizer's
context words near them (+0.4). Money and quantities ("$1.500.000", "1.500.000 pesos",
"1200 unidades") are rejected before scoring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
import tldextract
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, EmailRecognizer

from commerce.shared.nit import check_digit
from router.names import AMBIGUOUS_NAMES, COMPANY_WORDS, FIRST_NAMES, is_name_word
from router.nlp import LANGUAGE, fold

# Bump whenever a pattern, score or context word changes: it is logged with every decision.
RECOGNIZER_SET_VERSION = "co-es-2026.11.3"

CO_NIT = "CO_NIT"
CO_NIT_PERSONA = "CO_NIT_PERSONA"
CO_CEDULA = "CO_CEDULA"
CO_CEDULA_EXTRANJERIA = "CO_CEDULA_EXTRANJERIA"
CO_MOBILE = "CO_MOBILE"
CO_WALLET_MOBILE = "CO_WALLET_MOBILE"
CO_LANDLINE = "CO_LANDLINE"
CO_ADDRESS = "CO_ADDRESS"
CO_BANK_ACCOUNT = "CO_BANK_ACCOUNT"
CREDIT_CARD = "CREDIT_CARD"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PERSON = "PERSON"

ALL_ENTITIES = (
    CO_NIT, CO_NIT_PERSONA, CO_CEDULA, CO_CEDULA_EXTRANJERIA, CO_MOBILE, CO_WALLET_MOBILE,
    CO_LANDLINE, CO_ADDRESS, CO_BANK_ACCOUNT, CREDIT_CARD, EMAIL_ADDRESS, PERSON,
)  # fmt: skip

# Numbers glued to letters, currency, hyphens or decimal separators belong to something else
# (SKU "CAF-001", order "ORD-1001", "$41.900", "2,5").
_START = r"(?<![\w$.,/#-])"
_END = r"(?![\w-]|[.,]\d)"
_MONEY_BEFORE = re.compile(r"(?:\$|\bcop|\busd|\bprecio(?:\s+de)?|\bvalor(?:\s+de)?|\bvale|\bcuesta)\s*:?\s*$")
_MONEY_AFTER = re.compile(
    r"^\s*(?:pesos|cop\b|mil\b|millones|mill?\b|usd\b|d[oó]lares|unidades|unds?\b|uds?\b|kg\b|kilos|gr?\b|gramos"
    r"|ml\b|litros|cajas|paquetes|%|x\b)"
)
_REFERENCE = r"(?:n[úu]mero|no\.?|nro\.?|n[°º]\.?|#|es|:|de|la|el)"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def is_money_or_quantity(text: str, start: int, end: int) -> bool:
    """True when the number at text[start:end] reads as a price or a quantity."""
    before = fold(text[max(0, start - 14) : start])
    after = fold(text[end : end + 12])
    return bool(_MONEY_BEFORE.search(before) or _MONEY_AFTER.match(after))


@dataclass(frozen=True)
class Rule:
    """One regex of a recognizer; the span reported is the `value` group when the regex has one."""

    name: str
    regex: re.Pattern[str]
    score: float


Scorer = Callable[[str, str, int, int, float], "tuple[str, float] | None"]


class RegexRecognizer(LocalRecognizer):
    """A compiled-regex recognizer with a hook deciding entity type and score per match."""

    def __init__(
        self,
        *,
        name: str,
        entities: Sequence[str],
        rules: Sequence[Rule],
        context: Sequence[str],
        reject_money: bool = True,
    ) -> None:
        self.rules = tuple(rules)
        self.recognizer_name: str = name
        self.reject_money = reject_money
        super().__init__(
            supported_entities=list(entities),
            name=name,
            supported_language=LANGUAGE,
            context=list(context),
        )

    def load(self) -> None:  # nothing to load: the regexes are compiled at import
        return None

    def judge(self, value: str, text: str, start: int, end: int, score: float) -> tuple[str, float] | None:
        """Return (entity type, score) for a candidate, or None to drop it."""
        return self.supported_entities[0], score

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for rule in self.rules:
            for match in rule.regex.finditer(text):
                start, end = match.span("value") if "value" in rule.regex.groupindex else match.span()
                if self.reject_money and is_money_or_quantity(text, start, end):
                    continue
                judged = self.judge(text[start:end], text, start, end, rule.score)
                if judged is None or (entities and judged[0] not in entities):
                    continue
                results.append(self._result(judged[0], start, end, judged[1], rule))
        return EntityRecognizer.remove_duplicates(results)

    def _result(self, entity: str, start: int, end: int, score: float, rule: Rule) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.recognizer_name, original_score=score, pattern_name=rule.name, pattern=rule.regex.pattern
        )
        return RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.recognizer_name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


class NitRecognizer(RegexRecognizer):
    """NIT with DV: the DIAN check digit decides. Legal entities have 9-digit bases starting 8/9;
    anything else is a natural person's NIT, i.e. their cédula (CO_NIT_PERSONA)."""

    _WITH_DV = _rx(_START + r"(?P<value>(?:\d{1,3}(?:\.\d{3}){1,4}|\d{5,15})\s?-\s?\d)" + _END)
    _WITHOUT_DV = _rx(_START + r"(?P<value>[89]\d{2}\.?\d{3}\.?\d{3})" + _END)

    def __init__(self) -> None:
        super().__init__(
            name="CoNitRecognizer",
            entities=[CO_NIT, CO_NIT_PERSONA],
            rules=[Rule("nit_dv", self._WITH_DV, 0.9), Rule("nit_context", self._WITHOUT_DV, 0.1)],
            context=["nit", "rut", "dv", "digito", "verificacion", "dian", "tributario", "empresa", "razon"],
        )

    def judge(self, value: str, text: str, start: int, end: int, score: float) -> tuple[str, float] | None:
        if "-" in value:
            base, dv = _digits(value.split("-")[0]), _digits(value.split("-")[1])
            if not 5 <= len(base) <= 15 or check_digit(base) != int(dv):
                return None
        else:
            base = _digits(value)
        legal_entity = len(base) == 9 and base[0] in "89"
        return (CO_NIT if legal_entity else CO_NIT_PERSONA), score


_CC_WORD = r"(?:\bc[ée]dula(?!\s+de\s+extranjer)(?:\s+de\s+ciudadan[íi]a)?|\bcc\b|(?-i:\bC\.\s?C\.?)|\bc\.c\.)"
_CE_WORD = r"(?:\bc[ée]dula\s+de\s+extranjer[íi]a|(?-i:\bCE\b|\bC\.\s?E\.?))"
# Between "cédula"/"CC" and the number: "de ciudadanía", "número", "No.", "#", "es", ":".
_KEYWORD_GAP = r"\W{0,3}(?:" + _REFERENCE + r"\W{0,2}){0,3}"
_SPACED_ID_NUMBER = r"(?P<value>\d{1,3}(?: \d{3}){2,3})"
_ID_NUMBER = r"(?P<value>\d{1,3}(?:\.\d{3}){1,3}|\d{1,3}(?:-\d{3}){2,3}|\d{6,10})"


class CedulaRecognizer(RegexRecognizer):
    """Cédula de ciudadanía: sure after "cédula"/"CC"/"C.C."; a dotted or bare number needs context."""

    def __init__(self) -> None:
        super().__init__(
            name="CoCedulaRecognizer",
            entities=[CO_CEDULA],
            rules=[
                Rule("cc_keyword", _rx(_CC_WORD + _KEYWORD_GAP + _ID_NUMBER + _END), 0.9),
                # After the keyword, digit groups separated by spaces ("1 020 304 050") are safe to read.
                Rule("cc_keyword_spaced", _rx(_CC_WORD + _KEYWORD_GAP + _SPACED_ID_NUMBER + _END), 0.9),
                Rule("cc_dotted", _rx(_START + r"(?P<value>\d{1,3}(?:\.\d{3}){1,3})" + _END), 0.3),
                Rule("cc_bare", _rx(_START + r"(?P<value>\d{6,10})" + _END), 0.1),
            ],
            context=["cedula", "cc", "c.c.", "c.c", "documento", "identificacion", "identidad", "ciudadania", "ced"],
        )

    def judge(self, value: str, text: str, start: int, end: int, score: float) -> tuple[str, float] | None:
        return (CO_CEDULA, score) if 6 <= len(_digits(value)) <= 10 else None


class CedulaExtranjeriaRecognizer(RegexRecognizer):
    """Cédula de extranjería: only with its name or the "CE"/"C.E." abbreviation."""

    def __init__(self) -> None:
        number = r"(?P<value>\d{1,3}(?:\.\d{3}){1,2}|\d{4,10})"
        super().__init__(
            name="CoCedulaExtranjeriaRecognizer",
            entities=[CO_CEDULA_EXTRANJERIA],
            rules=[Rule("ce_keyword", _rx(_CE_WORD + _KEYWORD_GAP + number + _END), 0.95)],
            context=["extranjeria", "extranjero", "migracion", "ce", "c.e."],
        )


_PHONE_PREFIX = r"(?:\(?\+?57\)?[\s.-]?)?"
_WALLET = re.compile(r"\b(?:nequi|daviplata|movii|transfiya|billetera|llave\s+bre-?b)\b")


class MobileRecognizer(RegexRecognizer):
    """Colombian mobiles (3xx, 10 digits, optional +57); near a wallet name they are financial."""

    # "310 555 1234", "(310) 555-12-34", and digit by digit or in pairs: "3 1 0 5 5 5 1 2 3 4", "31 05 55 12 34".
    _MOBILE = _rx(
        r"(?<![\w$.,/#+-])(?P<value>" + _PHONE_PREFIX + r"(?:\(?3\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2}"
        r"|(?:3(?:[\s.-]\d){9}|3\d(?:[\s.-]\d{2}){4})(?![\s.-]\d)))" + _END
    )

    def __init__(self) -> None:
        super().__init__(
            name="CoMobileRecognizer",
            entities=[CO_MOBILE, CO_WALLET_MOBILE],
            rules=[Rule("co_mobile", self._MOBILE, 0.75)],
            context=["celular", "cel", "movil", "whatsapp", "wsp", "telefono", "tel", "numero", "llamar", "contacto"],
        )

    def judge(self, value: str, text: str, start: int, end: int, score: float) -> tuple[str, float] | None:
        try:
            parsed = phonenumbers.parse(value, "CO")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number_for_region(parsed, "CO"):
            return None
        window = fold(text[max(0, start - 50) : end + 50])
        return (CO_WALLET_MOBILE if _WALLET.search(window) else CO_MOBILE), score


class LandlineRecognizer(RegexRecognizer):
    """Fixed lines since the 2021 numbering plan: 60 + area digit + 7 digits."""

    _LANDLINE = _rx(
        r"(?<![\w$.,/#+-])(?P<value>" + _PHONE_PREFIX + r"(?:\(?60[124-8]\)?[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2}"
        r"|6[\s.-]0[\s.-][124-8](?:[\s.-]\d){7}(?![\s.-]\d)))" + _END
    )

    def __init__(self) -> None:
        super().__init__(
            name="CoLandlineRecognizer",
            entities=[CO_LANDLINE],
            rules=[Rule("co_landline", self._LANDLINE, 0.6)],
            context=["fijo", "telefono", "tel", "pbx", "llamar", "extension", "ext", "oficina", "contacto"],
        )


_VIA = (
    r"(?:avenida\s+(?:calle|carrera)|av\.?\s*(?:calle|carrera|cra|cl|kr)|avenida|av|ak|ac|calle|cll|cl|carrera|cra"
    r"|kra|kr|cr|transversal|transv|tv|tr|diagonal|diag|dg|circular|circunvalar|autopista)"
)
_STREET_NUMBER = r"\d{1,3}\s?[a-z]?(?:\s?bis)?(?:\s?[a-z])?(?!\w)"
_STREET_NAME = r"(?-i:[A-ZÁÉÍÓÚÑ][\wáéíóúñ]+)(?:\s+(?-i:[A-ZÁÉÍÓÚÑ][\wáéíóúñ]+)){0,2}"
_QUADRANT = r"(?:\s+(?:sur|este|norte|oeste))?"
# The plate: "# 12-34", "No. 68D-35", and Medellín's "# 1 Sur-100" with the quadrant before the dash.
_HOUSE = (
    r"\s*(?:#|n[°º]\.?|no\.?|nro\.?|n[úu]mero)?\s*\d{1,3}\s?[a-z]?(?:\s?bis)?(?:\s+(?:sur|este))?"
    r"\s*[-–]\s*\d{1,3}\s?[a-z]?(?!\w)"
)
_UNIT = (
    r"(?:\s*,?\s*(?:apto|apartamento|apt|ap|int|interior|torre|casa|bloque|bl|oficina|of|local|piso|etapa|manzana|mz)"
    r"\.?\s*(?:\d{1,5}[a-z]?|[a-z])(?!\w))*"
)


# Caribbean-coast and housing-project style: "Mz 4 Casa 12", "manzana B lote 7", "Mz. 12A Cs 3".
_BLOCK_ADDRESS = (
    r"\b(?P<value>(?:manzana|mza|mz)\.?\s*(?:\d{1,3}\s?[a-z]?|[a-z])\s*,?\s*(?:casa|cs|lote|lt|apto|apartamento)\.?\s*"
    r"\d{1,4}\s?[a-z]?(?!\w)" + _UNIT + ")"
)


class AddressRecognizer(RegexRecognizer):
    """Colombian street addresses: via + number [letter][Bis][Sur|Este] # number-plate [Apto/Torre…]."""

    _ADDRESS = _rx(
        r"\b(?P<value>" + _VIA + r"\.?\s+(?:" + _STREET_NUMBER + "|" + _STREET_NAME + ")" + _QUADRANT + _HOUSE
        + _QUADRANT + _UNIT + ")"
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(
            name="CoAddressRecognizer",
            entities=[CO_ADDRESS],
            rules=[Rule("co_address", self._ADDRESS, 0.85), Rule("co_block_address", _rx(_BLOCK_ADDRESS), 0.75)],
            context=["direccion", "dir", "vivo", "entrega", "entregar", "envio", "enviar", "domicilio", "barrio"],
            reject_money=False,
        )


class BankAccountRecognizer(RegexRecognizer):
    """Bank account numbers have no format of their own: only context ("cuenta de ahorros",
    a bank's name) makes a run of 8–16 digits one."""

    _ACCOUNT = _rx(_START + r"(?P<value>\d{2,4}[\s-]\d{2,8}(?:[\s-]\d{1,6}){1,2}|\d{8,16})" + _END)

    def __init__(self) -> None:
        super().__init__(
            name="CoBankAccountRecognizer",
            entities=[CO_BANK_ACCOUNT],
            rules=[Rule("account_candidate", self._ACCOUNT, 0.1)],
            context=[
                "ahorros", "corriente", "cuenta", "cta", "bancolombia", "davivienda", "bbva", "banco", "bancaria",
                "consignar", "consignacion", "consigneme", "transferencia", "itau", "scotiabank", "colpatria",
                "villas", "occidente", "agrario", "popular", "pichincha", "falabella",
            ],
        )  # fmt: skip

    def judge(self, value: str, text: str, start: int, end: int, score: float) -> tuple[str, float] | None:
        return (CO_BANK_ACCOUNT, score) if 8 <= len(_digits(value)) <= 16 else None


_CAPITALISED = re.compile(r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+")
_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")
_OPTIONAL_SPACES = re.compile(r"\s*")
_CONNECTORS = ("de", "del", "la", "los", "las")
_COMPANY_SUFFIX = re.compile(r"\s*,?\s*(?:s\.?\s?a\.?\s?s\b\.?|ltda\b|s\.\s?a\.|e\.\s?u\.|&\s*c[ií]a)", re.IGNORECASE)


@dataclass(frozen=True)
class NameRule:
    """How strict the words after an introduction must be to read as a name."""

    lowercase: bool  # "me llamo andres felipe": lower-case words, each one from the gazetteer
    known: str  # "no": any capitalised words; "yes": a gazetteer word first; "or_multi": or two capitalised words;
    # "first": a common first name first ("con Sebastián", "habla Esteban": short introductions, strict names)
    connectors: bool = True  # "María de los Ángeles"


def take_name(text: str, pos: int, how: NameRule) -> tuple[int, int] | None:
    """The span of the name starting at text[pos:] (after spaces), or None when it is not one."""
    words: list[tuple[int, int, str]] = []  # (start, end, folded) of name words, connectors included
    mode: str | None = None
    cursor = pos
    while len([w for w in words if w[2] not in _CONNECTORS]) < 4:
        gap = (_SPACES if words else _OPTIONAL_SPACES).match(text, cursor)
        if gap is None:
            break
        match = _WORD.match(text, gap.end())
        if match is None:
            break
        word, folded = match.group(), fold(match.group())
        if mode is None:
            if _CAPITALISED.fullmatch(word):
                mode = "capitalised"
            elif how.lowercase and word.islower() and folded in FIRST_NAMES:
                mode = "lowercase"
            else:
                return None
        if folded in COMPANY_WORDS:
            if not words:
                return None
            break
        if mode == "capitalised":
            if folded in _CONNECTORS and how.connectors and words:
                words.append((match.start(), match.end(), folded))
                cursor = match.end()
                continue
            if not _CAPITALISED.fullmatch(word):
                break
        elif not (word.islower() and is_name_word(folded, capitalised=False)):
            break
        words.append((match.start(), match.end(), folded))
        cursor = match.end()
    while words and words[-1][2] in _CONNECTORS:
        words.pop()
    if not words or _COMPANY_SUFFIX.match(text, words[-1][1]):
        return None
    names = [w for w in words if w[2] not in _CONNECTORS]
    # The first word decides: "San José", "Santa Rosa" are places, "José Gómez" a person.
    known = is_name_word(names[0][2], capitalised=mode == "capitalised")
    if how.known == "yes" and not known:
        return None
    if how.known == "or_multi" and not known and len(names) < 2:
        return None
    if how.known == "first" and not (names[0][2] in FIRST_NAMES and names[0][2] not in AMBIGUOUS_NAMES):
        return None
    return words[0][0], words[-1][1]


_TITLE = (
    r"(?:se[ñn]or|se[ñn]ora|sr|sra|srta|se[ñn]orita|don|do[ñn]a|doctor|doctora|dr|dra|ingeniero|ingeniera|ing"
    r"|licenciad[oa]|profesor|profesora|profe)"
)
_RELATIVE = (
    r"mi\s+(?:herman[oa]|espos[oa]|mam[áa]|pap[áa]|mami|papi|hij[oa]|t[íi][oa]|prim[oa]|novi[oa]|vecin[oa]|amig[oa]"
    r"|jef[ea]|soci[oa]|suegr[oa]|cu[ñn]ad[oa]|sobrin[oa]|abuel[oa]|compa[ñn]er[oa]|pareja|mujer|marido)"
)
_SEP = r"[\s,.:;!¡-]*"
_ADDRESSING = (
    r"habla(?:s|n)?\s+con|hablo\s+con|(?:les?|te)\s+(?:escribe|saluda|habla)|pregunt(?:ar|e|en|a|o)\s+por"
    r"|comunicar(?:me|se|nos)?\s+con|(?:lo|la)\s+(?:recibe|recoge|reclama)|recibe|recoge|reclama"
    r"|entreg(?:ar|ue|uen)(?:le|selo|sela)?\s+a|contactar\s+a|atentamente|cordialmente|att|atte|saludos"
    r"|quedo\s+atent[oa]|gracias|(?:es|son|va|van)\s+para|a\s+la\s+atenci[óo]n\s+de"
)
# "El titular del pedido es …", "la que recibe es …", "el encargado de compras es …".
_ROLE = (
    r"(?:el|la)\s+(?:titular|destinatari[oa]|que\s+recibe|encargad[oa]|responsable|contacto)"
    r"(?:\s+(?:del?|de\s+la)\s+\w+)?\s+(?:es|ser[áa])"
)
_STRONG_INTRO = (
    r"me\s+llamo|mi\s+nombre\s+(?:es|:)|a\s+nombre\s+de|(?:destinatari[oa]|recibe|titular|nombre|cliente|contacto)\s*:"
)
_NAME_RULES: dict[str, NameRule] = {
    "introduced_name": NameRule(lowercase=True, known="no"),
    "soy_name": NameRule(lowercase=True, known="or_multi", connectors=False),
    "titled_name": NameRule(lowercase=False, known="or_multi"),
    "relative_name": NameRule(lowercase=False, known="or_multi"),
    "addressed_name": NameRule(lowercase=True, known="yes"),
    "role_name": NameRule(lowercase=True, known="or_multi"),
    "short_intro_name": NameRule(lowercase=False, known="first"),
}


class PersonRecognizer(RegexRecognizer):
    """Names introduced as names ("me llamo…", "a nombre de…", "hablas con…", "la señora…", "mi hermano…",
    "atentamente,…"); the blank pipeline has no NER. Weak introductions need a gazetteer name (router/names.py)."""

    def __init__(self) -> None:
        article = r"(?:(?:el|la)\s+)?"
        titled = _SEP + article + r"(?:" + _TITLE + r"\.?\s+)?"
        super().__init__(
            name="CoPersonRecognizer",
            entities=[PERSON],
            rules=[
                Rule("introduced_name", _rx(r"\b(?:" + _STRONG_INTRO + r")\s*"), 0.7),
                Rule("soy_name", _rx(r"\bsoy\s+"), 0.6),
                Rule("titled_name", _rx(r"\b" + _TITLE + r"\.?\s+"), 0.6),
                Rule("relative_name", _rx(r"\b" + _RELATIVE + r"\s*,?\s+"), 0.6),
                Rule("addressed_name", _rx(r"\b(?:" + _ADDRESSING + r")\b" + titled), 0.6),
                Rule("role_name", _rx(r"\b" + _ROLE + titled), 0.6),
                Rule("short_intro_name", _rx(r"\b(?:habla|con|yo)\s+"), 0.6),
            ],
            context=["nombre", "llamo", "destinatario", "titular"],
            reject_money=False,
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for rule in self.rules:
            for match in rule.regex.finditer(text):
                span = take_name(text, match.end(), _NAME_RULES[rule.name])
                if span is not None:
                    results.append(self._result(PERSON, span[0], span[1], rule.score, rule))
        return EntityRecognizer.remove_duplicates(results)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer with the public-suffix snapshot bundled in tldextract."""

    _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def __init__(self) -> None:
        super().__init__(supported_language=LANGUAGE, context=["correo", "email", "e-mail", "mail", "electronico"])

    def validate_result(self, pattern_text: str) -> bool:
        return self._EXTRACT(pattern_text).fqdn != ""


_TLD_WORD = r"(?:com|co|net|org|edu|gov|es|us|io|info|biz|me)"
_OBFUSCATED_EMAIL = _rx(
    r"(?<![\w.+-])(?P<value>[\w+-]+(?:\s*(?:\.|\bpunto\b)\s*[\w+-]+){0,4}"
    r"(?:\s+(?:@|arroba|\(at\)|\[at\])\s*|\s*(?:@|arroba|\(at\)|\[at\])\s+|\s*(?:\(at\)|\[at\])\s*)"
    r"[\w-]+(?:\s*(?:\.|\bpunto\b|\(dot\)|\[dot\])\s*[\w-]+){0,2}\s*(?:\.|\bpunto\b|\(dot\)|\[dot\])\s*"
    + _TLD_WORD
    + r")(?!\w)"
)


class ObfuscatedEmailRecognizer(RegexRecognizer):
    """Emails spelt out to dodge filters: "ana.rojas arroba gmail punto com", "ana @ gmail . com"."""

    _TRIGGER = re.compile(r"arroba|\s@|@\s|\(at\)|\[at\]", re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__(
            name="CoObfuscatedEmailRecognizer",
            entities=[EMAIL_ADDRESS],
            rules=[Rule("spelt_email", _OBFUSCATED_EMAIL, 0.7)],
            context=["correo", "email", "e-mail", "mail", "electronico"],
            reject_money=False,
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if not self._TRIGGER.search(text):  # the common case costs one scan
            return []
        return super().analyze(text, entities, nlp_artifacts)


def spanish_credit_card_recognizer() -> CreditCardRecognizer:
    """Presidio's Luhn-checked card recognizer with Spanish context words."""
    return CreditCardRecognizer(
        supported_language=LANGUAGE,
        context=["tarjeta", "credito", "debito", "visa", "mastercard", "amex", "diners", "tc", "td"],
    )


def build_recognizers() -> list[EntityRecognizer]:
    """Every recognizer of the current set (RECOGNIZER_SET_VERSION)."""
    return [
        NitRecognizer(),
        CedulaRecognizer(),
        CedulaExtranjeriaRecognizer(),
        MobileRecognizer(),
        LandlineRecognizer(),
        AddressRecognizer(),
        BankAccountRecognizer(),
        PersonRecognizer(),
        OfflineEmailRecognizer(),
        ObfuscatedEmailRecognizer(),
        spanish_credit_card_recognizer(),
    ]


def context_vocabulary(recognizers: Iterable[EntityRecognizer]) -> set[str]:
    """All context words, so the NLP engine never drops them as stop words."""
    return {word for recognizer in recognizers for word in (recognizer.context or [])}
