/*
 * store_copy.h — copying a whole Onramp database from one engine to
 * another (`onramp copy-data`: an SQLite file into PostgreSQL). Seen from
 * outside the store layer, like db.h: the caller holds two struct db
 * handles and never any SQL.
 *
 * What a copy does, in order: checks that the table list of
 * store/schema_tables.c covers both databases' schemas exactly (a table or
 * a column it does not know would be left behind, so it refuses instead);
 * checks that the target holds no data; then, reading the source inside one
 * read transaction (one consistent snapshot), streams each table in
 * foreign-key order to the target in batches of at most
 * LIMIT_COPY_BATCH_ROWS rows / LIMIT_COPY_BATCH_BYTES bytes, each batch one
 * db_write() job on the target, ids kept as they are; moves PostgreSQL's
 * identity sequences past the copied ids; rebuilds the target's search rows
 * from the copied people; and finally compares every table's row count on
 * both sides.
 *
 * A failed copy leaves the target partly filled (each batch commits on its
 * own): drop and re-create the target database, then run it again.
 * Threading: any one thread; the copy blocks it until done.
 */
#ifndef ONRAMP_STORE_COPY_H
#define ONRAMP_STORE_COPY_H

#include <stddef.h>

struct db;

/* Called after each table is copied, with its name and row count. */
typedef void (*store_copy_progress_fn)(void *arg, const char *table, long long rows);

/* Checks db's schema against the table list: every base table is listed
 * (or is one of the derived tables), every listed table exists with exactly
 * the listed columns of the listed kinds (and, on PostgreSQL, an identity
 * id exactly where the list resets one), and every table comes after the
 * tables its foreign keys reference. Returns 0, or -1 with a one-line
 * reason naming the table (and column) in err. */
int store_copy_check_schema(struct db *db, char *err, size_t errlen);

/* Returns 0 if db holds no application data (only rows the migrations
 * seed), 1 if it does (err names the first table with rows), -1 on error
 * (reason in err). */
int store_copy_check_empty(struct db *db, char *err, size_t errlen);

/* Copies every row of from into to, as described above. Both must be
 * migrated to the same schema; to must pass store_copy_check_empty. progress
 * may be NULL. Returns 0 once every table's count matches, or -1 with a
 * one-line reason in err (on a count mismatch: "TABLE: N rows in the source,
 * M in the target"). */
int store_copy_run(struct db *from, struct db *to, store_copy_progress_fn progress, void *arg,
                   char *err, size_t errlen);

#endif
