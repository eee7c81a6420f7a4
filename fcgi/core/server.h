/*
 * server: the FastCGI side of a request: params and body in, response out.
 */
#ifndef TASKMGR_SERVER_H
#define TASKMGR_SERVER_H

#include <fcgiapp.h>

struct app;
struct buf;
struct req;

/*
 * Handles one accepted FastCGI request: parses it into r, reads the body
 * (413 past max_body without holding it), dispatches, writes the response
 * through out (a buffer reused across requests) and logs one access line.
 * The caller then calls req_end(r) and FCGX_Finish_r().
 */
void	 server_handle(struct app *, struct req *r, FCGX_Request *fr, struct buf *out);

#endif
