"""`make run` installs what serving needs and nothing the tests need; it builds the explorer
only when its sources changed."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import requires

from tests.conftest import REPO

TEST_ONLY = {"pytest", "hypothesis", "mlflow-skinny", "scikit-learn", "evidently", "playwright"}


def _dry_run(target: str) -> list[str]:
    done = subprocess.run(
        ["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_make_run_installs_the_package_without_its_test_extras() -> None:
    installs = [line for line in _dry_run("run") if "pip install" in line and "-e" in line]
    # Nothing to install when the venv is already there; otherwise only the runtime.
    for line in installs:
        assert line.rstrip().endswith("-e ."), line
    recipe = (REPO / "Makefile").read_text()
    run_recipe = re.search(r"^run: (.*)$", recipe, re.MULTILINE)
    assert run_recipe is not None and "install" not in run_recipe.group(1).split()


def test_the_runtime_dependencies_hold_no_test_package() -> None:
    runtime = [r for r in requires("lineage") or [] if "extra ==" not in r]
    names = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in runtime}
    assert names and not names & TEST_ONLY, names & TEST_ONLY
