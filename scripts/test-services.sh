#!/usr/bin/env bash
# Installs and starts what the full test suite needs, from Debian's packages, when missing:
# Chromium (driven by Playwright) and a PostgreSQL server on 127.0.0.1 with a `waypost` role.
# Prints the PostgreSQL URL the tests use. Safe to run again.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-noto-cjk)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  $SUDO pg_createcluster "$version" main >&2
  cluster="$version main"
fi
# shellcheck disable=SC2086
$SUDO pg_ctlcluster $cluster start >&2 || true  # "already running" is fine
# shellcheck disable=SC2086
pg_lsclusters -h | grep -q "online" || { echo "PostgreSQL did not start" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}
if ! as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='waypost'" | grep -q 1; then
  as_postgres psql -qc "CREATE ROLE waypost LOGIN SUPERUSER PASSWORD 'waypost'" >&2
fi
echo "postgresql+psycopg://waypost:waypost@127.0.0.1:5432/postgres"
