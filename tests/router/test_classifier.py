"""Levels, merged classification of a history, explanations without values, masking."""

from __future__ import annotations

import pytest

from router.classifier import ENTITY_LEVELS, Level, Masker, classify, classify_messages, mask, unmask
from router.recognizers import ALL_ENTITIES


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("¿Hay café CAF-001 en Medellín? cuesta $41.900", Level.PUBLIC),
        ("mi correo es ana@gmail.com", Level.INTERNAL),
        ("me llamo Ana Gómez", Level.INTERNAL),
        ("Calle 80 # 12-34", Level.INTERNAL),
        ("NIT 900.123.456-8", Level.INTERNAL),
        ("tengo diabetes", Level.SENSITIVE),
        ("mi cédula es 1.020.304.050", Level.CONFIDENTIAL),
        ("mi nequi 3105551234", Level.CONFIDENTIAL),
        ("tarjeta 4111 1111 1111 1111", Level.CONFIDENTIAL),
        ("RUT 79456123-2", Level.CONFIDENTIAL),
        ("tengo diabetes y mi cédula es 52.345.678", Level.CONFIDENTIAL),
    ],
)
def test_levels(text: str, level: Level) -> None:
    assert classify(text).level is level


def test_every_entity_has_a_level() -> None:
    assert set(ENTITY_LEVELS) == set(ALL_ENTITIES)


def test_level_order_and_local_only() -> None:
    ordered = sorted(Level, key=lambda level: level.rank)
    assert ordered == [Level.PUBLIC, Level.INTERNAL, Level.SENSITIVE, Level.CONFIDENTIAL]
    assert [level.local_only for level in ordered] == [False, False, True, True]


def test_counts_and_explanation_hold_no_values() -> None:
    text = "correo ana@gmail.com, otro luis@gmail.com, cel 3105551234, cédula 1.020.304.050"
    result = classify(text)
    assert result.entities == {"CO_CEDULA": 1, "CO_MOBILE": 1, "EMAIL_ADDRESS": 2}
    for raw in ("ana@gmail.com", "luis", "3105551234", "1.020.304.050", "1020304050"):
        assert raw not in result.explanation
        assert raw not in repr(result)


def test_history_takes_the_maximum() -> None:
    result = classify_messages(["hola", "tengo diabetes", "correo ana@gmail.com", "¿hay stock?"])
    assert result.level is Level.SENSITIVE
    assert result.topics == ("health",)
    assert result.entities == {"EMAIL_ADDRESS": 1}
    assert classify_messages([]).level is Level.PUBLIC


def test_returned_counts_are_a_fresh_dict() -> None:
    first = classify("correo ana@gmail.com")
    first.entities["EMAIL_ADDRESS"] = 99
    assert classify("correo ana@gmail.com").entities == {"EMAIL_ADDRESS": 1}


def test_mask_and_unmask_round_trip() -> None:
    text = "Soy Ana, correo ana@gmail.com, cel 310 555 1234, envío a Calle 80 # 12-34; repito ana@gmail.com"
    masked, mapping = mask(text)
    for raw in ("ana@gmail.com", "310 555 1234", "Calle 80 # 12-34"):
        assert raw not in masked
    assert masked.count("<EMAIL_ADDRESS_1>") == 2
    assert unmask(masked, mapping) == text


def test_masker_is_consistent_across_messages() -> None:
    masker = Masker()
    first = masker.mask("mi correo es ana@gmail.com")
    second = masker.mask("confirmo: ana@gmail.com y luis@gmail.com")
    assert "<EMAIL_ADDRESS_1>" in first and "<EMAIL_ADDRESS_1>" in second and "<EMAIL_ADDRESS_2>" in second
    assert unmask("Listo <EMAIL_ADDRESS_2>, <UNKNOWN_1>", masker.mapping) == "Listo luis@gmail.com, <UNKNOWN_1>"


def test_mask_leaves_public_text_alone() -> None:
    assert mask("¿hay café CAF-001?") == ("¿hay café CAF-001?", {})


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("cel 310\u200b456\u200b7890", "CO_MOBILE"),
        ("cel \uff13\uff11\uff10\uff14\uff15\uff16\uff17\uff18\uff19\uff10", "CO_MOBILE"),
        ("mi tarjeta 4539\u00a01488\u00a00343\u00a06467", "CREDIT_CARD"),
        ("mi correo ana\uff20gmail.com", "EMAIL_ADDRESS"),
    ],
)
def test_invisible_and_full_width_characters_do_not_hide_entities(text: str, entity: str) -> None:
    assert entity in classify(text).entities
    masked, mapping = mask(text)
    assert list(mapping) == [f"<{entity}_1>"] and masked.endswith(f"<{entity}_1>")


def test_invisible_characters_do_not_hide_topics() -> None:
    assert classify("tengo diabe\u200btes").topics == ("health",)
