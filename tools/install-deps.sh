#!/bin/sh
# install-deps.sh — installs the Debian packages (and the end-to-end test's
# npm packages) that Onramp needs, only those missing. Run as root or with sudo.
set -eu

PKGS="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev sqlite3 libjansson-dev
libsodium-dev libcmocka-dev libcurl4-openssl-dev libpq-dev liboath-dev libqrencode-dev
libgeos-dev libgdal-dev libgoogle-perftools-dev"
if [ "${ONRAMP_DEPS:-}" != "build" ]; then
	# test-only tools: the browser, node for the browser test, wrk for benchmarks,
	# clang for fuzzing
	# a PostgreSQL server for the second run of the integration suite, an SMTP
	# server (aiosmtpd, on Debian's python3) for the mail tests
	PKGS="$PKGS chromium nodejs npm wrk clang libclang-rt-14-dev curl postgresql-15
	python3-aiosmtpd"
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node/npm may come from outside Debian's packages; accept them if on PATH
case " $missing " in *" nodejs "*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//');; esac
case " $missing " in *" npm "*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//');; esac

if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	echo "installing:$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${ONRAMP_DEPS:-}" != "build" ] && [ -f tests/e2e/package.json ] && [ ! -d tests/e2e/node_modules ]; then
	(cd tests/e2e && npm ci --silent --no-audit --no-fund)
fi
