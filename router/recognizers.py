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
from router.nlp import LANGUAGE, fold

# Bump whenever a pattern, score or context word changes: it is logged with every decision.
RECOGNIZER_SET_VERSION = "co-es-2026.11.2"

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
_REFERENCE = r"(?:n[úu]mero|no\.?|nro\.?|n[°º]\.?|#|es|:|de)"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def is_money_or_quantity(text: str, start: int, end: int) -> bool:
    """True when the number at text[start:end] reads as a price or a quantity."""
    before = fold(text[max(0, start - 14) : start])
    after = fold(text[end : end + 12])
    return bool(_MONEY_BEFORE.search(before) or _MONEY_AFTER.match(after))


def luhn_ok(number: str) -> bool:
    """Luhn checksum used by payment cards."""
    digits = [int(d) for d in _digits(number)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


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
_ID_NUMBER = r"(?P<value>\d{1,3}(?:\.\d{3}){1,3}|\d{6,10})"


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

    _MOBILE = _rx(r"(?<![\w$.,/#+-])(?P<value>" + _PHONE_PREFIX + r"3\d{2}[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2})" + _END)

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
        r"(?<![\w$.,/#+-])(?P<value>" + _PHONE_PREFIX + r"\(?60[124-8]\)?[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2})" + _END
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
            rules=[Rule("co_address", self._ADDRESS, 0.85)],
            context=["direccion", "dir", "vivo", "entrega", "entregar", "envio", "enviar", "domicilio", "barrio"],
            reject_money=False,
        )


class BankAccountRecognizer(RegexRecognizer):
    """Bank account numbers have no format of their own: only context ("cuenta de ahorros",
    a bank's name) makes a run of 8–16 digits one."""

    _ACCOUNT = _rx(_START + r"(?P<value>\d{3,4}[\s-]\d{2,8}[\s-]\d{1,6}|\d{8,16})" + _END)

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


_NAME = r"(?-i:[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+)"
_CONNECTOR = r"(?:\s+(?-i:de|del|de\s+la|de\s+los))?"


class PersonRecognizer(RegexRecognizer):
    """Names introduced as names ("me llamo…", "a nombre de…"); the blank pipeline has no NER."""

    def __init__(self) -> None:
        names = _NAME + r"(?:" + _CONNECTOR + r"\s+" + _NAME + r"){0,3}"
        intro = r"\b(?:me\s+llamo|mi\s+nombre\s+es|a\s+nombre\s+de|(?:destinatari[oa]|recibe|titular|nombre)\s*:)"
        super().__init__(
            name="CoPersonRecognizer",
            entities=[PERSON],
            rules=[
                Rule("introduced_name", _rx(intro + r"\s*(?P<value>" + names + r")"), 0.7),
                Rule("soy_full_name", _rx(r"\bsoy\s+(?P<value>" + _NAME + r"(?:\s+" + _NAME + r"){1,3})"), 0.6),
            ],
            context=["nombre", "llamo", "destinatario", "titular"],
            reject_money=False,
        )


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer with the public-suffix snapshot bundled in tldextract."""

    _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def __init__(self) -> None:
        super().__init__(supported_language=LANGUAGE, context=["correo", "email", "e-mail", "mail", "electronico"])

    def validate_result(self, pattern_text: str) -> bool:
        return self._EXTRACT(pattern_text).fqdn != ""


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
        spanish_credit_card_recognizer(),
    ]


def context_vocabulary(recognizers: Iterable[EntityRecognizer]) -> set[str]:
    """All context words, so the NLP engine never drops them as stop words."""
    return {word for recognizer in recognizers for word in (recognizer.context or [])}
