#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run azsql-mcp on the embedded
# demo SQLite database (Streamable HTTP on http://127.0.0.1:8000/mcp unless told otherwise).
# Extra arguments go to azsql-mcp, e.g. scripts/run.sh --transport stdio
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what the server needs is installed and only the azsql-mcp target is built (no tests, no
# benchmarks, no npm). Set-up output goes to stderr: with --transport stdio, stdout carries only MCP messages.
scripts/setup.sh --server-only >&2
exec build/azsql-mcp "$@"
