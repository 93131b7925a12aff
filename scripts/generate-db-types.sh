#!/usr/bin/env bash
# Regenerates src/infra/db/schema.ts from a freshly migrated database.
# Usage: DATABASE_URL=postgres://… scripts/generate-db-types.sh   (the database is migrated first)
# tests/db/schema-types.test.ts runs the same generator with --verify, so drift fails the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a scratch PostgreSQL database}"
node bin/roshni.js db migrate >/dev/null
exec npx kysely-codegen --dialect postgres --url "$DATABASE_URL" --date-parser string --numeric-parser number --type-mapping '{"int8":"number"}' \
  --exclude-pattern 'kysely_*' --out-file src/infra/db/schema.ts "$@"
