#!/bin/sh
# pg-test-cluster.sh — a throwaway PostgreSQL 15 server for the test suite.
#
#   tools/pg-test-cluster.sh start DIR   initdb into DIR/data, start on a free
#                                        loopback port (unix socket in DIR);
#                                        prints the server's base URL
#                                        (postgres://onramp@127.0.0.1:PORT)
#   tools/pg-test-cluster.sh stop DIR    stop it (fast) and remove DIR
#
# The server runs as an unprivileged user: the caller's own account, or when
# the caller is root the system user onramp-test (created here if missing),
# because PostgreSQL refuses to run as root. The cluster trusts local
# connections only (listen_addresses = 127.0.0.1, trust for loopback and
# the socket) and is tuned for tests, not durability (fsync off): it lives
# for one run of the suite. Databases are created by the harness per server.
# PG_DURABLE=1 starts it with durable commits instead (fsync,
# synchronous_commit and full_page_writes on), for benchmarks
# (bench/pg_intake.sh) whose figures must mean what production's would.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_RUN=""

as_owner() { # command...
	if [ -n "$PGUSER_RUN" ]; then
		runuser -u "$PGUSER_RUN" -- "$@"
	else
		"$@"
	fi
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

if [ "$(id -u)" -eq 0 ]; then
	PGUSER_RUN=onramp-test
	if ! id "$PGUSER_RUN" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_RUN"
	fi
fi

case "$cmd" in
start)
	[ -x "$PGBIN/initdb" ] || { echo "$0: no PostgreSQL 15 in $PGBIN (make deps)" >&2; exit 1; }
	mkdir -p "$dir"
	chmod 0755 "$dir"
	[ -z "$PGUSER_RUN" ] || chown "$PGUSER_RUN" "$dir"
	as_owner "$PGBIN/initdb" -D "$dir/data" -U onramp --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	port=$(free_port)
	durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	if [ "${PG_DURABLE:-}" = 1 ]; then
		durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
	fi
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
		"-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
		 $durability -c max_connections=400 -c shared_buffers=64MB" >/dev/null \
		|| { cat "$dir/server.log" >&2; exit 1; }
	echo "postgres://onramp@127.0.0.1:$port"
	;;
stop)
	if [ -d "$dir/data" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
