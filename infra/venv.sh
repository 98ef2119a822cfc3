# shellcheck shell=bash
# Sourced by infra/check and infra/build: one venv (infra/.venv) that gets the
# pins of a requirements file installed once; later runs only compare a stamp
# named after the file's hash, so they cost a few milliseconds.

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$INFRA/.." && pwd)"
VENV="${SEGFLOW_INFRA_VENV:-$INFRA/.venv}"

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no python3 found (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

# ensure_venv REQUIREMENTS_FILE
ensure_venv() {
  local req="$1" name hash stamp python lock_fd
  name="$(basename "$req" .txt)"
  hash="$(sha256sum "$req" | cut -c1-16)"
  stamp="$VENV/.stamp-$name-$hash"
  if [[ -f "$stamp" && -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c '' 2>/dev/null; then
    return 0
  fi
  mkdir -p "$VENV"
  exec {lock_fd}>"$VENV/.lock"
  flock "$lock_fd"
  if [[ ! -f "$stamp" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
    if ! "$VENV/bin/python" -c '' 2>/dev/null; then
      python="$(pick_python)"
      echo "==> creating $VENV with $("$python" --version 2>&1)" >&2
      "$python" -m venv --clear "$VENV"
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    fi
    echo "==> installing $(basename "$req") into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    rm -f "$VENV/.stamp-$name-"*
    touch "$stamp"
  fi
  flock -u "$lock_fd"
  exec {lock_fd}>&-
}
