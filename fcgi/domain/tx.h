/*
 * tx: how a domain write joins or opens a transaction.  A domain function
 * that changes several rows calls tx_open() first: it starts a write
 * transaction (BEGIN IMMEDIATE) unless the caller already holds one, and
 * tx_close() commits or rolls back only what tx_open() started.  So the API
 * gets one transaction per call, and a caller (admin page, worker, bot) can
 * still group several domain calls in its own transaction.
 */
#ifndef TASKMGR_TX_H
#define TASKMGR_TX_H

#include "db.h"

/* Starts a transaction unless one is open; *own says whether we started it. */
static inline enum dbrc
tx_open(struct db *db, int *own)
{
	enum dbrc rc;

	*own = 0;
	if (db->in_tx)
		return DB_OK;
	if ((rc = db_begin(db)) == DB_OK)
		*own = 1;
	return rc;
}

/* Ends what tx_open started: commit when rc is DB_OK, else roll back.  Returns the final rc. */
static inline enum dbrc
tx_close(struct db *db, int own, enum dbrc rc)
{
	if (!own)
		return rc;
	if (rc == DB_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

#endif
