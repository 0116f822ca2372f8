# Sourced by .ci/run and bench/run: a throw-away PostgreSQL 15 on 127.0.0.1 and a free port,
# stopped and removed when the calling script exits. Sets PG_PORT and PG_CONNECTION.
# Runs as root (CI) by handing the data folder to the postgres user, or as any other user directly.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/initdb" ]; then
  apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null
fi

PG_DIR=$(mktemp -d /tmp/cityops-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 55433)
PG_RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  chown postgres:postgres "$PG_DIR"
  PG_RUN_AS=(runuser -u postgres --)
fi

stop_postgres() {
  "${PG_RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

# max_connections: several test servers (or a benchmark's server and its load) each keep a pool.
"${PG_RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${PG_RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300 -c fsync=on ${PG_EXTRA_OPTIONS:-}" start >/dev/null
PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
echo "PostgreSQL 15 on 127.0.0.1:$PG_PORT"
