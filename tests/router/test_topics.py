"""Ley 1581 art. 5 categories in Spanish: positives, accents/case, and commerce negatives."""

from __future__ import annotations

import pytest

from router.topics import ALL_TOPICS, detect_topics


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("tengo diabetes", "health"),
        ("TENGO DIABETES", "health"),
        ("Soy diabética desde niña", "health"),
        ("estoy embarazada de 5 meses", "health"),
        ("me diagnosticaron cáncer", "health"),
        ("mi hijo tiene autismo", "health"),
        ("mi papá, que tiene hipertensión, no puede cargar", "health"),
        ("sufro de migraña", "health"),
        ("estoy en tratamiento de quimioterapia", "health"),
        ("soy testigo de Jehová", "religion"),
        ("Soy testigo de Jehova", "religion"),
        ("soy católica", "religion"),
        ("por mi religión no como cerdo", "religion"),
        ("vamos a misa el domingo", "religion"),
        ("voto por el Pacto Histórico", "politics"),
        ("soy uribista", "politics"),
        ("soy miembro del Centro Democrático", "politics"),
        ("afiliado al sindicato", "union_membership"),
        ("pertenezco al sindicato de maestros", "union_membership"),
        ("tengo fuero sindical", "union_membership"),
        ("soy lesbiana", "sex_life"),
        ("mi orientación sexual no es asunto de nadie", "sex_life"),
        ("me tomaron la huella dactilar", "biometrics"),
        ("registraron mis huellas en la portería", "biometrics"),
        ("¿guardan datos biométricos?", "biometrics"),
        ("soy indígena", "ethnic_origin"),
        ("somos afrocolombianos", "ethnic_origin"),
        ("pertenezco a la comunidad embera", "ethnic_origin"),
    ],
)
def test_topic_detected(text: str, topic: str) -> None:
    assert topic in detect_topics(text)


@pytest.mark.parametrize(
    "text",
    [
        "café de origen Huila",
        "¿cuál es el origen del producto?",
        "la huella de carbono del envío",
        "cerradura con lector de huella digital",
        "¿tienen pruebas de embarazo?",
        "endulzante apto para diabéticos",
        "mochila wayuu grande",
        "estuche negro",
        "café negro sin azúcar",
        "crema para mi rostro",
        "el paro del sindicato de transportadores retrasó mi pedido",
        "el producto está en uso",
        "la caja está en mal estado",
        "tengo 3 cajas de café",
        "¿por qué no ha llegado mi pedido?",
        "la vida útil de la batería",
        "camiseta talla M para hombre",
        "el partido de fútbol del domingo",
    ],
)
def test_commerce_text_is_not_sensitive(text: str) -> None:
    assert detect_topics(text) == ()


def test_several_topics_in_order() -> None:
    assert detect_topics("Soy testigo de Jehová y tengo diabetes") == ("health", "religion")
    assert set(ALL_TOPICS) >= set(detect_topics("soy indígena, lesbiana y voto por el Pacto Histórico"))
    assert len(detect_topics("soy indígena, lesbiana y voto por el Pacto Histórico")) == 3


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("tomo losartán para la presión", "health"),
        ("me recetaron algo para la tensión", "health"),
        ("soy insulinodependiente", "health"),
        ("vengo de la cita con el psiquiatra", "health"),
        ("estoy en embarazo de 7 meses", "health"),
        ("estoy en silla de ruedas", "health"),
        ("ando con muletas", "health"),
        ("soy sordomudo", "health"),
        ("asistimos al culto los miércoles", "religion"),
        ("soy sindicalizado", "union_membership"),
        ("el banco me pidió reconocimiento facial", "biometrics"),
    ],
)
def test_indirect_phrasings_found_by_holdout_v2(text: str, topic: str) -> None:
    assert topic in detect_topics(text)


@pytest.mark.parametrize(
    "text",
    [
        "tomo 3 cajas para la tienda",
        "cita de entrega programada para el lunes",
        "control de calidad del lote",
        "la consulta del pedido",
        "¿la app usa reconocimiento facial?",
        "tengo 3 sillas de ruedas en stock",
        "tengo el yeso para la pared",
        "tengo 3 pruebas de embarazo en el carrito",
        "la iglesia de la esquina, la de ladrillo",
        "¿tienen productos kosher o halal?",
    ],
)
def test_more_commerce_text_is_not_sensitive(text: str) -> None:
    assert detect_topics(text) == ()
