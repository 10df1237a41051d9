#!/usr/bin/env bash
# What CI runs for the VS Code extension, from a clean checkout (Node 20, npm >= 10).
# The e2e test runs against PERFSENSE_PYTHON (default <repo>/.venv/bin/python) and skips,
# saying why, when perfsense.lsp is not importable there; PERFSENSE_E2E_REQUIRED=1 makes
# that a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

node --version
npm --version

npm ci --no-audit --no-fund
npm run typecheck
npm test
npm run package

# The .vsix carries exactly these files (see .vscodeignore).
expected="CHANGELOG.md LICENSE README.md dist/extension.js package.json"
actual="$(npx vsce ls --no-dependencies | sort | xargs)"
if [ "$actual" != "$expected" ]; then
  echo "unexpected .vsix contents: $actual (expected: $expected)" >&2
  exit 1
fi
ls -l ./*.vsix
