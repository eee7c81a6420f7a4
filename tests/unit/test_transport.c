/*
 * Unit tests: the transport (core/transport.h) of this build, fcgiconn or
 * libfcgi, against a client process on a loopback unix socket: the
 * parameters, bodies small and large, answers, an abort, a connection cut
 * short, the request deadline against clients that trickle or do not read,
 * and the stop flag.  The same assertions hold for both builds.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fcgi_peer.h"
#include "request.h"
#include "tap.h"
#include "timeutil.h"
#include "transport.h"

/* The value of the accepted request's param name, or NULL. */
static const char *
param(struct transport *t, const char *name)
{
	const struct req_env *e;
	size_t	 n, i;

	e = transport_params(t, &n);
	for (i = 0; i < n; i++)
		if (e[i].nlen == strlen(name) && memcmp(e[i].name, name, e[i].nlen) == 0)
			return e[i].value;
	return NULL;
}

/* Reads the whole body into p (at most cap bytes): its length, or -1. */
static ssize_t
read_all(struct transport *t, char *p, size_t cap, size_t part)
{
	size_t	 o = 0;
	ssize_t	 n;

	while (o < cap && (n = transport_read(t, p + o, cap - o < part ? cap - o : part)) != 0) {
		if (n < 0)
			return -1;
		o += (size_t)n;
	}
	return (ssize_t)o;
}

int
main(void)
{
	static volatile sig_atomic_t stop;
	static char body[300000], got[300001];
	struct transport *t;
	struct buf msg = { 0 }, out = { 0 }, big = { 0 };
	char	 path[64], types[32];
	const char *answer = "Status: 200 OK\r\n\r\nhello";
	size_t	 steps[] = { 0, 1, 7 };
	int	 lfd, st, i;
	pid_t	 pid;

	signal(SIGPIPE, SIG_IGN);
	printf("# transport: %s\n", transport_name);
	snprintf(path, sizeof(path), "/tmp/test_transport.%ld", (long)getpid());
	lfd = peer_listen();
	ok(lfd >= 0, "listening socket");
	ok((t = transport_open(lfd, 30000)) != NULL, "transport open (%s)", transport_name);

	/* a request at once, byte by byte and in 7-byte pieces */
	for (i = 0; i < 3; i++) {
		buf_reset(&msg);
		request(&msg, 1, "{\"a\":1}", 7, 0);
		pid = client(NULL, &msg, steps[i], 0, path);
		is_int(transport_accept(t, &stop), 1, "request accepted (pieces of %zu)", steps[i]);
		is_str(param(t, "REQUEST_METHOD"), "POST", "REQUEST_METHOD");
		is_str(param(t, "REQUEST_URI"), "/api/x/?a=1", "REQUEST_URI");
		is_str(param(t, "HTTP_HOST"), "example.org", "the last param");
		is_str(param(t, "EMPTY"), "", "an empty value");
		ok(read_all(t, got, sizeof(got), sizeof(got)) == 7 &&
		    memcmp(got, "{\"a\":1}", 7) == 0, "body read to its end");
		is_int(transport_finish(t, answer, strlen(answer)), 0, "answer sent");
		waitpid(pid, &st, 0);
		parse_answer(path, &out, types, sizeof(types), &st);
		ok(out.len == strlen(answer) && memcmp(out.p, answer, out.len) == 0,
		    "the client reads the answer");
		ok(strchr(types, '3') != NULL, "and FCGI_END_REQUEST");
		is_int(st, 0, "FCGI_REQUEST_COMPLETE");
	}

	/* a 100 KB param, a 200 KB body read in small parts, a 300 KB answer */
	buf_reset(&msg);
	for (i = 0; i < (int)sizeof(body); i++)
		body[i] = (char)('a' + i % 23);
	request(&msg, 5, body, 200000, 100000);
	pid = client(NULL, &msg, 0, 0, path);
	is_int(transport_accept(t, &stop), 1, "large request accepted");
	ok(param(t, "HTTP_X_BIG") != NULL && strlen(param(t, "HTTP_X_BIG")) == 100000,
	    "a 100 KB param over two records");
	ok(read_all(t, got, sizeof(got), 1000) == 200000 && memcmp(got, body, 200000) == 0,
	    "a 200 KB body over four records, read 1000 bytes at a time");
	for (i = 0; i < 300000; i++)
		buf_putc(&big, (char)('A' + i % 26));
	is_int(transport_finish(t, big.p, big.len), 0, "a 300 KB answer");
	waitpid(pid, &st, 0);
	parse_answer(path, &out, types, sizeof(types), &st);
	ok(out.len == big.len && memcmp(out.p, big.p, big.len) == 0, "read back whole");

	/* an answer given before the body is read */
	buf_reset(&msg);
	request(&msg, 3, body, 5000, 0);
	pid = client(NULL, &msg, 0, 0, path);
	is_int(transport_accept(t, &stop), 1, "request with a body left unread");
	is_int(transport_finish(t, answer, strlen(answer)), 0, "answered");
	waitpid(pid, &st, 0);
	parse_answer(path, &out, types, sizeof(types), &st);
	ok(out.len == strlen(answer) && memcmp(out.p, answer, out.len) == 0, "its answer");

	/* an abort while the body is read */
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);
	msg.len -= 8;	/* no end of the body */
	rec(&msg, 2, 1, NULL, 0);
	pid = client(NULL, &msg, 0, 0, path);
	is_int(transport_accept(t, &stop), 1, "request before an abort");
	is_int(read_all(t, got, sizeof(got), sizeof(got)), -1,
	    "the abort ends the body with an error");
	transport_finish(t, answer, strlen(answer));
	waitpid(pid, &st, 0);

	/* a connection cut in a record, then a good one */
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);
	buf_reset(&big);
	buf_add(&big, msg.p, 20);
	buf_reset(&msg);
	request(&msg, 9, "x", 1, 0);
	pid = client(&big, &msg, 0, 0, path);
	is_int(transport_accept(t, &stop), 1, "a connection cut in a record is dropped");
	is_str(param(t, "REQUEST_URI"), "/api/x/?a=1", "the next request read");
	ok(read_all(t, got, sizeof(got), sizeof(got)) == 1 && got[0] == 'x', "and its body");
	is_int(transport_finish(t, answer, strlen(answer)), 0, "answered");
	waitpid(pid, &st, 0);
	parse_answer(path, &out, types, sizeof(types), &st);
	is_int(st, 0, "FCGI_REQUEST_COMPLETE");

	/*
	 * The request deadline, made short: a client that sends its request
	 * one byte at a time is cut at it and the next connection served; so
	 * is one that trickles its body, and one that does not read its answer.
	 */
	transport_free(t);
	ok((t = transport_open(lfd, 500)) != NULL, "transport open with a 500 ms deadline");
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);	/* about 150 bytes: 7 s at one per 50 ms */
	buf_reset(&big);
	request(&big, 2, "", 0, 0);
	{
		pid_t	 slow = slow_client(&msg, 0, 50, 0, 0, path), good;
		char	 gpath[80];
		int64_t	 t0 = mono_us();

		snprintf(gpath, sizeof(gpath), "%s.good", path);
		good = slow_client(&big, big.len, 0, 100, 0, gpath);
		is_int(transport_accept(t, &stop), 1, "a request accepted after a trickling one");
		ok(transport_started(t) > t0, "its clock starts at its own accept");
		is_int(transport_expired(t), 0, "the next request has its own deadline");
		is_int(transport_finish(t, answer, strlen(answer)), 0, "and is answered");
		waitpid(good, &st, 0);
		parse_answer(gpath, &out, types, sizeof(types), &st);
		ok(out.len == strlen(answer) && memcmp(out.p, answer, out.len) == 0,
		    "the client reads its answer");
		waitpid(slow, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the trickling client saw its "
		    "connection closed before it had sent its request");
		unlink(gpath);
	}
	buf_reset(&msg);
	request(&msg, 1, "0123456789012345678901234567890123456789", 40, 0);
	pid = slow_client(&msg, msg.len - 56, 50, 0, 0, path);	/* the body's records: 3 s */
	is_int(transport_accept(t, &stop), 1, "a request whose body trickles");
	ok(read_all(t, got, sizeof(got), sizeof(got)) == -1 && transport_expired(t),
	    "its body read ends at the deadline");
	is_int(transport_finish(t, answer, strlen(answer)), -1, "it is dropped unanswered");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the client saw the connection closed");
	buf_reset(&msg);
	request(&msg, 1, "", 0, 0);
	pid = slow_client(&msg, msg.len, 0, 0, 3000, path);
	is_int(transport_accept(t, &stop), 1, "a request whose client does not read");
	buf_reset(&big);
	for (i = 0; i < 8 * 1024 * 1024; i++)
		buf_putc(&big, 'x');
	is_int(transport_finish(t, big.p, big.len), -1, "an 8 MB answer is not sent");
	is_int(transport_expired(t), 1, "its writing stopped at the deadline");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	stop = 1;
	is_int(transport_accept(t, &stop), 0, "a stop request ends the wait");
	transport_free(t);
	close(lfd);
	unlink(path);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&big);
	return tap_done();
}
