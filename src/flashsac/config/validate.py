"""Validation of a composed run configuration: every error names the key and the fix.

The rules themselves sit beside their fields in :mod:`flashsac.config.schema` (see :mod:`flashsac.config.rules`);
this module walks them. It runs before any simulator starts or any file is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from flashsac.config.rules import RULE_KEY, Rule
from flashsac.config.schema import RunConfig

__all__ = ["ConfigError", "validate"]


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key and how to fix it."""


def _sections(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted prefix, section)`` for ``node`` and every dataclass section below it, parents first."""
    yield prefix, node
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            yield from _sections(value, f"{prefix}{f.name}.")


def _get(cfg: RunConfig, key: str) -> Any:
    value: Any = cfg
    for part in key.split("."):
        value = getattr(value, part)
    return value


def validate(cfg: RunConfig) -> None:
    """Check every field's rule, then the cross-field rules, of a run configuration.

    Raises:
        ConfigError: for the first problem found, naming the key, the value and the fix.
    """
    sections = list(_sections(cfg))
    for prefix, section in sections:
        for f in dataclasses.fields(section):
            rule: Rule | None = f.metadata.get(RULE_KEY)
            value = getattr(section, f.name)
            if rule is not None and not rule.ok(value):
                key = prefix + f.name
                raise ConfigError(
                    f"{key}={value!r} is invalid: expected {rule.expected}. Override it, e.g. `{key}=...`."
                )
    for prefix, section in reversed(sections):  # sections before the whole run: the narrower rule speaks first
        consistency = getattr(section, "consistency", None)
        for ok, key, fix in consistency() if consistency is not None else ():
            if not ok:
                raise ConfigError(f"{prefix}{key}={_get(cfg, prefix + key)!r} is invalid: it {fix}.")
