"""The package's layout holds: floors, no import cycles, a cheap `import recipes`.

Floors, from the bottom: `callbacks` < `recipes._validate`, `datasets`,
`advice`, `_data_files` < `models` < `checks` < `training` < `search` <
`run` < `repair` < `cli`
(and its `_cli_parser`, `_cli_checks`, `_cli_repair`). A
module imports only from its own floor or below (function-local imports
count too), and no chain of imports leads back to where it started.
"""

import ast
import pathlib
import re
import subprocess
import sys

import pytest

import recipes

ROOT = pathlib.Path(__file__).resolve().parents[1]
FLOORS = {
    "callbacks": 0,
    "recipes._validate": 1,
    "recipes.datasets": 1,
    "recipes.advice": 1,
    "recipes._data_files": 1,
    "recipes.models": 2,
    "recipes.checks": 3,
    "recipes.training": 4,
    "recipes.search": 5,
    "recipes.run": 6,
    "recipes.repair": 7,
    "recipes.cli": 8,
    "recipes._cli_parser": 8,
    "recipes._cli_checks": 8,
    "recipes._cli_repair": 8,
    "recipes.__main__": 8,
}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules():
    """{module name: source} of every module under recipes/ and callbacks/."""
    found = {}
    for package in ("recipes", "callbacks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path.read_text()
    return found


def resolve(name, known):
    """The module an import of `name` (a module or `pkg.attribute`) loads."""
    if name in known:
        return name
    package, _, attribute = name.rpartition(".")
    if package == "recipes":  # the lazy public names of `recipes`
        target = recipes._LAZY.get(attribute) or recipes._SUBMODULES.get(attribute)
        if target:
            return target
    return package if package in known else None


def imports(source, known):
    """Every project module that `source` imports, at any depth of the code."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            target = resolve(name, known)
            if target:
                out.add(target)
    return out


def floor(module):
    for prefix in sorted(FLOORS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return FLOORS[prefix]
    return None


def violations(modules):
    """Imports that go up a floor, and import cycles, as readable lines."""
    known = set(modules)
    graph = {m: imports(src, known) - {m} for m, src in modules.items()}
    bad = []
    for module, targets in sorted(graph.items()):
        if module == "recipes":  # the door: a lazy map, imports on first use
            continue
        if floor(module) is None:
            bad.append(f"{module} has no floor: add it to FLOORS")
            continue
        for target in sorted(targets):
            if target != "recipes" and floor(target) > floor(module):
                bad.append(
                    f"{module} (floor {floor(module)}) imports {target} "
                    f"(floor {floor(target)})"
                )
    # cycles: depth-first search over the import graph
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt == "recipes":
                continue
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :] + [nxt]
                bad.append("import cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return bad


def test_the_tree_keeps_its_floors_and_has_no_cycles():
    assert violations(all_modules()) == []


def test_every_module_sits_in_one_of_the_rooms():
    rooms = {"models", "checks", "training", "search", "run", "repair"}
    top = {p.name for p in (ROOT / "recipes").glob("*.py")}
    assert top == {
        "__init__.py",
        "__main__.py",
        "cli.py",
        "_cli_parser.py",
        "_cli_checks.py",
        "_cli_repair.py",
        "datasets.py",
        "advice.py",
        "_validate.py",
        "_data_files.py",
    }
    subs = {
        p.name
        for p in (ROOT / "recipes").iterdir()
        if p.is_dir() and p.name != "__pycache__"
    }
    assert subs == rooms


@pytest.mark.parametrize(
    "module, source, expected",
    [
        ("recipes.models.mlp", "from recipes.checks import data\n", "imports"),
        (
            "recipes.checks.data",
            "def f():\n    import recipes.search.tuning\n",
            "imports",
        ),
        ("recipes.search.space", "from recipes import babysit\n", "imports"),
        ("callbacks.finding", "from recipes import _validate\n", "imports"),
        ("recipes.checks.data", "from recipes.checks import model\n", "cycle"),
    ],
)
def test_a_forbidden_import_is_caught(module, source, expected):
    modules = all_modules()
    modules[module] = modules[module] + "\n" + source
    if expected == "cycle":  # make model import data back
        modules["recipes.checks.model"] += "\nfrom recipes.checks import data\n"
    found = violations(modules)
    assert any(expected in line for line in found), found


def private_attribute_writes(modules):
    """`module:line` of each assignment to a private attribute of an object
    other than `self` or `cls` (`monitor._parent = ...`): objects talk
    through public methods and arguments."""
    found = []
    for module, source in modules.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            else:
                continue
            for target in targets:
                for t in ast.walk(target):
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr.startswith("_")
                        and not t.attr.startswith("__")
                        and not (
                            isinstance(t.value, ast.Name)
                            and t.value.id in ("self", "cls")
                        )
                    ):
                        found.append(f"{module}:{t.lineno} sets .{t.attr}")
    return found


def test_no_object_sets_another_objects_private_attributes():
    assert private_attribute_writes(all_modules()) == []


def test_a_private_attribute_write_is_caught():
    modules = {"callbacks.babysitter": "def f(self, m):\n    m._parent = self\n"}
    assert private_attribute_writes(modules) == ["callbacks.babysitter:2 sets ._parent"]


def test_import_recipes_stays_cheap():
    code = (
        "import sys, recipes; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'tensorflow', 'keras_tuner', 'matplotlib', 'keras', 'sklearn'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_the_architecture_page_names_every_room():
    text = (ROOT / "docs" / "explanation" / "architecture.md").read_text()
    block = text.split("## Two packages, one direction", 1)[1].split("```")[1]
    rooms = re.findall(r"^  (\w+)/", block, flags=re.M)
    assert sorted(rooms) == ["checks", "models", "repair", "run", "search", "training"]
    top = {p.stem for p in (ROOT / "recipes").glob("*.py")}
    door = block.split("recipes/", 1)[1].splitlines()[0]
    assert top <= set(re.findall(r"\w+", door)), sorted(top)
