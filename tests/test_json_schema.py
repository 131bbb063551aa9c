"""Every command's JSON carries its schema tag, validates against the schema the package
ships, has snake_case keys throughout, and no NaN or Infinity."""

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from residual_expansion.cli.schema_command import SCHEMA_COMMANDS
from residual_expansion.schemas import SCHEMA_MAJOR, load_schema, schema_id, tag
from tests.cli_runs import SIZES, run_cli

ROOT = Path(__file__).resolve().parent.parent
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def _reject(constant):
    raise ValueError(f"non-finite JSON constant {constant}")


def strict_load(text):
    return json.loads(text, parse_constant=_reject)


def keys(node, path="$"):
    """Every (path, key) of every object in ``node``."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k
            yield from keys(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from keys(v, f"{path}[{i}]")


def validate(command, doc):
    jsonschema.Draft202012Validator(load_schema(command)).validate(doc)


@pytest.mark.parametrize("case", sorted(SIZES))
def test_json_output_is_tagged_valid_and_snake_case(case):
    argv = SIZES[case]
    status, out = run_cli(*argv, "--format", "json")
    doc = strict_load(out)
    command = argv[0]
    assert next(iter(doc)) == "schema" and doc["schema"] == schema_id(command)
    validate(command, doc)
    bad = [(p, k) for p, k in keys(doc) if not SNAKE.fullmatch(k)]
    assert not bad, bad
    if "all_pass" in doc:  # the exit status follows the checks
        assert status == (0 if doc["all_pass"] else 1)


def test_every_json_command_has_a_schema_and_a_size():
    assert set(SCHEMA_COMMANDS) == set(SCHEMA_MAJOR)
    assert {argv[0] for argv in SIZES.values()} == set(SCHEMA_MAJOR)
    for command in SCHEMA_MAJOR:
        schema = load_schema(command)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema"]["const"] == schema_id(command)


def test_schemas_ship_as_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = data["residual_expansion.schemas"]
    shipped = {p.name for p in (ROOT / "residual_expansion" / "schemas").glob("*.schema.json")}
    assert shipped == {f"{c}.schema.json" for c in SCHEMA_MAJOR}
    assert all(any(Path(name).match(p) for p in patterns) for name in shipped)


def test_schema_command_prints_the_shipped_schema():
    status, out = run_cli("schema", "verify")
    assert status == 0 and json.loads(out) == load_schema("verify")
    from residual_expansion.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["schema", "lesion-of-nothing"])
    assert exc.value.code == 2


@pytest.mark.parametrize("corrupt", [
    lambda d: d.pop("schema"),
    lambda d: d.update(schema="residual-expansion/verify/2"),
    lambda d: d["results"][0].update(status="OK"),
    lambda d: d["results"][0]["evidence"].update({"largest residual": 0}),
    lambda d: d.update(all_pass="yes"),
    lambda d: d["results"][0].pop("order"),
], ids=["no-tag", "wrong-major", "bad-status", "spaced-key", "string-flag", "no-order"])
def test_validation_fails_on_a_corrupted_document(corrupt):
    doc = strict_load(run_cli(*SIZES["verify-8"], "--format", "json")[1])
    validate("verify", doc)
    corrupt(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate("verify", doc)


def test_tag_puts_the_schema_first_and_replaces_a_stale_one():
    assert list(tag("paths", {"depth": 3, "schema": "old"})) == ["schema", "depth"]
    assert tag("paths", {})["schema"] == "residual-expansion/paths/1"


def test_evidence_keys_become_snake_case_and_collisions_fail():
    from residual_expansion.claims.base import Outcome

    out = Outcome("m", "n=1", "PASS", {"sqrt: measured": 1.0, "largest |z|": 2.0, "order_used": 3})
    assert list(out.evidence) == ["sqrt_measured", "largest_z", "order_used"]
    with pytest.raises(ValueError, match="collide"):
        Outcome("m", "n=1", "PASS", {"a b": 1, "a_b": 2})
