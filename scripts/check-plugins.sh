#!/usr/bin/env bash
# The plugin author's path, on every change: generate a plugin with the scaffold, install it, run
# its generated tests, serve Jiayuan with it and fetch its page; then install the example plugin
# in examples/ as its own package and run its tests on SQLite and PostgreSQL.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
PG_URL="${1:-}"
TMP="$(mktemp -d)"
installed=()
cleanup() {
  for pkg in "${installed[@]}"; do "$BIN/pip" uninstall -q -y "$pkg" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

run_tests() {  # folder
  (cd "$1" && JIAYUAN_TEST_DATABASE_URL= "$BIN/pytest" -p no:cacheprovider)
  if [ -n "$PG_URL" ]; then (cd "$1" && JIAYUAN_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" -p no:cacheprovider); fi
}

echo "== plugin scaffold: jiayuan plugin new scaffold_check"
"$BIN/jiayuan" plugin new scaffold_check --dir "$TMP" --title "Scaffold check" --title-zh "脚手架检查" >/dev/null
"$BIN/pip" install -q --no-deps --no-build-isolation -e "$TMP/scaffold_check"
installed+=(jiayuan-scaffold-check)
run_tests "$TMP/scaffold_check"
JIAYUAN_INSTANCE_PATH="$TMP/instance" "$BIN/python" "$ROOT/scripts/check_plugin_page.py" scaffold_check /scaffold-check/

echo "== example plugin: examples/parcel_log"
"$BIN/pip" install -q --no-deps --no-build-isolation -e "$ROOT/examples/parcel_log"
installed+=(jiayuan-parcel-log)
run_tests "$ROOT/examples/parcel_log"
