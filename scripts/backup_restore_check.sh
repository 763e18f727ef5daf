#!/usr/bin/env bash
# Back up the database with pg_dump and prove the backup restores (README, Production).
#
#   scripts/backup_restore_check.sh [DATABASE_URL] [BACKUP_DIR]
#
# 1. pg_dump --format=custom of DATABASE_URL (default: $DATABASE_URL) into BACKUP_DIR
#    (default: var/backups), named <database>-<UTC time>.dump;
# 2. restores it into a scratch database <database>_restore_check on the same server
#    (dropped first if left by an earlier run, and dropped at the end);
# 3. compares, table by table, the exact row count of every table of the public schema in the
#    source and in the restored copy, and the applied migrations; any difference fails (exit 1).
# The dump is kept (copy it off the machine: see the README). Needs pg_dump, pg_restore and
# psql of the server's major version and a role that may create databases.
set -euo pipefail

url="${1:-${DATABASE_URL:?give a DATABASE_URL}}"
dir="${2:-var/backups}"
mkdir -p "$dir"

# postgres://user[:password]@host[:port]/name[?options] -> the scratch database's URL
base="${url%%\?*}"
name="${base##*/}"
server="${base%/*}"
scratch="${name}_restore_check"
scratch_url="${server}/${scratch}"
dump="${dir}/${name}-$(date -u +%Y%m%dT%H%M%SZ).dump"

started=$(date +%s)
pg_dump --format=custom --no-owner --file="$dump" "$url"
echo "backup: $dump ($(du -h "$dump" | cut -f1))"

psql --quiet --no-psqlrc -d "${server}/postgres" -c "DROP DATABASE IF EXISTS \"${scratch}\"" >/dev/null
psql --quiet --no-psqlrc -d "${server}/postgres" -c "CREATE DATABASE \"${scratch}\"" >/dev/null
trap 'psql --quiet --no-psqlrc -d "${server}/postgres" -c "DROP DATABASE IF EXISTS \"${scratch}\"" >/dev/null' EXIT
if ! pg_restore --no-owner --exit-on-error --dbname="$scratch_url" "$dump"; then
  echo "restore check FAILED: pg_restore could not restore $dump" >&2
  exit 1
fi

# Exact row counts of every table (and the migrations applied), one "table count" line each.
count_rows='
SELECT table_name || '"' '"' || (xpath('"'/row/c/text()'"',
         query_to_xml(format('"'SELECT count(*) AS c FROM public.%I'"', table_name), false, true, '"''"')))[1]::text
  FROM information_schema.tables
 WHERE table_schema = '"'public'"' AND table_type = '"'BASE TABLE'"'
 ORDER BY table_name;
SELECT '"'migrations '"' || string_agg(app || '"'.'"' || name, '"','"' ORDER BY app, name) FROM django_migrations;
'
source_counts=$(psql --no-psqlrc -At -d "$url" -c "$count_rows")
restored_counts=$(psql --no-psqlrc -At -d "$scratch_url" -c "$count_rows")
tables=$(echo "$source_counts" | grep -vc '^migrations ')
if [ "$source_counts" != "$restored_counts" ]; then
  echo "restore check FAILED: the restored copy differs from the source:" >&2
  diff <(echo "$source_counts") <(echo "$restored_counts") >&2 || true
  exit 1
fi
rows=$(echo "$source_counts" | grep -v '^migrations ' | awk '{ total += $2 } END { print total }')
echo "restore check passed: ${tables} tables, ${rows} rows and the applied migrations identical in ${scratch} ($(( $(date +%s) - started )) s)"
