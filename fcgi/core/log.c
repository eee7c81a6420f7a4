/* log: one line per event on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

static int log_level = LOG_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

int
log_open_file(const char *path)
{
	int	 fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) < 0) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

void
log_set_level(int level)
{
	log_level = level;
}

void
log_msg(int level, const char *fmt, ...)
{
	char	 t[RFC3339_LEN], line[1024];
	va_list	 ap;

	if (level > log_level)
		return;
	rfc3339_format(now_us(), t);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line, so lines of several processes do not interleave */
	fprintf(stderr, "%s %s %s\n", t, names[level], line);
}

/* Writes p[0..n) to stderr, again after a signal or a short write. */
static void
write_all(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Copies path into out with control characters and quotes replaced, truncated. */
static void
sanitize(const char *path, char *out, size_t outlen)
{
	size_t	 i;

	for (i = 0; path[i] != '\0' && i + 1 < outlen; i++)
		out[i] = ((unsigned char)path[i] < 0x20 || path[i] == 0x7f ||
		    path[i] == '"') ? '?' : path[i];
	out[i] = '\0';
}

/* Appends the decimal digits of v (>= 0) at *o. */
static char *
put_uint(char *o, unsigned long long v)
{
	char	 tmp[24], *e = tmp + sizeof(tmp), *p = e;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(o, p, (size_t)(e - p));
	return o + (e - p);
}

/*
 * The access line, assembled by hand and written with one write(2): it is
 * written for every request, so it costs no printf.
 */
void
log_access(const char *method, const char *path, int status, int64_t dur_us,
    int64_t uid)
{
	char	 line[RFC3339_LEN + 256 + 16 + 96], p[256], m[16], *o = line;
	size_t	 n;

	if (log_level < LOG_INFO)
		return;
	rfc3339_format(now_us(), o);
	o += RFC3339_LEN - 1;
	sanitize(path, p, sizeof(p));
	sanitize(method, m, sizeof(m));
	memcpy(o, " access ", 8);
	o += 8;
	n = strlen(m);
	memcpy(o, m, n);
	o += n;
	memcpy(o, " \"", 2);
	o += 2;
	n = strlen(p);
	memcpy(o, p, n);
	o += n;
	memcpy(o, "\" ", 2);
	o += 2;
	o = put_uint(o, status < 0 ? 0 : (unsigned long long)status);
	*o++ = ' ';
	if (dur_us < 0)
		dur_us = 0;
	o = put_uint(o, (unsigned long long)(dur_us / 1000));
	*o++ = '.';
	*o++ = (char)('0' + dur_us % 1000 / 100);
	*o++ = (char)('0' + dur_us % 100 / 10);
	*o++ = (char)('0' + dur_us % 10);
	memcpy(o, "ms uid=", 7);
	o += 7;
	if (uid < 0) {
		*o++ = '-';
		uid = -uid;
	}
	o = put_uint(o, (unsigned long long)uid);
	*o++ = '\n';
	/* one write(2) per line, whole lines from every process (stderr is
	 * unbuffered: stdio would make the same write, at more cost) */
	write_all(line, (size_t)(o - line));
}
