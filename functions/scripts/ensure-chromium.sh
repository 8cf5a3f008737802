#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's chromium (never a browser download: playwright-core
# only). Runs before `npm test`: installs the package when it is missing and this user may run apt-get;
# otherwise it says what to do, and the browser tests fail with the same message.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
  echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" >&2
else
  echo "ensure-chromium: $CHROMIUM is missing. Install Debian's chromium (sudo apt-get install -y chromium) for the dashboard's browser tests." >&2
fi
