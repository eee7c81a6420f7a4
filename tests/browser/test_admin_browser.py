#!/usr/bin/env python3
"""The admin pages in headless Chromium (Debian's chromium + chromium-driver,
driven by python3-selenium): log in, create a list and a task, assign it,
change its status in the list, comment on it and delete the comment on its
page (which shows its history), filter, log out; check that the stylesheet
applies, that the CSP reports nothing, that a phone-sized window needs no
sideways scrolling, that long names are cut with an ellipsis and tables fit
a desktop and a phone window, that the favicon loads; save screenshots of the
task list into the build dir.

Selenium is Debian's python3-selenium, so this file re-runs itself with the
system python3 when the current one lacks it, and skips when the browser or
the driver is missing."""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PYTHON = "/usr/bin/python3"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or \
    "/usr/bin/chromedriver"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

try:
    import selenium  # noqa: F401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.path.exists(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("1..0 # SKIP python3-selenium is not installed")
    sys.exit(0)
if not (os.path.exists(CHROMEDRIVER) and os.path.exists(CHROMIUM)):
    print("1..0 # SKIP chromium and chromium-driver are not installed")
    sys.exit(0)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "api"))
from harness import Server, TOP_BUILDDIR, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, db, register  # noqa: E402

S = None
D = None
PROFILE = None
IDS = {}
SHOT = os.path.join(TOP_BUILDDIR, "tests", "browser", "screenshot-tasks.png")


def setup_module():
    global S, D, PROFILE
    S = Server(workers=2).start()
    S.create_user("boss", PW)
    IDS["alice"] = register(S, "alice")
    IDS["bob"] = register(S, "bob")
    PROFILE = tempfile.mkdtemp(prefix="chromium-", dir=os.path.join(TOP_BUILDDIR, "tests", "tmp"))
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + PROFILE, "--window-size=1280,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    D = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    D.set_page_load_timeout(30)


def teardown_module():
    if D is not None:
        D.quit()
    if S is not None:
        S.stop()
    if PROFILE:
        shutil.rmtree(PROFILE, ignore_errors=True)


def go(path):
    D.get(S.url(path))


def click(by, what):
    """Clicks what and waits until the page it leads to has replaced this one."""
    old = D.find_element(By.TAG_NAME, "html")
    D.find_element(by, what).click()

    def replaced(d):
        try:
            old.is_enabled()
            return False
        except WebDriverException:     # stale, or its document is being torn down
            return True

    def loaded(d):
        try:
            return d.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False
    WebDriverWait(D, 20).until(replaced)
    WebDriverWait(D, 20).until(loaded)


def h1():
    return D.find_element(By.TAG_NAME, "h1").text


def one(sql, *args):
    with db(S) as c:
        return c.execute(sql, args).fetchone()


def row(task_id):
    return D.find_element(By.ID, "task-%d" % task_id)


def csp_reports():
    return [e["message"] for e in D.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def test_login():
    go("/admin/tasks/")
    assert D.current_url.startswith(S.url("/admin/login/?next=")), D.current_url
    eq(h1(), "Log in", "login page")
    D.find_element(By.NAME, "username").send_keys("boss")
    D.find_element(By.NAME, "password").send_keys("wrong password")
    click(By.CSS_SELECTOR, "button[type=submit]")
    assert "correct username and password" in D.find_element(By.CSS_SELECTOR, ".message.error").text
    eq(D.find_element(By.NAME, "username").get_attribute("value"), "boss", "kept")
    D.find_element(By.NAME, "password").send_keys(PW)
    click(By.CSS_SELECTOR, "section.login button[type=submit]")
    eq(D.current_url, S.url("/admin/tasks/"), "back where we wanted to go")
    eq(h1(), "Tasks", "task page")
    assert D.get_cookie("sessionid")["httpOnly"], "HttpOnly session cookie"


def test_stylesheet_applies_and_csp_is_quiet():
    go("/admin/")
    eq(h1(), "Site administration", "index")
    bg = D.execute_script(
        "return getComputedStyle(document.querySelector('header.site')).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent"), "admin.css applied: %r" % bg
    eq(csp_reports(), [], "no CSP violations")


def test_create_list():
    click(By.LINK_TEXT, "Lists")
    click(By.LINK_TEXT, "Add list")
    eq(h1(), "Add list", "form")
    D.find_element(By.NAME, "name").send_keys("Groceries")
    Select(D.find_element(By.NAME, "owner")).select_by_visible_text("alice")
    click(By.CSS_SELECTOR, "form.edit button.primary")
    assert "The change was saved." in D.page_source
    row_ = one("SELECT id, owner_id FROM lists WHERE name = 'Groceries'")
    eq(row_[1], IDS["alice"], "owner")
    IDS["list"] = row_[0]


def test_create_task():
    go("/admin/tasks/")
    click(By.LINK_TEXT, "Add task")
    Select(D.find_element(By.NAME, "list")).select_by_visible_text("Groceries (alice)")
    D.find_element(By.NAME, "name").send_keys("Buy milk")
    D.find_element(By.NAME, "description").send_keys("Two litres, <b>oat</b>")
    click(By.CSS_SELECTOR, "form.edit button[name=_save]")
    assert "The change was saved." in D.page_source
    t = one("SELECT id, status, assigned_to, description FROM tasks WHERE name = 'Buy milk'")
    eq(t[1:], ("Pending", None, "Two litres, <b>oat</b>"), "stored as typed")
    IDS["task"] = t[0]
    eq(D.find_element(By.NAME, "description").get_attribute("value"),
       "Two litres, <b>oat</b>", "shown as text")


def test_assign_inline():
    go("/admin/tasks/")
    tid = IDS["task"]
    Select(row(tid).find_element(By.NAME, "assigned_to-%d" % tid)).select_by_visible_text("bob")
    click(By.CSS_SELECTOR, "form.bulk button[name=_save]")
    assert "The changes were saved." in D.page_source
    eq(one("SELECT assigned_to, status FROM tasks WHERE id = ?", tid),
       (IDS["bob"], "In Progress"), "assigned; the status machine moved it")
    eq(Select(row(tid).find_element(By.NAME, "status-%d" % tid)).first_selected_option.text,
       "In Progress", "shown")


def test_comment_and_history_on_the_task_page():
    tid = IDS["task"]
    go("/admin/tasks/%d/" % tid)
    hist = D.find_element(By.ID, "history").text
    assert "created" in hist and "updated" in hist and "assigned_to" in hist, hist
    D.find_element(By.ID, "id_comment").send_keys("Oat, not <b>cow</b>")
    click(By.CSS_SELECTOR, "#comments button[name=_comment]")
    assert "The comment was added." in D.page_source
    eq(one("SELECT c.text, u.username FROM comments c JOIN users u ON u.id = c.author_id"
           " WHERE c.task_id = ?", tid), ("Oat, not <b>cow</b>", "boss"), "stored")
    shown = D.find_element(By.CSS_SELECTOR, "#comments ol.comments li")
    assert "boss" in shown.text and "Oat, not <b>cow</b>" in shown.text, shown.text
    assert "commented" in D.find_element(By.ID, "history").text, "in the history"
    # the bob's notice of it waits in the outbox (the assignee, not the author)
    eq(one("SELECT count(*) FROM outbox WHERE user_id = ? AND text LIKE '%Oat, not%'",
           IDS["bob"]), (1,), "the assignee's notice")
    click(By.CSS_SELECTOR, "#comments ol.comments li button")
    assert "The comment was deleted." in D.page_source
    eq(one("SELECT count(*) FROM comments WHERE task_id = ?", tid), (0,), "deleted")
    eq(csp_reports(), [], "no CSP violations")


def seed_more():
    """More rows for a telling screenshot, through the same pages."""
    a = Admin(S)
    a.login("boss")
    a.get("/admin/lists/add/")
    r = a.post("/admin/lists/add/", {"name": "Release 1.0", "owner": str(IDS["bob"])})
    lid = int(r.header("Location").split("/")[-2])
    for name, who, due, st in (("Write the changelog", "alice", "2031-03-01T12:00", "Pending"),
                               ("Tag the release", "bob", "2031-03-02T09:30", "Pending"),
                               ("Update the screenshots", "", "", "Pending"),
                               ("Fix the login throttle", "bob", "2024-01-05T18:00", "Overdue"),
                               ("Review the admin CSS", "alice", "", "Completed")):
        a.get("/admin/tasks/add/")
        r = a.post("/admin/tasks/add/", {"list": str(lid), "name": name, "description": "",
                                         "assigned_to": str(IDS[who]) if who else "",
                                         "complete_before": due, "status": st})
        assert r.status == 302, r


def test_change_status_inline_and_filter():
    seed_more()
    go("/admin/tasks/")
    tid = IDS["task"]
    Select(row(tid).find_element(By.NAME, "status-%d" % tid)).select_by_visible_text("Completed")
    click(By.CSS_SELECTOR, "form.bulk button[name=_save]")
    assert "The changes were saved." in D.page_source
    eq(one("SELECT status FROM tasks WHERE id = ?", tid), ("Completed",), "completed")
    Select(D.find_element(By.ID, "id_fstatus")).select_by_visible_text("Completed")
    click(By.CSS_SELECTOR, "form.filters button[type=submit]")
    assert "status=Completed" in D.current_url, D.current_url
    names = [e.text for e in D.find_elements(By.CSS_SELECTOR, "table.results tbody th a")]
    eq(sorted(names), ["Buy milk", "Review the admin CSS"], "filtered by status")
    Select(D.find_element(By.ID, "id_flist")).select_by_visible_text("Groceries (alice)")
    click(By.CSS_SELECTOR, "form.filters button[type=submit]")
    names = [e.text for e in D.find_elements(By.CSS_SELECTOR, "table.results tbody th a")]
    eq(names, ["Buy milk"], "and by list")
    click(By.LINK_TEXT, "Clear")
    Select(D.find_element(By.ID, "id_fassignee")).select_by_visible_text("alice")
    click(By.CSS_SELECTOR, "form.filters button[type=submit]")
    names = [e.text for e in D.find_elements(By.CSS_SELECTOR, "table.results tbody th a")]
    eq(sorted(names), ["Review the admin CSS", "Write the changelog"], "by assignee")


def test_screenshot_of_the_task_list():
    go("/admin/tasks/?o=deadline")
    eq(h1(), "Tasks", "task list")
    # the whole list with its reminders lines, the save button and the total
    D.set_window_size(1200, 900)
    os.makedirs(os.path.dirname(SHOT), exist_ok=True)
    assert D.save_screenshot(SHOT), "screenshot"
    assert os.path.getsize(SHOT) > 1000
    print("# screenshot: %s" % SHOT)
    D.set_window_size(1280, 900)


def test_phone_width_needs_no_sideways_scroll():
    D.set_window_size(390, 844)
    try:
        for path in ("/admin/", "/admin/tasks/", "/admin/tasks/%d/" % IDS["task"],
                     "/admin/users/", "/admin/lists/"):
            go(path)
            over = D.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            assert over <= 0, "%s overflows a phone screen by %dpx" % (path, over)
    finally:
        D.set_window_size(1280, 900)
    eq(csp_reports(), [], "no CSP violations")


LONG_TASK = "\u00dc" * 200                        # 200 two-byte characters, no space
LONG_LIST = "Quarterly-planning-" + "x" * 181


def fits(path):
    """Loads path; the ways its table could overflow: [table right edge past
    the viewport, sideways scroll inside the table's box, of the page]."""
    go(path)
    return D.execute_script("""
        var t = document.querySelector('table.results'), r = t.getBoundingClientRect();
        var box = t.parentElement;
        return [r.right - window.innerWidth, box.scrollWidth - box.clientWidth,
                document.documentElement.scrollWidth - window.innerWidth];""")


def test_long_names_are_cut_and_tables_fit_desktop_and_phone():
    a = Admin(S)
    a.login("boss")
    a.get("/admin/lists/add/")
    r = a.post("/admin/lists/add/", {"name": LONG_LIST, "owner": str(IDS["alice"])})
    lid = int(r.header("Location").split("/")[-2])
    a.get("/admin/tasks/add/")
    r = a.post("/admin/tasks/add/", {"list": str(lid), "name": LONG_TASK, "description": "",
                                     "assigned_to": str(IDS["bob"]),
                                     "complete_before": "2031-05-01T10:00", "status": "Pending"})
    tid = int(r.header("Location").split("/")[-2])
    try:
        for w, h in ((1280, 900), (390, 844)):
            D.set_window_size(w, h)
            for path in ("/admin/tasks/", "/admin/lists/", "/admin/users/"):
                eq([max(0, round(x)) for x in fits(path)], [0, 0, 0],
                   "%s at %dpx: overflow of the table, its box, the page" % (path, w))
            go("/admin/tasks/")
            for sel, full in (("th a.cut", LONG_TASK), ("td a.cut", LONG_LIST)):
                e = row(tid).find_element(By.CSS_SELECTOR, sel)
                eq(e.get_attribute("title"), full, "the whole name on hover")
                eq(e.value_of_css_property("text-overflow"), "ellipsis", "cut with an ellipsis")
                assert D.execute_script(
                    "return arguments[0].scrollWidth > arguments[0].clientWidth", e), \
                    "%s is cut at %dpx" % (full[:20], w)
            if w == 390:
                shot = os.path.join(os.path.dirname(SHOT), "screenshot-tasks-phone.png")
                assert D.save_screenshot(shot) and os.path.getsize(shot) > 1000
            go("/admin/tasks/%d/" % tid)
            eq(h1(), "Change task " + LONG_TASK, "whole on the edit page")
            eq(D.find_element(By.NAME, "name").get_attribute("value"), LONG_TASK, "in the form")
            over = D.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            assert over <= 0, "the edit page overflows by %dpx at %dpx" % (over, w)
    finally:
        D.set_window_size(1280, 900)
    eq(csp_reports(), [], "no CSP violations")


def test_favicon_loads():
    go("/admin/")
    href = D.find_element(By.CSS_SELECTOR, "link[rel=icon]").get_attribute("href")
    eq(href, S.url("/static/favicon.svg"), "linked from every page")
    for src in (href, S.url("/favicon.ico")):
        size = D.execute_async_script("""
            var done = arguments[1], img = new Image();
            img.onload = function () { done(img.naturalWidth); };
            img.onerror = function () { done(-1); };
            img.src = arguments[0];""", src)
        assert size > 0, "%s does not load as an image: %r" % (src, size)
    eq(csp_reports(), [], "no CSP violations")


def test_members_add_change_remove():
    """The list page's members: add bob as a viewer by username, make him an
    editor, remove him -- each through the page's forms (CSRF included)."""
    IDS["carol"] = register(S, "carol")
    go("/admin/lists/%d/" % IDS["list"])
    eq(D.find_element(By.ID, "members").text, "Members", "the section")
    assert "No members" in D.find_element(By.CSS_SELECTOR, "table.members").text
    D.find_element(By.ID, "id_member_username").send_keys("bob")
    Select(D.find_element(By.ID, "id_member_role")).select_by_visible_text("viewer")
    click(By.CSS_SELECTOR, "#add-member button[type=submit]")
    assert "The member was added." in D.page_source
    eq(one("SELECT role FROM list_members WHERE list_id = ? AND user_id = ?",
           IDS["list"], IDS["bob"]), ("viewer",), "stored")
    D.find_element(By.ID, "id_member_username").send_keys("carol")
    Select(D.find_element(By.ID, "id_member_role")).select_by_visible_text("editor")
    click(By.CSS_SELECTOR, "#add-member button[type=submit]")
    names = [e.text for e in D.find_elements(By.CSS_SELECTOR, "table.members tbody td a")]
    eq(names, ["bob", "carol"], "listed")
    form = D.find_element(By.CSS_SELECTOR, "form[action$='/members/%d/']" % IDS["bob"])
    Select(form.find_element(By.NAME, "role")).select_by_visible_text("editor")
    click(By.CSS_SELECTOR, "form[action$='/members/%d/'] button[value=role]" % IDS["bob"])
    assert "The member's role was changed." in D.page_source
    eq(one("SELECT role FROM list_members WHERE list_id = ? AND user_id = ?",
           IDS["list"], IDS["bob"]), ("editor",), "changed")
    click(By.CSS_SELECTOR, "form[action$='/members/%d/'] button[value=remove]" % IDS["bob"])
    assert "The member was removed." in D.page_source
    names = [e.text for e in D.find_elements(By.CSS_SELECTOR, "table.members tbody td a")]
    eq(names, ["carol"], "bob is gone")
    eq(one("SELECT count(*) FROM list_members WHERE list_id = ?", IDS["list"]), (1,), "stored")
    shot = os.path.join(TOP_BUILDDIR, "tests", "browser", "screenshot-members.png")
    assert D.save_screenshot(shot), "screenshot"
    eq(csp_reports(), [], "no CSP violations")


def test_logout():
    go("/admin/")
    click(By.CSS_SELECTOR, "form.logout button")
    eq(h1(), "Logged out", "logged out")
    assert D.get_cookie("sessionid") is None, "cookie cleared"
    go("/admin/tasks/")
    assert D.current_url.startswith(S.url("/admin/login/")), D.current_url


if __name__ == "__main__":
    run_tests(globals())
