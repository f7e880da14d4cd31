#!/usr/bin/env bash
# One entry point for people and CI. Each command first makes sure the project's virtual
# environment exists and matches pyproject.toml + constraints.txt (idempotent: a second run
# reuses it), then runs.
#
#   ./run.sh demo [ARGS]   set everything up and run the main job (lvdyn demo ARGS)
#   ./run.sh test [ARGS]   set everything up and run every check: lint, types, docs and every
#                          test, the slow ones included (ARGS go to pytest)
#   ./run.sh setup         only create or update the environment
#   ./run.sh lvdyn ARGS    run the lvdyn command line inside the environment
#
# Environment variables: LVDYN_VENV (default .venv), PYTHON (default python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VENV="${LVDYN_VENV:-.venv}"
PY="${PYTHON:-python3}"
PIP_FLAGS=(--disable-pip-version-check --no-input --progress-bar off -q)

setup() {
  local want have
  want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
  have="$(cat "$VENV/.lvdyn-env" 2>/dev/null || true)"
  if [[ -x "$VENV/bin/python" && "$want" == "$have" ]]; then
    return 0
  fi
  echo "[run.sh] preparing the environment in $VENV (first run: about two minutes)" >&2
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" --upgrade "pip>=24"
  "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" -c constraints.txt -e ".[all,dev]"
  echo "$want" > "$VENV/.lvdyn-env"
}

run_tests() {
  local bin="$VENV/bin"
  export MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" NO_MKDOCS_2_WARNING=1
  echo "== ruff" && "$bin/ruff" check lvdyn tests examples benchmarks && "$bin/ruff" format --check lvdyn tests examples benchmarks
  echo "== mypy" && "$bin/mypy"
  if [[ -f mkdocs.yml ]]; then
    echo "== docs" && "$bin/mkdocs" build --strict --quiet --site-dir "$(mktemp -d)"
  fi
  # One pass over the default suite and the tests marked slow (the later -m overrides the
  # default "-m 'not slow'" in pyproject.toml); `pytest` alone runs only the fast suite.
  echo "== pytest (all tests, slow included)" && "$bin/python" -m pytest -m "slow or not slow" "$@"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  setup) setup ;;
  demo)  setup && exec "$VENV/bin/lvdyn" demo "$@" ;;
  test)  setup && run_tests "$@" ;;
  lvdyn) setup && exec "$VENV/bin/lvdyn" "$@" ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
