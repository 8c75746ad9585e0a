"""Screenshots of a report for the README: the trial viewer with one sample open, and the CI-band figure.

    python docs/screenshots.py REPORT_DIR [--sample ID] [--filter fixed|never|regressed|all]

REPORT_DIR is what ``python -m agents report`` wrote (``viewer.html``, ``success_ci.png``). Uses
Debian's Chromium and its driver through Selenium, offline (``SE_OFFLINE``: nothing is downloaded).
Writes ``docs/viewer.png`` and copies ``success_ci.png`` to ``docs/``.
"""
import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def browser(profile: str):
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1500,900"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                            options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--sample", help="the sample to open (default: the first listed)")
    parser.add_argument("--filter", default="fixed", help="the filter button to press first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            driver.get((args.report / "viewer.html").resolve().as_uri())
            driver.find_element("css selector", ".ra-sample")
            for button in driver.find_elements("css selector", "button"):
                if button.text.lower().startswith(args.filter):
                    button.click()
                    break
            samples = driver.find_elements("css selector", ".ra-sample")
            chosen = [s for s in samples if args.sample and args.sample in s.text] or samples
            if chosen:
                chosen[0].click()
            time.sleep(0.5)
            driver.save_screenshot(str(DOCS / "viewer.png"))
        finally:
            driver.quit()
    shutil.copy(args.report / "success_ci.png", DOCS / "success_ci.png")
    print(f"wrote {DOCS / 'viewer.png'} and {DOCS / 'success_ci.png'}")


if __name__ == "__main__":
    main()
