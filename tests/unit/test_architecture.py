"""The architecture checks that import-linter cannot express: no import circle between modules
of beredskab, no module over 400 lines without a stated reason, api/ never owns a transaction or
queries, and the contracts in .importlinter run and hold (so `make test` fails on a broken one)."""

from __future__ import annotations

import ast
import functools
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import grimp
from importlinter import api as importlinter_api

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("beredskab", "api", "notifications", "web")
MAX_LINES = 400
# api/ hands every transaction to a service: these calls there mean a route owns one
TRANSACTION_METHODS = {"commit", "rollback", "flush"}
LOCKS = {"lock_activation"}
# a router asks a service; a query of its own means the use case leaks into the web layer
SESSION_QUERIES = {"get", "exec", "execute", "scalar", "scalars"}


# --- no import circle ------------------------------------------------------------------------


@functools.cache
def import_graph(*, runtime_only: bool) -> grimp.ImportGraph:
    # cache_dir=None: nothing written into the repository by a test run
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=runtime_only, cache_dir=None)


def domain_imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Direct imports between modules of beredskab (a module's own package excluded)."""
    modules = {m for m in graph.modules if m == "beredskab" or m.startswith("beredskab.")}
    return {
        m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules and i != m}
        for m in modules
    }


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(edges[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(found)


def one_cycle(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, for the message."""
    start, members = component[0], set(component)
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in sorted(edges[module] & members):
            if imported == start:
                path = [module]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if imported not in previous:
                previous[imported] = module
                queue.append(imported)
    return component


def describe_circle(
    graph: grimp.ImportGraph,
    edges: dict[str, set[str]],
    runtime_edges: dict[str, set[str]],
    component: list[str],
) -> str:
    """The modules of one circle and one path round it, each import with its line; an import
    made only under `if TYPE_CHECKING:` is marked, and so is a circle made only of them."""
    lines = [f"circle of {len(component)} modules: {', '.join(component)}"]
    if not any(set(c) <= set(component) for c in circles(runtime_edges)):
        lines.append(
            "  only through imports under `if TYPE_CHECKING:` (still a circle in the design: "
            "move the shared type down)"
        )
    path = one_cycle(edges, component)
    for importer, imported in zip(path, path[1:], strict=False):
        typing_only = "" if imported in runtime_edges[importer] else " [TYPE_CHECKING]"
        for detail in graph.get_import_details(importer=importer, imported=imported)[:1]:
            lines.append(
                f"  {importer} -> {imported}{typing_only} "
                f"(l.{detail['line_number']}: {detail['line_contents']})"
            )
    return "\n".join(lines)


def test_no_import_circle_between_modules_of_beredskab():
    graph = import_graph(runtime_only=False)
    edges = domain_imports(graph)
    runtime_edges = domain_imports(import_graph(runtime_only=True))
    found = circles(edges)
    assert not found, "\n".join(
        describe_circle(graph, edges, runtime_edges, component) for component in found
    )


def test_the_circle_finder_sees_a_circle():
    # the finder itself, on a made-up graph: a -> b -> c -> a, and d alone importing a
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c"]]
    assert one_cycle(edges, ["a", "b", "c"]) == ["a", "b", "c", "a"]


# --- module size -----------------------------------------------------------------------------


def python_files(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def states_its_size(source: str) -> bool:
    """The module docstring has a line `Size: <why this module is one piece>`."""
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return any(
        line.strip().startswith("Size:") and line.strip()[len("Size:") :].strip()
        for line in docstring.splitlines()
    )


def oversized_modules() -> dict[str, int]:
    found = {}
    for path in python_files("beredskab"):
        source = path.read_text(encoding="utf-8")
        size = len(source.splitlines())
        if size > MAX_LINES and not states_its_size(source):
            found[str(path.relative_to(ROOT))] = size
    return found


def test_no_module_in_beredskab_over_400_lines_without_a_stated_reason():
    found = oversized_modules()
    assert not found, (
        f"modules over {MAX_LINES} lines (split by responsibility, or say why in a docstring "
        "line starting with `Size:`):\n"
        + "\n".join(f"  {path}: {size} lines" for path, size in sorted(found.items()))
    )


def test_a_size_line_needs_a_reason():
    assert states_its_size('"""Owns X.\n\nSize: one state machine, read in one go."""\n')
    assert not states_its_size('"""Owns X.\n\nSize:\n"""\n')
    assert not states_its_size('"""Owns X, and its size is fine."""\n')


# --- api/ never owns a transaction -----------------------------------------------------------


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def on_a_session(call: ast.Call) -> bool:
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    return (isinstance(receiver, ast.Name) and receiver.id == "session") or (
        isinstance(receiver, ast.Attribute) and receiver.attr == "session"
    )


def web_layer_offences(source: str, *, router: bool) -> list[str]:
    """What a module of api/ does that belongs to a service: commit, roll back, flush, lock;
    and in a router also build a `select(` or query its session."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [(node.lineno, f"imports {a.name}") for a in node.names if a.name in LOCKS]
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        if isinstance(node.func, ast.Attribute) and name in TRANSACTION_METHODS:
            found.append((node.lineno, f"calls .{name}("))
        elif name in LOCKS:
            found.append((node.lineno, f"calls {name}("))
        elif router and name == "select":
            found.append((node.lineno, "calls select("))
        elif router and name in SESSION_QUERIES and on_a_session(node):
            found.append((node.lineno, f"queries session.{name}("))
    return [f"l.{line} {offence}" for line, offence in sorted(found)]


def web_layer_offenders() -> dict[str, list[str]]:
    found = {}
    for path in [*python_files("api"), *python_files("web")]:
        relative = path.relative_to(ROOT)
        router = relative.parts[:2] in (("api", "routers"), ("web", "routes"))
        if offences := web_layer_offences(path.read_text(encoding="utf-8"), router=router):
            found[str(relative)] = offences
    return found


def test_api_and_console_never_commit_roll_back_flush_lock_or_query():
    found = web_layer_offenders()
    assert not found, (
        "api/ and web/ must hand the transaction to ONE service call (the service locks, decides "
        "and "
        "commits through beredskab.unit_of_work.transaction):\n"
        + "\n".join(
            f"  {path}: {offence}"
            for path, offences in sorted(found.items())
            for offence in offences
        )
    )


def test_the_web_layer_check_sees_each_offence():
    route = (
        "from beredskab.activations.repository import lock_activation\n"
        "async def route(session, request):\n"
        "    activation = await lock_activation(session, 'a1')\n"
        "    await session.exec(select(Shift))\n"
        "    row = await request.state.session.get(Shift, 1)\n"
        "    await session.flush()\n"
        "    await session.commit()\n"
        "    await session.rollback()\n"
        "    return {'x': 1}.get('x')\n"  # a dict's get is no query
    )
    assert web_layer_offences(route, router=True) == [
        "l.1 imports lock_activation",
        "l.3 calls lock_activation(",
        "l.4 calls select(",
        "l.4 queries session.exec(",
        "l.5 queries session.get(",
        "l.6 calls .flush(",
        "l.7 calls .commit(",
        "l.8 calls .rollback(",
    ]
    assert web_layer_offences(route, router=False) == [
        "l.1 imports lock_activation",
        "l.3 calls lock_activation(",
        "l.6 calls .flush(",
        "l.7 calls .commit(",
        "l.8 calls .rollback(",
    ]


# --- the contracts run -----------------------------------------------------------------------


def test_every_import_linter_contract_is_kept():
    config = ROOT / ".importlinter"
    contracts = importlinter_api.read_configuration(str(config))["contracts_options"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[report.find("Contracts") :]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in report, report
