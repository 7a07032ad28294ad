"""The pins of the lowest leg's lock (``make lock`` writes ``constraints/airflow-lowest.txt`` with uv's
``--resolution lowest-direct``): what the package itself needs is resolved to the floors ``pyproject.toml``
declares, so those floors are what the leg tests; the development tools stay at the versions of a given
lock (their floors are not what users install). A development requirement that the package or an extra
needs too (FastAPI, uvicorn), or that is an Airflow provider (it follows Airflow's floor), is not pinned.

Run: ``python -m scripts.lowest_pins constraints/airflow-2.11.2.txt`` (prints constraint lines).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib  # Python 3.11+: run by the main environment (make lock)

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def pins(lock: Path) -> list[str]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    project = pyproject["project"]
    needed = {_name(r) for r in project["dependencies"]}
    needed |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    tools = {_name(r) for r in pyproject["dependency-groups"]["dev"]} - needed
    locked = dict(line.split()[0].split("==") for line in lock.read_text().splitlines() if "==" in line)
    return [f"{name}=={locked[name]}" for name in sorted(tools) if not name.startswith("apache-airflow")]


if __name__ == "__main__":
    print("\n".join(pins(Path(sys.argv[1]))))
