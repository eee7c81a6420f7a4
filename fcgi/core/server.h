/*
 * server: the FastCGI side of a request: params and body in, response out.
 */
#ifndef TASKMGR_SERVER_H
#define TASKMGR_SERVER_H

struct app;
struct buf;
struct req;
struct transport;

/*
 * Handles one accepted FastCGI request: parses it into r, reads the body
 * (413 past max_body without holding it), dispatches, writes the response
 * through out (a buffer reused across requests), ends the FastCGI request
 * (transport_finish) and logs one access line.  The caller then calls
 * req_end(r).
 */
void	 server_handle(struct app *, struct req *r, struct transport *t, struct buf *out);

#endif
