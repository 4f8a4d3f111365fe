from __future__ import annotations

import pytest

from commerce.shared.errors import InvalidNit
from commerce.shared.money import format_cop
from commerce.shared.nit import check_digit, normalize_nit


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("800.197.268-4", "800197268-4"),
        ("800197268-4", "800197268-4"),
        ("901234567-7", "901234567-7"),
        ("830.045.678-8", "830045678-8"),
        (" 900876543 - 1 ", "900876543-1"),
    ],
)
def test_valid_nits_normalize(raw: str, normalized: str) -> None:
    assert normalize_nit(raw) == normalized


@pytest.mark.parametrize("raw", ["800.197.268-5", "800197268-0", "901234567-1", "8001972684", "abc-1", "", "12-3",
                                 "80.0197.268-4", "1234567890123456-1"])
def test_invalid_nits_are_rejected_with_a_spanish_message(raw: str) -> None:
    with pytest.raises(InvalidNit) as info:
        normalize_nit(raw)
    assert "NIT" in info.value.message


def test_check_digit_follows_the_dian_weights() -> None:
    # 800197268: weights from the right 3,7,13,...: known DV 4; r < 2 keeps r itself.
    assert check_digit("800197268") == 4
    remainders = set()
    for base in (str(n) for n in range(10000, 10200)):
        r = sum(int(d) * w for d, w in zip(reversed(base), (3, 7, 13, 17, 19), strict=False)) % 11
        remainders.add(r)
        assert check_digit(base) == (r if r < 2 else 11 - r)
    assert {0, 1} <= remainders, "the r < 2 branch must be exercised"


@pytest.mark.parametrize(("amount", "text"), [(38900, "$38.900"), (0, "$0"), (1234567, "$1.234.567"),
                                              (-1500, "-$1.500"), (999, "$999")])
def test_format_cop(amount: int, text: str) -> None:
    assert format_cop(amount) == text
