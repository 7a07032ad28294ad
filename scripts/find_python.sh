#!/bin/sh
# The path of a Python X.Y interpreter on this machine: on PATH, under pyenv, or one uv manages.
# Usage: scripts/find_python.sh 3.10   (exit 1, with a message, when there is none)
v="$1"
if command -v "python$v" >/dev/null 2>&1 && "python$v" -c "import sys" >/dev/null 2>&1; then
    command -v "python$v"; exit 0
fi
root="${PYENV_ROOT:-$HOME/.pyenv}"
for candidate in "$root"/versions/"$v".*/bin/python"$v"; do
    if [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
for uv in .tools/bin/uv uv; do
    if found=$("$uv" python find --no-python-downloads "$v" 2>/dev/null); then echo "$found"; exit 0; fi
done
echo "no Python $v on this machine (looked on PATH, under $root/versions and uv's)" >&2
exit 1
