/*
 * fuzz_fcgi: FastCGI records into fcgiconn.c, as the web server sends them.
 * The input is the byte stream of one connection: it is written into a
 * loopback unix socket (as much as the socket holds), the sending side is
 * shut, and fcgi_accept() takes the connection from a non-blocking
 * listening socket; when a request comes out of it, its parameters are
 * checked to lie inside what was received, its body is read with
 * fcgi_read() in odd-sized parts and an answer is sent with fcgi_finish().
 * No wait is ever reached: the peer's end of the stream is known.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgiconn.h"
#include "fuzz.h"

static struct fcgi_conn conn;
static struct sockaddr_un addr;
static socklen_t addrlen;
static int	 listen_fd = -1;

/* The listening socket and the connection state, once per process (as in the responder). */
static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "taskmgr-fuzz-fcgi-%ld",
	    (long)getpid());
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(addr.sun_path + 1));
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(listen_fd >= 0);
	FUZZ_ASSERT(bind(listen_fd, (struct sockaddr *)&addr, addrlen) == 0);
	FUZZ_ASSERT(listen(listen_fd, 4) == 0);
	FUZZ_ASSERT(fcgi_init(&conn, listen_fd) == 0);
}

/* Every parameter lies inside the params stream received, its value NUL-terminated. */
static void
check_params(const struct fcgi_conn *c)
{
	const char *lo = c->params.p, *hi;
	size_t	 i;

	FUZZ_ASSERT(c->nenv == 0 || c->params.p != NULL);
	if (lo == NULL)		/* no params stream yet: nothing to check (NULL + 0 is UB) */
		return;
	hi = lo + c->params.len;
	for (i = 0; i < c->nenv; i++) {
		const struct req_env *e = &c->env[i];

		FUZZ_ASSERT(e->name >= lo && e->name + e->nlen <= hi);
		FUZZ_ASSERT(e->value >= lo && e->value + e->vlen <= hi);
		FUZZ_ASSERT(e->value[e->vlen] == '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static volatile sig_atomic_t stop;
	static const char answer[] = "Status: 200 OK\r\nContent-Length: 2\r\n\r\nok";
	char	 body[4099];
	size_t	 off = 0, total = 0, part = 1;
	ssize_t	 n;
	int	 s;

	if (listen_fd < 0)
		setup();
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(s >= 0);
	FUZZ_ASSERT(connect(s, (struct sockaddr *)&addr, addrlen) == 0);
	/* what the socket holds of the input, then the end of the stream */
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (off < size && (n = write(s, data + off, size - off)) > 0)
		off += (size_t)n;
	shutdown(s, SHUT_WR);

	if (fcgi_accept(&conn, &stop) == 1) {
		FUZZ_ASSERT(conn.fd >= 0 && conn.params_done);
		check_params(&conn);
		while ((n = fcgi_read(&conn, body, part)) > 0) {
			FUZZ_ASSERT((size_t)n <= part);
			total += (size_t)n;
			part = part * 3 % sizeof(body) + 1;
		}
		FUZZ_ASSERT(n == 0 || n == -1);
		FUZZ_ASSERT(total <= off);
		(void)fcgi_finish(&conn, answer, sizeof(answer) - 1);
	}
	/* the connection is closed whatever came of it */
	FUZZ_ASSERT(conn.fd == -1);
	close(s);
	return 0;
}
