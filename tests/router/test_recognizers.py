"""Positive and negative cases per Colombian entity, in Spanish."""

from __future__ import annotations

import pytest
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

from commerce.shared.nit import check_digit
from router.classifier import detect_entities
from router.recognizers import RECOGNIZER_SET_VERSION, is_money_or_quantity


def found(text: str) -> list[tuple[str, str]]:
    return [(r.entity_type, text[r.start : r.end]) for r in detect_entities(text)]


def types(text: str) -> set[str]:
    return {entity for entity, _ in found(text)}


def test_version_is_set() -> None:
    assert RECOGNIZER_SET_VERSION


# --- NIT: the DIAN check digit decides -------------------------------------------------------


@pytest.mark.parametrize("base", ["900123456", "800197268", "860002964", "901234567"])
def test_company_nit_with_valid_check_digit(base: str) -> None:
    dv = check_digit(base)
    dotted = f"{base[:3]}.{base[3:6]}.{base[6:]}-{dv}"
    assert found(f"Facturar al NIT {base}-{dv}") == [("CO_NIT", f"{base}-{dv}")]
    assert found(f"NIT {dotted} de la empresa") == [("CO_NIT", dotted)]
    assert found(f"facturen a {base} - {dv} por favor") == [("CO_NIT", f"{base} - {dv}")]


@pytest.mark.parametrize("base", ["900123456", "800197268", "860002964"])
def test_nit_with_wrong_check_digit_is_not_a_nit(base: str) -> None:
    wrong = (check_digit(base) + 1) % 10
    assert "CO_NIT" not in types(f"NIT {base}-{wrong}")
    assert found(f"el número {base}-{wrong}") == []


def test_natural_person_nit_is_its_own_type() -> None:
    assert found("RUT 79456123-2 persona natural") == [("CO_NIT_PERSONA", "79456123-2")]
    assert types("RUT 79456123-3") == set()


def test_nit_without_check_digit_needs_context() -> None:
    assert found("NIT 900123456") == [("CO_NIT", "900123456")]
    assert found("el lote 900123456 llegó") == []


# --- cédula ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Mi cédula es 1.020.304.050", "1.020.304.050"),
        ("mi cedula 1020304050", "1020304050"),
        ("C.C. 52.345.678 de Bogotá", "52.345.678"),
        ("CC 79456123", "79456123"),
        ("cédula de ciudadanía No. 43.123.987", "43.123.987"),
        ("Documento de identidad: 80.123.456", "80.123.456"),
        ("identificación 1152456789", "1152456789"),
    ],
)
def test_cedula_positive(text: str, value: str) -> None:
    assert found(text) == [("CO_CEDULA", value)]


@pytest.mark.parametrize(
    "text",
    [
        "El televisor cuesta $1.500.000",
        "me cobraron 1.500.000 pesos",
        "el café vale 41.900",
        "quiero 1200000 unidades",  # absurd, but a quantity
        "el lote 20241115 viene bien",  # a bare number without context
        "pedido ORD-1001 y SKU CAF-001",
        "envío 2.350.000 COP",
        "precio: 1.020.304",
        "500 cc de aceite",
    ],
)
def test_cedula_negative(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    ["cédula de extranjería 456789", "CE 1234567", "C.E. No. 987654", "cedula de extranjeria: 1.234.567"],
)
def test_cedula_extranjeria(text: str) -> None:
    assert types(text) == {"CO_CEDULA_EXTRANJERIA"}


def test_lowercase_ce_is_not_an_abbreviation() -> None:
    assert types("ce 1234567") == set()


# --- phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["llámame al 3105551234", "cel 310 555 1234", "+57 310 555 1234", "WhatsApp +573105551234", "tel 310-555-12-34",
     "(+57) 315 678 9012"],
)  # fmt: skip
def test_mobile_positive(text: str) -> None:
    assert types(text) == {"CO_MOBILE"}


@pytest.mark.parametrize("text", ["$310.555.1234", "guía 2105551234", "3105551234 pesos", "ref 310555123456"])
def test_mobile_negative(text: str) -> None:
    assert "CO_MOBILE" not in types(text)


@pytest.mark.parametrize("text", ["mi nequi es 3105551234", "por Daviplata al 320 123 4567", "Nequi: 301-765-4321"])
def test_wallet_mobile_is_financial(text: str) -> None:
    assert types(text) == {"CO_WALLET_MOBILE"}


@pytest.mark.parametrize("text", ["fijo 601 234 5678", "(604) 322 1100", "+57 602 489 1020", "6017453210"])
def test_landline_positive(text: str) -> None:
    assert types(text) == {"CO_LANDLINE"}


@pytest.mark.parametrize("text", ["603 234 5678", "609 234 5678", "1 234 5678"])
def test_landline_negative_unknown_area(text: str) -> None:
    assert "CO_LANDLINE" not in types(text)


# --- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "Calle 80 # 12-34 Apto 502",
        "Cra 7 No. 32-16",
        "Transversal 60 # 115-58 Torre 2",
        "Calle 45 Bis Sur # 23-10 Int 4",
        "Av. Boyacá # 68D-35 Sur",
        "Diagonal 82 # 10-45",
        "Kr 30 # 45A-12 casa 5",
        "Cl 13 # 68-90",
        "Avenida Calle 26 # 59-41",
        "Tv 93 # 62-15 Torre 4 Apto 1102",
        "Carrera 15 Bis A # 93-47 Este",
        "Calle 10 Sur # 5-20",
    ],
)
def test_address_positive(address: str) -> None:
    assert found(f"Envíenlo a la {address}, gracias") == [("CO_ADDRESS", address)]


@pytest.mark.parametrize(
    "text",
    ["La calle 80 está cerrada", "vivo cerca de la carrera séptima", "calle 12 con 34", "la transversal está lejos"],
)
def test_address_negative(text: str) -> None:
    assert "CO_ADDRESS" not in types(text)


# --- bank accounts, cards, email, person -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["cuenta de ahorros Bancolombia 123-456789-01", "Cuenta corriente Davivienda número 0550 0012 3456",
     "consignar a la cuenta 24056789123 del BBVA"],
)  # fmt: skip
def test_bank_account_with_context(text: str) -> None:
    assert types(text) == {"CO_BANK_ACCOUNT"}


@pytest.mark.parametrize("text", ["la guía 24056789123", "código de barras 7702004003508", "123-456789-01"])
def test_bank_account_needs_context(text: str) -> None:
    assert "CO_BANK_ACCOUNT" not in types(text)


@pytest.mark.parametrize("card", ["4111 1111 1111 1111", "5500-0000-0000-0004", "4539578763621486", "378282246310005"])
def test_card_with_valid_luhn(card: str) -> None:
    assert CreditCardRecognizer().validate_result(card)  # Presidio's own Luhn check
    assert found(f"pagué con la tarjeta {card}") == [("CREDIT_CARD", card)]


@pytest.mark.parametrize("card", ["4111 1111 1111 1112", "5500-0000-0000-0005"])
def test_card_with_invalid_luhn(card: str) -> None:
    assert not CreditCardRecognizer().validate_result(card)
    assert "CREDIT_CARD" not in types(f"tarjeta {card}")


def test_email() -> None:
    assert found("escríbanme a laura.restrepo@gmail.com ya") == [("EMAIL_ADDRESS", "laura.restrepo@gmail.com")]
    assert found("compras@cafedelvalle.com.co") == [("EMAIL_ADDRESS", "compras@cafedelvalle.com.co")]
    assert types("el usuario @cafedelvalle en redes") == set()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hola, me llamo Andrés Felipe Gómez", "Andrés Felipe Gómez"),
        ("mi nombre es Valentina Ríos", "Valentina Ríos"),
        ("a nombre de María de los Ángeles Pérez", "María de los Ángeles Pérez"),
        ("Soy Marta Lucía Pérez, vendedora", "Marta Lucía Pérez"),
        ("Destinatario: Camila Herrera", "Camila Herrera"),
    ],
)
def test_person_introduced(text: str, name: str) -> None:
    assert found(text) == [("PERSON", name)]


@pytest.mark.parametrize("text", ["Soy Testigo de Jehová", "me llamo la atención el precio", "soy vendedor en Cali"])
def test_person_negative(text: str) -> None:
    assert "PERSON" not in types(text)


def test_money_helper() -> None:
    text = "vale $1.500.000 y 20 unidades"
    assert is_money_or_quantity(text, text.index("1.5"), text.index("1.5") + 9)
    assert is_money_or_quantity(text, text.index("20"), text.index("20") + 2)
    assert not is_money_or_quantity("cédula 1.500.000 ok", 7, 16)


def test_several_entities_in_one_message() -> None:
    text = "Mi cédula es 1.020.304.050, mi celular 3105551234 y vivo en la Calle 72 # 10-34 Apto 301"
    assert found(text) == [
        ("CO_CEDULA", "1.020.304.050"),
        ("CO_MOBILE", "3105551234"),
        ("CO_ADDRESS", "Calle 72 # 10-34 Apto 301"),
    ]


def test_gaps_found_by_the_holdout_set() -> None:
    # Recognizer set 2026.11.2: both formats were missed by 2026.11.1 on the hold-out set.
    assert found("número de cédula 1 020 304 050") == [("CO_CEDULA", "1 020 304 050")]
    assert found("cc 52 345 678") == [("CO_CEDULA", "52 345 678")]
    assert found("son 1 020 304 050 granos") == []  # spaced digits without the keyword are not read
    assert found("dirección Carrera 43A # 1 Sur-100 Medellín") == [("CO_ADDRESS", "Carrera 43A # 1 Sur-100")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("hola hablas con Juan Pérez", "Juan Pérez"),
        ("soy la señora Martínez, la del pedido", "Martínez"),
        ("les escribe Jorge Ramírez de Ferretería El Tornillo", "Jorge Ramírez"),
        ("Att: Mauricio Londoño, jefe de compras", "Mauricio Londoño"),
        ("me llamo andres felipe y no me ha llegado", "andres felipe"),
        ("el que recibe es mi hermano Santiago Restrepo", "Santiago Restrepo"),
        ("déjelo con el portero, don Hernando", "Hernando"),
        ("Gracias, quedo atenta. Diana Marcela Rojas", "Diana Marcela Rojas"),
        ("pregunten por Marta", "Marta"),
        ("El titular del pedido es Diego Alejandro Torres", "Diego Alejandro Torres"),
        ("hola soy Carlos, ¿tienen arroz?", "Carlos"),
        ("comunicarme con la ingeniera Natalia Herrera del área de compras", "Natalia Herrera"),
    ],
)
def test_person_introductions_and_gazetteer(text: str, name: str) -> None:
    # Recognizer set 2026.11.3 (hold-out v2): more introductions; weak ones need a gazetteer name.
    assert found(text) == [("PERSON", name)]


@pytest.mark.parametrize(
    "text",
    [
        "a nombre de Comercializadora El Sol SAS",
        "a nombre de Andina SAS",
        "¿tienen caldo Doña Gallina?",
        "¿tienen café Juan Valdez?",
        "el envío es para San José del Guaviare",
        "el regalo es para Santa Marta",
        "Sr. Cliente, su pedido fue despachado",
        "Atentamente, Servicio al Cliente",
        "soy rosa y quiero el vestido rosa",
        "café con Leche y pan con Queso",
        "hablas con el área de ventas?",
    ],
)
def test_person_negatives_companies_places_brands(text: str) -> None:
    assert "PERSON" not in types(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cel 3 1 0 4 5 6 7 8 9 0 llamen", [("CO_MOBILE", "3 1 0 4 5 6 7 8 9 0")]),
        ("cel 31 04 56 78 90", [("CO_MOBILE", "31 04 56 78 90")]),
        ("mi cel (310) 456-7890", [("CO_MOBILE", "(310) 456-7890")]),
        ("le hago el nequi al 3 0 1 2 3 4 5 6 7 8", [("CO_WALLET_MOBILE", "3 0 1 2 3 4 5 6 7 8")]),
        ("fijo 6 0 1 2 3 4 5 6 7 8", [("CO_LANDLINE", "6 0 1 2 3 4 5 6 7 8")]),
        ("la guía es 3 1 0 4 5 6 7 8 9 0 1 2", []),
        ("mi cédula es la 1-020-345-678", [("CO_CEDULA", "1-020-345-678")]),
        ("cuenta 0550 1234 5678 9012 de Davivienda", [("CO_BANK_ACCOUNT", "0550 1234 5678 9012")]),
        ("cuenta de ahorros 24-567890-12 del BBVA", [("CO_BANK_ACCOUNT", "24-567890-12")]),
        ("barrio el bosque manzana 4 casa 12", [("CO_ADDRESS", "manzana 4 casa 12")]),
        ("Mz B lote 7 barrio Villa Olímpica", [("CO_ADDRESS", "Mz B lote 7")]),
        ("quiero 4 manzanas y 2 peras", []),
    ],
)
def test_format_variants_found_by_holdout_v2(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mi correo es andrea.rojas arroba gmail punto com", "andrea.rojas arroba gmail punto com"),
        ("escríbeme a andrea . rojas @ gmail . com", "andrea . rojas @ gmail . com"),
        ("correo: pedro_gomez (at) hotmail (dot) com", "pedro_gomez (at) hotmail (dot) com"),
    ],
)
def test_spelt_out_email(text: str, value: str) -> None:
    assert found(text) == [("EMAIL_ADDRESS", value)]


@pytest.mark.parametrize("text", ["el usuario @cafedelvalle en redes", "te lo mando @ las 3", "arroba de arroz"])
def test_spelt_out_email_negative(text: str) -> None:
    assert found(text) == []
