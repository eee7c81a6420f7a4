#!/bin/sh
# quickstart.sh -- the two commands of the README's quick start.
#
#   ./quickstart.sh run    install what is missing, build, migrate a database in
#                          ./run/, create an admin user (its password is printed
#                          once) and serve the app at http://127.0.0.1:8080 through
#                          real nginx and spawn-fcgi, with the worker (overdue
#                          sweep, notices), until Ctrl-C
#   ./quickstart.sh test   the same set-up, then the whole test suite (make check)
#
# Environment: CONFIGURE_FLAGS (extra ./configure flags), PORT (default 8080),
# WORKERS (responder processes, default 4), SKIP_APT=1 (do not install packages),
# BUILD_DIR (default ./build), STATE_DIR (run's state, default ./run),
# CHECK_JOBS (test's make check -j, default the number of cores).
set -eu

# Debian 12 packages: build, libraries, the real servers the tests drive, browser tests.
PACKAGES="autoconf automake libtool pkgconf make gcc clang libclang-rt-14-dev libfcgi-dev libsqlite3-dev \
sqlite3 libcjson-dev libcurl4-openssl-dev libargon2-dev libssl-dev libpwquality-dev libicu-dev \
cracklib-runtime nginx-light spawn-fcgi multiwatch python3 curl wrk \
chromium chromium-driver python3-selenium prometheus tzdata python3-icalendar nodejs \
libpq-dev postgresql-15 strace"

top=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
port=${PORT:-8080}
workers=${WORKERS:-4}
build_dir=${BUILD_DIR:-$top/build}

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0"
}

say() { printf '==> %s\n' "$*"; }

install_packages() {
	[ "${SKIP_APT:-0}" = 1 ] && return 0
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

# The OpenAPI validator test_schema.py runs (npm: tests/schema/package.json, locked).
install_test_tools() {
	[ -x "$top/tests/schema/node_modules/.bin/validate-api" ] && return 0
	# Debian's nodejs comes without npm (its package npm); a nodejs that bundles npm conflicts with it
	if ! command -v npm >/dev/null 2>&1 && [ "${SKIP_APT:-0}" != 1 ]; then
		sudo=""
		[ "$(id -u)" -ne 0 ] && sudo=sudo
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
	fi
	say "installing the OpenAPI validator into tests/schema/node_modules (npm ci)"
	(cd "$top/tests/schema" && npm ci --no-audit --no-fund --silent)
}

build() {
	mkdir -p "$build_dir"
	build_dir=$(cd "$build_dir" && pwd)
	say "building in $build_dir"
	cd "$top"
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	cd "$build_dir"
	if [ ! -f Makefile ] || [ -n "${CONFIGURE_FLAGS:-}" ]; then
		# shellcheck disable=SC2086
		"$top/configure" -q ${CONFIGURE_FLAGS:-}
	fi
	make -s -j"$(nproc)"
}

run_tests() {
	cd "$build_dir"
	say "running the test suite (make check)"
	rc=0
	make -s -j"${CHECK_JOBS:-$(nproc)}" check >check.out 2>&1 || rc=$?
	# automake's summary, then one plain closing line
	sed -n '/^# TOTAL/,/^# ERROR/p' check.out
	if [ "$rc" -ne 0 ]; then
		grep -E '^(FAIL|ERROR)' check.out || true
		for f in $(grep -lE '^(not ok|Bail out)' $(find tests -name '*.log') 2>/dev/null); do
			echo "---- $f"
			grep -E -A25 '^(not ok|Bail out)' "$f" | head -80
		done
	fi
	pass=$(sed -n 's/^# PASS: *//p' check.out)
	fail=$(sed -n 's/^# FAIL: *//p' check.out)
	err=$(sed -n 's/^# ERROR: *//p' check.out)
	skip=$(sed -n 's/^# SKIP: *//p' check.out)
	echo "${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed, ${skip:-0} skipped"
	return "$rc"
}

# trial_key FILE KEY VALUE COMMENT: appends "# COMMENT" and "KEY = VALUE" to
# FILE unless it sets KEY already (a value there is never changed)
trial_key() {
	grep -q "^[[:space:]]*$2[[:space:]]*=" "$1" && return 0
	[ -n "$(tail -c 1 "$1")" ] && echo >>"$1"
	printf '# %s\n%s = %s\n' "$4" "$2" "$3" >>"$1"
	[ -n "$conf_existed" ] && say "added to $1: $2 = $3"
	return 0
}

serve() {
	b="$build_dir"
	state=${STATE_DIR:-$top/run}
	mkdir -p "$state"
	state=$(cd "$state" && pwd)
	conf="$state/taskmgr.conf"
	conf_existed=""
	if [ -f "$conf" ]; then
		conf_existed=1
	else
		secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
		cat >"$conf" <<CONF
# written by quickstart.sh for a local trial run
database = $state/taskmgr.db
templates_dir = $top/templates
log_file = $state/taskmgr.log
telegram_bot_secret = $secret
CONF
	fi
	# Keys a trial needs are added to an older trial config that lacks them;
	# the keys it has keep their values.
	trial_key "$conf" throttle_anon 100/minute \
		"the API tour: 3 anonymous requests a run; 10/minute, the default, answers 429 from its 4th run in a minute"
	export TASKMGR_CONFIG="$conf"
	"$b/taskmgr" migrate
	if ! sqlite3 "$state/taskmgr.db" "SELECT 1 FROM users WHERE username_key = 'admin'" | grep -q 1; then
		# a random password; cracklib now and then calls one "too simplistic": draw again
		tries=0
		while :; do
			pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
			printf '%s\n' "$pw" | "$b/taskmgr" createsuperuser --username admin \
				--password-stdin >/dev/null 2>"$state/createsuperuser.err" && break
			tries=$((tries + 1))
			if [ "$tries" -ge 5 ]; then cat "$state/createsuperuser.err" >&2; exit 1; fi
		done
		rm -f "$state/createsuperuser.err"
		say "created the admin user:  username admin  password $pw"
		say "(shown only this once; change it with: TASKMGR_CONFIG=$conf $b/taskmgr passwd admin)"
	else
		say "the admin user exists already (its password was shown at the first run)"
	fi
	sock="$state/taskmgr.sock"
	rm -f "$sock" "$state/fcgi.pid" "$state/worker.pid"
	# everything started below is stopped by its PID, on Ctrl-C or when nginx ends
	nginx_pid=""
	worker_pid=""
	stop() {
		trap - INT TERM EXIT
		for p in $worker_pid $nginx_pid $(cat "$state/fcgi.pid" 2>/dev/null); do
			kill "$p" 2>/dev/null || true
		done
		for p in $worker_pid $nginx_pid; do wait "$p" 2>/dev/null || true; done
		rm -f "$state/worker.pid"
		say "stopped"
	}
	trap 'stop; exit 130' INT
	trap 'stop; exit 143' TERM
	trap stop EXIT
	spawn-fcgi -s "$sock" -M 0660 -F "$workers" -P "$state/fcgi.pid" -- "$b/taskmgr.fcgi" >/dev/null
	# the worker: the overdue sweep every overdue_sweep_interval seconds, and
	# the Telegram notices once telegram_bot_token is set
	"$b/taskmgr" worker &
	worker_pid=$!
	echo "$worker_pid" >"$state/worker.pid"
	cp /etc/nginx/fastcgi_params /etc/nginx/mime.types "$state/"
	user=""
	[ "$(id -u)" -eq 0 ] && user="user root;"
	sed -e "s|listen 80 default_server;|listen 127.0.0.1:$port;|" \
	    -e 's|listen \[::\]:80 default_server;||' \
	    -e "s|@RUNSTATEDIR@/taskmgr/taskmgr.sock|$sock|" \
	    -e "s|@PKGDATADIR@/static/|$top/static/|" \
	    -e "s|/var/log/nginx/access.log|$state/nginx-access.log|" \
	    "$top/conf/nginx-taskmgr.conf.in" >"$state/site.conf"
	cat >"$state/nginx.conf" <<NGINX
$user
worker_processes 1;
pid $state/nginx.pid;
error_log $state/nginx-error.log warn;
events { worker_connections 512; }
http {
    include mime.types;
    access_log off;
    client_body_temp_path $state/body;
    fastcgi_temp_path $state/fastcgi;
    proxy_temp_path $state/proxy;
    uwsgi_temp_path $state/uwsgi;
    scgi_temp_path $state/scgi;
    include site.conf;
}
NGINX
	nginx -p "$state" -c "$state/nginx.conf" -e "$state/nginx-error.log" -g 'daemon off;' &
	nginx_pid=$!
	sleep 0.5
	say "serving http://127.0.0.1:$port/  (API under /api/, admin pages under /admin/)"
	say "the worker marks tasks past their deadline Overdue (every overdue_sweep_interval seconds)"
	say "logs: $state/taskmgr.log -- press Ctrl-C to stop"
	wait "$nginx_pid" || true
}

case "$cmd" in
run)
	install_packages
	build
	serve
	;;
test)
	install_packages
	install_test_tools
	build
	run_tests
	;;
-h|--help|help)
	usage
	;;
*)
	usage >&2
	exit 2
	;;
esac
