#!/usr/bin/env bash
# One-time set-up on a fresh machine: Java (for DynamoDB Local), Chromium (the status page's
# browser test drives it), npm packages, and the DynamoDB Local jar, which ships inside the
# amplify-dynamodb-simulator npm tarball.
# Safe to run again: every step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DDB_VERSION="2.9.30"
DDB_DIR=".batchlane/cache/dynamodb-local-${DDB_VERSION}"

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing a Java runtime for DynamoDB Local"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

# The status page's browser test drives Debian's Chromium through playwright-core.
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Chromium for the status page's browser test"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi

if [ ! -f "${DDB_DIR}/DynamoDBLocal.jar" ]; then
  echo "setup: unpacking DynamoDB Local ${DDB_VERSION}"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "amplify-dynamodb-simulator@${DDB_VERSION}" >/dev/null && tar xzf "amplify-dynamodb-simulator-${DDB_VERSION}.tgz" package/emulator)
  mkdir -p "$(dirname "$DDB_DIR")"
  rm -rf "$DDB_DIR"
  mv "$tmp/package/emulator" "$DDB_DIR"
  rm -rf "$tmp"
fi
echo "setup: ready (java: $(java -version 2>&1 | head -n1), chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing), dynamodb-local: ${DDB_DIR})"
