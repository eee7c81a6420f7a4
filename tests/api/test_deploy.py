#!/usr/bin/env python3
"""The README's deployment: the systemd units and examples a build installs,
for Debian's paths and for others, and the nginx site beside Debian's default
site."""
import http.client
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (NGINX, TOP_BUILDDIR, TOP_SRCDIR, Server, Skip, _terminate,  # noqa: E402
                     eq, free_port, run_tests, scratch_dir)

UNITS = ("taskmgr-fcgi.service", "taskmgr-worker.service", "taskmgr-bot.service")
SYSTEM_PROGRAMS = ("/usr/bin/spawn-fcgi", "/usr/bin/multiwatch")

# Debian 12's /etc/nginx/sites-available/default without its comments: used
# when this machine has none
DEBIAN_DEFAULT_SITE = """server {
	listen 80 default_server;
	listen [::]:80 default_server;
	root /var/www/html;
	index index.html index.htm index.nginx-debian.html;
	server_name _;
	location / {
		try_files $uri $uri/ =404;
	}
}
"""


def readme():
    with open(os.path.join(TOP_SRCDIR, "README.md")) as f:
        return f.read()


def clean_env():
    """The environment without make's and taskmgr's variables."""
    env = dict(os.environ)
    for k in list(env):
        if k in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "CONFIGURE_FLAGS") or \
                k.startswith("TASKMGR_"):
            del env[k]
    return env


# ---- the systemd units -------------------------------------------------------

LAYOUTS = {}    # configure flags -> (examples' folder, paths), once per file


def install_examples(flags):
    """Configures a fresh build with flags and installs its deployment examples
    into a DESTDIR; returns (the examples' folder, the build's paths)."""
    if tuple(flags) not in LAYOUTS:
        LAYOUTS[tuple(flags)] = configure_and_install(flags)
    return LAYOUTS[tuple(flags)]


def configure_and_install(flags):
    d = scratch_dir("deploy-")
    build, dest = os.path.join(d, "build"), os.path.join(d, "dest")
    os.mkdir(build)
    env = clean_env()
    p = subprocess.run([os.path.join(TOP_SRCDIR, "configure"), "-q"] + flags, cwd=build,
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, "configure %s: %s%s" % (flags, p.stdout, p.stderr[-3000:])
    p = subprocess.run(["make", "-s", "install-examplesDATA", "DESTDIR=" + dest],
                       cwd=build, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, "make install-examplesDATA: %s%s" % (p.stdout, p.stderr)
    # the paths as make expands them (prefix-relative defaults included)
    names = ("bindir", "sysconfdir", "localstatedir", "runstatedir", "pkgdatadir", "docdir")
    p = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-",
                        "print-paths"], cwd=build, env=env, capture_output=True, text=True,
                       input="print-paths:\n" + "".join(
                           "\t@echo '%s=$(%s)'\n" % (n, n) for n in names), timeout=60)
    assert p.returncode == 0, p.stderr
    paths = dict(line.split("=", 1) for line in p.stdout.split())
    examples = dest + paths["docdir"] + "/examples"
    for name in UNITS + ("nginx-taskmgr.conf", "taskmgr.conf.example",
                         "prometheus-taskmgr.yml", "taskmgr-alerts.yml"):
        assert os.path.isfile(os.path.join(examples, name)), "installed: " + name
    return examples, paths


def unit_entries(path):
    """A unit file's entries, of every section, as (key, value) pairs."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            k, v = line.split("=", 1)
            out.append((k, v))
    return out


def values(entries, key):
    return [v for k, v in entries if k == key]


def canon(path):
    """A path as the running system sees it (/var/run is /run)."""
    path = os.path.normpath(path)
    if path == "/var/run" or path.startswith("/var/run/"):
        path = path[len("/var"):]
    return path


def writable_dirs(entries):
    """The folders a unit may write: StateDirectory= (under /var/lib),
    RuntimeDirectory= (under /run) and ReadWritePaths=."""
    dirs = set()
    for v in values(entries, "StateDirectory"):
        dirs.update("/var/lib/" + n for n in v.split())
    for v in values(entries, "RuntimeDirectory"):
        dirs.update("/run/" + n for n in v.split())
    for v in values(entries, "ReadWritePaths"):
        dirs.update(canon(p.lstrip("-+")) for p in v.split())
    return dirs


def readme_config_file_mode():
    """(owner, group, mode) the README installs /etc/taskmgr.conf with."""
    m = re.search(r"install -o (\S+) -g (\S+) -m (0\d+) \S*taskmgr\.conf\.example "
                  r"/etc/taskmgr\.conf", readme())
    assert m, "README: install -o ... -m ... taskmgr.conf.example /etc/taskmgr.conf"
    return m.group(1), m.group(2), int(m.group(3), 8)


def check_layout(examples, paths):
    """Every path the units and examples name is the build's own."""
    state = canon(paths["localstatedir"] + "/lib/taskmgr")
    rundir = canon(paths["runstatedir"] + "/taskmgr")
    sock = paths["runstatedir"] + "/taskmgr/taskmgr.sock"
    conf = paths["sysconfdir"] + "/taskmgr.conf"
    programs = {paths["bindir"] + "/taskmgr", paths["bindir"] + "/taskmgr.fcgi"}
    owner, group, mode = readme_config_file_mode()
    m = re.search(r"adduser --system --group --home \S+ (\S+)\n", readme())
    assert m, "README: adduser --system --group --home ... USER"
    service_user = m.group(1)
    eq(mode & 0o007, 0, "the README's config file mode: no access for others")
    for name in UNITS + ("nginx-taskmgr.conf", "taskmgr.conf.example",
                         "prometheus-taskmgr.yml", "taskmgr-alerts.yml"):
        with open(os.path.join(examples, name)) as f:
            text = f.read()
        assert not re.search(r"@[A-Z_]+@", text), name + ": a placeholder left"
    for name in UNITS:
        e = unit_entries(os.path.join(examples, name))
        eq(values(e, "Environment"), ["TASKMGR_CONFIG=" + conf], name + " config")
        named = set()
        for v in values(e, "ExecStartPre") + values(e, "ExecStart"):
            named.update(t for t in v.split() if t.startswith("/"))
        extra = named - programs - set(SYSTEM_PROGRAMS) - {sock}
        eq(extra, set(), name + ": paths not of this build")
        assert programs & named, name + ": runs a program of this build"
        want = {state, rundir} if name == "taskmgr-fcgi.service" else {state}
        eq(writable_dirs(e), want, name + ": writable folders")
        if name == "taskmgr-fcgi.service":
            assert sock in named, name + ": the socket " + sock
        # the README's configuration file is readable by the unit's processes
        user = values(e, "User")
        eq(user, [service_user], name + " User=, the README's service user")
        groups = set(values(e, "Group"))
        for v in values(e, "SupplementaryGroups"):
            groups.update(v.split())
        readable = (user[0] == owner and mode & 0o400) or \
            (group in groups and mode & 0o040)
        assert readable, "%s: user %s, groups %s cannot read %s (%s:%s %04o)" % (
            name, user[0], sorted(groups), conf, owner, group, mode)
    with open(os.path.join(examples, "taskmgr.conf.example")) as f:
        example = f.read()
    assert re.search(r"^database = %s/taskmgr\.db$" % re.escape(
        paths["localstatedir"] + "/lib/taskmgr"), example, re.M), "database in the state folder"
    assert "templates_dir = %s/templates\n" % paths["pkgdatadir"] in example
    with open(os.path.join(examples, "nginx-taskmgr.conf")) as f:
        site = f.read()
    eq(sorted(set(re.findall(r"fastcgi_pass unix:(\S+);", site))), [sock], "nginx's socket")
    static = paths["pkgdatadir"] + "/static/"
    aliases = re.findall(r"alias (\S+);", site)
    assert static in aliases, ("static", aliases)
    eq([a for a in aliases if not a.startswith(static)], [], "aliases outside the static folder")


def verify_units(examples, paths):
    """systemd-analyze verify on the units, their programs of this build taken
    from the build folder (bindir is not installed here)."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        raise Skip("systemd-analyze is not installed")
    d = scratch_dir("verify-")
    bindir = os.path.join(d, "bin")
    os.mkdir(bindir)
    for prog in ("taskmgr", "taskmgr.fcgi"):
        os.symlink(os.path.join(TOP_BUILDDIR, prog), os.path.join(bindir, prog))
    files = []
    for name in UNITS:
        with open(os.path.join(examples, name)) as f:
            text = f.read()
        text = text.replace(paths["bindir"] + "/taskmgr", bindir + "/taskmgr")
        files.append(os.path.join(d, name))
        with open(files[-1], "w") as f:
            f.write(text)
    p = subprocess.run([tool, "verify", "--man=no"] + files, capture_output=True,
                       text=True, timeout=120)
    out = p.stdout + p.stderr
    eq(p.returncode, 0, "systemd-analyze verify: " + out)
    ours = [line for line in out.splitlines() if "taskmgr" in line]
    eq(ours, [], "systemd-analyze verify's findings")


OTHER_PATHS = ["--prefix=/opt/tm", "--localstatedir=/srv/tm/var"]


def readme_configure_flags():
    """The flags of the README's configure line (deployment, step 1)."""
    m = re.search(r"^1\. `\./configure ([^`&]*?) &&", readme(), re.M)
    assert m, "README: the configure line of the deployment's step 1"
    return m.group(1).split()


def test_units_with_other_paths():
    """--prefix=/opt/tm --localstatedir=/srv/tm/var: the units name the
    build's folders (no RuntimeDirectory=/StateDirectory=, whose folders
    would be /run/taskmgr and /var/lib/taskmgr)."""
    examples, paths = install_examples(OTHER_PATHS)
    eq(paths["localstatedir"], "/srv/tm/var", "localstatedir")
    eq(paths["runstatedir"], "/srv/tm/var/run", "runstatedir")
    check_layout(examples, paths)
    fcgi = unit_entries(os.path.join(examples, "taskmgr-fcgi.service"))
    eq(values(fcgi, "RuntimeDirectory") + values(fcgi, "StateDirectory"), [],
       "systemd's own folders")
    # the README says to make the socket's folder then
    assert "install -d -o taskmgr -g www-data -m 0750 $(runstatedir)/taskmgr" in readme()


def test_units_with_the_readme_paths():
    """The README's configure line: systemd makes /run/taskmgr and
    /var/lib/taskmgr (RuntimeDirectory=, StateDirectory=)."""
    examples, paths = install_examples(readme_configure_flags())
    eq(canon(paths["runstatedir"]), "/run", "runstatedir")
    check_layout(examples, paths)
    fcgi = unit_entries(os.path.join(examples, "taskmgr-fcgi.service"))
    eq(values(fcgi, "RuntimeDirectory"), ["taskmgr"], "RuntimeDirectory=")
    eq(values(fcgi, "StateDirectory"), ["taskmgr"], "StateDirectory=")
    for name in UNITS[1:]:
        eq(values(unit_entries(os.path.join(examples, name)), "StateDirectory"),
           ["taskmgr"], name + " StateDirectory=")
    text = readme()
    assert "spawn-fcgi -n -s /run/taskmgr/taskmgr.sock" in text, "README's socket"
    assert "--home /var/lib/taskmgr taskmgr" in text, "README's state folder"


def test_systemd_analyze_verify_accepts_the_units():
    """Both layouts' units pass systemd-analyze verify without a finding."""
    for flags in (readme_configure_flags(), OTHER_PATHS):
        verify_units(*install_examples(flags))


# ---- the nginx site ------------------------------------------------------------

def listen_on(text, port):
    """A site listening on 127.0.0.1:port and [::1]:port instead of port 80."""
    text = re.sub(r"listen 80\b", "listen 127.0.0.1:%d" % port, text)
    return re.sub(r"listen \[::\]:80\b", "listen [::1]:%d" % port, text)


def nginx_prefix(sock, default_site):
    """An nginx folder laid out like Debian's /etc/nginx: nginx.conf includes
    sites-enabled/*, where the build's site is enabled and, when default_site,
    a copy of Debian's default site.  Returns (folder, port)."""
    d = scratch_dir("nginx-")
    for name in ("fastcgi_params", "mime.types"):
        shutil.copy(os.path.join("/etc/nginx", name), d)
    port = free_port()
    os.mkdir(os.path.join(d, "sites-enabled"))
    with open(os.path.join(TOP_BUILDDIR, "conf", "nginx-taskmgr.conf")) as f:
        site = f.read()
    site = re.sub(r"fastcgi_pass unix:\S+;", "fastcgi_pass unix:%s;" % sock, site)
    site = re.sub(r"alias \S+;", "alias %s/;" % os.path.join(TOP_SRCDIR, "static"), site)
    site = site.replace("/var/log/nginx/", d + "/")
    with open(os.path.join(d, "sites-enabled", "taskmgr"), "w") as f:
        f.write(listen_on(site, port))
    if default_site:
        try:
            with open("/etc/nginx/sites-available/default") as f:
                text = f.read()
        except OSError:
            text = DEBIAN_DEFAULT_SITE
        with open(os.path.join(d, "sites-enabled", "default"), "w") as f:
            f.write(listen_on(text, port))
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("""%(user)s
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 64; }
http {
    include mime.types;
    access_log off;
    client_body_temp_path %(d)s/body;
    fastcgi_temp_path %(d)s/fastcgi;
    proxy_temp_path %(d)s/proxy;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    include %(d)s/sites-enabled/*;
}
""" % {"d": d, "user": "user root;" if os.geteuid() == 0 else ""})
    return d, port


def nginx_env():
    """The environment without NGINX (to nginx, inherited listening sockets)."""
    env = dict(os.environ)
    env.pop("NGINX", None)
    return env


def nginx_t(d):
    p = subprocess.run([NGINX, "-t", "-p", d, "-c", os.path.join(d, "nginx.conf"),
                        "-e", os.path.join(d, "error.log")],
                       env=nginx_env(), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def test_nginx_site_beside_debians_default_is_refused_not_shadowed():
    """Both enabled: no 'conflicting server name' (the default site would take
    every request); nginx -t stops and names the duplicate default server."""
    d, _ = nginx_prefix("/nonexistent/taskmgr.sock", default_site=True)
    rc, out = nginx_t(d)
    assert "conflicting server name" not in out, out
    assert rc != 0, "nginx -t accepts both default sites: " + out
    assert "duplicate default server" in out, out
    assert "sites-enabled/" in out, "the message names the file: " + out


def test_nginx_site_after_the_readme_steps_gets_the_requests():
    """With Debian's default site removed as the README says, nginx -t passes
    without a warning and requests, whatever their Host, reach taskmgr."""
    text = readme()
    assert "sudo rm /etc/nginx/sites-enabled/default" in text, "README's step"
    assert "sudo nginx -t" in text
    srv = Server(workers=1).start()
    nginx = None
    try:
        d, port = nginx_prefix(srv.sock, default_site=True)
        os.unlink(os.path.join(d, "sites-enabled", "default"))     # the README's rm
        rc, out = nginx_t(d)
        eq(rc, 0, "nginx -t: " + out)
        eq([line for line in out.splitlines() if "[warn]" in line or "[emerg]" in line],
           [], "nginx -t's warnings")
        nginx = subprocess.Popen([NGINX, "-p", d, "-c", os.path.join(d, "nginx.conf"),
                                  "-e", os.path.join(d, "error.log"), "-g", "daemon off;"],
                                 env=nginx_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        for host in ("localhost", "tasks.example.org", "127.0.0.1"):
            status, body = get_when_up(port, "/api/health/", host, nginx)
            eq(status, 200, "health through the site, Host " + host)
            assert b'"schema_version"' in body, body
    finally:
        if nginx is not None:
            _terminate(nginx.pid, nginx)
        srv.stop()


def get_when_up(port, path, host, nginx):
    """GET path with a Host header once nginx listens (10 s at most)."""
    deadline = time.time() + 10
    while True:
        assert nginx.poll() is None, "nginx exited: %s" % nginx.stderr.read()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": host})
            r = conn.getresponse()
            return r.status, r.read()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
        finally:
            conn.close()


if __name__ == "__main__":
    run_tests(globals())
