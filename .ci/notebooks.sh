#!/usr/bin/env bash
# Executes the example notebooks (notebooks/*.ipynb) headless with Deno's Jupyter kernel and
# fails on any cell error, or when a notebook's outputs lack the displays it promises (an HTML
# <table> and a plot: image/svg+xml, or an <svg> inside text/html).
#
#   .ci/notebooks.sh [deno binary [notebook.ipynb ...]]
#
# The deno binary defaults to $DENO_BIN, else `deno` on PATH; the notebooks to notebooks/*.ipynb.
#
# Needs Python with the pinned Jupyter client packages (from the local index), e.g. in a venv:
#   python3 -m venv /tmp/nb && /tmp/nb/bin/pip install nbclient==0.11.0 nbformat==5.11.1 jupyter_client==8.10.0
#   PYTHON=/tmp/nb/bin/python .ci/notebooks.sh
# ($PYTHON picks the interpreter, default python3.) Neither ipykernel nor nbconvert is needed: the
# kernel is Deno's, and nbclient executes. The Deno kernel is installed into a temporary
# Jupyter data directory (HOME is pointed there for `deno jupyter --install` only, and JUPYTER_PATH
# at it for the run), so nothing is written to the user's Jupyter setup. The kernel runs with
# every permission (Deno's kernel always does) from notebooks/, as a user's would. The executed
# notebooks are written to $NOTEBOOKS_OUT (default: a temporary folder, removed at the end).
set -euo pipefail

DENO="${1:-${DENO_BIN:-deno}}"
shift || true
# paths given relative to the caller's folder
case "$DENO" in */*) DENO=$(realpath "$DENO") ;; esac
notebooks=()
for nb in "$@"; do notebooks+=("$(realpath "$nb")"); done
cd "$(dirname "$0")/.."
[ "${#notebooks[@]}" -gt 0 ] || notebooks=(notebooks/*.ipynb)
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import nbclient, nbformat, jupyter_client" 2>/dev/null; then
  echo "notebooks: $PYTHON lacks nbclient/nbformat/jupyter_client; install them with" >&2
  echo "  pip install nbclient==0.11.0 nbformat==5.11.1 jupyter_client==8.10.0" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=sdeno-deno-ci
HOME="$work/home" "$DENO" jupyter --install --force --name "$kernel" --display "Deno (sdeno CI)" \
  >/dev/null 2>&1 || { echo "notebooks: deno jupyter --install failed" >&2; exit 1; }
export JUPYTER_PATH="$work/home/.local/share/jupyter"
export JUPYTER_RUNTIME_DIR="$work/runtime"
export JUPYTER_PLATFORM_DIRS=1
out="${NOTEBOOKS_OUT:-$work/executed}"
mkdir -p "$out"

"$PYTHON" - "$kernel" "$out" "${notebooks[@]}" <<'PY'
import os
import queue
import re
import sys
import time

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError


class DenoNotebookClient(NotebookClient):
    """nbclient, listening a little past each cell's idle status.

    nbclient stops reading a cell's IOPub messages at its `idle` status. Deno's kernel (2.9.6)
    sometimes publishes a cell's execute_result just after its idle (seen here on about one run
    in three, on any cell), so the cell's display would be lost. This keeps reading the cell's
    messages until none has come for GRACE seconds. (Overrides nbclient 0.11.0's
    _async_poll_output_msg; the version is pinned.)
    """

    GRACE = 0.5

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.GRACE))
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass


kernel, out, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
# Outputs that must hold both a table and a plot, per notebook: the result objects' displays.
DISPLAYS = {"sample_model.ipynb": 4, "ssa_cme.ipynb": 2}

DECLARATION = re.compile(r"^\s*(const|let|var|import|export|function|async function|class|type|interface)\b|^\s*}")


def has_plot(data):
    return "image/svg+xml" in data or "<svg" in str(data.get("text/html", ""))

def has_table(data):
    return "<table" in str(data.get("text/html", ""))

failed = False
for path in paths:
    name = os.path.basename(path)
    nb = nbformat.read(path, as_version=4)
    client = DenoNotebookClient(
        nb, timeout=600, kernel_name=kernel, allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    start = time.time()
    try:
        client.execute()
        error = None
    except CellExecutionError as e:
        error = str(e)
    nbformat.write(nb, os.path.join(out, name))
    took = time.time() - start
    if error is not None:
        print(f"notebooks: {name}: a cell failed after {took:.0f} s:\n{error}")
        failed = True
        continue
    code = [c for c in nb.cells if c.cell_type == "code"]
    datas = [o.get("data", {}) for c in code for o in c.get("outputs", [])]
    # every code cell must show something (Deno's kernel shows the last expression's value even
    # after a semicolon), unless it ends in a declaration
    silent = [i for i, c in enumerate(code) if not c.get("outputs") and not DECLARATION.match(
        (c.source.rstrip().splitlines() or [""])[-1])]
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    both = sum(1 for d in datas if has_plot(d) and has_table(d))
    plots = sum(1 for d in datas if has_plot(d))
    tables = sum(1 for d in datas if has_table(d))
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    want = DISPLAYS.get(name, 1)
    ok = not errors and both >= want and not silent
    print(f"notebooks: {name}: {cells} code cells, no errors: {not errors}; outputs with a table "
          f"and a plot: {both} (need {want}); plots {plots}, tables {tables}; code cells without "
          f"output: {silent or 'none'}; {took:.0f} s"
          f" -> {'ok' if ok else 'FAILED'}")
    failed = failed or not ok
sys.exit(1 if failed else 0)
PY
