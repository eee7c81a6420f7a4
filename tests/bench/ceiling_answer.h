/*
 * The ceiling responders' one answer (ceiling.c on libfcgi, ceiling_own.c
 * on our FastCGI layer): the headers taskmgr sends and a JSON object of
 * exactly CEILING_BODY bytes.
 */
#ifndef TASKMGR_CEILING_ANSWER_H
#define TASKMGR_CEILING_ANSWER_H

#include <stdio.h>
#include <string.h>

#define CEILING_BODY	1024

/* Writes the answer into out (CEILING_BODY + 256 bytes); returns its length. */
static inline int
ceiling_answer(char *out)
{
	static const char head[] = "{\"detail\":\"ceiling\",\"pad\":\"";
	static const char tail[] = "\"}";
	size_t	 h = sizeof(head) - 1, t = sizeof(tail) - 1;
	int	 n;

	n = snprintf(out, 256, "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %d\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n", CEILING_BODY);
	memcpy(out + n, head, h);
	memset(out + n + h, 'x', CEILING_BODY - h - t);
	memcpy(out + n + CEILING_BODY - t, tail, t);
	return n + CEILING_BODY;
}

#endif
