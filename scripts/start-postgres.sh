#!/usr/bin/env bash
# Installs (when missing) and starts a local PostgreSQL from Debian's packages, creates the
# test role and database, and prints the URL the tests read from SSJ_TEST_POSTGRES_URL.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$version/main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='ssj'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE ssj LOGIN PASSWORD 'ssj' CREATEDB\"" >&2
# Tests drop their databases WITH (FORCE), which may need to end another role's backends.
su postgres -c "psql -q -c 'ALTER ROLE ssj SUPERUSER'" >&2
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='ssj_test'\"" | grep -q 1 \
  || su postgres -c "psql -q -c 'CREATE DATABASE ssj_test OWNER ssj'" >&2
echo "postgresql+psycopg://ssj:ssj@127.0.0.1:5432/ssj_test"
