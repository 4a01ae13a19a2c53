"""Print where the installed packages differ from constraints.txt, the versions CI last passed.

CI installs the newest release of every dependency, as a new user's
`pip install -e '.[dev]'` does, and runs this first: when a test then fails, the
lines above it say which release changed under us (as lxml 6.2 once did). It
only reports; it never fails the run. `--write` records the installed versions
as the new constraints, after a run in which they passed.

    python scripts/version_drift.py [--write] [constraints.txt]
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

HEADER = """\
# The versions the test suite last passed with, in CI, on Python 3.11.
# Install exactly these with:
#   pip install -e '.[dev]' -c constraints.txt
# CI also installs the newest releases (as a new user does) and prints how they differ:
#   python scripts/version_drift.py
# After a run that passed on new releases, record them with:
#   python scripts/version_drift.py --write
"""

PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def installed() -> dict[str, tuple[str, str]]:
    """canonical name -> (name as published, version), without this project itself."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in {"review", "pip", "setuptools", "wheel"}:
            found[canonical(name)] = (name, dist.version)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("constraints", nargs="?", default="constraints.txt", type=Path)
    parser.add_argument("--write", action="store_true", help="record the installed versions")
    options = parser.parse_args()
    have = installed()
    if options.write:
        lines = [f"{name}=={version}" for _, (name, version) in sorted(have.items())]
        options.constraints.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(lines)} versions to {options.constraints}")
        return 0
    try:
        pins = read_pins(options.constraints)
    except OSError as error:
        print(f"version drift: cannot read {options.constraints} ({error.strerror})")
        return 0
    changed = [
        f"  {name:<28} {pins.get(key, '(new)'):>14} -> {version}"
        for key, (name, version) in sorted(have.items())
        if pins.get(key) != version
    ]
    if not changed:
        print(f"version drift: none; every package is at the version in {options.constraints}")
        return 0
    print(
        f"version drift: {len(changed)} packages differ from {options.constraints} "
        "(last passing -> installed now):"
    )
    print("\n".join(changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
