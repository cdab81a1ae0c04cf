/*
 * store_nominations.h — nominations (store layer; SQL in store_nominations.c).
 *
 * A nomination links the person who nominated (nominator_person_id) to the
 * "nominated by …" record of the nominee (nominee_person_id). The accept
 * link's token is known here only by its hash. The domain
 * (domain/nominations.c) decides everything; these are row operations to
 * call inside its write jobs (store_mail_write) or on a read connection.
 *
 * Return values: 0 (or 1/0 found/not found where noted) or a negative enum
 * db_rc. json objects returned are new references the caller json_decref()s.
 * Threading: no state of its own.
 */
#ifndef ONRAMP_STORE_NOMINATIONS_H
#define ONRAMP_STORE_NOMINATIONS_H

#include <jansson.h>

struct db_conn;

struct store_nomination {
	const char *token_hash;        /* hex SHA-256 of the accept token */
	long long   nominee_person_id;
	long long   nominator_person_id;
	const char *nominator_name;
	const char *nominee_name;
	const char *reason;            /* may be NULL */
	long long   created_at;
};

/* Inserts n as 'invited'. Sets *id. */
int store_nomination_insert(struct db_conn *c, const struct store_nomination *n, long long *id);
/* Loads the nomination whose token hash is token_hash: {id,
 * nominee_person_id, nominator_person_id, nominator_name, nominee_name,
 * reason, status, created_at, accepted_person_id} (NULL columns left out).
 * Returns 1, 0 if there is none, or < 0. */
int store_nomination_find(struct db_conn *c, const char *token_hash, json_t **row);
/* Marks nomination id accepted by person_id at time at if it is still
 * 'invited'. Returns 1 if it was, 0 if not (already accepted), or < 0. */
int store_nomination_accept(struct db_conn *c, long long id, long long person_id, long long at);
/* Points every nomination (as nominee or nominator) and every outbox row
 * of person from at person to (before from is merged away into to). */
int store_nomination_repoint(struct db_conn *c, long long from, long long to);
/* Records who an accepted nomination's signup landed in. */
int store_nomination_set_person(struct db_conn *c, long long id, long long person_id);
/* Sets *rows to the nominations naming person_id as nominee or accepted
 * person, newest first: [{id, nominator_name, nominator_person_id, reason,
 * status, created_at, accepted_at}]. */
int store_nominations_for_person(struct db_conn *c, long long person_id, json_t **rows);

#endif
