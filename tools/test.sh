#!/usr/bin/env bash
# Install everything the test suite needs (Python packages; Chromium and CJK fonts for the
# browser tests), then run the whole suite. Extra arguments go to pytest, e.g.
# `bash tools/test.sh -k cli`.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} for the browser tests (apt-get)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
        >/dev/null || echo "could not install ${missing[*]}: browser tests may be skipped" >&2
fi
exec python -m pytest "$@"
