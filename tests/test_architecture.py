"""Architecture: no upward import edge between layers; no private name used outside its module.

A module's layer is its first name under ``randcheck`` (``randcheck.sampling.draws``: ``sampling``).
An import (top level, inside a function, or under TYPE_CHECKING) may go to the same rank or lower.
A private name (``_x``, not a dunder) may be used only in the module that defines it; a private
*module* (``_x.py``) only inside its own package directory (root-level ``_x`` modules are shared
infrastructure and open to all).
"""

from __future__ import annotations

import ast
import functools
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "randcheck"

RANK = {
    # 0: infrastructure, no randcheck imports above it
    "_version": 0,
    "_moved": 0,
    "_dates": 0,
    "errors": 0,
    "problems": 0,
    "_records": 0,
    "_files": 0,
    "_textio": 0,
    "_excel": 0,
    "_arrow": 0,
    "_tables": 0,
    "_headers": 0,
    "_progress": 0,
    "_parallel": 0,
    "_inputs": 0,
    "recipes": 0,  # the registry of recipe names: data only
    # 1-2: values, rules, directories
    "models": 1,
    "calendar": 1,
    "roster": 2,
    "loaders": 2,
    # 3: the randomness layer
    "randomness": 3,
    # 4-6: stages in flow order
    "sampling": 4,
    "joint": 5,
    "matching": 6,
    # 7-10: outcomes and audit
    "results": 7,
    "policy": 8,
    "archive": 9,
    "audit": 10,
    # 11+: edges
    "example": 11,
    "demo": 12,
    "cli": 13,
    "__main__": 14,
    "reference_verifier": 0,  # stdlib only, imports nothing from randcheck
}
# Flat modules that issue 16 moves into the packages above, ranked where they will live; each
# line goes when its module does.
RANK.update(
    {
        "seeds": 3,
    }
)
SHIMS: set[str] = {  # one-release deprecated module paths
    "credit_code",
    "seeds",
    "deadlines",
    "figures",
    "revisits",
    "visits",
}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "randcheck":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _targets(node: ast.ImportFrom | ast.Import, here: str, is_pkg: bool) -> list[tuple[str, str]]:
    """(module, name) pairs an import reaches; name is "" for a plain module import."""
    if isinstance(node, ast.Import):
        return [(a.name, "") for a in node.names]
    base = node.module or ""
    if node.level:
        pkg = here.split(".") if is_pkg else here.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join([*pkg, base] if base else pkg)
    return [(base, a.name) for a in node.names]


@functools.cache  # both tests read the same trees: parse src once
def _modules() -> dict[str, tuple[pathlib.Path, ast.Module]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        out[_module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return out


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
            names.add(n.attr)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
            names.add(n.value)  # __slots__ entries, attrs aliases
    return names


def upward_edges() -> list[str]:
    mods = _modules()
    bad = []
    for name, (path, tree) in mods.items():
        src_layer = _layer(name)
        if src_layer == "__init__" or src_layer in SHIMS:
            continue
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for module, imported in _targets(node, name, is_pkg):
                dst = _layer(module)
                if module == "randcheck" and imported:
                    dst = imported if imported in RANK else "__init__"
                if dst is None:
                    continue
                if dst == "__init__" or RANK.get(dst, 99) > RANK.get(src_layer, 99):
                    bad.append(f"{path.relative_to(SRC)}:{node.lineno} {src_layer} -> {dst}")
    return bad


def private_uses() -> list[str]:
    mods = _modules()
    defined = {name: _defined(tree) for name, (_, tree) in mods.items()}
    owners: dict[str, set[str]] = {}
    for name, names in defined.items():
        for n in names:
            owners.setdefault(n, set()).add(name)
    bad = []
    for name, (path, tree) in mods.items():
        is_pkg = path.name == "__init__.py"
        here_pkg = name if is_pkg else name.rpartition(".")[0]
        for node in ast.walk(tree):
            where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for module, imported in _targets(node, name, is_pkg):
                    full = f"{module}.{imported}" if imported else module
                    if not full.startswith("randcheck"):
                        continue
                    parts = full.split(".")
                    for i, part in enumerate(parts[1:], start=1):
                        if not part.startswith("_") or part.startswith("__"):
                            continue
                        owner = ".".join(parts[:i])
                        is_module = ".".join(parts[: i + 1]) in mods
                        if is_module and (owner == "randcheck" or here_pkg.startswith(owner)):
                            continue  # a private module of this package (or a root helper)
                        if not is_module and owner == name:
                            continue
                        bad.append(f"{where} imports {full}")
            elif isinstance(node, ast.Attribute):
                attr = node.attr
                if not attr.startswith("_") or attr.startswith("__") or attr in defined[name]:
                    continue
                if owners.get(attr):  # defined in another randcheck module
                    owner = sorted(owners[attr])
                    bad.append(f"{where} uses {ast.unparse(node)} (defined in {owner})")
    return bad


def test_no_upward_import_edge() -> None:
    assert upward_edges() == []


def test_no_private_name_used_outside_its_module() -> None:
    assert private_uses() == []


SOURCE_KINDS = {"HashSource", "GeneratorSource", "SharedUnits", "SharedStarts", "CoordinatedSource"}


def source_switches() -> list[str]:
    """Places outside ``randomness.sources`` that ask which kind of source they hold.

    The designs take every number through the ``UniformSource`` protocol; an ``isinstance``
    test on a source class, or a reach into a generator source's ``.rng``, is a second way in.
    """
    bad = []
    for name, (path, tree) in _modules().items():
        if name == "randcheck.randomness.sources":
            continue
        for node in ast.walk(tree):
            where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("isinstance", "issubclass")
                and len(node.args) == 2
                and SOURCE_KINDS & {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
            ) or (isinstance(node, ast.Attribute) and node.attr == "rng"):
                bad.append(f"{where} {ast.unparse(node)}")
    return bad


def test_no_design_asks_which_kind_of_source_it_holds() -> None:
    assert source_switches() == []


if __name__ == "__main__":
    for line in source_switches():
        print("source switch:", line)
    for line in upward_edges():
        print("upward:", line)
    for line in private_uses():
        print("private:", line)
