#!/usr/bin/env bash
# Checks the systemd unit shipped in deploy/ (README, "Running it for a clinic"): systemd's own
# verifier finds no error or warning, and its offline security review rates the sandbox's exposure
# at 2.5 or lower ("OK"). Run by .ci/run; needs systemd-analyze (Debian's systemd package).
set -euo pipefail
cd "$(dirname "$0")/.."

unit=deploy/roshni.service
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$unit" "$work/roshni.service"
# The verifier checks that ExecStart's program exists: where node lives elsewhere, check that copy.
if [[ ! -x /usr/bin/node ]]; then
  sed -i "s#^ExecStart=/usr/bin/node #ExecStart=$(command -v node) #" "$work/roshni.service"
fi

if ! report=$(systemd-analyze verify --man=no "$work/roshni.service" 2>&1) || [[ -n $report ]]; then
  printf 'verify-deploy: systemd-analyze verify %s:\n%s\n' "$unit" "$report" >&2
  exit 1
fi
if ! systemd-analyze security --offline=yes --threshold=25 --no-pager "$work/roshni.service" > "$work/security.txt" 2>&1; then
  cat "$work/security.txt" >&2
  echo "verify-deploy: $unit's sandbox is looser than exposure 2.5" >&2
  exit 1
fi
echo "verify-deploy: $unit verified; $(grep -o 'Overall exposure level.*' "$work/security.txt")"
