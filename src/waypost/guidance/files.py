"""Content as code: documents read from YAML or JSON text with every problem located (file, line,
field), and written back in one canonical form, so export → import → export is byte-identical."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from waypost.errors import InvalidInput
from waypost.guidance.documents import DOCUMENT, KINDS
from waypost.guidance.segments import SEGMENT_DOCUMENT, SegmentDocument

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Located:
    """A document read from a file, and where it starts."""

    document: Any
    path: str
    line: int


def _node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node a validation error's location points to, as deep as it can be followed."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if found is None:
                return node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def field_path(loc: tuple[Any, ...]) -> str:
    """A validation error's location as a readable path: steps[0].target.selector."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


@dataclass(frozen=True)
class Problem:
    """One problem of a validation error: where (without the discriminator's tag pydantic puts
    first, such as `walkthrough`), that place as a readable path, and why."""

    loc: tuple[Any, ...]
    field: str | None
    message: str


def problems_of(error: ValidationError) -> list[Problem]:
    """Every problem of a validation error, in a person's words."""
    found = []
    for item in error.errors():
        loc = tuple(item["loc"])
        if loc and loc[0] in KINDS:
            loc = loc[1:]
        message = str(item["msg"]).removeprefix("Value error, ")
        found.append(Problem(loc, field_path(loc) or None, message))
    return found


def invalid_input(error: ValidationError) -> InvalidInput:
    """A validation error as InvalidInput naming its first problem's field, listing all."""
    problems = problems_of(error)
    first = problems[0]
    return InvalidInput(
        f"{first.field}: {first.message}" if first.field else first.message,
        field=first.field,
        problems=[{"field": p.field, "message": p.message} for p in problems],
    )


def _located_errors(error: ValidationError, node: yaml.Node | None, path: str) -> InvalidInput:
    problems: list[dict[str, Any]] = []
    for problem in problems_of(error):
        found = _node_at(node, problem.loc)
        line = found.start_mark.line + 1 if found is not None else 1
        problems.append(
            {"file": path, "line": line, "field": problem.field, "message": problem.message}
        )
    first = problems[0]
    where = f"{first['file']}, line {first['line']}"
    named = f", {first['field']}" if first["field"] else ""
    return InvalidInput(
        f"{where}{named}: {first['message']}", field=first["field"], problems=problems
    )


def _validated(data: Any, node: yaml.Node | None, path: str, line: int) -> Any:
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}, line {line}: a document must be a mapping with kind and key")
    try:
        if data.get("kind") == "segment":
            return SEGMENT_DOCUMENT.validate_python(data)
        return DOCUMENT.validate_python(data)
    except ValidationError as exc:
        raise _located_errors(exc, node, path) from None


def read_documents(text: str, path: str) -> list[Located]:
    """Every document in one YAML (several, separated by ---) or JSON (one, or a list) text;
    InvalidInput naming the file, the line and the field on the first problem."""
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}") from None
        items = data if isinstance(data, list) else [data]
        # JSON keeps no positions once parsed; reading it as YAML (a superset) finds them.
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        root = nodes[0] if nodes else None
        located = []
        for n, item in enumerate(items):
            node = root.value[n] if isinstance(data, list) and root is not None else root
            line = node.start_mark.line + 1 if node is not None else 1
            located.append(Located(_validated(item, node, path, line), path, line))
        return located
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        datas = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{path}, line {line}: not valid YAML: {problem}") from None
    located = []
    for node, data in zip(nodes, datas, strict=True):
        if data is None:
            continue  # an empty document between separators
        line = node.start_mark.line + 1
        located.append(Located(_validated(data, node, path, line), path, line))
    return located


def canonical(document: Any) -> dict[str, Any]:
    """The document as plain data in its canonical order: kind, key, then the fields as the
    builder gave them (defaults left out), in the model's order."""
    data: dict[str, Any] = document.model_dump(mode="json", exclude_unset=True, by_alias=True)
    kind = data.pop("kind", getattr(document, "kind", None))
    return {"kind": kind, "key": data.pop("key"), **data}


def dump_yaml(document: Any) -> str:
    """The canonical YAML text of one document."""
    text: str = yaml.safe_dump(
        canonical(document), sort_keys=False, allow_unicode=True, width=100, indent=2
    )
    return text


def dump_json(document: Any) -> str:
    """The canonical JSON text of one document."""
    return json.dumps(canonical(document), ensure_ascii=False, indent=2) + "\n"


def read_path(path: Path) -> list[Located]:
    """Every document in a file, or in the YAML and JSON files under a directory (sorted by
    name); refuses the whole set on the first bad file, and a key given twice."""
    files = (
        sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        if path.is_dir()
        else [path]
    )
    if not files:
        raise InvalidInput(f"{path}: no .yaml, .yml or .json files found", field="path")
    found: list[Located] = []
    seen: dict[tuple[str, str], Located] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{file}: cannot be read: {exc}", field="path") from None
        for located in read_documents(text, str(file)):
            kind = "segment" if isinstance(located.document, SegmentDocument) else "content"
            ident = (kind, located.document.key)
            if ident in seen:
                first = seen[ident]
                raise InvalidInput(
                    f"{located.path}, line {located.line}: key {located.document.key!r} is "
                    f"already used at {first.path}, line {first.line}",
                    field="key",
                )
            seen[ident] = located
            found.append(located)
    return found


def file_name(document: Any, json_format: bool = False) -> str:
    """Where export writes a document, relative to its directory: segments/<key>, or
    <kind>/<key>, with the format's suffix."""
    folder = "segments" if isinstance(document, SegmentDocument) else document.kind
    return f"{folder}/{document.key}{'.json' if json_format else '.yaml'}"
