"""Loads the Line page in headless Chromium and prints Navigation Timing and the bytes
transferred; the peer is GET …/report on a fresh store generation (see bench_line.sh)."""

import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

url, token, ws, events = sys.argv[1:5]


def api_report_s(query=""):
    req = urllib.request.Request(
        f"{url}/api/v1/workspaces/{ws}/report{query}", headers={"Authorization": f"Bearer {token}"}
    )
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        r.read()
    return time.perf_counter() - t


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--window-size=1366,768"):
    opts.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.set_page_load_timeout(600)
try:
    d.get(f"{url}/login")
    d.find_element(By.NAME, "token").send_keys(token)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    rows = []
    # Cold: a period not computed yet (the sign-in's redirect computed the default one).
    for label, path in (("cold (new period)", "/line?to=2099-12-31"), ("warm (cached)", "/line"),
                        ("warm again", "/line")):
        d.get(url + path)
        nav = d.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "const r = performance.getEntriesByType('resource');"
            "return {interactive: n.domInteractive, load: n.loadEventEnd,"
            " page: n.transferSize, decoded: n.decodedBodySize,"
            " resources: r.reduce((s, e) => s + e.transferSize, 0),"
            " resources_decoded: r.reduce((s, e) => s + e.decodedBodySize, 0)};"
        )
        rows.append((label, nav))
    api_cold = api_report_s("?to=2099-12-30")
    api_warm = api_report_s()
    print(f"Line page, {events} events (headless Chromium, 127.0.0.1):")
    for label, n in rows:
        print(
            f"  {label:18} domInteractive {n['interactive']:8.0f} ms  loadEventEnd {n['load']:8.0f} ms  "
            f"page {n['page'] / 1024:6.1f} KiB transferred ({n['decoded'] / 1024:.1f} KiB decoded), "
            f"+ scripts/styles {n['resources'] / 1024:.1f} KiB ({n['resources_decoded'] / 1024:.1f} KiB decoded)"
        )
    print(f"  peer: GET /api/v1/workspaces/{ws}/report: new period {api_cold * 1000:.0f} ms, cached {api_warm * 1000:.0f} ms")
    cold = rows[0][1]
    print(f"  cold Line page domInteractive / API report of a new period: ×{cold['interactive'] / max(api_cold * 1000, 0.001):.1f}")
    warm = rows[1][1]
    print(f"  warm Line page domInteractive / cached API report: ×{warm['interactive'] / max(api_warm * 1000, 0.001):.1f}")
    print(json.dumps({label: n for label, n in rows}))
finally:
    d.quit()
