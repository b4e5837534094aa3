"""Every config key documents itself: a docstring directly under each field of the schema's dataclasses."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from typing import Any

from flashsac.config import schema
from flashsac.config.schema import RunConfig


def _field_docs(cls: type) -> dict[str, str | None]:
    """``{field name: the string literal right under its annotated assignment, or None}``, from the source."""
    module = ast.parse(inspect.getsource(schema))
    (node,) = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__]
    docs: dict[str, str | None] = {}
    for statement, following in zip(node.body, [*node.body[1:], None], strict=True):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            literal = following.value if isinstance(following, ast.Expr) else None
            text = literal.value if isinstance(literal, ast.Constant) and isinstance(literal.value, str) else None
            docs[statement.target.id] = text
    return docs


def _keys(node: Any, prefix: str = "") -> list[tuple[str, type, str]]:
    """``(dotted key, owning dataclass, field name)`` for every field of ``node`` and of its sections."""
    out = []
    for f in dataclasses.fields(node):
        out.append((prefix + f.name, type(node), f.name))
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            out += _keys(value, f"{prefix}{f.name}.")
    return out


def test_every_config_key_has_a_docstring_under_its_field() -> None:
    keys = _keys(RunConfig())
    docs = {cls: _field_docs(cls) for cls in {owner for _, owner, _ in keys}}
    missing = [key for key, owner, name in keys if not (docs[owner].get(name) or "").strip()]
    assert not missing, f"config keys without a docstring directly under the field: {missing}"
    # A docstring says what the key does and what consumes it: a few words are not enough.
    terse = [key for key, owner, name in keys if len((docs[owner][name] or "").split()) < 5]
    assert not terse, f"config keys whose docstring is under five words: {terse}"


def test_the_walk_sees_every_leaf_key() -> None:
    leaves = [key for key, owner, name in _keys(RunConfig()) if not dataclasses.is_dataclass(_get(key))]
    assert "agent.n_step" in leaves and "env.options" in leaves and "seed" in leaves
    assert len(leaves) == 77  # update when adding a key (and give it a docstring)


def _get(key: str) -> Any:
    value: Any = RunConfig()
    for part in key.split("."):
        value = getattr(value, part)
    return value
