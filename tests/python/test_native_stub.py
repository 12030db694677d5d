"""``python/jwtfort/_native.pyi`` is nanobind's stub of the built module, signature by signature:
the test generates the stub again from the module the tests run against and compares the two as
Python syntax trees (names, parameters, defaults, annotations, docstrings), so that a binding
whose signature changed without its stub fails here, while a newer stub generator's layout does
not."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

STUB = Path(__file__).resolve().parents[2] / "python" / "jwtfort" / "_native.pyi"
REGENERATE = "python -m nanobind.stubgen -m jwtfort._native -o python/jwtfort/_native.pyi"


def normalized(source: str) -> str:
    """The syntax tree of a stub, docstrings with their indentation removed."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                value.value = inspect.cleandoc(value.value)
    return ast.dump(tree, indent=1)


def generated_stub(directory: Path) -> str:
    output = directory / "_native.pyi"
    subprocess.run(
        [sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "jwtfort._native", "-o", output],
        check=True,
        timeout=120,
    )
    return output.read_text(encoding="utf-8")


def test_the_committed_stub_is_the_generated_one(tmp_path: Path) -> None:
    committed = normalized(STUB.read_text(encoding="utf-8"))
    generated = normalized(generated_stub(tmp_path))
    assert committed == generated, f"_native.pyi is out of date: run `{REGENERATE}`"


def test_the_comparison_sees_a_changed_signature() -> None:
    stub = STUB.read_text(encoding="utf-8")
    changed = stub.replace("def verify(self, token: bytes | str)", "def verify(self, token: str)")
    assert changed != stub
    assert normalized(changed) != normalized(stub)
    # Layout alone is no difference.
    assert normalized(stub.replace("\n\n", "\n\n\n")) == normalized(stub)
