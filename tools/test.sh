#!/usr/bin/env bash
# Install everything the test suite needs (Python packages; Chromium for the browser tests),
# then run the whole suite. Extra arguments go to pytest, e.g. `bash tools/test.sh -k cli`.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing chromium for the browser tests (apt-get)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
        || echo "could not install chromium: browser tests will be skipped" >&2
fi
exec python -m pytest "$@"
