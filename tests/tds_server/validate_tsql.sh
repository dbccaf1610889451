#!/bin/bash
# Validate tests/tds_server/tds_server.py with an independent client: FreeTDS tsql (Debian freetds-bin, GnuTLS).
# Checks: TLS-in-PRELOGIN with encryption = require and certificate + hostname validation (ca file = the
# generated cert), SQL login, SELECT output (TOP, non-ASCII CP1252 varchar and UTF-16 nvarchar incl. emoji,
# decimal(38,10), guid), a wrong password rejected, login-only TLS (encryption = off). Exit != 0 on failure.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d /tmp/tds-tsql.XXXXXX)"
FAIL=0
CHECKS=0
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

check() { # check <description> <haystack-file> <needle>
  CHECKS=$((CHECKS + 1))
  if grep -qF -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1 (missing: $3)"; FAIL=$((FAIL + 1)); fi
}

start_server() { # start_server <args...>; sets PORT and SERVER_PID
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -f "$WORK/server.json"  # else the previous server's line may be read before the new one truncates it
  /usr/bin/python3 "$HERE/tds_server.py" --port 0 --gen-cert "$WORK/cert" "$@" > "$WORK/server.json" 2> "$WORK/server.err" < /dev/null &
  SERVER_PID=$!
  # Wait for the new server's whole JSON line.
  PORT=""
  for _ in $(seq 1 150); do
    PORT=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['port'])" "$WORK/server.json" 2>/dev/null) && break
    PORT=""
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "FAIL server did not start"; cat "$WORK/server.err"; exit 1; }
}

run_tsql() { # run_tsql <encryption> <password> <sql-file> <out-file>
  printf '[global]\n\ttds version = 7.4\n\tencryption = %s\n\tca file = %s\n\tcheck certificate hostname = yes\n' "$1" "$WORK/cert/cert.pem" > "$WORK/freetds.conf"
  FREETDSCONF="$WORK/freetds.conf" timeout 60 tsql -H localhost -p "$PORT" -U sa -P "$2" -D demo < "$3" > "$4" 2>&1
}

cat > "$WORK/q.sql" <<'SQL'
SELECT TOP 3 Region_Id, Region_Libelle FROM Region ORDER BY Region_Id
go
SELECT c_int, c_varchar, c_nvarchar, c_decimal, c_guid FROM types_demo WHERE id = 2
go
SELECT CONNECTIONPROPERTY('tls_mode') AS tls, SUSER_SNAME() AS who, COUNT(*) AS n FROM Article WHERE Tarif > 500
go
SELECT * FROM does_not_exist
go
quit
SQL

# 1. server requires encryption; client encryption = require, certificate and host name validated
start_server --encryption required
run_tsql require 'Passw0rd!' "$WORK/q.sql" "$WORK/out1.txt"
echo "--- tsql output (encryption = require) ---"; cat "$WORK/out1.txt"; echo "---"
check "TOP 3 from Region (TLS, SQL login)" "$WORK/out1.txt" "3	Provence-Alpes-Côte d'Azur"
check "first row" "$WORK/out1.txt" "1	Île-de-France"
check "(3 rows affected)" "$WORK/out1.txt" "(3 rows affected)"
check "int min / CP1252 varchar / nvarchar emoji / decimal(38,10) / guid" "$WORK/out1.txt" \
  "-2147483648	naïve façade €	emoji 😀 ok	-9999999999999999999999999999.9999999999	00000000-0000-0000-0000-000000000000"
check "session is fully encrypted, aggregate over parameterless WHERE" "$WORK/out1.txt" "full	sa	4"
check "error 208 reported" "$WORK/out1.txt" "Invalid object name 'does_not_exist'"

# 2. wrong password -> 18456
printf 'SELECT 1\ngo\nquit\n' > "$WORK/q2.sql"
run_tsql require 'wrong' "$WORK/q2.sql" "$WORK/out2.txt"
check "wrong password rejected with 18456" "$WORK/out2.txt" "Login failed for user 'sa'"

# 3. FreeTDS encryption = request sends ENCRYPT_OFF; server OFF too -> only LOGIN7 is encrypted
start_server --encryption off
printf "SELECT CONNECTIONPROPERTY('tls_mode') AS tls, DB_NAME() AS db\ngo\nquit\n" > "$WORK/q3.sql"
run_tsql request 'Passw0rd!' "$WORK/q3.sql" "$WORK/out3.txt"
cat "$WORK/out3.txt"
check "login-only TLS (encryption = request vs server off), then plaintext" "$WORK/out3.txt" "login	demo"

# 4. encryption = off: FreeTDS sends ENCRYPT_NOT_SUP -> no TLS at all
run_tsql off 'Passw0rd!' "$WORK/q3.sql" "$WORK/out4.txt"
check "no TLS at all (encryption = off)" "$WORK/out4.txt" "none	demo"

echo "$CHECKS checks, $FAIL failures"
[ "$FAIL" -eq 0 ]
