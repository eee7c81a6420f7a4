/* fcgiconn: FastCGI records in and out, one request per connection. */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgiconn.h"
#include "log.h"
#include "timeutil.h"

/* Record types and the rest of FastCGI 1.0 used here. */
#define FCGI_BEGIN_REQUEST	1
#define FCGI_ABORT_REQUEST	2
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_GET_VALUES		9
#define FCGI_GET_VALUES_RESULT	10
#define FCGI_UNKNOWN_TYPE	11
#define FCGI_RESPONDER		1
#define FCGI_REQUEST_COMPLETE	0
#define FCGI_CANT_MPX_CONN	1
#define FCGI_UNKNOWN_ROLE	3

#define REC_MAX		(8 + 65535 + 255)	/* the largest record */
#define IN_CAP		(REC_MAX + 8192)
#define OUT_CHUNK	65528		/* FCGI_STDOUT content per record (a multiple of 8) */
#define OUT_BATCH	16		/* records per writev() */
#define FIRST_WAIT_MS	2000		/* for a new connection's first bytes */
#define WAIT_MS		10000		/* for the rest of a request, and for room to write */
#define DRAIN_MS	2000		/* for the end of what is left unread */
#define PARAMS_MAX	(64 * 1024 * 1024)	/* a request's FCGI_PARAMS stream */
#define PARAMS_KEEP	(1024 * 1024)	/* a params buffer grown past this is given back */
#define DEADLINE_MS	30000		/* a request's time from accept, unless set */

struct rec {
	unsigned	 type, id;
	const unsigned char *content;
	size_t		 len;
};

int
fcgi_init(struct fcgi_conn *c, int listen_fd)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = listen_fd;
	c->fd = -1;
	c->cap = IN_CAP;
	c->deadline_ms = DEADLINE_MS;
	if ((c->in = malloc(c->cap)) == NULL)
		return -1;
	return 0;
}

void
fcgi_free(struct fcgi_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	buf_free(&c->params);
	free(c->env);
	c->env = NULL;
	c->nenv = c->envcap = 0;
}

/*
 * Waits up to ms for c->fd to be ready for events, and never past the
 * request's deadline; 0 when it is ready, -1 on timeout or error.  The
 * idle time ms starts again at every wait (every byte, for a slow peer);
 * the deadline does not.  One clock read per poll().  A wait that the
 * deadline ends marks the request expired and logs it once.
 */
static int
wait_fd(struct fcgi_conn *c, short events, int ms)
{
	struct pollfd pfd = { c->fd, events, 0 };
	int64_t	 now = mono_us(), end = now + (int64_t)ms * 1000;
	int	 n;

	if (end > c->deadline)
		end = c->deadline;
	for (;;) {
		if (now >= end)
			break;
		/* rounded up to a whole ms, so a timeout normally ends the loop */
		if ((n = poll(&pfd, 1, (int)((end - now + 999) / 1000))) > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		now = mono_us();
	}
	if (now >= c->deadline && !c->expired) {
		c->expired = 1;
		log_warn("FastCGI request not done %d ms after its connection was "
		    "accepted (request_timeout): connection dropped", c->deadline_ms);
	}
	return -1;
}

/*
 * The next whole record of the connection in *r (its content stays valid
 * until the next call): 1, 0 when the peer closed the connection, -1 on an
 * error, a bad record or no byte for ms.  With ms 0, only records already
 * received: -1 when none is whole.
 */
static int
next_record(struct fcgi_conn *c, struct rec *r, int ms)
{
	const unsigned char *h;
	size_t	 need;
	ssize_t	 n;

	for (;;) {
		if (c->len - c->pos >= 8) {
			h = (const unsigned char *)c->in + c->pos;
			if (h[0] != 1)
				return -1;
			need = 8 + ((size_t)h[4] << 8 | h[5]) + h[6];
			if (c->len - c->pos >= need) {
				r->type = h[1];
				r->id = (unsigned)h[2] << 8 | h[3];
				r->content = h + 8;
				r->len = (size_t)h[4] << 8 | h[5];
				c->pos += need;
				return 1;
			}
		}
		if (ms == 0)
			return -1;
		/* the partial record to the front, then more of it */
		if (c->pos > 0) {
			memmove(c->in, c->in + c->pos, c->len - c->pos);
			c->len -= c->pos;
			c->pos = 0;
		}
		n = read(c->fd, c->in + c->len, c->cap - c->len);
		if (n > 0)
			c->len += (size_t)n;
		else if (n == 0)
			return 0;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(c, POLLIN, ms) < 0)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
}

/* Writes all of iov[0..n) (advancing it); 0, or -1 when the peer is gone or stalls. */
static int
write_all(struct fcgi_conn *c, struct iovec *iov, int n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = writev(c->fd, iov, n)) < 0) {
			if (errno == EINTR)
				continue;
			if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
			    wait_fd(c, POLLOUT, WAIT_MS) < 0)
				return -1;
			continue;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Fills the 8-byte header of a record. */
static void
put_header(unsigned char *h, unsigned type, unsigned id, size_t len, size_t pad)
{
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = (unsigned char)pad;
	h[7] = 0;
}

/* Fills an FCGI_END_REQUEST record (16 bytes) for id with protocol status st. */
static void
put_end(unsigned char *e, unsigned id, unsigned st)
{
	put_header(e, FCGI_END_REQUEST, id, 8, 0);
	memset(e + 8, 0, 8);
	e[12] = (unsigned char)st;
}

/* Sends one record of at most 255 content bytes (the answers to the server's own questions). */
static int
send_small(struct fcgi_conn *c, unsigned type, unsigned id, const void *p, size_t len)
{
	static const char zeros[8];
	unsigned char h[8];
	size_t	 pad = (8 - len % 8) % 8;
	struct iovec iov[3] = {
		{ h, 8 }, { (void *)(uintptr_t)p, len }, { (void *)(uintptr_t)zeros, pad },
	};

	put_header(h, type, id, len, pad);
	return write_all(c, iov, 3);
}

/* A name-value pair's length at *p (1 or 4 bytes); -1 past end. */
static int64_t
pair_len(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;

	if (q >= end)
		return -1;
	if (!(q[0] & 0x80)) {
		*p = q + 1;
		return q[0];
	}
	if (end - q < 4)
		return -1;
	*p = q + 4;
	return (int64_t)(q[0] & 0x7f) << 24 | (int64_t)q[1] << 16 | (int64_t)q[2] << 8 | q[3];
}

/*
 * Answers FCGI_GET_VALUES with the variables it names that FastCGI defines
 * (one connection, one request, no multiplexing); other management records
 * with FCGI_UNKNOWN_TYPE.
 */
static int
management(struct fcgi_conn *c, const struct rec *r)
{
	static const struct {
		const char	*name, *value;
	} vars[] = {
		{ "FCGI_MAX_CONNS", "1" }, { "FCGI_MAX_REQS", "1" }, { "FCGI_MPXS_CONNS", "0" },
	};
	const unsigned char *p = r->content, *end = r->content + r->len;
	unsigned char out[255], unk[8] = { 0 };
	size_t	 o = 0, i, ln;
	int64_t	 nl, vl;

	if (r->type != FCGI_GET_VALUES) {
		unk[0] = (unsigned char)r->type;
		return send_small(c, FCGI_UNKNOWN_TYPE, 0, unk, 8);
	}
	while (p < end) {
		if ((nl = pair_len(&p, end)) < 0 || (vl = pair_len(&p, end)) < 0 ||
		    nl > end - p || vl > end - p - nl)
			return -1;
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			ln = strlen(vars[i].name);
			if ((size_t)nl == ln && memcmp(p, vars[i].name, ln) == 0 &&
			    o + 2 + ln + 1 <= sizeof(out)) {
				out[o++] = (unsigned char)ln;
				out[o++] = 1;
				memcpy(out + o, vars[i].name, ln);
				o += ln;
				out[o++] = (unsigned char)vars[i].value[0];
			}
		}
		p += nl + vl;
	}
	return send_small(c, FCGI_GET_VALUES_RESULT, 0, out, o);
}

/*
 * Splits the FCGI_PARAMS stream into c->env.  Every pair's lengths are
 * read before any value is ended: a value's NUL lands on the first length
 * byte of the next pair (the last one's on the buffer's own NUL).
 */
static int
split_params(struct fcgi_conn *c)
{
	const unsigned char *p, *end;
	int64_t	 nl, vl;
	size_t	 i;

	c->nenv = 0;
	if (c->params.len == 0)
		return 0;
	p = (const unsigned char *)c->params.p;
	end = p + c->params.len;
	while (p < end) {
		if ((nl = pair_len(&p, end)) < 0 || (vl = pair_len(&p, end)) < 0 ||
		    nl > end - p || vl > end - p - nl)
			return -1;
		if (c->nenv == c->envcap) {
			size_t	 ncap = c->envcap ? 2 * c->envcap : 32;
			struct req_env *ne = realloc(c->env, ncap * sizeof(*ne));

			if (ne == NULL)
				return -1;
			c->env = ne;
			c->envcap = ncap;
		}
		c->env[c->nenv].name = (const char *)p;
		c->env[c->nenv].nlen = (size_t)nl;
		c->env[c->nenv].value = (const char *)p + nl;
		c->env[c->nenv].vlen = (size_t)vl;
		c->nenv++;
		p += nl + vl;
	}
	for (i = 0; i < c->nenv; i++)
		((char *)c->env[i].value)[c->env[i].vlen] = '\0';
	return 0;
}

/* Closes the request's connection. */
static void
conn_close(struct fcgi_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->id = 0;
	c->rec_left = 0;
	if (c->params.cap > PARAMS_KEEP)
		buf_free(&c->params);
}

/* Reads records up to the end of the request's parameters; 0, or -1 to drop the connection. */
static int
read_params(struct fcgi_conn *c)
{
	struct rec r;
	int	 first = 1;

	for (;;) {
		if (next_record(c, &r, first ? FIRST_WAIT_MS : WAIT_MS) <= 0)
			return -1;
		first = 0;
		if (r.id == 0) {
			if (management(c, &r) < 0)
				return -1;
			continue;
		}
		switch (r.type) {
		case FCGI_BEGIN_REQUEST: {
			unsigned char end[16];
			struct iovec iov = { end, 16 };

			if (r.len < 8)
				return -1;
			if (c->id != 0 || ((unsigned)r.content[0] << 8 | r.content[1]) !=
			    FCGI_RESPONDER) {
				put_end(end, r.id, c->id != 0 ? FCGI_CANT_MPX_CONN :
				    FCGI_UNKNOWN_ROLE);
				if (write_all(c, &iov, 1) < 0 || c->id == 0)
					return -1;
				break;
			}
			c->id = r.id;
			break;
		}
		case FCGI_PARAMS:
			if (r.id != c->id)
				break;
			if (r.len == 0) {
				c->params_done = 1;
				return split_params(c);
			}
			if (c->params.len + r.len > PARAMS_MAX)
				return -1;
			buf_add(&c->params, r.content, r.len);
			if (c->params.oom)
				return -1;
			break;
		case FCGI_ABORT_REQUEST:
		case FCGI_STDIN:
			if (r.id == c->id)
				return -1;	/* aborted, or a body before the parameters */
			break;
		default:
			break;	/* another request's records, or a type not used here */
		}
	}
}

enum accept_retry
fcgi_accept_retry(int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
		return ACCEPT_AGAIN;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		return ACCEPT_NAP;
	default:
		return ACCEPT_FAIL;
	}
}

int
fcgi_accept_fd(int listen_fd, int flags, volatile sig_atomic_t *stop)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	enum accept_retry what;
	int	 fd;

	for (;;) {
		if (*stop)
			return -1;
		if ((fd = accept4(listen_fd, NULL, NULL, flags)) >= 0)
			return fd;
		if ((what = fcgi_accept_retry(errno)) == ACCEPT_FAIL)
			return -1;
		if (what == ACCEPT_NAP)
			nanosleep(&nap, NULL);
	}
}

int
fcgi_accept(struct fcgi_conn *c, volatile sig_atomic_t *stop)
{
	int	 fd;

	for (;;) {
		if ((fd = fcgi_accept_fd(c->listen_fd, SOCK_NONBLOCK | SOCK_CLOEXEC, stop)) < 0)
			return *stop ? 0 : -1;
		c->fd = fd;
		/* the request's deadline: every wait below stops there */
		c->started = mono_us();
		c->deadline = c->started + (int64_t)c->deadline_ms * 1000;
		c->expired = 0;
		c->id = 0;
		c->pos = c->len = 0;
		c->params_done = c->stdin_done = 0;
		c->rec_left = 0;
		buf_reset(&c->params);
		c->nenv = 0;
		if (read_params(c) == 0)
			return 1;
		conn_close(c);
	}
}

ssize_t
fcgi_read(struct fcgi_conn *c, char *p, size_t n)
{
	struct rec r;
	size_t	 got = 0, k;

	while (got < n && !c->stdin_done) {
		if (c->rec_left == 0) {
			if (next_record(c, &r, WAIT_MS) <= 0)
				return -1;
			if (r.id == 0) {
				if (management(c, &r) < 0)
					return -1;
				continue;
			}
			if (r.id != c->id)
				continue;
			if (r.type == FCGI_ABORT_REQUEST)
				return -1;
			if (r.type != FCGI_STDIN)
				continue;
			if (r.len == 0) {
				c->stdin_done = 1;
				break;
			}
			c->rec = (const char *)r.content;
			c->rec_left = r.len;
		}
		k = n - got < c->rec_left ? n - got : c->rec_left;
		memcpy(p + got, c->rec, k);
		c->rec += k;
		c->rec_left -= k;
		got += k;
	}
	return (ssize_t)got;
}

/*
 * Reads the rest of the request's body up to its end, dropping it.  A GET
 * has its empty FCGI_STDIN already received: nothing more is read.  After
 * an answer given before the body's end (a refused body), our side is shut
 * first and what the server still sends is read, so that it is not cut
 * off while it writes: until its end, the server closes, or DRAIN_MS.
 */
static void
drain(struct fcgi_conn *c)
{
	int64_t	 end;
	struct rec r;

	c->rec_left = 0;
	while (next_record(c, &r, 0) > 0)
		if (r.id == c->id && r.type == FCGI_STDIN && r.len == 0)
			return;
	shutdown(c->fd, SHUT_WR);
	end = mono_us() + (int64_t)DRAIN_MS * 1000;
	while (mono_us() < end && next_record(c, &r, DRAIN_MS) > 0)
		if (r.id == c->id && r.type == FCGI_STDIN && r.len == 0)
			return;
}

int
fcgi_finish(struct fcgi_conn *c, const char *out, size_t len)
{
	static const char zeros[8];
	unsigned char hdr[OUT_BATCH][8], tail[8 + 16];
	struct iovec iov[3 * OUT_BATCH + 1];
	size_t	 chunk, pad;
	int	 n, k, rc = 0, last = 0;

	if (c->fd < 0 || c->expired) {
		conn_close(c);	/* past its deadline: dropped unanswered */
		return -1;
	}
	while (!last) {
		n = 0;
		for (k = 0; k < OUT_BATCH && len > 0; k++) {
			chunk = len > OUT_CHUNK ? OUT_CHUNK : len;
			pad = (8 - chunk % 8) % 8;
			put_header(hdr[k], FCGI_STDOUT, c->id, chunk, pad);
			iov[n].iov_base = hdr[k];
			iov[n++].iov_len = 8;
			iov[n].iov_base = (void *)(uintptr_t)out;
			iov[n++].iov_len = chunk;
			if (pad > 0) {
				iov[n].iov_base = (void *)(uintptr_t)zeros;
				iov[n++].iov_len = pad;
			}
			out += chunk;
			len -= chunk;
		}
		if (len == 0) {
			/* the end of the stream (an empty record), then of the request */
			put_header(tail, FCGI_STDOUT, c->id, 0, 0);
			put_end(tail + 8, c->id, FCGI_REQUEST_COMPLETE);
			iov[n].iov_base = tail;
			iov[n++].iov_len = sizeof(tail);
			last = 1;
		}
		if ((rc = write_all(c, iov, n)) < 0)
			break;
	}
	if (rc == 0 && !c->stdin_done)
		drain(c);
	conn_close(c);
	return rc;
}
