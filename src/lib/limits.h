/*
 * limits.h — every hard limit in Onramp, in one place.
 *
 * Each buffer fed by outside input has a maximum here; code that grows a
 * buffer from input names one of these constants instead of a literal.
 */
#ifndef ONRAMP_LIMITS_H
#define ONRAMP_LIMITS_H

/* HTTP */
#define LIMIT_HTTP_BODY_MAX          (64 * 1024)   /* largest request body accepted */
#define LIMIT_HTTP_HEADER_MAX        (16 * 1024)   /* per-connection memory for headers */
#define LIMIT_HTTP_CONNECTION_MEMORY (32 * 1024)   /* MHD per-connection memory pool: headers and
                                                    * read buffer; MHD zeroes it for every request
                                                    * of a keep-alive connection, so no larger */
#define LIMIT_HTTP_CONNECTIONS       1024          /* total concurrent connections */
#define LIMIT_HTTP_CONNECTIONS_PER_IP 64           /* concurrent connections per client IP */
#define LIMIT_HTTP_TIMEOUT_SECONDS   15            /* idle connection timeout */
#define LIMIT_HTTP_THREAD_STACK      (512 * 1024)  /* stack per HTTP thread (event loops, workers) */
#define LIMIT_HTTP_EVENT_THREADS     8             /* event-loop threads: one per core, at most this */
#define LIMIT_HTTP_WORKERS           64            /* threads that run handlers which may block */
#define LIMIT_HTTP_STOP_WAIT_MS      30000         /* stopping waits this long for suspended requests */
#define LIMIT_FORM_FIELDS            128           /* fields in one form body */
#define LIMIT_FORM_FIELD_NAME        128           /* bytes in a field name */
#define LIMIT_URL_MAX                2048          /* bytes in a request URL */
#define LIMIT_COOKIE_MAX             4096          /* bytes in the Cookie header */

/* Response rendering */
#define LIMIT_PAGE_MAX               (4 * 1024 * 1024) /* largest rendered page */
#define LIMIT_TEMPLATE_MAX           (256 * 1024)  /* largest template source */
#define LIMIT_TEMPLATE_DEPTH         32            /* nested sections/partials */
#define LIMIT_TEMPLATE_STEPS         (4 * 1024 * 1024) /* nodes visited in one render */
#define LIMIT_TEMPLATE_DELIM         16            /* bytes in a {{=<% %>=}} delimiter */
#define LIMIT_STATIC_FILE_MAX        (1024 * 1024) /* largest static file (CSS, logo), built-in or theme */

/* Person fields (bytes, after trimming) */
#define LIMIT_NAME                   100
#define LIMIT_EMAIL                  254
#define LIMIT_PHONE_INPUT            40
#define LIMIT_ADDRESS                200
#define LIMIT_CITY                   100
#define LIMIT_ZIP                    10
#define LIMIT_SHORT_TEXT             200
#define LIMIT_LONG_TEXT              5000          /* "why I want to run", notes */
#define LIMIT_SOURCE                 100
#define LIMIT_LIST_ITEMS             16            /* checkboxes of one group */

/* Accounts and sessions */
#define LIMIT_PASSWORD_MIN           12
#define LIMIT_PASSWORD_MAX           1024
#define LIMIT_SESSION_IDLE_SECONDS   (2 * 60 * 60)       /* 2 hours idle */
#define LIMIT_SESSION_ABSOLUTE_SECONDS (12 * 60 * 60)    /* 12 hours in all */
#define LIMIT_LOGIN_FAILS_PER_ACCOUNT 5            /* per window, then locked */
#define LIMIT_LOGIN_FAILS_PER_IP     20            /* per window */
#define LIMIT_LOGIN_WINDOW_SECONDS   (15 * 60)
#define LIMIT_HASHING_CONCURRENCY    2             /* argon2id hashes at once */
#define LIMIT_LOGIN_PENDING_SECONDS  (5 * 60)      /* password accepted, code not yet typed */
#define LIMIT_TOTP_ATTEMPTS          5             /* wrong codes per half-signed-in login */

/* Public forms */
#define LIMIT_SIGNUPS_PER_IP_PER_MINUTE 30

/* Lead intake (POST /intake/KEY) */
#define LIMIT_INTAKE_BODY_MAX        LIMIT_HTTP_BODY_MAX /* a post's body (JSON or form) */
#define LIMIT_INTAKE_DEPTH           8             /* nesting of a JSON post */
#define LIMIT_INTAKE_FIELDS          256           /* names of a post once flattened */
#define LIMIT_INTAKE_NAME            256           /* bytes of one flattened name */
#define LIMIT_INTAKE_MAPPING         256           /* entries of a form's mapping */
#define LIMIT_INTAKE_IDEM_KEY        200           /* bytes of an Idempotency-Key */
#define LIMIT_INTAKE_TAGS            16            /* default tags of a form */
#define LIMIT_INTAKE_RATE_DEFAULT    6000          /* leads per form per minute */
#define LIMIT_INTAKE_RATE_MAX        600000
#define LIMIT_INTAKE_FORMS_CACHED    1024          /* forms kept in the lookup cache */
#define LIMIT_EXPORT_MAX             (256 * 1024 * 1024) /* largest CSV export answered */

/* Mail and nominations */
#define LIMIT_MAIL_SUBJECT           300           /* bytes of a template's subject */
#define LIMIT_MAIL_BODY              20000         /* bytes of a template's text body */
#define LIMIT_MAIL_MESSAGE_MAX       (256 * 1024)  /* a whole rendered, encoded message */
#define LIMIT_MAIL_RETRY_SECONDS     60            /* first retry delay (ONRAMP_MAIL_RETRY), doubled each time */
#define LIMIT_MAIL_RETRY_MAX_SECONDS (6 * 60 * 60) /* longest delay between two tries */
#define LIMIT_MAIL_ATTEMPTS          8             /* tries before a message is 'failed' */
#define LIMIT_MAIL_LEASE_SECONDS     300           /* a sender's hold on a claimed row */
#define LIMIT_MAIL_BATCH             20            /* rows claimed per pass of the worker */
#define LIMIT_MAIL_POLL_MS           1000          /* the worker's pause when nothing is due */
#define LIMIT_SMTP_TIMEOUT_SECONDS   60            /* one SMTP conversation */

/* Lists */
#define LIMIT_PAGE_SIZE_DEFAULT      50
#define LIMIT_PAGE_SIZE_MAX          200
/* The staff people search (store_people.c): up to this many text matches
 * are looked up and sorted; above it, the list walks the index of its sort
 * order and keeps the matches, which stops after one page. */
#define LIMIT_SEARCH_SORT_ROWS       2000

/* Pipeline (calls, tasks, tags, views, bulk actions, reports) */
#define LIMIT_STAGES_MAX             40            /* pipeline stages an admin may define */
#define LIMIT_STAGE_CODE             40            /* bytes in a stage code */
#define LIMIT_TAG                    40            /* bytes in a tag name */
#define LIMIT_TAGS_PER_PERSON        50
#define LIMIT_TASK_TITLE             200
#define LIMIT_VIEW_NAME              80
#define LIMIT_VIEWS_MAX              200           /* saved views in all */
#define LIMIT_BULK_MAX               5000          /* people one bulk action may change */
#define LIMIT_MY_CALLS_MAX           200           /* rows on "My calls" */
#define LIMIT_VOLUNTEER_CAPACITY_DEFAULT 25        /* a volunteer's queue until staff set one */
#define LIMIT_VOLUNTEER_CAPACITY_MAX 1000
#define LIMIT_DROPOFF_DAYS_DEFAULT   3             /* "not contacted within N days" */
#define LIMIT_DROPOFF_DAYS_MAX       365
#define LIMIT_DROPOFF_ROWS           500           /* people listed on the drop-off page */
#define LIMIT_FUNNEL_COHORTS         24            /* signup months / sources in the funnel */
#define LIMIT_TASK_REMINDER_SECONDS  (24 * 60 * 60) /* reminder mail this long before due */

/* Races (the race finder, imports, the boundary index, calendars, the map) */
#define LIMIT_RACES_DIVISIONS_PER_POINT 32         /* divisions one lookup may return */
#define LIMIT_RACES_SHOWN            100           /* races on the public page */
#define LIMIT_RACES_UPCOMING         500           /* races on the coverage page and in a feed */
#define LIMIT_RACES_CALL_LIST        25            /* people in one "who to call" list */
#define LIMIT_RACES_INDEX_CHECK_SECONDS 2          /* how often serve checks for new boundaries */
#define LIMIT_RACES_ADDRESS          200           /* bytes in a typed address */
#define LIMIT_GEOCODER_TIMEOUT_MS    3000          /* one geocoder request, all in */
#define LIMIT_GEOCODER_RESPONSE      (256 * 1024)  /* bytes of a geocoder answer */
#define LIMIT_IMPORT_LINE            (64 * 1024)   /* bytes in one CSV row */
#define LIMIT_IMPORT_FIELDS          32            /* fields in one CSV row */
#define LIMIT_IMPORT_ERRORS_SHOWN    50            /* per-row errors printed by an import */
#define LIMIT_BOUNDARY_WKB           (16 * 1024 * 1024) /* bytes of one stored boundary */
#define LIMIT_ICAL_LINE              8192          /* bytes of one unfolded iCalendar line */
#define LIMIT_MAP_SVG                (2 * 1024 * 1024) /* bytes of one coverage map */

/* Database */
#define LIMIT_DB_READ_CONNECTIONS    8
#define LIMIT_DB_BUSY_TIMEOUT_MS     5000
#define LIMIT_DB_GROUP_MAX           512           /* jobs per group commit */
#define LIMIT_DB_DEFERRED            1024          /* deferred writes per group (db_write_defer); more run at once */
#define LIMIT_INTAKE_FORM_LIST_AT    4096          /* SQLite: submissions join their forms' lists this many at a time */
#define LIMIT_SEARCH_QUEUE_CHUNK     4096          /* SQLite: the most log rows (or people, rebuilding) one index commit takes */
#define LIMIT_SEARCH_CATCH_UP_MS     5000          /* a search waits at most this long for the index to catch up */
#define LIMIT_DB_GROUP_MAX_PG        64            /* PostgreSQL: jobs per group (one savepoint each;
                                                    * its subtransaction cache holds 64) */
#define LIMIT_DB_POOL_MAX            64            /* ONRAMP_DB_POOL: read connections at most */
#define LIMIT_DB_JOB_RETRIES         5             /* reruns of a job that hit DB_RETRY */
#define LIMIT_DB_CONNECT_TIMEOUT_S   10            /* PostgreSQL: connecting */
#define LIMIT_DB_STATEMENT_TIMEOUT_MS 30000        /* PostgreSQL: one statement */
#define LIMIT_COPY_BATCH_ROWS        1000          /* copy-data: rows per write job */
#define LIMIT_COPY_BATCH_BYTES       (8 * 1024 * 1024) /* copy-data: bytes of values per write job */

#endif
