#!/bin/sh
# Run once by the postgres image on an empty data directory, after 10-roles.sql: gives the
# owner and the application role the passwords from the environment (compose.yaml passes them).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$OWNER_DB_PASSWORD" -v app_password="$APP_DB_PASSWORD" <<'SQL'
ALTER ROLE satysfakcja_owner PASSWORD :'owner_password';
ALTER ROLE satysfakcja_app PASSWORD :'app_password';
SQL
