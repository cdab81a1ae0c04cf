/*
 * store_search_queue.h — the queue that keeps SQLite's people search index
 * current in bulk (see store_search_queue.c for why and how).
 */
#ifndef ONRAMP_STORE_SEARCH_QUEUE_H
#define ONRAMP_STORE_SEARCH_QUEUE_H

struct db;
struct db_conn;

/* Inside a writer job that changed person id's name, contacts or ZIP (or
 * created them): queues them for the search index, in the job's
 * transaction; the end of the group indexes the queue once it is long
 * enough. PostgreSQL: rewrites their search row at once. 0 or < 0. */
int store_search_queue_add(struct db_conn *c, long long id);

/* How many people wait to be indexed (0 on PostgreSQL). 0 or < 0. */
int store_search_queued(struct db *db, long long *n);

/* Indexes everyone queued, through the writer, so that a search started
 * afterwards sees every change committed before the call. Call before
 * reading the search index. 0 or < 0. */
int store_search_catch_up(struct db *db);

#endif
