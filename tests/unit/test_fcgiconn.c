/*
 * Unit tests: the FastCGI connection (fcgiconn) against a client process
 * on a loopback unix socket: parameters, bodies, answers, records cut
 * anywhere, management records, refused requests, aborts, idle peers and
 * the request deadline against peers that trickle or do not read.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fcgi_peer.h"
#include "fcgiconn.h"
#include "tap.h"

/* The value of param name in c, or NULL. */
static const char *
env(const struct fcgi_conn *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nenv; i++)
		if (c->env[i].nlen == strlen(name) && memcmp(c->env[i].name, name,
		    c->env[i].nlen) == 0)
			return c->env[i].value;
	return NULL;
}

int
main(void)
{
	static volatile sig_atomic_t stop;
	struct fcgi_conn c;
	struct buf msg = { 0 }, out = { 0 }, big = { 0 };
	char	 path[64], types[32], body[300000];
	const char *answer = "Status: 200 OK\r\n\r\nhello";
	size_t	 steps[] = { 0, 1, 7 };
	int	 lfd, st, i;
	ssize_t	 n;
	pid_t	 pid;

	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "/tmp/test_fcgiconn.%ld", (long)getpid());
	lfd = peer_listen();
	ok(lfd >= 0, "listening socket");
	ok(fcgi_init(&c, lfd) == 0, "init");

	/* a request at once, byte by byte and in 7-byte pieces */
	for (i = 0; i < 3; i++) {
		buf_reset(&msg);
		request(&msg, 1, "{\"a\":1}", 7, 0);
		pid = client(NULL, &msg, steps[i], 0, path);
		is_int(fcgi_accept(&c, &stop), 1, "request accepted (pieces of %zu)", steps[i]);
		is_str(env(&c, "REQUEST_URI"), "/api/x/?a=1", "REQUEST_URI");
		is_str(env(&c, "HTTP_HOST"), "example.org", "the last param ends at the buffer's end");
		is_str(env(&c, "EMPTY"), "", "an empty value");
		n = fcgi_read(&c, body, sizeof(body));
		ok(n == 7 && memcmp(body, "{\"a\":1}", 7) == 0, "body read");
		is_int(fcgi_read(&c, body, sizeof(body)), 0, "then its end");
		is_int(fcgi_finish(&c, answer, strlen(answer)), 0, "answer sent");
		waitpid(pid, &st, 0);
		parse_answer(path, &out, types, sizeof(types), &st);
		ok(out.len == strlen(answer) && memcmp(out.p, answer, out.len) == 0,
		    "the client reads the answer");
		is_str(types, "e3", "then the stream's end and FCGI_END_REQUEST");
		is_int(st, 0, "FCGI_REQUEST_COMPLETE");
	}

	/* a 100 KB param, a 200 KB body read in small parts, a 300 KB answer */
	buf_reset(&msg);
	for (i = 0; i < (int)sizeof(body); i++)
		body[i] = (char)('a' + i % 23);
	request(&msg, 5, body, 200000, 100000);
	pid = client(NULL, &msg, 0, 0, path);
	is_int(fcgi_accept(&c, &stop), 1, "large request accepted");
	ok(env(&c, "HTTP_X_BIG") != NULL && strlen(env(&c, "HTTP_X_BIG")) == 100000,
	    "a 100 KB param over two records");
	{
		static char got[200001];
		size_t	 o = 0;

		while ((n = fcgi_read(&c, got + o, 1000)) > 0)
			o += (size_t)n;
		ok(o == 200000 && memcmp(got, body, o) == 0, "a 200 KB body over four records");
	}
	for (i = 0; i < 300000; i++)
		buf_putc(&big, (char)('A' + i % 26));
	is_int(fcgi_finish(&c, big.p, big.len), 0, "a 300 KB answer");
	waitpid(pid, &st, 0);
	parse_answer(path, &out, types, sizeof(types), &st);
	ok(out.len == big.len && memcmp(out.p, big.p, big.len) == 0, "read back whole");

	/* management and another request id on one connection */
	buf_reset(&msg);
	{
		struct buf q = { 0 }, r1 = { 0 };

		pair(&q, "FCGI_MPXS_CONNS", 15, "", 0);
		pair(&q, "FCGI_MAX_REQS", 13, "", 0);
		rec(&msg, 9, 0, q.p, q.len);
		request(&r1, 1, "", 0, 0);
		buf_add(&msg, r1.p, 16);	/* its FCGI_BEGIN_REQUEST */
		begin(&msg, 2, 1);	/* a second request while the first is open */
		buf_add(&msg, r1.p + 16, r1.len - 16);
		buf_free(&q);
		buf_free(&r1);
	}
	pid = client(NULL, &msg, 0, 0, path);
	is_int(fcgi_accept(&c, &stop), 1, "request after a management record");
	is_int(fcgi_read(&c, body, sizeof(body)), 0, "empty body");
	is_int(fcgi_finish(&c, answer, strlen(answer)), 0, "answered");
	waitpid(pid, &st, 0);
	parse_answer(path, &out, types, sizeof(types), &st);
	is_str(types, ":3e3", "FCGI_GET_VALUES_RESULT, the second id refused, then the answer");
	ok(memmem(out.p, out.len, "hello", 5) != NULL, "the answer is the first request's");

	/* an unknown role refused and its connection closed; then a request left unread */
	buf_reset(&big);
	begin(&big, 1, 2);	/* the authorizer role */
	request(&big, 1, "", 0, 0);
	buf_reset(&msg);
	request(&msg, 3, "x", 1, 0);
	pid = client(&big, &msg, 0, 0, path);
	is_int(fcgi_accept(&c, &stop), 1, "next connection after an unknown role");
	is_int(fcgi_finish(&c, answer, strlen(answer)), 0, "answered with its body unread");
	waitpid(pid, &st, 0);
	parse_answer(path, &out, types, sizeof(types), &st);
	is_str(types, "e3", "its answer");

	/* an abort while the body is read */
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);
	msg.len -= 8;	/* no end of the body */
	rec(&msg, 2, 1, NULL, 0);
	pid = client(NULL, &msg, 0, 0, path);
	is_int(fcgi_accept(&c, &stop), 1, "request before an abort");
	is_int(fcgi_read(&c, body, sizeof(body)), -1, "the abort ends the body with an error");
	fcgi_finish(&c, answer, strlen(answer));
	waitpid(pid, &st, 0);

	/* a connection that sends nothing, then a good one; a connection cut short */
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);
	pid = client(NULL, &msg, 0, 1, path);
	is_int(fcgi_accept(&c, &stop), 1, "an idle connection is given up for the next");
	is_str(env(&c, "REQUEST_METHOD"), "POST", "and its request read");
	fcgi_finish(&c, answer, strlen(answer));
	waitpid(pid, &st, 0);
	buf_reset(&big);
	buf_add(&big, msg.p, 20);
	buf_reset(&msg);
	request(&msg, 9, "", 0, 0);
	pid = client(&big, &msg, 0, 0, path);
	is_int(fcgi_accept(&c, &stop), 1, "a connection cut in a record is dropped");
	is_str(env(&c, "REQUEST_URI"), "/api/x/?a=1", "the next request read");
	fcgi_finish(&c, answer, strlen(answer));
	waitpid(pid, &st, 0);

	/*
	 * The request deadline (request_timeout), made short: a client that
	 * sends its parameters one byte at a time, each well within the idle
	 * time, is cut at the deadline and the next connection is served; so
	 * is one that trickles its body, and one that does not read its answer.
	 */
	c.deadline_ms = 500;
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);	/* about 150 bytes: 7 s at one per 50 ms */
	buf_reset(&big);
	begin(&big, 2, 1);
	{
		struct buf p = { 0 };

		pair(&p, "REQUEST_URI", 11, "/api/y/", 7);
		rec(&big, 4, 2, p.p, p.len);
		rec(&big, 4, 2, NULL, 0);
		rec(&big, 5, 2, NULL, 0);
		buf_free(&p);
	}
	{
		pid_t	 slow = slow_client(&msg, 0, 50, 0, 0, path), good;
		char	 gpath[80];

		snprintf(gpath, sizeof(gpath), "%s.good", path);
		good = slow_client(&big, big.len, 0, 100, 0, gpath);
		is_int(fcgi_accept(&c, &stop), 1, "a request accepted after a trickling one");
		is_str(env(&c, "REQUEST_URI"), "/api/y/", "the trickling connection was dropped "
		    "at the deadline, the next one served");
		is_int(c.expired, 0, "the next request has its own deadline");
		if (env(&c, "REQUEST_URI") != NULL && strcmp(env(&c, "REQUEST_URI"), "/api/y/") == 0) {
			is_int(fcgi_finish(&c, answer, strlen(answer)), 0, "and answered");
			waitpid(good, &st, 0);
			parse_answer(gpath, &out, types, sizeof(types), &st);
			ok(memmem(out.p, out.len, "hello", 5) != NULL, "the client reads its answer");
		} else {
			/* the trickler's request was served: the good one waits behind it */
			fcgi_finish(&c, answer, strlen(answer));
			kill(good, SIGKILL);
			waitpid(good, &st, 0);
			if (fcgi_accept(&c, &stop) == 1)
				fcgi_finish(&c, answer, strlen(answer));
		}
		waitpid(slow, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the trickling client saw its "
		    "connection closed before it had sent its request");
		unlink(gpath);
	}
	buf_reset(&msg);
	request(&msg, 1, "0123456789012345678901234567890123456789", 40, 0);
	pid = slow_client(&msg, msg.len - 56, 50, 0, 0, path);	/* the body's records: 3 s */
	is_int(fcgi_accept(&c, &stop), 1, "a request whose body trickles");
	n = 0;
	while ((st = (int)fcgi_read(&c, body, sizeof(body))) > 0)
		n += st;
	ok(st == -1 && c.expired, "its body read ends at the deadline (%zd bytes read)", n);
	is_int(fcgi_finish(&c, answer, strlen(answer)), -1, "it is dropped unanswered");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the client saw the connection closed");
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);
	pid = slow_client(&msg, msg.len, 0, 0, 3000, path);
	is_int(fcgi_accept(&c, &stop), 1, "a request whose client does not read");
	buf_reset(&big);
	for (i = 0; i < 8 * 1024 * 1024; i++)
		buf_putc(&big, 'x');
	is_int(fcgi_finish(&c, big.p, big.len), -1, "an 8 MB answer is not sent");
	is_int(c.expired, 1, "its writing stopped at the deadline");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	c.deadline_ms = 30000;

	stop = 1;
	is_int(fcgi_accept(&c, &stop), 0, "a stop request ends the wait");
	is_int(fcgi_accept_fd(lfd, SOCK_CLOEXEC, &stop), -1, "... and fcgi_accept_fd's");

	/* which accept() errors are retried (both transports) */
	{
		static const int again[] = { EINTR, ECONNABORTED, EPROTO, EPERM };
		static const int nap[] = { EMFILE, ENFILE, ENOBUFS, ENOMEM };
		static const int fail[] = { EBADF, EINVAL, ENOTSOCK, EOPNOTSUPP, EFAULT };
		size_t	 k;

		for (k = 0; k < sizeof(again) / sizeof(again[0]); k++)
			is_int(fcgi_accept_retry(again[k]), ACCEPT_AGAIN, "%s: again at once",
			    strerror(again[k]));
		for (k = 0; k < sizeof(nap) / sizeof(nap[0]); k++)
			is_int(fcgi_accept_retry(nap[k]), ACCEPT_NAP, "%s: again after a nap",
			    strerror(nap[k]));
		for (k = 0; k < sizeof(fail) / sizeof(fail[0]); k++)
			is_int(fcgi_accept_retry(fail[k]), ACCEPT_FAIL, "%s: fails",
			    strerror(fail[k]));
		stop = 0;
		errno = 0;
		is_int(fcgi_accept_fd(-1, SOCK_CLOEXEC, &stop), -1, "a bad socket fails");
		is_int(errno, EBADF, "... with its errno");
	}
	fcgi_free(&c);
	close(lfd);
	unlink(path);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&big);
	return tap_done();
}
