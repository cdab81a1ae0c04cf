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
#define LIMIT_HTTP_CONNECTION_MEMORY (128 * 1024)  /* MHD per-connection memory pool */
#define LIMIT_HTTP_CONNECTIONS       1024          /* total concurrent connections */
#define LIMIT_HTTP_CONNECTIONS_PER_IP 64           /* concurrent connections per client IP */
#define LIMIT_HTTP_TIMEOUT_SECONDS   15            /* idle connection timeout */
#define LIMIT_HTTP_THREAD_STACK      (512 * 1024)  /* stack per connection thread */
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

/* Public forms */
#define LIMIT_SIGNUPS_PER_IP_PER_MINUTE 30

/* Lists */
#define LIMIT_PAGE_SIZE_DEFAULT      50
#define LIMIT_PAGE_SIZE_MAX          200

/* Database */
#define LIMIT_DB_READ_CONNECTIONS    8
#define LIMIT_DB_BUSY_TIMEOUT_MS     5000
#define LIMIT_DB_GROUP_MAX           512           /* jobs per group commit */

#endif
