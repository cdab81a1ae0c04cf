/*
 * cli_serve.c — `onramp serve`: migrate, build the application context,
 * start the HTTP server, and run until SIGINT or SIGTERM.
 *
 * Signals are blocked before any thread starts, so every thread inherits the
 * mask and only this thread receives them (sigwait). Shutdown order: stop the
 * server (in-flight requests finish), then close the database (the writer
 * commits what is queued), then wipe the keys.
 */
#include "cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/keys.h"
#include "domain/mail_worker.h"
#include "domain/races.h"
#include "http/ratelimit.h"
#include "domain/throttle.h"
#include "http/server.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "store/db.h"
#include "store/store_search_queue.h"
#include "web/app.h"
#include "web/routes.h"
#include "web/templates.h"

static const char usage[] =
	"Usage: onramp serve [options]\n"
	"\n"
	"Applies pending migrations and serves the web application until stopped\n"
	"(Ctrl-C or SIGTERM). Prints \"onramp: listening on URL\" when ready.";

/* Starts the outbox sender when an SMTP server is configured; without one,
 * mail stays in the outbox for staff to read. Returns 0 or -1 (printed). */
static int serve_mail_start(const struct config *cfg, struct app *app, struct mail_worker **out)
{
	struct mail_worker_options mo;
	char err[256];

	*out = NULL;
	if (!cfg->smtp_url[0]) {
		log_info("mail: no ONRAMP_SMTP_URL; messages stay in the outbox (/staff/mail)");
		return 0;
	}
	memset(&mo, 0, sizeof(mo));
	mo.db = app->db;
	mo.settings.keys = app->keys;
	mo.settings.base_url = cfg->base_url;
	mo.settings.org_name = cfg->org_name;
	mo.smtp.url = cfg->smtp_url;
	mo.smtp.user = cfg->smtp_user;
	mo.smtp.password = cfg->smtp_password;
	mo.smtp.tls = (enum smtp_tls)cfg->smtp_tls;
	mo.smtp.timeout_seconds = LIMIT_SMTP_TIMEOUT_SECONDS;
	mo.from = cfg->mail_from;
	mo.retry_seconds = cfg->mail_retry_seconds;
	if (mail_worker_start(&mo, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: mail: %s\n", err);
		return -1;
	}
	log_info("mail: sending through %s", cfg->smtp_url);
	return 0;
}

int cli_serve(int argc, char **argv)
{
	struct config cfg;
	struct app app = { 0 };
	struct http_server *server = NULL;
	struct mail_worker *mailer = NULL;
	struct http_server_options opt = { 0 };
	static struct throttle_shared signup_shared;
	static struct throttle_shared intake_shared;
	char err[512];
	const char *pos[1];
	size_t n_pos;
	sigset_t set;
	int rc, sig, status = 1;

	rc = cli_parse(argc, argv, usage, &cfg, NULL, 0, pos, 0, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	app.cfg = &cfg;
	if (cli_open(&cfg, 1, &app.db, &app.keys) != 0)
		return 1;
	app.templates = templates_load(cfg.theme_dir[0] ? cfg.theme_dir : NULL, err, sizeof(err));
	if (!app.templates) {
		fprintf(stderr, "onramp: %s\n", err);
		goto done;
	}
	if (cfg.signup_rate > 0) {
		app.signup_limit = ratelimit_new((unsigned)cfg.signup_rate, 60);
		if (!app.signup_limit) {
			fprintf(stderr, "onramp: out of memory\n");
			goto done;
		}
		/* several nodes on one database: the limit must hold across them */
		if (db_is_shared(app.db)) {
			signup_shared.db = app.db;
			signup_shared.keys = app.keys;
			signup_shared.name = "signup";
			ratelimit_share(app.signup_limit, throttle_hit_shared, &signup_shared);
		}
	}
	/* intake forms: one table, each form its own per-minute rate */
	app.intake_limit = ratelimit_new(LIMIT_INTAKE_RATE_DEFAULT, 60);
	if (!app.intake_limit) {
		fprintf(stderr, "onramp: out of memory\n");
		goto done;
	}
	if (db_is_shared(app.db)) {
		intake_shared.db = app.db;
		intake_shared.keys = app.keys;
		intake_shared.name = "intake";
		ratelimit_share(app.intake_limit, throttle_hit_shared, &intake_shared);
	}
	if (serve_mail_start(&cfg, &app, &mailer) < 0)
		goto done;
	/* the people search index, kept current in the background */
	if (store_search_start(app.db) < 0)
		goto done;
	/* the race finder: boundary index now, rebuilt after imports */
	if (races_open(app.db, getenv("ONRAMP_GEOCODER_URL"), 1, &app.races, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: race finder: %s\n", err);
		goto done;
	}
	opt.host = cfg.listen_host;
	opt.port = cfg.listen_port;
	opt.is_https = cfg.is_https;
	opt.per_ip = (unsigned)cfg.http_per_ip;
	opt.dispatch = web_dispatch;
	opt.app = &app;
	if (http_server_start(&opt, &server, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: cannot serve on %s:%d: %s\n", cfg.listen_host, cfg.listen_port, err);
		goto done;
	}
	if (cfg.listen_host[0] && strchr(cfg.listen_host, ':'))
		printf("onramp: listening on http://[%s]:%d\n", cfg.listen_host, http_server_port(server));
	else
		printf("onramp: listening on http://%s:%d\n", cfg.listen_host, http_server_port(server));
	fflush(stdout);
	{
		char shown[sizeof(cfg.db_url) + 64];

		log_info("serving %s (database %s)", cfg.base_url,
		         config_db_url_redacted(cfg.db_url, shown, sizeof(shown)));
	}
	if (cfg.admin_2fa_optional)
		log_warn("ONRAMP_ADMIN_2FA=optional: admins may work without two-factor sign-in (test set-ups only)");

	if (sigwait(&set, &sig) == 0)
		log_info("stopping on signal %d", sig);
	status = 0;
done:
	if (server)
		http_server_stop(server);
	mail_worker_stop(mailer);
	races_close(app.races);
	if (app.signup_limit)
		ratelimit_free(app.signup_limit);
	ratelimit_free(app.intake_limit);
	if (app.templates)
		templates_free(app.templates);
	db_close(app.db);
	keys_free(app.keys);
	return status;
}
