/*
 * cli_version.c — `onramp version`: the release and the library versions
 * it runs with (useful in bug reports).
 */
#include "cli/cli.h"

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/version.h"
#include "store/db.h"

int cli_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: onramp version\n\nPrints the version of onramp and of the libraries it uses.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "onramp: version takes no arguments\n");
		return 2;
	}
	printf("onramp %s (libmicrohttpd %s, sqlite %s, jansson %s, libsodium %s)\n", ONRAMP_VERSION,
	       MHD_get_version(), db_engine_version(), jansson_version_str(), sodium_version_string());
	return 0;
}
