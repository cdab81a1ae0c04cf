#!/bin/sh
# run-demo.sh — `make run`: on first use create the embedded database with the
# demo dataset and an admin account (its password is printed once), then serve.
set -eu
db=${ONRAMP_DB:-sqlite:onramp.db}
case "$db" in
sqlite:*)
	file=${db#sqlite:}
	if [ ! -f "$file" ]; then
		echo "Creating $file with demo data (a few seconds)..."
		./onramp demo --people "${DEMO_PEOPLE:-3000}"
	else
		echo "Using the existing $file (delete it to start over with fresh demo data)."
	fi
	;;
esac
exec ./onramp serve
