/* log: one line per event on stderr. */
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
	int	 fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

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

void
log_access(const char *method, const char *path, int status, int64_t dur_us,
    int64_t uid)
{
	char	 t[RFC3339_LEN], p[256], m[16];

	if (log_level < LOG_INFO)
		return;
	rfc3339_format(now_us(), t);
	sanitize(path, p, sizeof(p));
	sanitize(method, m, sizeof(m));
	fprintf(stderr, "%s access %s \"%s\" %d %lld.%03lldms uid=%lld\n", t, m, p,
	    status, (long long)(dur_us / 1000), (long long)(dur_us % 1000),
	    (long long)uid);
}
