/*
 * smtp.c — one message through SMTP with libcurl. See smtp.h.
 *
 * The classification matters to the outbox: a temporary failure is tried
 * again later with backoff, a permanent one (the server answered 5xx) is
 * not retried. Only smtp and smtps are allowed as protocols, so a wrong
 * URL cannot make libcurl fetch something else. Threading: one easy handle
 * per call; no shared state after smtp_global_init().
 */
#include "lib/smtp.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

struct smtp_reader {
	const char *p;
	size_t      left;
};

static size_t smtp_read(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct smtp_reader *r = ud;
	size_t n = size * nmemb;

	if (n > r->left)
		n = r->left;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

int smtp_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int smtp_send(const struct smtp_options *o, const char *from, const char *to, const char *msg,
              size_t len, char *err, size_t errlen)
{
	struct smtp_reader rd = { msg, len };
	struct curl_slist *rcpt = NULL;
	char cerr[CURL_ERROR_SIZE] = "", env_from[300], env_to[300];
	long code = 0, use_ssl;
	CURL *h;
	CURLcode rc;
	int result = SMTP_TEMPORARY;

	snprintf(err, errlen, "not sent");
	if (snprintf(env_from, sizeof(env_from), "<%s>", from) >= (int)sizeof(env_from) ||
	    snprintf(env_to, sizeof(env_to), "<%s>", to) >= (int)sizeof(env_to)) {
		snprintf(err, errlen, "address too long");
		return SMTP_PERMANENT;
	}
	h = curl_easy_init();
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return SMTP_TEMPORARY;
	}
	rcpt = curl_slist_append(NULL, env_to);
	if (rcpt == NULL) {
		curl_easy_cleanup(h);
		snprintf(err, errlen, "out of memory");
		return SMTP_TEMPORARY;
	}
	use_ssl = o->tls == SMTP_TLS_NONE ? (long)CURLUSESSL_NONE :
	          o->tls == SMTP_TLS_TRY ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL;
	if (strncmp(o->url, "smtps://", 8) == 0)
		use_ssl = (long)CURLUSESSL_ALL;
	curl_easy_setopt(h, CURLOPT_URL, o->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_seconds);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout_seconds);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->user && *o->user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, o->password ? o->password : "");
	}
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);

	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		result = SMTP_OK;
		snprintf(err, errlen, "sent");
	} else {
		result = code >= 500 && code < 600 ? SMTP_PERMANENT : SMTP_TEMPORARY;
		if (code > 0)
			snprintf(err, errlen, "SMTP %ld: %s", code, cerr[0] ? cerr : curl_easy_strerror(rc));
		else
			snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	return result;
}
