/*
 * taskmgr.fcgi: the FastCGI responder.  spawn-fcgi (or multiwatch) hands it
 * the listening socket as fd 0; it serves requests one at a time until
 * SIGTERM or SIGINT, finishing the request in progress first.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "common.h"
#include "log.h"
#include "metrics.h"
#include "passwords.h"
#include "request.h"
#include "server.h"
#include "sqlmem.h"
#include "timeutil.h"
#include "transport.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(FILE *f)
{
	fputs("usage: taskmgr.fcgi [--config FILE]\n"
	    "The taskmgr FastCGI responder.  Start it under spawn-fcgi, e.g.\n"
	    "  spawn-fcgi -s /run/taskmgr/taskmgr.sock -F 4 -- taskmgr.fcgi\n"
	    "The configuration comes from --config, $TASKMGR_CONFIG or "
	    "the built-in default path.\n", f);
}

int
main(int argc, char *argv[])
{
	struct app app;
	struct req r;
	struct buf out = { 0 };
	struct transport *tr;
	struct sigaction sa;
	const char *cfgpath = NULL;
	char	 err[512], path[4096];
	int	 i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			cfgpath = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("taskmgr.fcgi " PACKAGE_VERSION);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	/*
	 * A fixed mmap threshold: large blocks (argon2id's work area when a
	 * password is hashed, a rare huge response) are mapped and unmapped,
	 * so they go back to the system when freed.  glibc's default raises
	 * the threshold after the first such free and keeps them on the heap.
	 * (A login's verification keeps its work area between logins and
	 * gives it back after a second without one: password_idle below.)
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	/* SQLite's cursors and values come from free lists (sqlmem.h) */
	if (sqlmem_install() != 0)
		fprintf(stderr, "taskmgr.fcgi: SQLite's allocator could not be set\n");
	/* this process's one thread is SQLite's only user: no mutexes */
	if (db_single_thread() != 0)
		fprintf(stderr, "taskmgr.fcgi: SQLite's single-thread mode could not be set\n");
	if ((rc = app_open(&app, cfgpath, APP_SERVE, err, sizeof(err))) < 0) {
		fprintf(stderr, "taskmgr.fcgi: %s\n", err);
		return rc == APP_PG_UNSUPPORTED ? 2 : 1;
	}
	/* this responder's counters, beside the database or in state_dir: GET
	 * /metrics sums this host's */
	if (config_state_file(&app.cfg, "-metrics", path, sizeof(path)) < 0)
		log_error("metrics: the path is too long (requests are not counted)");
	else if (metrics_open(&app, path, err, sizeof(err)) < 0)
		log_error("metrics: %s (requests are not counted)", err);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: accept() returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* spawn-fcgi hands the listening socket over as fd 0 */
	if ((tr = transport_open(0, (int)app.cfg.request_timeout * 1000)) == NULL) {
		log_error("FastCGI initialisation failed");
		app_close(&app);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	log_info("taskmgr.fcgi %s ready (schema %s, FastCGI by %s)", PACKAGE_VERSION,
	    app.schema_ok ? "ok" : "out of date", transport_name);
	for (;;) {
		/* a kept argon2id work area goes back after a second without
		 * logins, even while no request comes */
		while (!stopping && password_idle(mono_us())) {
			struct pollfd pfd = { 0, POLLIN, 0 };

			if (poll(&pfd, 1, 250) != 0)
				break;	/* a connection waits, or a signal */
		}
		if (stopping)
			break;
		if ((rc = transport_accept(tr, &stopping)) <= 0) {
			if (rc < 0)
				log_error("accept on the listening socket: %s", strerror(errno));
			break;
		}
		if (!app.schema_ok)
			app_recheck(&app);
		server_handle(&app, &r, tr, &out);
		req_end(&r);
		/* the checkpoint a commit asked for, once the answer is sent */
		db_idle(&app.db);
	}
	log_info("taskmgr.fcgi stopping");
	metrics_close();
	transport_free(tr);
	req_free(&r);
	buf_free(&out);
	app_close(&app);
	return 0;
}
