"""The rules a config value must follow, attached to its field in :mod:`flashsac.config.schema`.

A field declared with :func:`checked` carries its :class:`Rule` in the dataclass field's metadata;
:func:`flashsac.config.validate.validate` walks the schema and applies every rule it finds, so a new key (and its
rule) touches one file. Checks that relate several fields live on the section as a ``consistency()`` method; checks
that need the env or the machine (an infinite action box, a missing GPU) stay where those are known.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "DEVICE",
    "RULE_KEY",
    "Rule",
    "at_least",
    "checked",
    "device_syntax_ok",
    "finite",
    "finite_at_least",
    "in_unit_interval",
    "one_of",
    "optional",
    "positive",
]

T = TypeVar("T")

RULE_KEY = "rule"
"""The field-metadata key under which :func:`checked` stores a field's :class:`Rule`."""


@dataclass(frozen=True)
class Rule:
    """A check on one config value and what a valid value is, in words for the error message.

    Attributes:
        ok: True when the value is valid (the type is already checked by OmegaConf when composing).
        expected: What a valid value is, e.g. ``"an integer >= 1"``.
    """

    ok: Callable[[Any], bool]
    expected: str


def checked(default: T, rule: Rule) -> T:
    """A dataclass field with ``default`` whose value must satisfy ``rule`` (checked by ``validate``)."""
    # Why the ignore: a dataclass body assigns the Field object itself; its type is declared on the left.
    return dataclasses.field(default=default, metadata={RULE_KEY: rule})  # type: ignore[return-value]


def _is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def at_least(minimum: int, note: str = "") -> Rule:
    """An integer ``>= minimum``; ``note`` explains special values (e.g. ``"0: no videos"``)."""
    return Rule(lambda v: v >= minimum, f"an integer >= {minimum}" + (f" ({note})" if note else ""))


def positive() -> Rule:
    """A finite number ``> 0``."""
    return Rule(lambda v: _is_finite(v) and v > 0, "a finite number > 0")


def finite_at_least(minimum: float, note: str = "") -> Rule:
    """A finite number ``>= minimum``."""
    expected = f"a finite number >= {minimum:g}" + (f" ({note})" if note else "")
    return Rule(lambda v: _is_finite(v) and v >= minimum, expected)


def finite() -> Rule:
    """Any finite number."""
    return Rule(_is_finite, "a finite number")


def in_unit_interval(closed_low: bool = False) -> Rule:
    """A number in ``(0, 1]`` (or ``[0, 1]`` with ``closed_low``)."""
    if closed_low:
        return Rule(lambda v: _is_finite(v) and 0 <= v <= 1, "a fraction in [0, 1]")
    return Rule(lambda v: _is_finite(v) and 0 < v <= 1, "a number in (0, 1]")


def one_of(choices: tuple[str, ...], words: str | None = None) -> Rule:
    """One of ``choices`` (listed in the message, or described by ``words``)."""
    return Rule(lambda v: v in choices, words or f"one of {', '.join(choices)}")


def optional(rule: Rule, none_means: str = "") -> Rule:
    """``None`` (meaning ``none_means``) or a value satisfying ``rule``."""
    null = f"null ({none_means})" if none_means else "null"
    return Rule(lambda v: v is None or rule.ok(v), f"{null} or {rule.expected}")


def device_syntax_ok(value: str) -> bool:
    """True for ``auto``, ``cpu``, ``cuda`` and ``cuda:N`` (whether that device exists is checked at run time)."""
    return value in ("auto", "cpu", "cuda") or (value.startswith("cuda:") and value[5:].isdigit())


DEVICE = Rule(device_syntax_ok, "auto, cpu, cuda or cuda:N")
"""A device name; :func:`flashsac.runtime.device.resolve_device` checks that it exists on this machine."""
