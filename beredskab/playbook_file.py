"""Reading the playbook file at start-up: the edge of the pure `beredskab.playbook` model.

A playbook that does not validate stops start-up with every problem as `path.to.field: reason`,
all of them at once, so one edit round fixes the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from beredskab.playbook import Playbook, as_problems


@dataclass(frozen=True)
class LoadedPlaybook:
    playbook: Playbook
    content_hash: str  # sha256 of the file's bytes: which playbook an activation ran under
    path: Path


class PlaybookError(Exception):
    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"playbook {path} is invalid:\n" + "\n".join(f"  {p}" for p in problems))


def _path(parts: Iterable[str | int]) -> str:
    # "[key]" marks a problem with a mapping's key rather than its value: the key names it.
    return ".".join(str(p) for p in parts if p != "[key]") or "(file)"


def _describe(exc: ValidationError) -> list[str]:
    return [f"{_path(loc)}: {reason}" for loc, reason in as_problems(exc)]


class _StrictLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice (YAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable: let the base class report it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_playbook(path: Path | str) -> LoadedPlaybook:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(path, [f"(file): cannot read ({exc.strerror or exc})"]) from None
    try:
        data = yaml.load(raw, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise PlaybookError(path, [f"{where}: {getattr(exc, 'problem', None) or exc}"]) from None
    if data is None:
        raise PlaybookError(path, ["(file): the file is empty"])
    if not isinstance(data, dict):
        raise PlaybookError(path, ["(file): the top level must be a mapping of settings"])
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(path, _describe(exc)) from None
    return LoadedPlaybook(playbook, hashlib.sha256(raw).hexdigest(), path)
