/*
 * pgdb: the PostgreSQL backend, first step: a database named by a libpq
 * connection URI (database = postgresql://..., config_is_pg_uri()) can be
 * migrated; nothing else runs on it yet (README "PostgreSQL and several hosts").
 *
 * The migrations are sql/pg/NNN_name.sql, embedded in every build (the
 * build checks that each has its SQLite pair); only a build configured
 * --with-postgresql has pg_migrate().
 */
#ifndef TASKMGR_PGDB_H
#define TASKMGR_PGDB_H

#include <stdio.h>

#include "db.h"

/* The embedded PostgreSQL migrations, in order (generated from sql/pg/). */
extern const struct migration pg_migrations[];
extern const int n_pg_migrations;

#ifdef HAVE_POSTGRESQL
/*
 * Connects to uri and applies the embedded migrations the database lacks,
 * all in one transaction, under an advisory lock (two hosts migrating at
 * once: the second waits, then finds nothing to do), printing one line per
 * migration to out like db_migrate().  The version is kept in the one-row
 * table schema_version.  0, or -1 with the reason printed to out.
 */
int	 pg_migrate(const char *uri, FILE *out);
#endif

#endif
