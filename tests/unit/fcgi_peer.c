/*
 * fcgi_peer: the web server's side of FastCGI for the unit tests: records
 * and requests built byte by byte, a client process that sends them over a
 * loopback unix socket, and the answer it read taken apart.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi_peer.h"

struct sockaddr_un peer_addr;
socklen_t peer_addrlen;

/* Appends one record (split into records of at most 65535 bytes, padded to 8). */
void
rec(struct buf *b, int type, int id, const void *p, size_t len)
{
	static const char zeros[8];
	const char *s = p;

	do {
		size_t	 n = len > 65535 ? 65535 : len, pad = (8 - n % 8) % 8;
		unsigned char h[8] = { 1, (unsigned char)type, (unsigned char)(id >> 8),
		    (unsigned char)id, (unsigned char)(n >> 8), (unsigned char)n,
		    (unsigned char)pad, 0 };

		buf_add(b, h, 8);
		buf_add(b, s, n);
		buf_add(b, zeros, pad);
		s += n;
		len -= n;
	} while (len > 0);
}

/* Appends a name-value pair of FCGI_PARAMS. */
void
pair(struct buf *b, const char *name, size_t nl, const char *value, size_t vl)
{
	size_t	 l[2] = { nl, vl };
	int	 i;

	for (i = 0; i < 2; i++) {
		if (l[i] < 128) {
			unsigned char c = (unsigned char)l[i];

			buf_add(b, &c, 1);
		} else {
			unsigned char c[4] = { (unsigned char)(0x80 | l[i] >> 24),
			    (unsigned char)(l[i] >> 16), (unsigned char)(l[i] >> 8),
			    (unsigned char)l[i] };

			buf_add(b, c, 4);
		}
	}
	buf_add(b, name, nl);
	buf_add(b, value, vl);
}

void
begin(struct buf *b, int id, int role)
{
	unsigned char body[8] = { (unsigned char)(role >> 8), (unsigned char)role, 0 };

	rec(b, 1, id, body, 8);
}

/* A request: begin, the params (with a long one when big), the body and its end. */
void
request(struct buf *b, int id, const char *body, size_t blen, size_t big)
{
	struct buf p = { 0 };
	char	 cl[32];

	begin(b, id, 1);
	pair(&p, "REQUEST_METHOD", 14, "POST", 4);
	pair(&p, "REQUEST_URI", 11, "/api/x/?a=1", 11);
	snprintf(cl, sizeof(cl), "%zu", blen);
	pair(&p, "CONTENT_LENGTH", 14, cl, strlen(cl));
	pair(&p, "EMPTY", 5, "", 0);
	if (big > 0) {
		char	*v = malloc(big);

		memset(v, 'v', big);
		pair(&p, "HTTP_X_BIG", 10, v, big);
		free(v);
	}
	pair(&p, "HTTP_HOST", 9, "example.org", 11);
	rec(b, 4, id, p.p, p.len);
	rec(b, 4, id, NULL, 0);
	if (blen > 0)
		rec(b, 5, id, body, blen);
	rec(b, 5, id, NULL, 0);
	buf_free(&p);
}

/*
 * Runs a client process: connects (after idle_first, a connection that
 * sends nothing; after first, a connection that sends it, shuts its side
 * and reads to the end), sends msg in pieces of step bytes (0: at once),
 * shuts its side, then reads the answer to its end into the file out.
 * Returns its pid.
 */
pid_t
client(const struct buf *first, const struct buf *msg, size_t step, int idle_first,
    const char *out)
{
	pid_t	 pid = fork();

	if (pid != 0)
		return pid;
	{
		const struct buf *m[2] = { first, msg };
		int	 idle = -1, s = -1, k;
		size_t	 o, n;
		char	 rb[65536];
		ssize_t	 r;
		FILE	*f = NULL;
		struct timeval limit = { 30, 0 };

		if (idle_first) {
			idle = socket(AF_UNIX, SOCK_STREAM, 0);
			if (connect(idle, (struct sockaddr *)&peer_addr, peer_addrlen) < 0)
				_exit(2);
		}
		for (k = 0; k < 2; k++) {
			if (m[k] == NULL)
				continue;
			s = socket(AF_UNIX, SOCK_STREAM, 0);
			/* a server that never answers fails the test instead of hanging it */
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
			if (connect(s, (struct sockaddr *)&peer_addr, peer_addrlen) < 0)
				_exit(2);
			for (o = 0; o < m[k]->len; o += (size_t)r) {
				n = step == 0 || m[k]->len - o < step ? m[k]->len - o : step;
				if ((r = write(s, m[k]->p + o, n)) < 0)
					break;	/* the server may stop reading (refused, aborted) */
				if (step > 0) {
					struct timespec ts = { 0, 200 * 1000 };

					nanosleep(&ts, NULL);
				}
			}
			shutdown(s, SHUT_WR);
			if (k == 1 && (f = fopen(out, "wb")) == NULL)
				_exit(2);
			while ((r = read(s, rb, sizeof(rb))) > 0)
				if (f != NULL)
					fwrite(rb, 1, (size_t)r, f);
			close(s);
		}
		if (f != NULL)
			fclose(f);
		if (idle >= 0)
			close(idle);
		_exit(0);
	}
}

/* The records of an answer file: the FCGI_STDOUT bytes in *out, the others' types in types. */
int
parse_answer(const char *path, struct buf *out, char *types, size_t tlen, int *end_status)
{
	FILE	*f = fopen(path, "rb");
	unsigned char h[8], body[65536 + 256];
	size_t	 nt = 0, clen;

	buf_reset(out);
	*end_status = -1;
	if (f == NULL)
		return -1;
	while (fread(h, 1, 8, f) == 8) {
		clen = (size_t)h[4] << 8 | h[5];
		if (fread(body, 1, clen + h[6], f) != clen + h[6])
			break;
		if (h[1] == 6)
			buf_add(out, body, clen);
		else if (nt + 1 < tlen)
			types[nt++] = (char)('0' + h[1]);
		if (h[1] == 3)
			*end_status = body[4];
		if (h[1] == 6 && clen == 0 && nt + 1 < tlen)
			types[nt++] = 'e';
	}
	types[nt] = '\0';
	fclose(f);
	return 0;
}

/*
 * Runs a slow client process: waits delay_ms, connects, sends msg's first
 * fast bytes at once and the rest one byte every interval_ms, then (with
 * noread_ms) stays that long without reading, or reads the answer to its
 * end into the file out.  Its exit status: 3 when the server closed the
 * connection before the whole request was sent, else 0.
 */
pid_t
slow_client(const struct buf *msg, size_t fast, int interval_ms, int delay_ms,
    int noread_ms, const char *out)
{
	pid_t	 pid = fork();
	struct timespec ts = { 0, (long)interval_ms * 1000000L };
	size_t	 o;
	ssize_t	 r;
	char	 rb[4096];
	FILE	*f;
	int	 s;

	if (pid != 0)
		return pid;
	if (delay_ms > 0) {
		struct timespec d = { 0, (long)delay_ms * 1000000L };

		nanosleep(&d, NULL);
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&peer_addr, peer_addrlen) < 0)
		_exit(2);
	if (fast > 0 && write(s, msg->p, fast) != (ssize_t)fast)
		_exit(3);
	for (o = fast; o < msg->len; o++) {
		nanosleep(&ts, NULL);
		if (write(s, msg->p + o, 1) != 1)
			_exit(3);
	}
	if (noread_ms > 0) {
		struct timespec d = { noread_ms / 1000, (long)(noread_ms % 1000) * 1000000L };

		nanosleep(&d, NULL);
		_exit(0);
	}
	shutdown(s, SHUT_WR);
	if ((f = fopen(out, "wb")) == NULL)
		_exit(2);
	while ((r = read(s, rb, sizeof(rb))) > 0)
		fwrite(rb, 1, (size_t)r, f);
	fclose(f);
	_exit(0);
}

/* A listening socket on an abstract unix address named after this process; -1 on failure. */
int
peer_listen(void)
{
	int	 lfd;

	memset(&peer_addr, 0, sizeof(peer_addr));
	peer_addr.sun_family = AF_UNIX;
	/* an abstract socket: nothing to remove after */
	snprintf(peer_addr.sun_path + 1, sizeof(peer_addr.sun_path) - 1, "taskmgr-test-%ld",
	    (long)getpid());
	peer_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(peer_addr.sun_path + 1));
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (bind(lfd, (struct sockaddr *)&peer_addr, peer_addrlen) != 0 || listen(lfd, 16) != 0) {
		close(lfd);
		return -1;
	}
	return lfd;
}
