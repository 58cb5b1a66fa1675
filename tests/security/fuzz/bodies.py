"""API request bodies built from the OpenAPI schema's request models, with hostile values in.

Schemathesis already sends what the schema describes. Here each body fills every property
as a client following the schema would (ids of real records, dates near today, amounts as
the schema writes them) except one or two, which get a hostile value: one the schema permits
but a person would not mean (whitespace, control characters, a right-to-left mark, a date in
year 9999), one it forbids (``1_000``, ``٣``, NaN, an id beyond 32 bits, a datetime), or a
value of another JSON type.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from hypothesis import strategies as st

from tests.security.fuzz import values
from tests.security.fuzz.routes import PARAM_MODELS, Targets

Schema = dict[str, Any]
LONE_SURROGATES = ["\ud800", "a\udfffb"]
"""Valid in JSON as escapes, never encodable as UTF-8."""
PLAUSIBLE = {
    "objective_codes": ["A"],
    "objectives": {"A": "Access to rights"},
    "password": "a fuzzed but long passphrase",
    "locale": "en",
}


class Spec:
    """The OpenAPI document, with its references resolved on demand."""

    def __init__(self, document: Schema) -> None:
        self.document = document
        self.components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def body_schema(self, method: str, path: str) -> tuple[str, Schema] | None:
        """Return the content type and schema of an operation's body, if it takes one."""
        operation = self.document["paths"][path][method.lower()]
        body = operation.get("requestBody")
        if not body:
            return None
        kind, content = next(iter(body["content"].items()))
        return kind, content["schema"]

    def headers(self, method: str, path: str) -> list[str]:
        operation = self.document["paths"][path][method.lower()]
        return [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]

    def refuses(self, schema: Schema, value: Any) -> bool:
        """Whether ``value`` breaks ``schema`` (patterns, lengths, ranges, date formats)."""
        full = {**schema, "components": {"schemas": self.components}}
        validator = jsonschema.Draft202012Validator(
            full, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        return not validator.is_valid(value)


def _without_null(spec: Spec, schema: Schema) -> Schema:
    schema = spec.resolve(schema)
    options = [spec.resolve(s) for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return options[0] if options else schema


class Bodies:
    """Strategies for the bodies of one demo's API, its ids drawn from ``targets``."""

    def __init__(self, spec: Spec, targets: Targets) -> None:
        self.spec = spec
        self.targets = targets

    def plausible(self, name: str, schema: Schema, project: int | None) -> st.SearchStrategy[Any]:
        """What a client keeping to the schema sends for the property ``name``."""
        schema = _without_null(self.spec, schema)
        kind = schema.get("type")
        if name in PLAUSIBLE:
            return st.just(PLAUSIBLE[name])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if name in PARAM_MODELS and kind in {"integer", "array"}:
            ids = self.targets.choice(PARAM_MODELS[name], project)
            return st.lists(ids, max_size=2, unique=True) if kind == "array" else ids
        if kind == "integer":
            return st.integers(int(schema.get("minimum", 0)), int(schema.get("maximum", 100)))
        if kind == "boolean":
            return st.booleans()
        if schema.get("format") == "date":
            return values.plausible_date()
        pattern = schema.get("pattern", "")
        if "[0-9]{1,11}" in pattern:
            return st.sampled_from(["100.00", "1250.5", "0", "5000"])
        if pattern.startswith("^[A-Za-z0-9"):
            return values.plausible_text("code").map(str.lower)
        return values.plausible_text(name)

    def hostile(self, name: str, schema: Schema) -> st.SearchStrategy[Any]:
        """A value for ``name`` that the schema may or may not permit, and no person means."""
        schema = _without_null(self.spec, schema)
        kind = schema.get("type")
        other = values.hostile_json()
        if kind in {"integer", "number"}:
            return st.one_of(values.hostile_json_integer(), values.hostile_number(), other)
        if kind == "array":
            items = schema.get("items", {})
            return st.one_of(
                st.lists(self.hostile(name, items), min_size=1, max_size=3),
                st.lists(st.integers(1, 5), min_size=51, max_size=60),
                other,
            )
        if kind == "object":
            return st.one_of(
                st.dictionaries(values.hostile_text(), values.hostile_text(), max_size=3), other
            )
        text = values.hostile_text()
        if schema.get("format") == "date":
            return st.one_of(values.hostile_date(), values.hostile_date(), other)
        if re.search(r"\[0-9\]", schema.get("pattern", "")):
            return st.one_of(values.hostile_number(), values.hostile_number(), other)
        wrong = st.one_of(st.sampled_from(LONE_SURROGATES), values.hostile_number(), other)
        return st.one_of(text, text, wrong)


@st.composite
def body(
    draw: st.DrawFn, bodies: Bodies, schema: Schema, project: int | None
) -> tuple[Any, set[str]]:
    """Return a body for ``schema`` and the names of the properties made hostile."""
    resolved = bodies.spec.resolve(schema)
    if "anyOf" in resolved:  # an optional body: none at all, or the object
        if draw(st.booleans()):
            return None, set()
        resolved = _without_null(bodies.spec, resolved)
    properties: dict[str, Schema] = resolved.get("properties", {})
    required = set(resolved.get("required", []))
    names = sorted(properties)
    hostile = draw(st.sets(st.sampled_from(names), min_size=1, max_size=2)) if names else set()
    result: dict[str, Any] = {}
    for name in names:
        if name in hostile:
            result[name] = draw(bodies.hostile(name, properties[name]))
        elif name in required or draw(st.booleans()):
            result[name] = draw(bodies.plausible(name, properties[name], project))
    return result, hostile
