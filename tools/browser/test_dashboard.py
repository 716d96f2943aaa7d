"""The dashboard in a real browser (headless Chromium through chromedriver).

Run by tools/browser/run.sh, which starts `yieldline serve` over a demo workspace and
passes its URL and three tokens (viewer, analyst, admin) in YL_* variables.
"""

import base64
import json
import os
import pathlib
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["YL_URL"]
WS = os.environ["YL_WS"]
WS_DIR = pathlib.Path(os.environ["YL_DIR"])
TOKENS = {r: os.environ[f"YL_{r.upper()}"] for r in ("viewer", "analyst", "admin")}
SHOTS = pathlib.Path(__file__).parent / "screenshots"


def api(path, token=TOKENS["admin"]):
    req = urllib.request.Request(
        f"{URL}/api/v1/workspaces/{WS}/{path}",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


@pytest.fixture()
def driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1366,768",
    ):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(180)
    yield d
    d.quit()


def wait_for(d, css):
    """The element `css` once the page that has it has loaded (after a form's submit)."""
    WebDriverWait(d, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    return d.find_element(By.CSS_SELECTOR, css)


def sign_in(d, role):
    d.get(f"{URL}/login")
    d.find_element(By.NAME, "token").send_keys(TOKENS[role])
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(d, "li.station")
    assert d.current_url.endswith("/line"), d.current_url


def console_errors(d):
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(d, name):
    SHOTS.mkdir(exist_ok=True)
    shot = d.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def test_sign_in_with_a_token_and_a_wrong_token_is_refused(driver):
    driver.get(f"{URL}/line")
    assert driver.current_url.endswith("/login"), "signed-out pages send to /login"
    driver.find_element(By.NAME, "token").send_keys("yl_not-a-token")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert driver.current_url.endswith("/login")
    msg = wait_for(driver, "#login-error").text
    assert "unknown or revoked token" in msg
    screenshot(driver, "login-refused")
    assert not driver.get_cookies(), "a refused sign-in sets no cookie"
    sign_in(driver, "analyst")
    (cookie,) = driver.get_cookies()
    assert cookie["name"] == "yl_session"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert WS in driver.find_element(By.CSS_SELECTOR, "header .who").text
    driver.find_element(By.CSS_SELECTOR, "header .who button").click()
    wait_for(driver, "input[name=token]")
    assert driver.current_url.endswith("/login")
    driver.get(f"{URL}/watch")
    assert driver.current_url.endswith("/login"), "signed out: the session is gone"


def pages():
    report = api("report")
    station = report["stations"][1]["id"]
    experiment = api("experiments")[0]["id"]
    return [
        ("line", "/line"),
        ("line-period", f"/line?from={report['from']}&to={report['to']}"),
        ("station", f"/station/{station}"),
        ("experiments", "/experiments"),
        ("experiment", f"/experiments/{experiment}"),
        ("plan", "/plan"),
        ("plan-target", "/plan?target=4"),
        ("watch", "/watch"),
        ("orders", "/orders"),
        ("import", "/import"),
    ]


def test_every_page_loads_without_a_console_error(driver):
    sign_in(driver, "admin")
    console_errors(driver)
    for name, path in pages():
        driver.get(URL + path)
        h1 = driver.find_element(By.TAG_NAME, "h1").text
        assert h1, f"{path}: no heading"
        alerts = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "main .alert")]
        assert not alerts, f"{path}: {alerts}"
        errors = console_errors(driver)
        assert not errors, f"{path}: {errors}"
        screenshot(driver, name)


def test_the_line_page_shows_the_apis_station_yields(driver):
    sign_in(driver, "viewer")
    report = api("report", TOKENS["viewer"])
    shown = {
        li.get_attribute("data-station"): li.find_element(By.CSS_SELECTOR, ".yield").text
        for li in driver.find_elements(By.CSS_SELECTOR, "li.station")
    }
    expected = {s["id"]: f"{s['yield'] * 100:.1f}%" for s in report["stations"]}
    assert shown == expected
    neck = driver.find_element(By.CSS_SELECTOR, "li.station.bottleneck")
    assert neck.get_attribute("data-station") == report["bottleneck"]


def upload(d, path, kind="events"):
    d.get(f"{URL}/import")
    d.find_element(By.CSS_SELECTOR, f"input[name=kind][value={kind}]").click()
    d.find_element(By.ID, "file").send_keys(str(path))
    d.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()


def test_a_bad_row_is_shown_with_its_line_and_field_and_the_store_is_unchanged(
    driver, tmp_path
):
    sign_in(driver, "analyst")
    lines = (WS_DIR / "events.csv").read_text().splitlines()
    before = api("report")
    bad = tmp_path / "bad-events.csv"
    fields = lines[2].split(",")
    fields[0] = "ev-browser-new"
    fields[1] = "yesterday"
    bad.write_text("\n".join([lines[0], lines[1], ",".join(fields)]) + "\n")
    upload(driver, bad)
    row = wait_for(driver, ".result.bad .bad-row")
    assert row.find_element(By.CSS_SELECTOR, "[data-line]").text == "3"
    assert row.find_element(By.CSS_SELECTOR, "[data-field]").text == "ts"
    assert "bad-events.csv" in driver.find_element(By.CSS_SELECTOR, ".result.bad pre").text
    screenshot(driver, "import-bad-row")
    assert api("report") == before, "a refused file leaves the store unchanged"
    good = tmp_path / "known-events.csv"
    good.write_text("\n".join(lines[:3]) + "\n")
    upload(driver, good)
    summary = wait_for(driver, ".result.ok").text
    assert "read\n2" in summary and "already there\n2" in summary, summary
    screenshot(driver, "import-summary")
    assert api("report") == before, "re-importing known events changes nothing"


def test_a_viewer_has_no_import_controls_and_its_posts_are_refused(driver):
    sign_in(driver, "viewer")
    for _, path in pages():
        driver.get(URL + path)
        assert not driver.find_elements(By.CSS_SELECTOR, "input[type=file]"), path
        assert not driver.find_elements(By.CSS_SELECTOR, "a[href='/import']"), path
        assert not driver.find_elements(By.CSS_SELECTOR, "form[method=post][action='/import']"), path
    before = api("report")
    driver.get(f"{URL}/line")
    csrf = driver.find_element(By.CSS_SELECTOR, "header input[name=csrf]").get_attribute("value")
    assert len(csrf) == 64
    lines = (WS_DIR / "events.csv").read_text().splitlines()
    fields = lines[1].split(",")
    fields[0] = "ev-viewer-new"
    body = lines[0] + "\n" + ",".join(fields) + "\n"
    status, text = driver.execute_async_script(
        """
        const [csrf, body, done] = arguments;
        const form = new FormData();
        form.append("csrf", csrf);
        form.append("kind", "events");
        form.append("file", new Blob([body], {type: "text/csv"}), "viewer.csv");
        fetch("/import", {method: "POST", body: form})
          .then(async r => done([r.status, await r.text()]));
        """,
        csrf,
        body,
    )
    assert status == 403, text
    assert "needs analyst" in text
    driver.get(f"{URL}/import")
    assert "403" in driver.find_element(By.TAG_NAME, "main").text or "needs role analyst" in driver.page_source
    screenshot(driver, "viewer-import-refused")
    assert api("report") == before, "the viewer's post changed nothing"


def test_hovering_the_control_chart_shows_the_days_counts(driver):
    from selenium.webdriver.common.action_chains import ActionChains

    sign_in(driver, "viewer")
    station = api("report", TOKENS["viewer"])["stations"][1]["id"]
    driver.get(f"{URL}/station/{station}")
    chart = driver.find_element(By.CSS_SELECTOR, "figure.spc-fig svg")
    tip = driver.find_element(By.CSS_SELECTOR, "figure.spc-fig .tip")
    assert not tip.is_displayed()
    ActionChains(driver).move_to_element(chart).perform()
    assert tip.is_displayed()
    points = api(f"drift?station={station}", TOKENS["viewer"])["stations"][0]["points"]
    days = {p["day"]: p for p in points}
    day, rest = tip.text.split(": ", 1)
    p = days[day]
    assert rest.startswith(f"{round(p['n'] * p['yield'])} passed of {p['n']} ")
    assert not console_errors(driver)
