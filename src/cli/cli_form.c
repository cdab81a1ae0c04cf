/*
 * cli_form.c — `onramp form add|list|rotate-key`: the intake forms registry
 * from the command line (the same domain calls as /staff/forms, audited as
 * done by the CLI).
 *
 * add and rotate-key print the form's address (/intake/KEY) and, for the
 * header and hmac checks, its secret: the only time either is shown in
 * clear. Output is one "name: value" per line so scripts can read it.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "domain/intake.h"
#include "domain/keys.h"
#include "lib/limits.h"
#include "store/db.h"

static const char usage[] =
	"Usage: onramp form add --name NAME [--owner PARTNER] [--auth key|header|hmac]\n"
	"                       [--map 'Payload Name=person_field,…'] [--tags a,b] [--rate N]\n"
	"       onramp form list\n"
	"       onramp form rotate-key ID\n"
	"\n"
	"add registers an intake form and prints its address (POST /intake/KEY) and, for\n"
	"--auth header or hmac, its secret. They are shown only this once.\n"
	"--map lists payload names and the person fields they feed (first_name, email,\n"
	"phone, zip, …, or idempotency_key); unmapped names are kept as custom fields.\n"
	"rotate-key gives form ID a new key; the old one stops working.";

/* "a, b" → ["a", "b"]. */
static json_t *cli_form_tags(const char *text)
{
	json_t *arr = json_array();
	const char *p = text ? text : "", *end, *s, *e;

	while (arr && *p) {
		end = p + strcspn(p, ",");
		for (s = p; s < end && *s == ' '; s++)
			;
		for (e = end; e > s && e[-1] == ' '; e--)
			;
		if (e > s)
			json_array_append_new(arr, json_stringn(s, (size_t)(e - s)));
		p = *end ? end + 1 : end;
	}
	return arr;
}

static int cli_form_add(const struct config *cfg, const char *name, const char *owner,
                        const char *auth, const char *map, const char *tags, const char *rate)
{
	struct intake_form_spec spec;
	struct db *db = NULL;
	struct keys *keys = NULL;
	char err[256] = "", key[INTAKE_TOKEN_TEXT], secret[INTAKE_TOKEN_TEXT];
	long long id = 0;
	char *end;
	int status = 1;

	memset(&spec, 0, sizeof(spec));
	if (!name) {
		fprintf(stderr, "onramp: form add needs --name\n");
		return 2;
	}
	spec.name = name;
	spec.owner = owner ? owner : "";
	spec.auth = auth ? auth : "key";
	spec.active = 1;
	spec.rate_per_minute = LIMIT_INTAKE_RATE_DEFAULT;
	if (rate) {
		errno = 0;
		spec.rate_per_minute = strtoll(rate, &end, 10);
		if (errno || *end || end == rate) {
			fprintf(stderr, "onramp: --rate must be a number of leads per minute\n");
			return 2;
		}
	}
	if (intake_mapping_parse(map, &spec.mapping, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: --map: %s\n", err);
		return 2;
	}
	spec.tags = cli_form_tags(tags);
	if (intake_spec_check(&spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: %s\n", err);
		status = 2;
		goto done;
	}
	if (cli_open(cfg, 1, &db, &keys) != 0)
		goto done;
	if (intake_form_create(db, keys, NULL, &spec, &id, key, secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: %s\n", err[0] ? err : "the form could not be added");
		goto done;
	}
	printf("id: %lld\npath: /intake/%s\n", id, key);
	if (secret[0])
		printf("secret: %s\n", secret);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(secret, sizeof(secret));
	status = 0;
done:
	json_decref(spec.mapping);
	json_decref(spec.tags);
	if (db)
		db_close(db);
	keys_free(keys);
	return status;
}

static int cli_form_list(const struct config *cfg)
{
	struct db *db = NULL;
	struct keys *keys = NULL;
	json_t *forms = NULL, *f;
	size_t i;
	int status = 1;

	if (cli_open(cfg, 1, &db, &keys) != 0)
		return 1;
	if (intake_forms_list(db, &forms) < 0) {
		fprintf(stderr, "onramp: listing the forms failed (see the log)\n");
		goto done;
	}
	printf("%-6s %-10s %-7s %-6s %9s %9s  %s\n", "id", "key", "check", "active", "leads",
	       "rejected", "name (owner)");
	json_array_foreach(forms, i, f) {
		printf("%-6lld %-10s %-7s %-6s %9lld %9lld  %s%s%s%s\n",
		       (long long)json_integer_value(json_object_get(f, "id")),
		       json_string_value(json_object_get(f, "key_hint")),
		       json_string_value(json_object_get(f, "auth")),
		       json_is_true(json_object_get(f, "active")) ? "yes" : "no",
		       (long long)json_integer_value(json_object_get(f, "leads")),
		       (long long)json_integer_value(json_object_get(f, "rejected")),
		       json_string_value(json_object_get(f, "name")),
		       json_string_length(json_object_get(f, "owner")) ? " (" : "",
		       json_string_value(json_object_get(f, "owner")),
		       json_string_length(json_object_get(f, "owner")) ? ")" : "");
	}
	status = 0;
done:
	json_decref(forms);
	db_close(db);
	keys_free(keys);
	return status;
}

static int cli_form_rotate(const struct config *cfg, const char *id_text)
{
	struct db *db = NULL;
	struct keys *keys = NULL;
	char key[INTAKE_TOKEN_TEXT], *end;
	long long id;
	int rc, status = 1;

	errno = 0;
	id = id_text ? strtoll(id_text, &end, 10) : 0;
	if (!id_text || errno || *end || id <= 0) {
		fprintf(stderr, "onramp: form rotate-key needs the form's id (see onramp form list)\n");
		return 2;
	}
	if (cli_open(cfg, 1, &db, &keys) != 0)
		return 1;
	rc = intake_form_rotate_key(db, NULL, id, key);
	if (rc == 0) {
		printf("id: %lld\npath: /intake/%s\n", id, key);
		sodium_memzero(key, sizeof(key));
		status = 0;
	} else if (rc == 1) {
		fprintf(stderr, "onramp: there is no form %lld\n", id);
	} else {
		fprintf(stderr, "onramp: the key could not be changed (see the log)\n");
	}
	db_close(db);
	keys_free(keys);
	return status;
}

int cli_form(int argc, char **argv)
{
	struct config cfg;
	const char *name = NULL, *owner = NULL, *auth = NULL, *map = NULL, *tags = NULL;
	const char *rate = NULL, *pos[2];
	const struct cli_opt opts[] = {
		{ "name", &name, "the form's name (add)" },
		{ "owner", &owner, "the partner organization running it; none for your own (add)" },
		{ "auth", &auth, "key (default), header or hmac (add)" },
		{ "map", &map, "'Payload Name=person_field,…' (add)" },
		{ "tags", &tags, "default tags, comma separated (add)" },
		{ "rate", &rate, "leads per minute at most (add; default 6000)" },
	};
	size_t n_pos;
	int rc;

	rc = cli_parse(argc, argv, usage, &cfg, opts, sizeof(opts) / sizeof(opts[0]), pos, 2, &n_pos);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (n_pos == 0) {
		fprintf(stderr, "onramp: form needs add, list or rotate-key (try --help)\n");
		return 2;
	}
	if (strcmp(pos[0], "add") == 0 && n_pos == 1)
		return cli_form_add(&cfg, name, owner, auth, map, tags, rate);
	if (strcmp(pos[0], "list") == 0 && n_pos == 1)
		return cli_form_list(&cfg);
	if (strcmp(pos[0], "rotate-key") == 0)
		return cli_form_rotate(&cfg, n_pos == 2 ? pos[1] : NULL);
	fprintf(stderr, "onramp: unknown form command \"%.40s\" (try --help)\n", pos[0]);
	return 2;
}
