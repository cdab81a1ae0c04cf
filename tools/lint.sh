#!/bin/sh
# lint.sh — `make lint`: fails on banned C functions and on SQL or SQLite
# calls outside the store layer.
set -u
status=0
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)\('
if grep -rnE "$banned" src tests bench fuzz tools --include='*.c' --include='*.h'; then
	echo "lint: banned function (use snprintf, buf_*, strtol with checks)"
	status=1
fi
if grep -rnE 'sqlite3_|#include <sqlite3.h>|#include <libpq' src --include='*.c' --include='*.h' | grep -v '^src/store/'; then
	echo "lint: database calls outside src/store/"
	status=1
fi
if grep -rnE '"(SELECT|INSERT|UPDATE|DELETE|CREATE) ' src --include='*.c' | grep -v '^src/store/'; then
	echo "lint: SQL text outside src/store/"
	status=1
fi
[ $status -eq 0 ] && echo "lint: ok"
exit $status
