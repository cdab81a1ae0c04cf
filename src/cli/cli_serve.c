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
#include <string.h>

#include "domain/keys.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "lib/log.h"
#include "store/db.h"
#include "web/app.h"
#include "web/routes.h"
#include "web/templates.h"

static const char usage[] =
	"Usage: onramp serve [options]\n"
	"\n"
	"Applies pending migrations and serves the web application until stopped\n"
	"(Ctrl-C or SIGTERM). Prints \"onramp: listening on URL\" when ready.";

int cli_serve(int argc, char **argv)
{
	struct config cfg;
	struct app app = { 0 };
	struct http_server *server = NULL;
	struct http_server_options opt = { 0 };
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
	}
	opt.host = cfg.listen_host;
	opt.port = cfg.listen_port;
	opt.is_https = cfg.is_https;
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
	log_info("serving %s (database %s)", cfg.base_url, cfg.db_url);

	if (sigwait(&set, &sig) == 0)
		log_info("stopping on signal %d", sig);
	status = 0;
done:
	if (server)
		http_server_stop(server);
	if (app.signup_limit)
		ratelimit_free(app.signup_limit);
	if (app.templates)
		templates_free(app.templates);
	db_close(app.db);
	keys_free(app.keys);
	return status;
}
