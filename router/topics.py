"""Sensitive categories of Ley 1581 de 2012, art. 5, detected in Spanish chat text.

Matching runs on folded text (lower case, no accents) with stem-like alternations, so
"Diabética", "diabetica" and "DIABÉTICOS" match alike. Words that are also product vocabulary
("negro" the colour, "mochila wayuu", "lector de huella", "prueba de embarazo") only count when
a person is talking about themselves or someone close: a framing word ("tengo", "soy",
"mi mamá es", "pertenezco a") followed by at most a few filler words. Expressions that only
ever describe a person ("me diagnosticaron", "testigo de Jehová", "huella dactilar" with a
possessive) count on their own.
"""

from __future__ import annotations

import re
from typing import Final

from router.nlp import fold

HEALTH: Final = "health"
RELIGION: Final = "religion"
POLITICS: Final = "politics"
UNION: Final = "union_membership"
SEX_LIFE: Final = "sex_life"
BIOMETRICS: Final = "biometrics"
ETHNIC_ORIGIN: Final = "ethnic_origin"
ALL_TOPICS: Final = (HEALTH, RELIGION, POLITICS, UNION, SEX_LIFE, BIOMETRICS, ETHNIC_ORIGIN)

# Words allowed between a framing word and the term ("tengo [una] [enfermedad]", "soy [muy] católica").
_FILLER = (
    r"(?:\s+(?:un|una|el|la|los|las|mi|mis|su|sus|con|muy|mucha|mucho|ya|tambien|de|del|al|a|en|por|tipo|\d+|cronica"
    r"|cronico|severa|severo|leve|problemas?|principio|inicio|semanas|meses|anos|hace|desde|diagnostico))"
)


def _framed(framing: str, term: str, gap: int = 3) -> str:
    return rf"\b(?:{framing})\b{_FILLER}{{0,{gap}}}\s+(?:{term})\b"


_CLOSE = r"mi\s+(?:hij[oa]|mama|mami|papa|espos[oa]|mujer|marido|pareja|abuel[oa]|herman[oa]|ti[oa]|familia|bebe)"
_SELF = r"tengo|tenia|sufro|sufria|padezco|soy|estoy|ando|vivo\s+con|me\s+dio|me\s+dieron"
_OTHER = rf"(?:{_CLOSE})\s*,?\s+(?:que\s+)?(?:tiene|sufre|padece|es|esta)"

_CONDITIONS = (
    r"diabet\w*|hipertens\w*|cancer|leucemia|tumor\w*|vih|sida|asma\w*|epilep\w*|depresion|depresiv[oa]|ansiedad"
    r"|bipolar|esquizofreni\w*|autis\w*|tdah|alzheimer|parkinson|artritis|lupus|celiac[oa]|covid|tuberculosis"
    r"|hepatitis|migranas?|alergi\w*|alergic[oa]s?|discapacidad|discapacitad[oa]|embarazad[oa]|enferm[oa]s?"
    r"|enfermedad\w*|insuficiencia\s+renal|(?:presion|tension)\s+alta|obesidad|anorexia|bulimia|cardiopatia"
    r"|gastritis|colitis|fibromialgia|hipotiroidismo|dengue|fractura\w*|incapacidad\s+medica|quimio\w*|dialisis"
    r"|(?:un|una)\s+(?:cirugia|operacion)|operad[oa]|hospitalizad[oa]|convalecien\w*|lesion\w*"
    r"|insulinodependiente|insulino\s+dependiente|embarazo|incapacitad[oa]|sord[oa]s?|sordomud[oa]s?|cieg[oa]s?"
    r"|invidente|rehabilitacion|paciente\s+(?:oncologic[oa]|renal|cronic[oa]|psiquiatric[oa]|cardiac[oa])"
)
# Medicines only a patient takes, and what a medicine is "for": "tomo losartán", "me recetaron algo para la presión".
_TAKING = r"tomo|me\s+tomo|estoy\s+tomando|me\s+recetaron|me\s+formularon|me\s+mandaron|me\s+inyecto|me\s+aplico"
_MEDICINES = (
    r"losartan|enalapril|metformina|insulina|levotiroxina|eutirox|fluoxetina|sertralina|escitalopram|clonazepam"
    r"|alprazolam|quetiapina|risperidona|litio|carbamazepina|(?:acido\s+)?valproico|antirretroviral\w*|metotrexato"
    r"|warfarina|tamoxifeno|antidepresiv\w*|ansiolitic\w*|anticonvulsiv\w*|antipsicotic\w*|quimio\w*"
)
_TREATED = (
    r"presion|tension|azucar|diabetes|tiroides|depresion|ansiedad|corazon|colesterol|trigliceridos|epilepsia"
    r"|convulsiones|artritis|asma|vih|cancer|insomnio|migrana|esquizofrenia|bipolaridad|alzheimer|parkinson"
)
_SPECIALISTS = (
    r"psiquiatr\w*|psicolog\w*|oncolog\w*|cardiolog\w*|neurolog\w*|ginecolog\w*|endocrin\w*|nefrolog\w*"
    r"|reumatolog\w*|urolog\w*|infectolog\w*|gastroenterolog\w*|hematolog\w*|neumolog\w*|fisioterap\w*"
    r"|medic[oa]|doctor[a]?|especialista"
)
_HEALTH = [
    _framed(_SELF, _CONDITIONS),
    _framed(_OTHER, _CONDITIONS),
    r"\b(?:me|le|nos)\s+(?:diagnosticaron|detectaron|operaron|hospitalizaron|dieron\s+incapacidad)\b",
    r"\bembarazad[ao]\b|\b(?:mi|su)\s+embarazo\b|\bsemanas\s+de\s+embarazo\b",
    r"\b(?:historia|formula|orden|incapacidad|cita)\s+(?:clinica|medica)\b|\bmi\s+eps\b",
    r"\b(?:tratamiento|terapia|control)\s+(?:medico|psiquiatrico|psicologico|oncologico|de\s+quimio\w*)\b",
    r"\b(?:mi|su)\s+(?:psiquiatra|oncolog[oa]|cardiolog[oa]|medic[oa]\s+tratante)\b",
    r"\bvih\s+positivo\b|\bseropositiv[oa]\b",
    rf"\b(?:{_TAKING})\s+(?:\w+\s+){{0,2}}(?:{_MEDICINES})\b",
    rf"\b(?:{_TAKING})\s+(?:\w+\s+){{0,3}}para\s+(?:la|el|mi|las|los)\s+(?:{_TREATED})\b",
    rf"\b(?:cita|consulta|control|terapia|sesion)\s+(?:con\s+(?:el|la|mi)\s+|del?\s+(?:la\s+)?|en\s+)?(?:{_SPECIALISTS})\b",
    # Aids a shop also sells ("tengo sillas de ruedas") count only when the person is in them.
    r"\b(?:ando|estoy|camino|vivo|quede)\s+(?:en|con)\s+(?:muletas|silla\s+de\s+ruedas|yeso|cabestrillo|oxigeno)\b",
    r"\bme\s+(?:van\s+a\s+operar|hicieron\s+(?:una|la)\s+(?:cirugia|operacion|biopsia))\b",
]

_FAITHS = (
    r"catolic[oa]s?|cristian[oa]s?|evangelic[oa]s?|adventistas?|mormon(?:es|a)?|judi[oa]s?|musulman(?:es|a)?"
    r"|ateos?|ateas?|agnostic[oa]s?|budistas?|pentecostal(?:es)?|protestantes?|hindu|islamic[oa]s?|creyentes?"
)
_RELIGION = [
    _framed(r"soy|somos|me\s+considero|practico|nos\s+consideramos|(?:" + _CLOSE + r")\s+es", _FAITHS, gap=2),
    r"\btestig[oa]s?\s+de\s+jehova\b",
    r"\bmi\s+(?:iglesia|congregacion|parroquia|pastor|religion|fe|culto)\b",
    r"\b(?:por|de)\s+(?:mi|mis|nuestra|nuestras)\s+(?:religion|creencias?|fe)\b|\bcreencias\s+religiosas\b",
    r"\b(?:voy|vamos|va|van|ir|fui|fuimos|asisto|asistimos|asiste)\s+(?:a|al)\s+"
    r"(?:misa|(?:la\s+)?iglesia|(?:el\s+)?culto|la\s+sinagoga|la\s+mezquita|templo|(?:la\s+)?congregacion)\b",
    r"\bguardo\s+(?:el\s+)?(?:sabado|shabat)\b|\bayuno\s+de\s+ramadan\b",
]

_PARTIES = (
    r"pacto\s+historico|centro\s+democratico|partido\s+\w+(?:\s+\w+)?|cambio\s+radical|alianza\s+verde"
    r"|polo\s+democratico|colombia\s+humana|los\s+comunes|dignidad|creemos|la\s+u|el\s+mira|liga\s+de\s+gobernantes"
)
_POLITICS = [
    _framed(
        r"voto|vote|votare|votamos|votaria|votar|apoyo|apoye|milito|militante|simpatizo|simpatizante|afiliad[oa]"
        r"|miembro|soy|somos",
        _PARTIES,
        gap=2,
    ),
    r"\b(?:soy|somos)\s+(?:muy\s+)?(?:petrista|uribista|de\s+izquierda|de\s+derecha|comunista|socialista|"
    r"anarquista|fascista)s?\b",
    r"\bmi\s+(?:candidat[oa]|partido)\b|\b(?:ideas|opiniones|posicion|orientacion)\s+politicas?\b",
]

_UNIONS = r"sindicato\w*|sindical|sindicaliz\w*|fecode|cut|sintra\w+|asonal"
_UNION = [
    _framed(r"afiliad[oa]s?|pertenezco|pertenecemos|miembro|soy|somos|estoy|delegad[oa]|directiv[oa]|socio", _UNIONS),
    r"\bmi\s+sindicato\b|\b(?:fuero|cuota|permiso|afiliacion|asamblea)\s+sindical\b|\bsindicalistas?\b",
]

_SEX_LIFE = [
    r"\b(?:gay|gays|lesbianas?|bisexual(?:es)?|homosexual(?:es)?|transgenero|pansexual|asexual|queer)\b",
    r"\b(?:soy|es|mujer|hombre|persona)\s+trans\b",
    r"\b(?:orientacion|vida|identidad)\s+sexual\b|\b(?:relaciones|practicas|encuentros)\s+sexuales\b",
    r"\b(?:infeccion|enfermedad)\s+de\s+transmision\s+sexual\b|\b(?:its|ets)\b",
]

_BIOMETRIC_DATA = (
    r"huellas?(?!\s+(?:de\s+carbono|ecologica|hidrica|ambiental))|reconocimiento\s+facial|datos\s+biometricos"
    r"|(?:escaneo|lectura|registro)\s+(?:de(?:l|\s+mi|\s+su)?\s+)?iris|(?:patron|plantilla|registro)\s+de\s+voz|biometria"
)
_BIOMETRICS = [
    _framed(
        r"mi|mis|su|sus|tu|tus|nuestras?|tomar|tomaron|toman|registrar|registre|registraron|enviar|envie|escanear"
        r"|escanearon|capturar|capturaron|pidieron|piden|pide|pidio|dar|di|guardan|guardaron|usan|usaron|solicito"
        r"|solicitaron|exige|exigen|exigio|hicieron|validaron|verificaron",
        _BIOMETRIC_DATA,
        gap=2,
    ),
    r"\bdatos\s+biometricos\b",
    r"\bhuellas?\s+(?:dactilar|dactilares)\b",
]

_ETHNIC_GROUPS = (
    r"indigenas?|afro\w*|negr[oa]s?|raizal(?:es)?|palenquer[oa]s?|gitan[oa]s?|rrom|wayuu|embera|nasa|zenu|arhuac[oa]s?"
    r"|kogui|misak|wiwa|pijao|mestiz[oa]s?|mulat[oa]s?|zamb[oa]s?"
)
_ETHNIC = [
    _framed(
        r"soy|somos|pertenezco\s+a|pertenecemos\s+a|por\s+ser|me\s+reconozco\s+como|nos\s+reconocemos\s+como"
        r"|(?:" + _CLOSE + r")\s+es",
        _ETHNIC_GROUPS + r"|(?:la\s+|el\s+)?(?:comunidad|pueblo|etnia|resguardo|cabildo)\s+(?:" + _ETHNIC_GROUPS + ")",
        gap=2,
    ),
    r"\b(?:origen|pertenencia|autorreconocimiento|identidad)\s+(?:etnic[oa]|racial)\b|\bmi\s+(?:raza|etnia)\b",
    r"\b(?:afrocolombian[oa]s?|afrodescendientes?)\b",
    r"\b(?:mi|nuestr[oa]s?)\s+(?:comunidad|pueblo|resguardo|cabildo|etnia)\s+(?:" + _ETHNIC_GROUPS + r")\b",
]

_PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    topic: re.compile("|".join(f"(?:{p})" for p in patterns))
    for topic, patterns in (
        (HEALTH, _HEALTH),
        (RELIGION, _RELIGION),
        (POLITICS, _POLITICS),
        (UNION, _UNION),
        (SEX_LIFE, _SEX_LIFE),
        (BIOMETRICS, _BIOMETRICS),
        (ETHNIC_ORIGIN, _ETHNIC),
    )
}


def detect_topics(text: str) -> tuple[str, ...]:
    """Return the Ley 1581 art. 5 categories the text talks about, in ALL_TOPICS order."""
    folded = fold(text)
    return tuple(topic for topic, pattern in _PATTERNS.items() if pattern.search(folded))
