"""JSON Schemas of every command's JSON output, shipped with the package.

Every JSON document a command prints starts with ``"schema": "residual-expansion/<command>/<major>"``
(:func:`tag`); the schema it follows is ``<command>.schema.json`` in this package
(:func:`load_schema`), printed by ``residual-expansion schema COMMAND``. The major
version changes when a key changes meaning or disappears; new keys keep it. Keys are
snake_case identifiers throughout. docs/json.md documents the documents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from residual_expansion.errors import UsageError

#: Major version of each command's JSON document.
SCHEMA_MAJOR: Mapping[str, int] = {
    "verify": 1, "expand": 1, "counts": 1, "series": 1, "paths": 1, "crosscheck": 1, "scaling": 1, "lesion": 1,
}


def schema_id(command: str) -> str:
    """The schema tag of ``command``'s JSON document.

    >>> schema_id("verify")
    'residual-expansion/verify/1'

    Raises
    ------
    UsageError
        When ``command`` prints no JSON.
    """
    if command not in SCHEMA_MAJOR:
        raise UsageError(f"command {command!r} has no JSON schema; known: {', '.join(SCHEMA_MAJOR)}")
    return f"residual-expansion/{command}/{SCHEMA_MAJOR[command]}"


def tag(command: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with ``"schema"`` as its first key.

    >>> tag("counts", {"order": 2})
    {'schema': 'residual-expansion/counts/1', 'order': 2}
    """
    return {"schema": schema_id(command), **{k: v for k, v in document.items() if k != "schema"}}


def load_schema(command: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``command``'s output, as shipped in the package.

    >>> load_schema("counts")["properties"]["schema"]["const"]
    'residual-expansion/counts/1'
    """
    schema_id(command)
    text = resources.files(__package__).joinpath(f"{command}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
