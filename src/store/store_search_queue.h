/*
 * store_search_queue.h — keeps the people search index current: on
 * SQLite, an indexer with its own thread and its own file beside the
 * database, fed by a log the writer appends to (see store_search_queue.c
 * for why and how); on PostgreSQL, the search row is rewritten in the
 * changing transaction.
 */
#ifndef ONRAMP_STORE_SEARCH_QUEUE_H
#define ONRAMP_STORE_SEARCH_QUEUE_H

struct db;
struct db_conn;

/* Inside a writer job that changed person id's name, contacts or ZIP (or
 * created or removed them): SQLite logs them for the indexer, in the job's
 * transaction (one appended row); PostgreSQL rewrites their search row at
 * once. 0 or < 0. */
int store_search_queue_add(struct db_conn *c, long long id);

/* Starts indexing in the background (SQLite: the indexer's thread), so a
 * search rarely waits. `onramp serve` calls it; without it, searches still
 * index what is pending first. A second call does nothing. 0 or -1. */
int store_search_start(struct db *db);

/* How many logged changes wait to be indexed (0 on PostgreSQL). 0 or < 0. */
int store_search_queued(struct db *db, long long *n);

/* Indexes what is pending, so that a search started afterwards sees every
 * change committed before the call (SQLite; nothing to do on PostgreSQL).
 * Gives up after LIMIT_SEARCH_CATCH_UP_MS (logged; the search then reads
 * the index as it is, e.g. while it is first being built). 0 or < 0. */
int store_search_catch_up(struct db *db);

#endif
