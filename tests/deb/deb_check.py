#!/usr/bin/env python3
"""make deb-check: the Debian package on this machine, as root (CI runs it;
it is not part of make check, since it installs and purges a system package).

It builds the package with make deb, runs lintian, installs it with apt-get,
checks its files, modes and user, serves the API through the installed nginx
site and units (started as the units would be: this container has no systemd,
so spawn-fcgi runs under the unit's user, groups, environment and umask, and
nginx runs with the installed site on a loopback port in a folder of its
own), creates a user and a task, upgrades to a package with a higher version,
checks that the upgrade migrated the database and kept the data and the
edited configuration, and purges it: nothing of it may remain.  It purges a
package left by an interrupted run first, and again at the end.
"""
import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import sys
import time

TOP_SRCDIR = os.environ.get("TOP_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP_SRCDIR, "tests", "api"))
from harness import (NGINX, TOP_BUILDDIR, Server, _terminate, eq,  # noqa: E402
                     free_port, run_tests, scratch_dir)

MAKE = os.environ.get("MAKE") or "make"
CONF = "/etc/taskmgr.conf"
STATE = "/var/lib/taskmgr"
DB = STATE + "/taskmgr.db"
SITE = "/etc/nginx/sites-available/taskmgr"
SITE_LINK = "/etc/nginx/sites-enabled/taskmgr"
UNIT_DIR = "/lib/systemd/system"
UNITS = ("taskmgr-fcgi", "taskmgr-worker", "taskmgr-bot")
RUN_DIR = "/run/taskmgr"
PASSWORD = "correct-horse-battery-staple"

with open(os.path.join(TOP_SRCDIR, "configure.ac")) as _f:
    VERSION = re.search(r"AC_INIT\(\[taskmgr\], \[([^]]+)\]", _f.read()).group(1)
ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                      text=True, check=True).stdout.strip()

S = {}          # what one step leaves to the next
PROCS = []      # (pid, Popen) of every process started here


def clean_env(**extra):
    """The environment without make's and taskmgr's variables."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS") and not k.startswith("TASKMGR_")}
    env["DEBIAN_FRONTEND"] = "noninteractive"
    env.update(extra)
    return env


def run(*cmd, env=None, check=True, timeout=300):
    p = subprocess.run(list(cmd), capture_output=True, text=True, env=env or clean_env(),
                       stdin=subprocess.DEVNULL, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode,
                                                     p.stdout[-3000:], p.stderr[-3000:]))
    return p


def apt_get(*args, env=None):
    # stdin is /dev/null: a question (a conffile prompt) fails the step
    p = run("apt-get", "-y", "-o", "DPkg::Lock::Timeout=120", *args, env=env)
    return p.stdout + p.stderr


def installed_version():
    p = run("dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", "taskmgr", check=False)
    if p.returncode != 0 or not p.stdout.startswith("installed "):
        return None
    return p.stdout.split()[1]


def build(revision):
    """make deb with this Debian revision; returns the package's path."""
    deb = os.path.join(TOP_BUILDDIR, "taskmgr_%s-%s_%s.deb" % (VERSION, revision, ARCH))
    if os.path.exists(deb):
        os.unlink(deb)
    run(MAKE, "-C", TOP_BUILDDIR, "deb", "DEB_REVISION=%s" % revision, timeout=900)
    assert os.path.isfile(deb), "make deb made no " + deb
    return deb


def mode_owner(path):
    st = os.lstat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def unit(name):
    """The [Service] lines of an installed unit: key -> list of values."""
    out = {}
    with open(os.path.join(UNIT_DIR, name + ".service")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")):
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def as_unit(u, cmd, **kw):
    """cmd started the way systemd starts u's commands: its User=, Group=,
    SupplementaryGroups=, Environment= and UMask=, no capabilities."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    for e in u.get("Environment", []):
        k, v = e.split("=", 1)
        env[k] = v
    umask = int(u["UMask"][0], 8)
    argv = ["setpriv", "--reuid", u["User"][0], "--regid", u["Group"][0],
            "--groups", ",".join(u.get("SupplementaryGroups", [])),
            "--inh-caps=-all", "--"] + cmd
    return subprocess.Popen(argv, env=env, preexec_fn=lambda: os.umask(umask), **kw)


def as_unit_run(u, cmd, input=None):
    p = as_unit(u, cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(input, timeout=60)
    return p.returncode, out, err


class Site:
    """The installed units' responders and the installed nginx site, on a
    loopback port.  Only request() and url() of harness.Server are used."""
    host = "127.0.0.1"
    ipv6 = False
    request = Server.request
    get = Server.get
    post = Server.post

    def start(self):
        fcgi = unit("taskmgr-fcgi")
        # RuntimeDirectory=taskmgr, RuntimeDirectoryMode=: made by systemd
        eq(fcgi["RuntimeDirectory"], ["taskmgr"], "RuntimeDirectory")
        os.makedirs(RUN_DIR, exist_ok=True)
        shutil.chown(RUN_DIR, fcgi["User"][0], fcgi["Group"][0])
        os.chmod(RUN_DIR, int(fcgi["RuntimeDirectoryMode"][0], 8))
        for pre in fcgi["ExecStartPre"]:
            rc, out, err = as_unit_run(fcgi, shlex.split(pre))
            eq(rc, 0, "ExecStartPre %s: %s" % (pre, err))
        self.fcgi = as_unit(fcgi, shlex.split(fcgi["ExecStart"][0]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        PROCS.append(self.fcgi)

        self.port = free_port()
        d = self.dir = scratch_dir("deb-nginx-")
        for name in ("fastcgi_params", "mime.types"):
            shutil.copy(os.path.join("/etc/nginx", name), d)
        with open(SITE) as f:
            site = f.read()
        for line in ("listen 80 default_server;", "listen [::]:80 default_server;"):
            assert line in site, "the site has no '%s'" % line
        site = site.replace("listen 80 default_server;", "listen 127.0.0.1:%d;" % self.port)
        site = site.replace("listen [::]:80 default_server;", "")
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            # workers as www-data, as Debian's nginx: they reach the socket
            # through its group
            f.write("""user www-data;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/nginx-error.log warn;
events { worker_connections 64; }
http {
    include mime.types;
    access_log off;
    client_body_temp_path %(d)s/body;
    fastcgi_temp_path %(d)s/fastcgi;
    proxy_temp_path %(d)s/proxy;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
%(site)s
}
""" % {"d": d, "site": site})
        self.nginx = subprocess.Popen(
            [NGINX, "-p", d, "-c", os.path.join(d, "nginx.conf"),
             "-e", os.path.join(d, "nginx-error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        PROCS.append(self.nginx)
        deadline = time.time() + 20
        while True:
            for p in (self.nginx, self.fcgi):
                assert p.poll() is None, "%s exited" % p.args
            try:
                r = self.get("/api/health/")
                if r.status == 200:
                    return self
            except OSError:
                r = None
            assert time.time() < deadline, "the site did not come up: %r" % (r,)
            time.sleep(0.1)

    def stop(self):
        for p in (self.nginx, self.fcgi):
            _terminate(p.pid, p)
            PROCS.remove(p)
        shutil.rmtree(RUN_DIR, ignore_errors=True)


def purge_leftovers():
    if installed_version() is not None or run("dpkg-query", "-W", "taskmgr",
                                              check=False).returncode == 0:
        apt_get("purge", "taskmgr")


# ---- the steps -----------------------------------------------------------------

def setup_module():
    for p in ("/usr/bin/taskmgr", "/usr/bin/taskmgr.fcgi"):
        if os.path.exists(p) and run("dpkg", "-S", p, check=False).returncode != 0:
            raise RuntimeError("%s belongs to no package (make install?): not overwritten" % p)
    purge_leftovers()
    for what, gone in (("user", lambda: pwd.getpwnam("taskmgr")),
                       ("group", lambda: grp.getgrnam("taskmgr"))):
        try:
            gone()
            raise RuntimeError("a %s taskmgr exists without the package: not touched" % what)
        except KeyError:
            pass


def test_build_depends_name_configure_libraries():
    """Each Debian package configure names for a missing library is a
    Build-Depends (this machine has them all: the build would not notice)."""
    with open(os.path.join(TOP_SRCDIR, "configure.ac")) as f:
        ac = f.read()
    named = set(re.findall(r"install the Debian package ([a-z0-9.+-]+)", ac))
    named |= set(re.findall(r"TM_NEED\(\[\w+\], \[[^]]*\], \[([a-z0-9.+-]+)\]\)", ac))
    # tools only the test suite runs (a warning, not a library the build needs)
    named -= set(re.findall(r"AC_MSG_WARN\(\[[^]]*install the Debian package ([a-z0-9.+-]+)", ac))
    with open(os.path.join(TOP_SRCDIR, "conf", "debian", "control")) as f:
        bd = re.search(r"^Build-Depends:(.*?)^\S", f.read(), re.M | re.S).group(1)
    have = set(re.findall(r"([a-z0-9][a-z0-9.+-]+)", re.sub(r"\([^)]*\)", "", bd)))
    assert len(named) >= 7, named
    eq(sorted(named - have), [], "configure's libraries missing from Build-Depends")


def test_build():
    S["deb"] = build(1)
    f = lambda field: run("dpkg-deb", "-f", S["deb"], field).stdout.strip()  # noqa: E731
    eq(f("Package"), "taskmgr", "Package")
    # configure.ac's version plus the Debian revision
    eq(f("Version"), VERSION + "-1", "Version")
    depends = f("Depends")
    for lib in ("libsqlite3-0", "libcjson1", "libargon2-1", "libcurl4", "libpq5", "libc6"):
        assert re.search(r"\b%s\b" % lib, depends), "shlibs: no %s in %s" % (lib, depends)
    for p in ("adduser", "spawn-fcgi", "multiwatch"):
        assert re.search(r"(^|, )%s\b" % p, depends), "no %s in %s" % (p, depends)
    eq(f("Recommends"), "nginx | httpd", "Recommends")


def test_lintian():
    p = run("lintian", "--fail-on", "error", S["deb"], check=False)
    tags = [line for line in p.stdout.splitlines() if re.match(r"[EW]: ", line)]
    for line in tags:
        print("# lintian: " + line)
    assert p.returncode == 0 and not any(t.startswith("E:") for t in tags), p.stdout + p.stderr


def test_install():
    # a TASKMGR_* variable of the caller's environment must not reach migrate
    out = apt_get("install", S["deb"], env=clean_env(TASKMGR_NO_SUCH_KEY="1"))
    eq(installed_version(), VERSION + "-1", "installed version")
    assert "schema now at version" in out, out


def test_files_and_modes():
    for p in ("/usr/bin/taskmgr", "/usr/bin/taskmgr.fcgi"):
        eq(mode_owner(p), (0o755, "root", "root"), p)
    for page in ("man1/taskmgr.1.gz", "man8/taskmgr.fcgi.8.gz"):
        assert os.path.isfile("/usr/share/man/" + page), page
    share = "/usr/share/taskmgr"
    for d, sample in (("templates", "login.html"), ("static", "admin.css"),
                      ("sql", "001_init.sql")):
        eq(mode_owner(os.path.join(share, d, sample))[0], 0o644, d)
    with open(os.path.join(TOP_SRCDIR, "Makefile.am")) as f:
        mk = f.read()
    for t in re.findall(r"templates/\w+\.html", mk):
        assert os.path.isfile(os.path.join(share, t)), "missing " + t

    # the configuration: a conffile, root:taskmgr 0640, Debian's paths
    eq(mode_owner(CONF), (0o640, "root", "taskmgr"), CONF)
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "taskmgr").stdout
    for c in (CONF, SITE):
        assert re.search(r"^ %s [0-9a-f]{32}$" % re.escape(c), conffiles, re.M), conffiles
    eq(run("dpkg-statoverride", "--list", CONF).stdout.split(),
       ["root", "taskmgr", "640", CONF], "statoverride")
    with open(CONF) as f:
        conf = f.read()
    assert re.search(r"^database = %s$" % re.escape(DB), conf, re.M), conf
    assert "templates_dir = /usr/share/taskmgr/templates\n" in conf

    # the nginx site: installed, not enabled
    with open(SITE) as f:
        site = f.read()
    assert "fastcgi_pass unix:%s/taskmgr.sock;" % RUN_DIR in site, site
    assert "alias /usr/share/taskmgr/static/;" in site, site
    assert not os.path.lexists(SITE_LINK), SITE_LINK + " exists"

    # the units: installed with the build's paths, none enabled
    for name in UNITS:
        u = unit(name)
        eq(u["User"], ["taskmgr"], name)
        eq(u["Environment"], ["TASKMGR_CONFIG=" + CONF], name)
        eq(u["StateDirectory"], ["taskmgr"], name)
        for cmd in u["ExecStart"] + u["ExecStartPre"]:
            assert os.access(shlex.split(cmd)[0], os.X_OK), cmd
        assert not any(os.path.lexists(os.path.join("/etc/systemd/system", t, name + ".service"))
                       for t in ("multi-user.target.wants", "default.target.wants")), name
    eq(unit("taskmgr-fcgi")["ExecStart"][0].split()[:5],
       ["/usr/bin/spawn-fcgi", "-n", "-s", RUN_DIR + "/taskmgr.sock", "-M"], "fcgi ExecStart")

    # the system user, its folder and the database made by postinst
    u = pwd.getpwnam("taskmgr")
    assert u.pw_uid < 1000, u
    eq((u.pw_dir, u.pw_shell, grp.getgrgid(u.pw_gid).gr_name),
       (STATE, "/usr/sbin/nologin", "taskmgr"), "user")
    eq(mode_owner(STATE), (0o700, "taskmgr", "taskmgr"), STATE)
    eq(mode_owner(DB)[:2], (0o600, "taskmgr"), DB)


def test_serve_through_installed_site():
    site = S["site"] = Site().start()
    r = site.get("/api/health/")
    eq((r.status, r.json["status"]), (200, "ok"), "health")
    # static files: nginx itself, from /usr/share/taskmgr/static
    eq(site.get("/static/admin.css").status, 200, "admin.css")
    eq(site.get("/favicon.ico").header("Content-Type"), "image/svg+xml", "favicon")

    # the README's createsuperuser, as the service user
    fcgi = unit("taskmgr-fcgi")
    rc, out, err = as_unit_run(fcgi, ["taskmgr", "createsuperuser", "--username", "admin",
                                      "--password-stdin"], input=PASSWORD + "\n")
    eq(rc, 0, "createsuperuser: " + err)
    r = site.post("/api/auth/register/", {"username": "alice", "password": PASSWORD,
                                          "confirm_password": PASSWORD})
    eq(r.status, 201, "register")
    tok = site.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}).json["access"]
    r = site.post("/api/lists/", {"name": "Packaging"}, token=tok)
    eq(r.status, 201, "list")
    r = site.post("/api/lists/%d/tasks/" % r.json["id"],
                  {"name": "Ship the .deb", "description": "from make dist"}, token=tok)
    eq(r.status, 201, "task")
    S["task"] = r.json
    eq(site.get("/admin/login/").status, 200, "admin login page (templates)")

    # the worker unit's command, once; the bot unit's check
    rc, out, err = as_unit_run(unit("taskmgr-worker"),
                               shlex.split(unit("taskmgr-worker")["ExecStart"][0]) + ["--once"])
    eq(rc, 0, "worker --once: " + out + err)
    bot = unit("taskmgr-bot")
    rc, out, err = as_unit_run(bot, shlex.split(bot["ExecStartPre"][0]))
    eq(rc, 0, "bot check-config: " + err)
    site.stop()


def test_upgrade_migrates_and_keeps_data():
    # an edited configuration, and a database whose mode only a program that
    # opens it (taskmgr migrate, in postinst; the responders are stopped) fixes
    with open(CONF) as f:
        conf = f.read()
    with open(CONF, "w") as f:
        f.write(conf.replace("\nlog_level = info\n", "\nlog_level = warn\n"))
    os.chmod(DB, 0o640)
    S["deb2"] = build(2)
    out = apt_get("install", S["deb2"])
    eq(installed_version(), VERSION + "-2", "upgraded version")
    assert "schema is up to date" in out, "no taskmgr migrate in:\n" + out
    assert "tightened to 0600" in out, out
    eq(mode_owner(DB)[:2], (0o600, "taskmgr"), DB)
    eq(mode_owner(CONF), (0o640, "root", "taskmgr"), CONF)
    with open(CONF) as f:
        assert "\nlog_level = warn\n" in f.read(), "the edited configuration was replaced"

    site = Site().start()
    tok = site.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}).json["access"]
    r = site.get("/api/tasks/%d/" % S["task"]["id"], token=tok)
    eq((r.status, r.json["name"], r.json["description"]), (200, "Ship the .deb", "from make dist"),
       "the task after the upgrade")
    site.stop()


def test_purge_removes_everything():
    # the README's step: the site enabled; purge removes the dangling link
    os.symlink(SITE, SITE_LINK)
    apt_get("purge", "taskmgr")
    eq(installed_version(), None, "installed")
    for p in ("/usr/bin/taskmgr", "/usr/bin/taskmgr.fcgi", "/usr/share/taskmgr", CONF,
              "/usr/share/man/man1/taskmgr.1.gz",
              SITE, SITE_LINK, STATE, RUN_DIR, "/usr/share/doc/taskmgr"):
        assert not os.path.lexists(p), p + " is left"
    for name in UNITS:
        assert not os.path.lexists(os.path.join(UNIT_DIR, name + ".service")), name
    for getter in (pwd.getpwnam, grp.getgrnam):
        try:
            getter("taskmgr")
            raise AssertionError("%s: taskmgr is left" % getter.__name__)
        except KeyError:
            pass
    eq(run("dpkg-statoverride", "--list", CONF, check=False).stdout, "", "statoverride")
    eq(run("dpkg-query", "-W", "taskmgr", check=False).returncode, 1, "dpkg knows taskmgr")


def teardown_module():
    for p in list(PROCS):
        _terminate(p.pid, p)
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    if os.path.islink(SITE_LINK) and os.readlink(SITE_LINK) == SITE:
        os.unlink(SITE_LINK)
    purge_leftovers()
    # the package of the higher version exists only for this test
    if S.get("deb2") and os.path.exists(S["deb2"]):
        os.unlink(S["deb2"])


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("Bail out! make deb-check installs a system package: run it as root")
        sys.exit(1)
    run_tests(globals(), time_limit=900)
