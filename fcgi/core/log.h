/*
 * log: lines on stderr, "time level message".  Never pass a password,
 * token, cookie or request body to these functions.
 */
#ifndef TASKMGR_LOG_H
#define TASKMGR_LOG_H

#include <stdint.h>

enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sends standard error to path (appending; created 0600); -1 if it cannot be opened. */
int	 log_open_file(const char *path);
/* Messages above level are dropped; the default is LOG_INFO. */
void	 log_set_level(int level);
void	 log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
/* The access line: method, path (without query), status, duration, user id. */
void	 log_access(const char *method, const char *path, int status,
	    int64_t dur_us, int64_t uid);

#endif
