"""Identifiers that look real: 身份证号 with a valid check character, mobile numbers."""

from __future__ import annotations

import numpy as np

# GB 11643-1999: weights of the first 17 digits, and the check character for each sum mod 11.
CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "173", "177", "178", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip


def id_check_character(first17: str) -> str:
    """The check character (0–9 or X) that completes the 17 digits ``first17`` of a 身份证号."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_numbers(
    rng: np.random.Generator, *, division_code: str, birth_days: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """Distinct 18-character 身份证号 of people born on ``birth_days`` in ``division_code``.

    The 3-digit sequence is odd for men and even for women, as the standard has it.
    """
    births = np.datetime_as_string(birth_days.astype("datetime64[D]"), unit="D")
    stems = np.char.add(division_code, np.char.replace(births, "-", ""))
    sequences = np.zeros(len(births), dtype=np.int64)
    todo = np.arange(len(births))
    while len(todo):
        sequences[todo] = rng.integers(0, 500, size=len(todo)) * 2 + male[todo]
        first17 = np.char.add(stems, np.char.zfill(sequences.astype(str), 3))
        _, first_seen = np.unique(first17, return_index=True)
        todo = np.setdiff1d(np.arange(len(births)), first_seen)
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    checks = np.array(list(CHECK_CHARACTERS))[digits.astype(np.int64) @ CHECK_WEIGHTS % 11]
    return np.char.add(first17, checks).astype(object)


def mobile_numbers(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` distinct 11-digit mainland mobile numbers (object array of str)."""
    prefixes = np.array(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), size=size)]
    subscribers = rng.choice(100_000_000, size=size, replace=False)
    return np.char.add(prefixes, np.char.zfill(subscribers.astype(str), 8)).astype(object)
