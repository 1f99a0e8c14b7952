"""The HTML report in a real browser: pcaps/honeynet.pcap goes sensor -> ZeroMQ -> collector ->
report --format html, and headless Chromium (through chromedriver and Selenium, Debian's
chromium, chromium-driver and python3-selenium) opens it. Checked: it loads with no console
error; the first screen names the period and ranks first the host the generator compromised
(pcaps/honeynet.truth.json); a click on a numeric column header sorts the table both ways; the
filter box hides the rows without the text typed; long values are complete on the page.
Screenshots of the first screen and of every chart go to SHOT_DIR.

usage: report_browser_test.py SENSOR COLLECTOR PCAP_DIR SHOT_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-selenium lives there


def reexec_with_system_python():
    try:
        import selenium  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.path.exists(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("SKIP: python3-selenium is not installed")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


reexec_with_system_python()

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tw_common  # noqa: E402


def build_report(sensor, collector, pcap_dir, tmp, truth):
    db = os.path.join(tmp, "flows.db")
    endpoint = "tcp://127.0.0.1:%d" % tw_common.free_tcp_port()
    col = subprocess.Popen([collector, "--connect", endpoint, "--db", db,
                            "--exit-after-final", "1", "--idle-exit", "120", "--quiet"])
    s = subprocess.run([sensor, "-r", os.path.join(pcap_dir, "honeynet.pcap"), "--publish",
                        endpoint, "--sensor-id", "honeynet", "--wait-subscribers", "1",
                        "--stats-interval", "3600", "-q"], capture_output=True, text=True,
                       timeout=300)
    assert s.returncode == 0, s.stderr
    col.wait(timeout=300)
    args = [collector, "report", "--db", db, "--honeynet"]
    for h in truth["home"]:
        args += ["--home", h]
    html = os.path.join(tmp, "report.html")
    r = subprocess.run(args + ["--format", "html", "--out", html], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    j = subprocess.run(args + ["--format", "json"], capture_output=True, text=True, timeout=300)
    assert j.returncode == 0, j.stderr
    return html, json.loads(j.stdout)


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1000",
              "--disable-dev-shm-usage"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def column_values(table, col):
    vals = []
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cell = row.find_elements(By.TAG_NAME, "td")[col]
        v = cell.get_attribute("data-v")
        vals.append(float(v) if v is not None else cell.text)
    return vals


def main():
    sensor, collector, pcap_dir, shot_dir = sys.argv[1:5]
    os.makedirs(shot_dir, exist_ok=True)
    truth = json.load(open(os.path.join(pcap_dir, "honeynet.truth.json")))
    failures = []

    def check(name, ok, detail=""):
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
        if not ok:
            failures.append(name)

    with tempfile.TemporaryDirectory() as tmp:
        html, report = build_report(sensor, collector, pcap_dir, tmp, truth)
        d = browser()
        try:
            d.get("file://" + html)
            check("page title", d.title == "tapwatch report", d.title)
            errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
            check("no console error", not errors, errors)
            d.save_screenshot(os.path.join(shot_dir, "first_screen.png"))

            story = d.find_element(By.ID, "story").text
            check("first screen states the period",
                  report["meta"]["first"] in story and report["meta"]["last"] in story, story[:200])
            findings = d.find_elements(By.CSS_SELECTOR, "#story ol.findings > li")
            compromised = truth["compromised"][0]["host"]
            check("first finding is the compromised host",
                  findings and findings[0].text.startswith(compromised),
                  findings[0].text if findings else "no finding")
            check("each finding links its evidence and its flows",
                  all(f.find_elements(By.CSS_SELECTOR, "a[href^='#']") and
                      "tapwatch-collector flows" in f.text for f in findings), "")

            # Sorting: the hosts table by a numeric column, both ways.
            table = d.find_element(By.CSS_SELECTOR, "#hosts table.sortable")
            headers = [th.text.strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
            col = next(i for i, h in enumerate(headers) if "packets" in h)
            before = column_values(table, col)
            table.find_elements(By.CSS_SELECTOR, "thead th")[col].click()
            asc = column_values(table, col)
            check("a click sorts ascending", asc == sorted(before), asc[:10])
            table.find_elements(By.CSS_SELECTOR, "thead th")[col].click()
            desc = column_values(table, col)
            check("a second click sorts descending", desc == sorted(before, reverse=True),
                  desc[:10])
            check("sorting reorders the rows", asc != before or desc != before, "")

            # Filtering: type a host; every visible row holds it, the others are hidden.
            boxes = d.find_elements(By.CSS_SELECTOR, "input.filter")
            check("long tables have a filter box", len(boxes) > 0, "")
            if boxes:
                box = boxes[0]
                t = box.find_element(By.XPATH, "following-sibling::table[1]")
                rows = t.find_elements(By.CSS_SELECTOR, "tbody tr")
                needle = rows[-1].find_elements(By.TAG_NAME, "td")[0].text
                box.send_keys(needle)
                shown = [r for r in rows if r.is_displayed()]
                check("filter keeps the matching rows",
                      shown and all(needle.lower() in r.get_attribute("textContent").lower()
                                    for r in shown) and
                      len(shown) < len(rows), "%d of %d shown for %r" % (len(shown), len(rows),
                                                                          needle))

            # No silent truncation: every long value has its full text on the page.
            page = d.page_source
            check("no cell cut with '...'", "...</td>" not in page, "")
            quiet = d.find_elements(By.CSS_SELECTOR, "details.quiet")
            quiet_keys = [q.get_attribute("id") for q in quiet]
            empty_keys = [k for k, v in report.items() if k != "meta" and isinstance(v, dict) and
                          not any(isinstance(x, list) and x and isinstance(x[0], dict)
                                  for x in v.values())]
            check("sections with nothing to show are one line", sorted(quiet_keys) ==
                  sorted(empty_keys), "%s vs %s" % (quiet_keys, empty_keys))

            charts = d.find_elements(By.CSS_SELECTOR, "svg")
            check("charts present", len(charts) >= 3, len(charts))
            for i, svg in enumerate(charts):
                d.execute_script("arguments[0].scrollIntoView()", svg)
                title = svg.find_element(By.TAG_NAME, "title").get_attribute("textContent")
                name = "".join(c if c.isalnum() else "_" for c in title)[:60]
                svg.screenshot(os.path.join(shot_dir, "chart_%02d_%s.png" % (i, name)))
            errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
            check("no console error after interaction", not errors, errors)
        finally:
            d.quit()
    print("screenshots in " + shot_dir)
    if failures:
        print("FAILED: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
