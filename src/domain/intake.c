/*
 * intake.c — the universal lead intake: forms registry, the mapping of a
 * post to a person, accepting leads, rejected leads and the compliance
 * counts. See intake.h.
 *
 * One code path: a lead is validated by person_validate() and stored by
 * people_signup() exactly like a public signup; what only intake needs (the
 * form link, the custom fields, the idempotency row) rides in the signup's
 * own writer job through a signup_hook. Because the store has one writer
 * that runs jobs one at a time, "is this Idempotency-Key known?" and "store
 * it" cannot interleave with a concurrent retry: the second one finds the
 * first one's row and gets its answer. The counters are kept by triggers
 * (store/schema_intake.c), in the same statements as the rows they count.
 *
 * Keys and secrets: a form key is 32 random bytes in hex; only its
 * BLAKE2b-256 hash is stored, and a post is matched by hashing the key it
 * brings and looking the hash up (nothing compares the secret itself, so
 * no timing tells how much of a guess was right). A form's shared secret
 * must be usable for HMAC, so it is stored sealed (sealed.h, under the
 * installation's data key) and shown in clear only when made.
 *
 * The forms cache: the endpoint looks a key up on every post; forms found
 * are kept for INTAKE_CACHE_SECONDS, shared by reference count. A change
 * made here bumps a generation so this process never uses a stale form;
 * another node sees the change within INTAKE_CACHE_SECONDS.
 *
 * Threading: any thread. The cache's mutex guards the cache and every
 * reference count; a cached form is immutable once published.
 */
#include "domain/intake.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "domain/auth.h"
#include "domain/keys.h"
#include "domain/people.h"
#include "domain/person.h"
#include "domain/sealed.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "store/store_audit.h"
#include "store/store_intake.h"

#define INTAKE_ERROR (-1)
#define INTAKE_TOKEN_BYTES 32
#define INTAKE_HASH_TEXT 65
#define INTAKE_HINT_LEN 8
#define INTAKE_DAY_SECONDS 86400LL
#define INTAKE_DAYS_SHOWN 30
/* The mapping target that carries a retry key instead of a person field. */
#define INTAKE_IDEM_TARGET "idempotency_key"

static const char *const intake_auth_modes[] = { "key", "header", "hmac", NULL };

static long long intake_now(void)
{
	return (long long)time(NULL);
}

static void intake_set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* ---- tokens ---- */

/* A new random token as 64 hex digits. */
static void intake_token_new(char out[INTAKE_TOKEN_TEXT])
{
	unsigned char raw[INTAKE_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, INTAKE_TOKEN_TEXT, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

/* hex(BLAKE2b-256(key)) — what the database holds for a form key. */
static void intake_key_hash(const char *key, char out[INTAKE_HASH_TEXT])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)key, strlen(key), NULL, 0);
	sodium_bin2hex(out, INTAKE_HASH_TEXT, h, sizeof(h));
}

/* The first characters of a key, shown so staff can tell keys apart. */
static void intake_key_hint(const char *key, char out[INTAKE_HINT_LEN + 1])
{
	memcpy(out, key, INTAKE_HINT_LEN);
	out[INTAKE_HINT_LEN] = '\0';
}

/* Seals a secret (hex text) as {"secret": "..."}. */
static int intake_secret_seal(const struct keys *keys, const char *secret, unsigned char **blob,
                              size_t *len)
{
	json_t *obj = json_pack("{s:s}", "secret", secret);
	int rc;

	*blob = NULL;
	*len = 0;
	if (obj == NULL)
		return -1;
	rc = sealed_encrypt_json(keys->demographics, obj, blob, len);
	json_decref(obj);
	return rc;
}

/* ---- specs and mappings ---- */

static int intake_auth_valid(const char *auth)
{
	size_t i;

	for (i = 0; auth && intake_auth_modes[i]; i++)
		if (strcmp(auth, intake_auth_modes[i]) == 0)
			return 1;
	return 0;
}

/* A mapping target: a person field or the idempotency key. */
static int intake_target_valid(const char *target)
{
	return strcmp(target, INTAKE_IDEM_TARGET) == 0 || person_field_find(target) != NULL;
}

static int intake_text_ok(const char *s, size_t max, int allow_empty)
{
	size_t n;

	if (s == NULL)
		return allow_empty;
	n = strlen(s);
	if (n == 0)
		return allow_empty;
	return n <= max && utf8_valid(s, n);
}

int intake_spec_check(const struct intake_form_spec *spec, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!intake_text_ok(spec->name, LIMIT_SHORT_TEXT, 0)) {
		intake_set_err(err, errlen, "A form needs a name (up to 200 characters)");
		return -1;
	}
	if (!intake_text_ok(spec->owner, LIMIT_SHORT_TEXT, 1)) {
		intake_set_err(err, errlen, "The owner is too long (up to 200 characters)");
		return -1;
	}
	if (!intake_auth_valid(spec->auth)) {
		intake_set_err(err, errlen, "Authentication must be key, header or hmac");
		return -1;
	}
	if (spec->rate_per_minute < 1 || spec->rate_per_minute > LIMIT_INTAKE_RATE_MAX) {
		intake_set_err(err, errlen, "The rate must be between 1 and 600000 leads a minute");
		return -1;
	}
	if (!json_is_object(spec->mapping) || json_object_size(spec->mapping) > LIMIT_INTAKE_MAPPING) {
		intake_set_err(err, errlen, "The mapping must have at most 256 entries");
		return -1;
	}
	json_object_foreach(spec->mapping, key, v) {
		if (!intake_text_ok(key, LIMIT_INTAKE_NAME, 0) || !json_is_string(v) ||
		    !intake_target_valid(json_string_value(v))) {
			intake_set_err(err, errlen,
			               "Each mapping entry must name a person field (first_name, email, …)"
			               " or idempotency_key");
			return -1;
		}
	}
	if (spec->tags) {
		if (!json_is_array(spec->tags) || json_array_size(spec->tags) > LIMIT_INTAKE_TAGS) {
			intake_set_err(err, errlen, "A form has at most 16 tags");
			return -1;
		}
		json_array_foreach(spec->tags, i, v) {
			if (!json_is_string(v) || !intake_text_ok(json_string_value(v), LIMIT_SOURCE, 0)) {
				intake_set_err(err, errlen, "Each tag must be 1 to 100 characters");
				return -1;
			}
		}
	}
	return 0;
}

static int intake_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Copies s[0..len) without surrounding whitespace into a new json string. */
static json_t *intake_trimmed(const char *s, size_t len)
{
	while (len && intake_is_space(*s)) {
		s++;
		len--;
	}
	while (len && intake_is_space(s[len - 1]))
		len--;
	return json_stringn(s, len);
}

int intake_mapping_parse(const char *text, json_t **mapping, char *err, size_t errlen)
{
	json_t *m = json_object(), *name = NULL, *target = NULL;
	const char *p = text ? text : "", *end, *eq;
	size_t len;

	*mapping = NULL;
	if (m == NULL)
		goto oom;
	while (*p) {
		end = p + strcspn(p, ",\n");
		len = (size_t)(end - p);
		eq = memchr(p, '=', len);
		if (eq == NULL) {
			/* a blank entry is fine; anything else needs "=" */
			while (len && intake_is_space(*p)) {
				p++;
				len--;
			}
			if (len) {
				intake_set_err(err, errlen,
				               "Write each mapping as: payload name = person field");
				goto fail;
			}
		} else {
			name = intake_trimmed(p, (size_t)(eq - p));
			target = intake_trimmed(eq + 1, (size_t)(end - eq - 1));
			if (name == NULL || target == NULL) {
				intake_set_err(err, errlen, "The mapping is not valid UTF-8 text");
				goto fail;
			}
			if (json_string_length(name) == 0 ||
			    json_string_length(name) > LIMIT_INTAKE_NAME ||
			    !intake_target_valid(json_string_value(target))) {
				intake_set_err(err, errlen,
				               "Each mapping needs a payload name and a person field"
				               " (first_name, email, …) or idempotency_key");
				goto fail;
			}
			if (json_object_size(m) >= LIMIT_INTAKE_MAPPING) {
				intake_set_err(err, errlen, "The mapping must have at most 256 entries");
				goto fail;
			}
			if (json_object_set(m, json_string_value(name), target) < 0)
				goto oom;
			json_decref(name);
			json_decref(target);
			name = target = NULL;
		}
		p = *end ? end + 1 : end;
	}
	*mapping = m;
	return 0;
oom:
	intake_set_err(err, errlen, "Out of memory");
fail:
	json_decref(name);
	json_decref(target);
	json_decref(m);
	return -1;
}

char *intake_mapping_text(json_t *mapping)
{
	const char *key;
	json_t *v;
	buf b;
	char *out;

	buf_init(&b, (size_t)LIMIT_INTAKE_MAPPING * (LIMIT_INTAKE_NAME + 40));
	json_object_foreach(mapping, key, v) {
		if (!json_is_string(v))
			continue;
		buf_adds(&b, key);
		buf_adds(&b, " = ");
		buf_adds(&b, json_string_value(v));
		buf_addc(&b, '\n');
	}
	out = buf_failed(&b) ? NULL : strdup(buf_str(&b));
	buf_free(&b);
	return out;
}

/* ---- the forms cache ---- */

struct intake_form {
	long long id;
	char      key_hash[INTAKE_HASH_TEXT];
	char     *name;
	char     *owner;
	char     *tags_text;       /* JSON text, NULL when there are none */
	char     *source;          /* the first tag, else NULL */
	char      auth[8];
	json_t   *mapping;         /* read-only once published */
	unsigned char secret[INTAKE_TOKEN_TEXT];
	size_t    secret_len;      /* 0: none */
	long long rate_per_minute;
	long long loaded_at;       /* monotonic seconds */
	unsigned  generation;
	unsigned  refs;            /* under intake_cache_mu */
};

/* Set-associative: a key's hash picks a set of INTAKE_CACHE_WAYS slots, so
 * hundreds of busy forms do not evict each other (one slot per key would
 * make every colliding pair reload from the database on every post). */
#define INTAKE_CACHE_WAYS 8
#define INTAKE_CACHE_SETS (LIMIT_INTAKE_FORMS_CACHED / INTAKE_CACHE_WAYS)

static pthread_mutex_t intake_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct intake_form *intake_cache[INTAKE_CACHE_SETS][INTAKE_CACHE_WAYS];
static unsigned intake_cache_generation;

static long long intake_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static void intake_form_free(struct intake_form *f)
{
	if (f == NULL)
		return;
	sodium_memzero(f->secret, sizeof(f->secret));
	free(f->name);
	free(f->owner);
	free(f->tags_text);
	free(f->source);
	json_decref(f->mapping);
	free(f);
}

/* Drops one reference. Lock held. */
static void intake_form_unref_locked(struct intake_form *f)
{
	if (f && --f->refs == 0)
		intake_form_free(f);
}

/* Every cached form is stale from now on (a form changed here). */
static void intake_cache_invalidate(void)
{
	pthread_mutex_lock(&intake_cache_mu);
	intake_cache_generation++;
	pthread_mutex_unlock(&intake_cache_mu);
}

/* The set a key hash belongs to. */
static size_t intake_cache_set(const char *key_hash)
{
	unsigned long long h = 0;
	size_t i;

	for (i = 0; i < 16 && key_hash[i]; i++)
		h = h * 16 + (unsigned long long)(key_hash[i] <= '9' ? key_hash[i] - '0'
		                                                     : key_hash[i] - 'a' + 10);
	return (size_t)(h % INTAKE_CACHE_SETS);
}

/* 1 if f may still be handed out. Lock held. */
static int intake_cache_fresh(const struct intake_form *f, long long now)
{
	return f->generation == intake_cache_generation && now - f->loaded_at < INTAKE_CACHE_SECONDS;
}

/* The slot of set for a form with this key hash: its own, else an empty
 * one, else a stale one, else the one loaded longest ago. Lock held. */
static struct intake_form **intake_cache_victim(size_t set, const char *key_hash, long long now)
{
	struct intake_form **slots = intake_cache[set], **best = NULL;
	size_t i;

	for (i = 0; i < INTAKE_CACHE_WAYS; i++)
		if (slots[i] && strcmp(slots[i]->key_hash, key_hash) == 0)
			return &slots[i];
	for (i = 0; i < INTAKE_CACHE_WAYS; i++) {
		if (slots[i] == NULL || !intake_cache_fresh(slots[i], now))
			return &slots[i];
		if (best == NULL || slots[i]->loaded_at < (*best)->loaded_at)
			best = &slots[i];
	}
	return best;
}

/* Builds a form from its row and sealed secret. NULL on failure. */
static struct intake_form *intake_form_build(const struct keys *keys, json_t *row,
                                             const unsigned char *sealed, size_t sealed_len,
                                             const char *key_hash)
{
	struct intake_form *f = calloc(1, sizeof(*f));
	json_t *tags = NULL, *opened = NULL, *first;
	const char *secret;
	json_error_t jerr;

	if (f == NULL)
		return NULL;
	f->id = json_integer_value(json_object_get(row, "id"));
	snprintf(f->key_hash, sizeof(f->key_hash), "%s", key_hash);
	f->name = strdup(json_string_value(json_object_get(row, "name")) ?: "");
	f->owner = strdup(json_string_value(json_object_get(row, "owner")) ?: "");
	snprintf(f->auth, sizeof(f->auth), "%s", json_string_value(json_object_get(row, "auth")) ?: "key");
	f->rate_per_minute = json_integer_value(json_object_get(row, "rate_per_minute"));
	f->mapping = json_loads(json_string_value(json_object_get(row, "mapping")) ?: "{}", 0, &jerr);
	tags = json_loads(json_string_value(json_object_get(row, "tags")) ?: "[]", 0, &jerr);
	if (f->name == NULL || f->owner == NULL || !json_is_object(f->mapping) || !json_is_array(tags))
		goto fail;
	if (json_array_size(tags) > 0) {
		f->tags_text = json_dumps(tags, JSON_COMPACT);
		first = json_array_get(tags, 0);
		f->source = strdup(json_is_string(first) ? json_string_value(first) : "");
		if (f->tags_text == NULL || f->source == NULL)
			goto fail;
	}
	if (sealed && sealed_len) {
		if (sealed_decrypt_json(keys->demographics, sealed, sealed_len, &opened) < 0) {
			log_error("intake: form %lld's secret does not open with the current key", f->id);
			goto fail;
		}
		secret = json_string_value(json_object_get(opened, "secret"));
		if (secret == NULL || strlen(secret) >= sizeof(f->secret))
			goto fail;
		f->secret_len = strlen(secret);
		memcpy(f->secret, secret, f->secret_len);
	}
	json_decref(opened);
	json_decref(tags);
	return f;
fail:
	json_decref(opened);
	json_decref(tags);
	intake_form_free(f);
	return NULL;
}

int intake_form_lookup(struct db *db, const struct keys *keys, const char *key,
                       struct intake_form **form)
{
	char hash[INTAKE_HASH_TEXT];
	struct intake_form *f, **slot;
	struct db_conn *c;
	json_t *row = NULL;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0, set, i;
	long long now = intake_mono();
	unsigned gen;
	int rc;

	*form = NULL;
	/* Only a well-formed key is worth a lookup. */
	if (key == NULL || strlen(key) != INTAKE_TOKEN_TEXT - 1)
		return 1;
	for (i = 0; key[i]; i++)
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
			return 1;
	intake_key_hash(key, hash);
	set = intake_cache_set(hash);

	pthread_mutex_lock(&intake_cache_mu);
	for (i = 0; i < INTAKE_CACHE_WAYS; i++) {
		f = intake_cache[set][i];
		if (f && intake_cache_fresh(f, now) && strcmp(f->key_hash, hash) == 0) {
			f->refs++;
			*form = f;
			pthread_mutex_unlock(&intake_cache_mu);
			return 0;
		}
	}
	gen = intake_cache_generation;
	pthread_mutex_unlock(&intake_cache_mu);

	c = store_intake_read_begin(db);
	rc = store_intake_form_by_key(c, hash, &row, &sealed, &sealed_len);
	store_intake_read_end(db, c);
	if (rc < 0)
		return -1;
	if (rc == 0 || !json_is_true(json_object_get(row, "active"))) {
		json_decref(row);
		free(sealed);
		return 1;
	}
	f = intake_form_build(keys, row, sealed, sealed_len, hash);
	json_decref(row);
	if (sealed)
		sodium_memzero(sealed, sealed_len);
	free(sealed);
	if (f == NULL)
		return -1;
	f->loaded_at = now;
	f->generation = gen;
	f->refs = 2;  /* the cache's and the caller's */
	pthread_mutex_lock(&intake_cache_mu);
	slot = intake_cache_victim(set, hash, now);
	intake_form_unref_locked(*slot);
	*slot = f;
	pthread_mutex_unlock(&intake_cache_mu);
	*form = f;
	return 0;
}

void intake_form_release(struct intake_form *form)
{
	if (form == NULL)
		return;
	pthread_mutex_lock(&intake_cache_mu);
	intake_form_unref_locked(form);
	pthread_mutex_unlock(&intake_cache_mu);
}

long long intake_form_id(const struct intake_form *form)
{
	return form->id;
}

long long intake_form_rate(const struct intake_form *form)
{
	return form->rate_per_minute;
}

int intake_form_authentic(const struct intake_form *form, const char *secret_header,
                          const char *signature, const void *body, size_t body_len)
{
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	unsigned char ha[32], hb[32];
	crypto_auth_hmacsha256_state st;
	size_t got_len = 0;
	int ok;

	if (strcmp(form->auth, "key") == 0)
		return 1;
	if (form->secret_len == 0)
		return 0;  /* a mode that needs a secret, and none: refuse */
	if (strcmp(form->auth, "header") == 0) {
		if (secret_header == NULL)
			return 0;
		/* Hash both so the comparison takes the same time whatever the length. */
		crypto_generichash(ha, sizeof(ha), (const unsigned char *)secret_header,
		                   strlen(secret_header), NULL, 0);
		crypto_generichash(hb, sizeof(hb), form->secret, form->secret_len, NULL, 0);
		return sodium_memcmp(ha, hb, sizeof(ha)) == 0;
	}
	/* hmac */
	if (signature == NULL)
		return 0;
	if (strncmp(signature, "sha256=", 7) == 0)
		signature += 7;
	if (strlen(signature) != 2 * sizeof(got) ||
	    sodium_hex2bin(got, sizeof(got), signature, strlen(signature), NULL, &got_len, NULL) != 0 ||
	    got_len != sizeof(got))
		return 0;
	crypto_auth_hmacsha256_init(&st, form->secret, form->secret_len);
	crypto_auth_hmacsha256_update(&st, body ? body : (const void *)"", body ? body_len : 0);
	crypto_auth_hmacsha256_final(&st, want);
	ok = sodium_memcmp(want, got, sizeof(want)) == 0;
	sodium_memzero(&st, sizeof(st));
	return ok;
}

/* ---- mapping a post ---- */

/* Writes "name.part" (or just part when name is NULL) into out. Returns
 * the length it needs: >= size means it did not fit (out is then unset).
 * The join of every payload key, so plain copies, not snprintf. */
static size_t intake_child_name(char *out, size_t size, const char *name, const char *part,
                                size_t part_len)
{
	size_t name_len = name ? strlen(name) : 0, n = name ? name_len + 1 + part_len : part_len;

	if (n >= size)
		return n;
	if (name) {
		memcpy(out, name, name_len);
		out[name_len] = '.';
		memcpy(out + name_len + 1, part, part_len);
	} else {
		memcpy(out, part, part_len);
	}
	out[n] = '\0';
	return n;
}

/* Adds value under name to flat, flattening objects and arrays of objects.
 * Returns 0, or -1 with a reason. */
static int intake_flatten(json_t *flat, const char *name, json_t *value, int depth, char *err,
                          size_t errlen)
{
	const char *key;
	json_t *v;
	size_t i, n;
	char child[LIMIT_INTAKE_NAME + 1];
	int scalars = 1;

	if (depth > LIMIT_INTAKE_DEPTH) {
		intake_set_err(err, errlen, "The payload is nested too deeply");
		return -1;
	}
	if (json_is_object(value)) {
		json_object_foreach(value, key, v) {
			n = intake_child_name(child, sizeof(child), name, key, strlen(key));
			if (n >= sizeof(child)) {
				intake_set_err(err, errlen, "A field name in the payload is too long");
				return -1;
			}
			if (intake_flatten(flat, child, v, depth + 1, err, errlen) < 0)
				return -1;
		}
		return 0;
	}
	if (name == NULL) {
		intake_set_err(err, errlen, "The payload must be a JSON object or a form");
		return -1;
	}
	if (json_is_array(value)) {
		json_array_foreach(value, i, v)
			if (json_is_object(v) || json_is_array(v))
				scalars = 0;
		if (!scalars) {
			json_array_foreach(value, i, v) {
				char index[24];

				n = intake_child_name(child, sizeof(child), name, index,
				                      (size_t)snprintf(index, sizeof(index), "%zu", i));
				if (n >= sizeof(child)) {
					intake_set_err(err, errlen, "A field name in the payload is too long");
					return -1;
				}
				if (intake_flatten(flat, child, v, depth + 1, err, errlen) < 0)
					return -1;
			}
			return 0;
		}
	}
	if (json_object_size(flat) >= LIMIT_INTAKE_FIELDS) {
		intake_set_err(err, errlen, "The payload has too many fields");
		return -1;
	}
	if (json_object_set(flat, name, value) < 0) {
		intake_set_err(err, errlen, "Out of memory");
		return -1;
	}
	return 0;
}

/* A scalar as text: strings as they are, integers in decimal, reals in
 * shortest form, booleans as "true"/"false". NULL for null and others. */
static json_t *intake_as_text(json_t *v)
{
	char tmp[40];

	if (json_is_string(v))
		return json_incref(v);
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
		return json_string(tmp);
	}
	if (json_is_real(v)) {
		snprintf(tmp, sizeof(tmp), "%.15g", json_real_value(v));
		return json_string(tmp);
	}
	if (json_is_boolean(v))
		return json_string(json_is_true(v) ? "true" : "false");
	return NULL;
}

/* The value for person field f from a posted value: multi-choice fields
 * take an array or a "," / ";" separated text; consents keep their
 * booleans; text fields take text (a one-item array gives its item). */
static json_t *intake_field_value(const struct person_field *f, json_t *v)
{
	json_t *arr, *item;
	const char *s, *end;
	size_t i;

	if (f->kind == PF_CONSENT)
		return json_incref(v);
	if (f->kind == PF_MULTI) {
		arr = json_array();
		if (arr == NULL)
			return NULL;
		if (json_is_array(v)) {
			json_array_foreach(v, i, item) {
				if (json_array_append_new(arr, intake_as_text(item)) < 0)
					goto fail;
			}
			return arr;
		}
		if (!json_is_string(v))
			goto fail;
		for (s = json_string_value(v); *s; s = *end ? end + 1 : end) {
			end = s + strcspn(s, ",;");
			item = intake_trimmed(s, (size_t)(end - s));
			if (item == NULL)
				goto fail;
			if (json_string_length(item) == 0) {
				json_decref(item);
				continue;
			}
			if (json_array_append_new(arr, item) < 0)
				goto fail;
		}
		return arr;
fail:
		json_decref(arr);
		return json_incref(v);  /* validation says what is wrong with it */
	}
	if (json_is_array(v) && json_array_size(v) == 1)
		v = json_array_get(v, 0);
	item = intake_as_text(v);
	return item ? item : json_incref(v);
}

/* 1 if v says nothing (null, "", []). */
static int intake_empty(json_t *v)
{
	return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

int intake_map(json_t *mapping, json_t *payload, json_t **input, json_t **custom,
               char **idem_key, char *err, size_t errlen)
{
	const struct person_field *f;
	json_t *flat = NULL, *in = NULL, *cu = NULL, *v, *target, *val, *text;
	const char *name, *tname;

	*input = *custom = NULL;
	*idem_key = NULL;
	if (!json_is_object(payload)) {
		intake_set_err(err, errlen, "The payload must be a JSON object or a form");
		return -1;
	}
	flat = json_object();
	in = json_object();
	cu = json_object();
	if (flat == NULL || in == NULL || cu == NULL) {
		intake_set_err(err, errlen, "Out of memory");
		goto fail;
	}
	if (intake_flatten(flat, NULL, payload, 0, err, errlen) < 0)
		goto fail;
	json_object_foreach(flat, name, v) {
		target = mapping ? json_object_get(mapping, name) : NULL;
		tname = json_is_string(target) ? json_string_value(target) : name;
		if (strcmp(tname, INTAKE_IDEM_TARGET) == 0 && json_is_string(target)) {
			text = intake_as_text(v);
			if (text && json_string_length(text) > 0 && *idem_key == NULL)
				*idem_key = strdup(json_string_value(text));
			json_decref(text);
			continue;
		}
		f = person_field_find(tname);
		/* Unmapped, or a second value for a field already answered:
		 * kept as a custom field, never dropped. */
		if (f == NULL || !intake_empty(json_object_get(in, f->name))) {
			if (json_object_set(cu, name, v) < 0)
				goto oom;
			continue;
		}
		if (intake_empty(v))
			continue;
		val = intake_field_value(f, v);
		if (val == NULL || json_object_set_new(in, f->name, val) < 0)
			goto oom;
	}
	json_decref(flat);
	*input = in;
	*custom = cu;
	return 0;
oom:
	intake_set_err(err, errlen, "Out of memory");
fail:
	free(*idem_key);
	*idem_key = NULL;
	json_decref(flat);
	json_decref(in);
	json_decref(cu);
	return -1;
}

/* ---- accepting a lead ---- */

struct intake_hook_arg {
	long long   form_id;
	const char *partner;
	const char *custom;      /* JSON text or NULL */
	const char *tags;        /* JSON text or NULL */
	const char *idem_key;    /* or NULL */
	long long   at;
};

static int intake_hook_before(struct db_conn *c, void *arg, struct signup_result *out)
{
	struct intake_hook_arg *h = arg;
	long long person = 0, sub = 0;
	int rc;

	if (h->idem_key == NULL)
		return 0;
	rc = store_intake_idem_find(c, h->form_id, h->idem_key, &person, &sub);
	if (rc <= 0)
		return rc;
	out->person_id = person;
	out->submission_id = sub;
	return 1;
}

static int intake_hook_after(struct db_conn *c, void *arg, const struct signup_result *r)
{
	struct intake_hook_arg *h = arg;
	int rc;

	/* the submission holds its form link; the form's list of them
	 * follows (in bulk on SQLite) */
	rc = store_intake_form_list_add(c, h->form_id, r->submission_id);
	if (rc < 0 || h->idem_key == NULL)
		return rc;
	return store_intake_idem_insert(c, h->form_id, h->idem_key, r->person_id, r->submission_id,
	                                h->at);
}

struct intake_reject_job {
	long long            form_id;
	const unsigned char *input;
	size_t               input_len;
	const char          *errors;
	long long            at;
	long long            id;
};

static int intake_reject_run(struct db_conn *c, void *arg)
{
	struct intake_reject_job *job = arg;

	return store_intake_rejected_insert(c, job->form_id, job->input, job->input_len, job->errors,
	                                    job->at, &job->id);
}

/* A lead on its way to the database: everything its write needs, kept
 * until the write has ended and intake_store_finish has read its outcome.
 * Either a signup (with the form's hook) or a rejected lead. */
struct intake_pending {
	struct intake_hook_arg    h;
	struct signup_hook        hook;
	struct signup_meta        meta;
	json_t                   *person;       /* validated */
	json_t                   *input;        /* referenced: the answers as typed */
	char                     *custom_text;
	struct people_signup_job *signup;       /* the signup's write, or NULL */
	struct intake_reject_job  reject;       /* else the rejected lead's */
	unsigned char            *reject_blob;  /* reject.input */
	char                     *reject_errors; /* reject.errors */
	json_t                   *errors;       /* validation's {field: message} */
	char                     *idem_copy;    /* a mapped Idempotency-Key (h.idem_key) */
	int                       rc;           /* the rejected lead's write */
	intake_done_fn            done;
	void                     *done_arg;
};

static void intake_pending_free(struct intake_pending *p)
{
	if (p == NULL)
		return;
	json_decref(p->person);
	json_decref(p->input);
	free(p->custom_text);
	free(p->reject_blob);
	free(p->reject_errors);
	json_decref(p->errors);
	free(p->idem_copy);
	free(p);
}

/* The writer's word on a rejected lead (store thread). */
static void intake_reject_written(void *arg, int result)
{
	struct intake_pending *p = arg;

	p->rc = result;
	p->done(p->done_arg);  /* p is its caller's from here */
}

/* The writer's word on a signup (store thread). */
static void intake_signup_written(void *arg)
{
	struct intake_pending *p = arg;

	p->done(p->done_arg);
}

/* Queues the rejected lead of p: {input, custom} sealed, errors as text.
 * 0 or -1. */
static int intake_reject_start(struct db *db, const struct keys *keys, struct intake_pending *p,
                               long long form_id, json_t *input, json_t *custom)
{
	size_t len = 0;
	json_t *both;
	int rc;

	both = json_pack("{s:O, s:O}", "input", input, "custom", custom ? custom : json_null());
	rc = both == NULL || sealed_encrypt_json(keys->demographics, both, &p->reject_blob, &len) < 0
	     ? -1 : 0;
	json_decref(both);
	if (rc < 0 || (p->reject_errors = json_dumps(p->errors, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	p->reject.form_id = form_id;
	p->reject.input = p->reject_blob;
	p->reject.input_len = len;
	p->reject.errors = p->reject_errors;
	p->reject.at = p->h.at;
	return store_intake_write_async(db, intake_reject_run, &p->reject, intake_reject_written, p);
}

/* The core shared by a post and a replay, without waiting for the
 * database: validates input, then queues it through people_signup with the
 * form's hook, or as a rejected lead (store_rejected set; not set: only
 * the errors are answered). Returns 0 when answered now (*out), 1 when
 * queued (*pending: done(done_arg) follows, then intake_store_finish), or
 * -1. form, input, custom, idem_key and ip_hash are only borrowed, and
 * must outlive the pending write. */
static int intake_store_start(struct db *db, const struct keys *keys, const struct intake_form *form,
                              json_t *input, json_t *custom, const char *idem_key,
                              const char *ip_hash, int store_rejected, intake_done_fn done,
                              void *done_arg, struct intake_pending **pending,
                              struct intake_result *out)
{
	struct intake_pending *p = calloc(1, sizeof(*p));

	*pending = NULL;
	if (p == NULL)
		return -1;
	p->done = done;
	p->done_arg = done_arg;
	p->h.at = intake_now();
	p->input = json_incref(input);
	if (person_validate(input, &p->person, &p->errors) < 0) {
		if (p->errors == NULL)
			goto fail;
		out->outcome = INTAKE_REJECTED;
		if (!store_rejected) {
			out->errors = json_incref(p->errors);
			intake_pending_free(p);
			return 0;
		}
		if (intake_reject_start(db, keys, p, form->id, input, custom) < 0)
			goto fail;
		*pending = p;
		return 1;
	}
	if (custom && json_object_size(custom) > 0 &&
	    (p->custom_text = json_dumps(custom, JSON_COMPACT)) == NULL)
		goto fail;
	p->h.form_id = form->id;
	p->h.partner = form->owner;
	p->h.custom = p->custom_text;
	p->h.tags = form->tags_text;
	p->h.idem_key = idem_key;
	p->hook.before = intake_hook_before;
	p->hook.after = intake_hook_after;
	p->hook.arg = &p->h;
	p->meta.source = form->source;
	p->meta.kind = "intake";
	p->meta.ip_hash = ip_hash;
	p->meta.received_at = p->h.at;
	p->meta.hook = &p->hook;
	p->meta.form_id = form->id;
	p->meta.partner = form->owner ? form->owner : "";
	p->meta.custom = p->custom_text;
	p->meta.tags = form->tags_text;
	if (people_signup_start(db, keys, p->person, input, &p->meta, intake_signup_written, p,
	                        &p->signup) < 0)
		goto fail;
	*pending = p;
	return 1;
fail:
	intake_pending_free(p);
	return -1;
}

/* The outcome of a queued lead, into *out; frees p. 0 or -1 (a database
 * error: nothing of it was stored). */
static int intake_store_finish(struct intake_pending *p, struct intake_result *out)
{
	struct signup_result sr;
	int rc = -1;

	if (p->signup == NULL) {
		out->outcome = INTAKE_REJECTED;
		if (p->rc >= 0) {
			out->rejected_id = p->reject.id;
			out->errors = json_incref(p->errors);
			rc = 0;
		}
	} else if (people_signup_finish(p->signup, &sr) == 0) {
		out->person_id = sr.person_id;
		out->submission_id = sr.submission_id;
		out->outcome = sr.replayed ? INTAKE_REPLAYED
		             : sr.outcome == SIGNUP_NEW ? INTAKE_NEW
		             : sr.outcome == SIGNUP_MERGED ? INTAKE_MERGED : INTAKE_FLAGGED;
		rc = 0;
	}
	intake_pending_free(p);
	return rc;
}

/* Waiting for a queued lead: the blocking callers (a replay, the CLI,
 * intake_accept) post this from the done callback. */
static void intake_wait_done(void *arg)
{
	sem_post(arg);
}

/* Waits for a start's outcome: rc is intake_store_start's (or
 * intake_accept_start's). Returns 0 or -1 as the blocking calls do. */
static int intake_wait(int rc, sem_t *sem, struct intake_pending *p, struct intake_result *out)
{
	if (rc == 1) {
		while (sem_wait(sem) != 0)
			;  /* EINTR */
		rc = intake_store_finish(p, out);
	}
	sem_destroy(sem);
	return rc;
}

/* intake_store_start, waiting for the database. */
static int intake_store(struct db *db, const struct keys *keys, const struct intake_form *form,
                        json_t *input, json_t *custom, const char *idem_key, const char *ip_hash,
                        int store_rejected, struct intake_result *out)
{
	struct intake_pending *p = NULL;
	sem_t sem;

	int rc;

	if (sem_init(&sem, 0, 0) != 0)
		return -1;
	rc = intake_store_start(db, keys, form, input, custom, idem_key, ip_hash, store_rejected,
	                        intake_wait_done, &sem, &p, out);
	return intake_wait(rc, &sem, p, out);
}

/* An Idempotency-Key: 1..LIMIT_INTAKE_IDEM_KEY printable ASCII bytes. */
static int intake_idem_valid(const char *k)
{
	size_t i;

	for (i = 0; k[i]; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return 0;
	return i > 0 && i <= LIMIT_INTAKE_IDEM_KEY;
}

int intake_accept_start(struct db *db, const struct keys *keys, const struct intake_form *form,
                        json_t *payload, const char *idem_key, const char *ip_hash,
                        intake_done_fn done, void *done_arg, struct intake_pending **pending,
                        struct intake_result *out)
{
	json_t *input = NULL, *custom = NULL;
	char *mapped_key = NULL;
	char err[128];
	const char *key;
	int rc = -1;

	*pending = NULL;
	memset(out, 0, sizeof(*out));
	if (intake_map(form->mapping, payload, &input, &custom, &mapped_key, err, sizeof(err)) < 0) {
		out->outcome = INTAKE_REJECTED;
		out->errors = json_pack("{s:s}", "payload", err);
		return out->errors ? 0 : -1;
	}
	key = idem_key ? idem_key : mapped_key;
	if (key && !intake_idem_valid(key)) {
		out->outcome = INTAKE_REJECTED;
		out->errors = json_pack("{s:s}", "idempotency_key",
		                        "Use 1 to 200 printable characters without spaces");
		rc = out->errors ? 0 : -1;
		goto done;
	}
	/* the mapped key is the custom fields' or the input's: both are kept
	 * by the pending write (input) or until it ends (custom, below) */
	rc = intake_store_start(db, keys, form, input, custom, key, ip_hash, 1, done, done_arg,
	                        pending, out);
	if (rc == 1) {
		(*pending)->idem_copy = mapped_key;
		mapped_key = NULL;
	}
done:
	free(mapped_key);
	json_decref(input);
	json_decref(custom);
	return rc;
}

int intake_accept_finish(struct intake_pending *pending, struct intake_result *out)
{
	memset(out, 0, sizeof(*out));
	return intake_store_finish(pending, out);
}

int intake_accept(struct db *db, const struct keys *keys, const struct intake_form *form,
                  json_t *payload, const char *idem_key, const char *ip_hash,
                  struct intake_result *out)
{
	struct intake_pending *p = NULL;
	sem_t sem;

	int rc;

	if (sem_init(&sem, 0, 0) != 0)
		return -1;
	rc = intake_accept_start(db, keys, form, payload, idem_key, ip_hash, intake_wait_done, &sem,
	                         &p, out);
	return intake_wait(rc, &sem, p, out);
}

/* ---- the registry ---- */

/* A form's settings as an audit snapshot (never its key or secret). */
static json_t *intake_spec_snapshot(const struct intake_form_spec *spec)
{
	return json_pack("{s:s, s:s, s:s, s:O, s:O, s:I, s:b}", "name", spec->name, "owner",
	                 spec->owner ? spec->owner : "", "auth", spec->auth, "mapping", spec->mapping,
	                 "tags", spec->tags ? spec->tags : json_null(),
	                 "rate_per_minute", (json_int_t)spec->rate_per_minute, "active", spec->active);
}

struct intake_form_job {
	long long                      id;
	long long                      by;
	const struct store_intake_form *f;
	const char                    *key_hash;
	const char                    *key_hint;
	json_t                        *after;
	const char                    *action;
	long long                      at;
};

static int intake_form_create_run(struct db_conn *c, void *arg)
{
	struct intake_form_job *job = arg;
	int rc;

	rc = store_intake_form_insert(c, job->f, job->key_hash, job->key_hint, job->at, &job->id);
	if (rc < 0)
		return rc;
	return store_audit_append(c, job->by, "intake_form.create", "intake_form", job->id, NULL,
	                          job->after);
}

static int intake_form_update_run(struct db_conn *c, void *arg)
{
	struct intake_form_job *job = arg;
	json_t *before = NULL;
	int rc;

	rc = store_intake_form_load(c, job->id, &before, NULL, NULL);
	if (rc <= 0)
		return rc < 0 ? rc : 1;
	json_object_del(before, "key_hint");
	if (job->f)
		rc = store_intake_form_update(c, job->id, job->f, job->at);
	else
		rc = store_intake_form_set_key(c, job->id, job->key_hash, job->key_hint, job->at);
	if (rc >= 0)
		rc = store_audit_append(c, job->by, job->action, "intake_form", job->id, before,
		                        job->after);
	json_decref(before);
	return rc < 0 ? rc : 0;
}

/* Fills a store form from spec; mapping and tags become JSON text that
 * the caller frees. */
static int intake_store_form(const struct intake_form_spec *spec, struct store_intake_form *f,
                             char **mapping, char **tags)
{
	json_t *none = spec->tags ? NULL : json_array();

	memset(f, 0, sizeof(*f));
	*mapping = json_dumps(spec->mapping, JSON_COMPACT);
	*tags = json_dumps(spec->tags ? spec->tags : none, JSON_COMPACT);
	json_decref(none);
	if (*mapping == NULL || *tags == NULL)
		return -1;
	f->name = spec->name;
	f->owner = spec->owner ? spec->owner : "";
	f->auth = spec->auth;
	f->mapping = *mapping;
	f->tags = *tags;
	f->rate_per_minute = spec->rate_per_minute;
	f->active = spec->active;
	return 0;
}

int intake_form_create(struct db *db, const struct keys *keys, const struct staff_user *viewer,
                       const struct intake_form_spec *spec, long long *id,
                       char key[INTAKE_TOKEN_TEXT], char secret[INTAKE_TOKEN_TEXT],
                       char *err, size_t errlen)
{
	struct intake_form_job job;
	struct store_intake_form f;
	char hash[INTAKE_HASH_TEXT], hint[INTAKE_HINT_LEN + 1];
	char *mapping = NULL, *tags = NULL;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	int rc = -1;

	key[0] = secret[0] = '\0';
	if (intake_spec_check(spec, err, errlen) < 0)
		return -1;
	memset(&job, 0, sizeof(job));
	if (intake_store_form(spec, &f, &mapping, &tags) < 0)
		goto oom;
	intake_token_new(key);
	intake_key_hash(key, hash);
	intake_key_hint(key, hint);
	if (strcmp(spec->auth, "key") != 0) {
		intake_token_new(secret);
		if (intake_secret_seal(keys, secret, &sealed, &sealed_len) < 0)
			goto oom;
		f.secret = sealed;
		f.secret_len = sealed_len;
	}
	job.by = viewer ? viewer->id : 0;
	job.f = &f;
	job.key_hash = hash;
	job.key_hint = hint;
	job.at = intake_now();
	job.after = intake_spec_snapshot(spec);
	if (job.after == NULL)
		goto oom;
	if (store_intake_write(db, intake_form_create_run, &job) < 0) {
		intake_set_err(err, errlen, "The database refused the form");
		goto fail;
	}
	*id = job.id;
	intake_cache_invalidate();
	rc = 0;
	goto done;
oom:
	intake_set_err(err, errlen, "Out of memory");
fail:
	sodium_memzero(key, INTAKE_TOKEN_TEXT);
	sodium_memzero(secret, INTAKE_TOKEN_TEXT);
	key[0] = secret[0] = '\0';
done:
	json_decref(job.after);
	free(mapping);
	free(tags);
	free(sealed);
	return rc;
}

int intake_form_update(struct db *db, const struct keys *keys, const struct staff_user *viewer,
                       long long id, const struct intake_form_spec *spec, int new_secret,
                       char secret[INTAKE_TOKEN_TEXT], char *err, size_t errlen)
{
	struct intake_form_job job;
	struct store_intake_form f;
	struct db_conn *c;
	json_t *row = NULL;
	char *mapping = NULL, *tags = NULL;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	int rc = -1;

	secret[0] = '\0';
	if (intake_spec_check(spec, err, errlen) < 0)
		return -1;
	memset(&job, 0, sizeof(job));
	c = store_intake_read_begin(db);
	rc = store_intake_form_load(c, id, &row, &sealed, &sealed_len);
	store_intake_read_end(db, c);
	if (rc <= 0) {
		intake_set_err(err, errlen, rc == 0 ? "There is no such form" : "Database error");
		return rc == 0 ? 1 : -1;
	}
	rc = -1;
	if (intake_store_form(spec, &f, &mapping, &tags) < 0)
		goto oom;
	if (strcmp(spec->auth, "key") != 0 && (new_secret || sealed_len == 0)) {
		free(sealed);
		sealed = NULL;
		intake_token_new(secret);
		if (intake_secret_seal(keys, secret, &sealed, &sealed_len) < 0)
			goto oom;
	}
	f.secret = sealed;
	f.secret_len = sealed_len;
	job.id = id;
	job.by = viewer ? viewer->id : 0;
	job.f = &f;
	job.at = intake_now();
	job.action = "intake_form.update";
	job.after = intake_spec_snapshot(spec);
	if (job.after == NULL)
		goto oom;
	rc = store_intake_write(db, intake_form_update_run, &job);
	if (rc < 0) {
		intake_set_err(err, errlen, "The database refused the change");
		rc = -1;
		goto fail;
	}
	intake_cache_invalidate();
	goto done;
oom:
	intake_set_err(err, errlen, "Out of memory");
fail:
	sodium_memzero(secret, INTAKE_TOKEN_TEXT);
	secret[0] = '\0';
done:
	json_decref(row);
	json_decref(job.after);
	free(mapping);
	free(tags);
	free(sealed);
	return rc;
}

int intake_form_rotate_key(struct db *db, const struct staff_user *viewer, long long id,
                           char key[INTAKE_TOKEN_TEXT])
{
	struct intake_form_job job;
	char hash[INTAKE_HASH_TEXT], hint[INTAKE_HINT_LEN + 1];
	int rc;

	memset(&job, 0, sizeof(job));
	intake_token_new(key);
	intake_key_hash(key, hash);
	intake_key_hint(key, hint);
	job.id = id;
	job.by = viewer ? viewer->id : 0;
	job.key_hash = hash;
	job.key_hint = hint;
	job.at = intake_now();
	job.action = "intake_form.rotate_key";
	job.after = json_pack("{s:s}", "key_hint", hint);
	if (job.after == NULL)
		return -1;
	rc = store_intake_write(db, intake_form_update_run, &job);
	json_decref(job.after);
	intake_cache_invalidate();
	if (rc != 0) {
		sodium_memzero(key, INTAKE_TOKEN_TEXT);
		key[0] = '\0';
	}
	return rc < 0 ? -1 : rc;
}

/* Turns a stored row's JSON texts into values, adds mapping_text. */
static int intake_form_shape(json_t *row)
{
	json_error_t jerr;
	json_t *mapping, *tags;
	char *text;

	mapping = json_loads(json_string_value(json_object_get(row, "mapping")) ?: "{}", 0, &jerr);
	tags = json_loads(json_string_value(json_object_get(row, "tags")) ?: "[]", 0, &jerr);
	if (mapping == NULL || tags == NULL) {
		json_decref(mapping);
		json_decref(tags);
		return -1;
	}
	text = intake_mapping_text(mapping);
	if (text == NULL || json_object_set_new(row, "mapping_text", json_string(text)) < 0 ||
	    json_object_set_new(row, "mapping", mapping) < 0 ||
	    json_object_set_new(row, "tags", tags) < 0) {
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

int intake_form_get(struct db *db, long long id, json_t **form)
{
	struct db_conn *c = store_intake_read_begin(db);
	int rc;

	*form = NULL;
	rc = store_intake_form_load(c, id, form, NULL, NULL);
	store_intake_read_end(db, c);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (intake_form_shape(*form) < 0) {
		json_decref(*form);
		*form = NULL;
		return -1;
	}
	return 0;
}

int intake_forms_list(struct db *db, json_t **forms)
{
	struct db_conn *c = store_intake_read_begin(db);
	json_t *row;
	size_t i;
	int rc;

	rc = store_intake_forms_list(c, forms);
	store_intake_read_end(db, c);
	if (rc < 0)
		return -1;
	json_array_foreach(*forms, i, row) {
		if (intake_form_shape(row) < 0) {
			json_decref(*forms);
			*forms = NULL;
			return -1;
		}
	}
	return 0;
}

int intake_form_recent(struct db *db, long long id, int limit, json_t **rows)
{
	struct db_conn *c = store_intake_read_begin(db);
	int rc = store_intake_recent(c, id, limit, rows);

	store_intake_read_end(db, c);
	return rc < 0 ? -1 : 0;
}

/* ---- rejected leads ---- */

/* Replaces each row's "errors" text by the object it holds. */
static int intake_errors_parse(json_t *row)
{
	json_error_t jerr;
	json_t *e = json_loads(json_string_value(json_object_get(row, "errors")) ?: "{}", 0, &jerr);

	return e && json_object_set_new(row, "errors", e) == 0 ? 0 : -1;
}

int intake_rejected_list(struct db *db, long long form_id, int limit, json_t **rows)
{
	struct db_conn *c = store_intake_read_begin(db);
	json_t *row;
	size_t i;
	int rc = store_intake_rejected_list(c, form_id, limit, rows);

	store_intake_read_end(db, c);
	if (rc < 0)
		return -1;
	json_array_foreach(*rows, i, row) {
		if (intake_errors_parse(row) < 0) {
			json_decref(*rows);
			*rows = NULL;
			return -1;
		}
	}
	return 0;
}

int intake_rejected_get(struct db *db, const struct keys *keys, long long id,
                        int with_sensitive, json_t **lead)
{
	struct db_conn *c = store_intake_read_begin(db);
	unsigned char *blob = NULL;
	size_t len = 0;
	json_t *row = NULL, *opened = NULL, *input;
	const struct person_field *f;
	int rc;

	*lead = NULL;
	rc = store_intake_rejected_load(c, id, &row, &blob, &len);
	store_intake_read_end(db, c);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	rc = -1;
	if (intake_errors_parse(row) < 0 ||
	    sealed_decrypt_json(keys->demographics, blob, len, &opened) < 0)
		goto done;
	input = json_object_get(opened, "input");
	if (!json_is_object(input))
		goto done;
	if (!with_sensitive)
		for (f = person_fields; f->name; f++)
			if (f->sensitive)
				json_object_del(input, f->name);
	if (json_object_set(row, "input", input) < 0 ||
	    json_object_set(row, "custom", json_is_object(json_object_get(opened, "custom"))
	                                           ? json_object_get(opened, "custom")
	                                           : json_object()) < 0)
		goto done;
	*lead = row;
	row = NULL;
	rc = 0;
done:
	if (blob)
		sodium_memzero(blob, len);
	free(blob);
	json_decref(opened);
	json_decref(row);
	return rc;
}

struct intake_replay_job {
	long long id, person_id, by, at, form_id;
};

static int intake_replay_run(struct db_conn *c, void *arg)
{
	struct intake_replay_job *job = arg;
	json_t *after;
	int rc;

	rc = store_intake_rejected_resolve(c, job->id, job->person_id, job->by, job->at);
	if (rc <= 0)
		return rc < 0 ? rc : 1;
	after = json_pack("{s:s, s:I}", "status", "replayed", "person_id", (json_int_t)job->person_id);
	if (after == NULL)
		return INTAKE_ERROR;
	rc = store_audit_append(c, job->by, "rejected_lead.replay", "rejected_lead", job->id, NULL,
	                        after);
	json_decref(after);
	return rc < 0 ? rc : 0;
}

int intake_rejected_replay(struct db *db, const struct keys *keys,
                           const struct staff_user *viewer, long long id, json_t *fixes,
                           struct intake_result *out)
{
	struct intake_replay_job job;
	struct intake_form *form = NULL;
	struct db_conn *c;
	json_t *lead = NULL, *input, *row = NULL;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	char hash[INTAKE_HASH_TEXT] = "";
	int rc;

	memset(out, 0, sizeof(*out));
	rc = intake_rejected_get(db, keys, id, 1, &lead);
	if (rc != 0)
		return rc;
	rc = -1;
	if (strcmp(json_string_value(json_object_get(lead, "status")) ?: "", "open") != 0) {
		rc = 1;
		goto done;
	}
	input = json_object_get(lead, "input");
	if (fixes && json_object_update(input, fixes) < 0)
		goto done;
	/* The form as it is now (even if inactive: staff replay on purpose). */
	c = store_intake_read_begin(db);
	rc = store_intake_form_load(c, json_integer_value(json_object_get(lead, "form_id")), &row,
	                            &sealed, &sealed_len);
	store_intake_read_end(db, c);
	if (rc <= 0) {
		rc = -1;
		goto done;
	}
	rc = -1;
	form = intake_form_build(keys, row, sealed, sealed_len, hash);
	if (form == NULL)
		goto done;
	if (intake_store(db, keys, form, input, json_object_get(lead, "custom"), NULL, NULL, 0,
	                 out) < 0)
		goto done;
	if (out->outcome == INTAKE_REJECTED) {
		rc = 2;
		goto done;
	}
	memset(&job, 0, sizeof(job));
	job.id = id;
	job.person_id = out->person_id;
	job.by = viewer ? viewer->id : 0;
	job.at = intake_now();
	rc = store_intake_write(db, intake_replay_run, &job);
	/* A second replay racing this one: the lead is stored either way. */
	rc = rc < 0 ? -1 : 0;
done:
	intake_form_free(form);
	json_decref(row);
	free(sealed);
	json_decref(lead);
	return rc;
}

/* ---- compliance counts ---- */

/* "YYYY-MM-DD" of a UTC day number. */
static void intake_day_text(long long day, char out[16])
{
	time_t t = (time_t)(day * INTAKE_DAY_SECONDS);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* Shapes counter rows into the object intake_counts() documents (forms
 * without names; the caller adds them). */
static json_t *intake_counts_shape(json_t *rows)
{
	json_t *out, *days, *forms, *partners, *row;
	const char *name, *bucket;
	long long today = intake_now() / INTAKE_DAY_SECONDS, day, v;
	char daytext[16];
	size_t i;
	int bad = 0;

	out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:{}, s:{}, s:{}, s:{}}", "people", (json_int_t)0,
	                "emails", (json_int_t)0, "phones", (json_int_t)0, "leads", (json_int_t)0,
	                "leads_today", (json_int_t)0, "days", "form_leads", "form_rejected",
	                "partners");
	if (out == NULL)
		return NULL;
	days = json_object_get(out, "days");
	forms = json_object_get(out, "form_leads");
	partners = json_object_get(out, "partners");
	json_array_foreach(rows, i, row) {
		name = json_string_value(json_object_get(row, "name"));
		bucket = json_string_value(json_object_get(row, "bucket"));
		v = json_integer_value(json_object_get(row, "value"));
		if (name == NULL || bucket == NULL)
			continue;
		if (*bucket == '\0' && (strcmp(name, "people") == 0 || strcmp(name, "emails") == 0 ||
		                        strcmp(name, "phones") == 0 || strcmp(name, "leads") == 0)) {
			bad |= json_object_set_new(out, name, json_integer(v));
		} else if (strcmp(name, "leads_day") == 0) {
			day = strtoll(bucket, NULL, 10);
			if (day == today)
				bad |= json_object_set_new(out, "leads_today", json_integer(v));
			if (day > today - INTAKE_DAYS_SHOWN) {
				intake_day_text(day, daytext);
				bad |= json_object_set_new(days, daytext, json_integer(v));
			}
		} else if (strcmp(name, "form_leads") == 0) {
			bad |= json_object_set_new(forms, bucket, json_integer(v));
		} else if (strcmp(name, "form_rejected") == 0) {
			bad |= json_object_set_new(json_object_get(out, "form_rejected"), bucket,
			                           json_integer(v));
		} else if (strcmp(name, "partner_leads") == 0) {
			bad |= json_object_set_new(partners, bucket, json_integer(v));
		}
	}
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int intake_counts(struct db *db, int recount, json_t **counts)
{
	struct db_conn *c;
	json_t *rows = NULL, *again = NULL, *forms = NULL, *shaped = NULL, *row, *list = NULL;
	size_t i;
	int rc = -1;

	*counts = NULL;
	/* One read connection: every number from one snapshot. */
	c = store_intake_read_begin(db);
	if (store_intake_counters(c, &rows) < 0 || store_intake_forms_list(c, &forms) < 0 ||
	    (recount && store_intake_recount(c, &again) < 0)) {
		store_intake_read_end(db, c);
		goto done;
	}
	store_intake_read_end(db, c);
	shaped = intake_counts_shape(rows);
	list = json_array();
	if (shaped == NULL || list == NULL)
		goto done;
	json_array_foreach(forms, i, row) {
		if (json_array_append_new(list, json_pack("{s:O, s:O, s:O, s:O, s:O}", "id",
		                          json_object_get(row, "id"), "name", json_object_get(row, "name"),
		                          "owner", json_object_get(row, "owner"), "leads",
		                          json_object_get(row, "leads"), "rejected",
		                          json_object_get(row, "rejected"))) < 0)
			goto done;
	}
	if (json_object_set_new(shaped, "forms", list) < 0) {
		list = NULL;
		goto done;
	}
	list = NULL;
	if (recount) {
		if (json_object_set_new(shaped, "consistent", json_boolean(json_equal(rows, again))) < 0 ||
		    json_object_set(shaped, "recount", again) < 0)
			goto done;
	}
	*counts = shaped;
	shaped = NULL;
	rc = 0;
done:
	json_decref(list);
	json_decref(shaped);
	json_decref(rows);
	json_decref(again);
	json_decref(forms);
	return rc;
}

int intake_export_each(struct db *db, intake_export_fn fn, void *arg)
{
	struct db_conn *c = store_intake_read_begin(db);
	int rc = store_intake_export_each(c, fn, arg);

	store_intake_read_end(db, c);
	return rc;
}
