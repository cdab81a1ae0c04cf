/*
 * mail_worker.c — the outbox sender thread. See mail_worker.h.
 *
 * A row goes through: claim (write job: lease + attempt count) → load →
 * may it still go? → render → build → SMTP → finish (write job: sent,
 * retry, failed or suppressed; the lease is released). The SMTP
 * conversation happens outside any database job, so a slow mail server
 * never holds the writer.
 *
 * Threading: one worker thread; stop is a flag and a condition variable,
 * so stopping does not wait for the poll interval. Options are copied at
 * start and read-only afterwards.
 */
#include "domain/mail_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/mail_message.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "store/store_mail.h"

struct mail_worker {
	struct mail_worker_options o;
	pthread_t                  thread;
	pthread_mutex_t            lock;
	pthread_cond_t             wake;
	int                        stop;
};

long long mail_worker_backoff(int retry_seconds, int attempts)
{
	long long d = retry_seconds > 0 ? retry_seconds : LIMIT_MAIL_RETRY_SECONDS;
	int i;

	for (i = 1; i < attempts && d < LIMIT_MAIL_RETRY_MAX_SECONDS; i++)
		d *= 2;
	return d < LIMIT_MAIL_RETRY_MAX_SECONDS ? d : LIMIT_MAIL_RETRY_MAX_SECONDS;
}

struct mail_claim_job {
	long long id;
	json_t   *row;
};

static int mail_claim_run(struct db_conn *c, void *arg)
{
	struct mail_claim_job *job = arg;
	long long now = (long long)time(NULL);
	int rc;

	rc = store_mail_claim(c, job->id, now, now + LIMIT_MAIL_LEASE_SECONDS);
	if (rc <= 0)
		return rc;
	rc = store_mail_load(c, job->id, &job->row);
	return rc < 0 ? rc : 1;
}

struct mail_finish_job {
	long long                id;
	enum store_mail_outcome  outcome;
	const char              *subject, *body, *message_id, *error;
	long long                next_at;
};

static int mail_finish_run(struct db_conn *c, void *arg)
{
	struct mail_finish_job *j = arg;

	return store_mail_finish(c, j->id, j->outcome, j->subject, j->body, j->message_id, j->error,
	                         j->next_at, (long long)time(NULL));
}

static int mail_finish(const struct mail_worker_options *o, long long id,
                       enum store_mail_outcome outcome, const char *subject, const char *body,
                       const char *message_id, const char *error, long long next_at)
{
	struct mail_finish_job j = { id, outcome, subject, body, message_id, error, next_at };
	int rc = store_mail_write(o->db, mail_finish_run, &j);

	if (rc < 0)
		log_error("mail: recording message %lld failed (database error %d)", id, rc);
	return rc < 0 ? -1 : 0;
}

/* Sends one claimed row. Returns 1 if it was handed to the server, 0 if
 * it was retried, failed or suppressed, -1 on a database error. */
static int mail_send_row(const struct mail_worker_options *o, json_t *row)
{
	long long id = json_integer_value(json_object_get(row, "id"));
	int attempts = (int)json_integer_value(json_object_get(row, "attempts"));
	const char *kind = json_string_value(json_object_get(row, "kind"));
	const char *to = json_string_value(json_object_get(row, "to_addr"));
	struct mail_message m;
	char *subject = NULL, *body = NULL, *url = NULL;
	char err[512], name[200], addr[260], msgid[300];
	buf msg;
	int rc, result = 0;

	/* Consent can change between queueing and sending (a day-5 welcome
	 * after an unsubscribe on day 1): ask again now. */
	if (kind && strcmp(kind, "marketing") == 0 &&
	    (!json_is_true(json_object_get(row, "consent_email")) ||
	     json_is_true(json_object_get(row, "unsubscribed")))) {
		return mail_finish(o, id, STORE_MAIL_SUPPRESSED, NULL, NULL, NULL,
		                   json_is_true(json_object_get(row, "unsubscribed")) ? "unsubscribed"
		                                                                     : "no consent to email",
		                   0);
	}
	if (mail_render_row(&o->settings, row, &subject, &body, err, sizeof(err)) < 0) {
		log_warn("mail: message %lld not sent: %s", id, err);
		return mail_finish(o, id, STORE_MAIL_FAILED, NULL, NULL, NULL, err, 0);
	}
	buf_init(&msg, LIMIT_MAIL_MESSAGE_MAX);
	if (mail_from_parse(o->from, name, sizeof(name), addr, sizeof(addr)) < 0 ||
	    mail_message_id_new(addr, msgid, sizeof(msgid)) < 0) {
		snprintf(err, sizeof(err), "ONRAMP_MAIL_FROM is not a usable sender");
		rc = mail_finish(o, id, STORE_MAIL_FAILED, NULL, NULL, NULL, err, 0);
		goto done;
	}
	if (json_integer_value(json_object_get(row, "person_id")) > 0 && to)
		url = mail_unsubscribe_url(&o->settings, to);
	memset(&m, 0, sizeof(m));
	m.from_name = name;
	m.from_addr = addr;
	m.to_addr = to;
	m.subject = subject;
	m.body = body;
	m.message_id = msgid;
	m.date = (long long)time(NULL);
	m.unsubscribe_url = url;
	if (mail_message_build(&m, &msg) < 0) {
		/* A line break in a header, an address we won't write to: the
		 * same data would be refused again, so no retry. */
		snprintf(err, sizeof(err), "refused to build the message (a header holds a line"
		         " break, or an address is not usable)");
		log_warn("mail: message %lld: %s", id, err);
		rc = mail_finish(o, id, STORE_MAIL_FAILED, NULL, NULL, NULL, err, 0);
		goto done;
	}
	rc = smtp_send(&o->smtp, addr, to, buf_str(&msg), msg.len, err, sizeof(err));
	if (rc == SMTP_OK) {
		result = 1;
		rc = mail_finish(o, id, STORE_MAIL_SENT, subject, body, msgid, NULL, 0);
		log_info("mail: message %lld (%s) sent", id,
		         json_string_value(json_object_get(row, "template_code")));
	} else if (rc == SMTP_TEMPORARY && attempts < LIMIT_MAIL_ATTEMPTS) {
		long long next = (long long)time(NULL) + mail_worker_backoff(o->retry_seconds, attempts);

		log_warn("mail: message %lld, attempt %d: %s; trying again in %lld s", id, attempts, err,
		         next - (long long)time(NULL));
		rc = mail_finish(o, id, STORE_MAIL_RETRY, NULL, NULL, NULL, err, next);
	} else {
		log_warn("mail: message %lld failed after %d attempt(s): %s", id, attempts, err);
		rc = mail_finish(o, id, STORE_MAIL_FAILED, NULL, NULL, NULL, err, 0);
	}
done:
	buf_free(&msg);
	free(subject);
	free(body);
	free(url);
	return rc < 0 ? -1 : result;
}

int mail_worker_pass(const struct mail_worker_options *o, int *sent)
{
	long long ids[LIMIT_MAIL_BATCH];
	struct mail_claim_job job;
	struct db_conn *c;
	int n = 0, i, rc, handled = 0;

	if (sent)
		*sent = 0;
	c = store_mail_read_begin(o->db);
	rc = store_mail_due(c, (long long)time(NULL), ids, LIMIT_MAIL_BATCH, &n);
	store_mail_read_end(o->db, c);
	if (rc < 0) {
		log_error("mail: reading the outbox failed (database error %d)", rc);
		return -1;
	}
	for (i = 0; i < n; i++) {
		job.id = ids[i];
		job.row = NULL;
		rc = store_mail_write(o->db, mail_claim_run, &job);
		if (rc < 0) {
			log_error("mail: claiming message %lld failed (database error %d)", ids[i], rc);
			return -1;
		}
		if (rc == 0 || job.row == NULL)
			continue;  /* another sender has it, or it is no longer due */
		rc = mail_send_row(o, job.row);
		json_decref(job.row);
		if (rc < 0)
			return -1;
		if (sent)
			*sent += rc;
		handled++;
	}
	return handled;
}

static void *mail_worker_main(void *arg)
{
	struct mail_worker *w = arg;
	struct timespec until;
	int handled;

	(void)pthread_setname_np(pthread_self(), "onramp-mail");
	for (;;) {
		pthread_mutex_lock(&w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		handled = mail_worker_pass(&w->o, NULL);
		if (handled > 0)
			continue;  /* more may be due: go again at once */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LIMIT_MAIL_POLL_MS / 1000;
		until.tv_nsec += (long)(LIMIT_MAIL_POLL_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&w->lock);
		while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

int mail_worker_start(const struct mail_worker_options *o, struct mail_worker **out, char *err,
                      size_t errlen)
{
	struct mail_worker *w;
	char name[200], addr[260];

	*out = NULL;
	if (o->smtp.url == NULL || o->smtp.url[0] == '\0') {
		snprintf(err, errlen, "no SMTP server configured");
		return -1;
	}
	if (mail_from_parse(o->from, name, sizeof(name), addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "ONRAMP_MAIL_FROM is not a usable sender");
		return -1;
	}
	if (smtp_global_init() < 0) {
		snprintf(err, errlen, "libcurl did not initialize");
		return -1;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->o = *o;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, mail_worker_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		snprintf(err, errlen, "could not start the mail thread");
		return -1;
	}
	*out = w;
	return 0;
}

void mail_worker_stop(struct mail_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
