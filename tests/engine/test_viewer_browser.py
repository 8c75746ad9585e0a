"""The trajectory viewer in a real headless Chromium, driven by Selenium over the installed driver.

Needs (CI installs them): ``apt-get install -y chromium chromium-driver`` and
``pip install "selenium>=4.20,<5"``. Selenium Manager is kept offline: the driver and browser paths
are passed explicitly and ``SE_OFFLINE=true``, so nothing is downloaded.
"""
import os
import shutil
import time

import pytest

from agents.engine.viewer import viewer_data, write_viewer
from tests.engine.test_stats import IDS, make_runs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INJECTION = "</script><script>window.__pwned = 1</script><b>bold?</b>"


def _missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return "no chromium: apt-get install -y chromium chromium-driver"
    if not os.path.exists(DRIVER):
        return "no chromedriver: apt-get install -y chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'no selenium: pip install "selenium>=4.20,<5"'
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def fixture_runs():
    """The stats fixture, with one trajectory that tries to break out of the page's <script>."""
    runs = make_runs()
    records, manifest = runs[1]
    records = [dict(r, trajectory=r["trajectory"] + "\n" + INJECTION) if r["sample_id"] == "q11" else r
               for r in records]
    runs[1] = (records, manifest)
    return runs


def make_driver(tmp_dir):
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch a driver or browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_dir}", "--window-size=1500,950"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, tmp_path):
    runs = fixture_runs()
    path = write_viewer(runs, tmp_path / "viewer.html")
    browser.get(path.resolve().as_uri())
    browser.find_element("css selector", ".ra-sample")  # the list is built
    yield browser, runs
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe


def visible_ids(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.ra-sample'))"
        ".filter(function (r) { return !r.hidden; }).map(function (r) { return r.dataset.id; });")


def click(driver, selector):
    driver.find_element("css selector", selector).click()


def wait_for(condition, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_every_sample_is_listed_and_runs_can_be_switched(page):
    driver, runs = page
    assert visible_ids(driver) == IDS
    assert "react" in driver.find_element("css selector", ".ra-info").text
    assert "oracle feedback" in driver.find_element("css selector", ".ra-info").text
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", ".ra-run")).select_by_index(2)
    assert "self feedback" in driver.find_element("css selector", ".ra-info").text
    assert visible_ids(driver) == IDS


def test_click_shows_both_trials_and_the_reflection_between(page):
    driver, runs = page
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", ".ra-run")).select_by_index(1)  # reinagent, oracle
    click(driver, '.ra-sample[data-id="q03"]')
    detail = driver.find_element("css selector", ".ra-detail")
    panes = detail.find_elements("css selector", ".ra-pane h3")
    assert [p.text.split("\n")[0].strip()[:7] for p in panes] == ["Trial 1", "Trial 2"]
    reflection = detail.find_element("css selector", ".ra-refl").text
    assert "Reflection 1 on q03: search the film, not the actor." in reflection
    assert "Which film links the people in q03?" in detail.find_element("css selector", ".ra-input").text
    marked = detail.find_elements("css selector", ".ra-line.ra-div")
    assert len(marked) == 2 and all("Action 1: Search[q03 variant" in m.text for m in marked)
    assert "oracle" in detail.text and "answer is wrong" in detail.text  # feedback source + message


def test_the_trial_selector_moves_the_pair(page):
    driver, runs = page
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", ".ra-run")).select_by_index(2)  # self feedback
    click(driver, '.ra-sample[data-id="q05"]')
    pick = Select(driver.find_element("css selector", ".ra-pair"))
    assert [o.text for o in pick.options] == ["trial 1 → trial 2", "trial 2 → trial 3"]
    pick.select_by_index(1)
    panes = driver.find_elements("css selector", ".ra-pane h3")
    assert [p.text[:7] for p in panes] == ["Trial 2", "Trial 3"]
    assert "Reflection 2 on q05: trust the first page." in driver.find_element("css selector", ".ra-refl").text


def test_filters_change_the_list(page):
    driver, runs = page
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", ".ra-run")).select_by_index(1)
    samples = {s["id"]: s for s in viewer_data(runs)["runs"][1]["samples"]}
    for name in ("fixed", "never"):
        click(driver, f'.ra-filters button[data-filter="{name}"]')
        expected = [sid for sid in IDS if samples[sid][name]]
        assert visible_ids(driver) == expected and 0 < len(expected) < len(IDS)
    assert "q30" in visible_ids(driver)   # never solved
    click(driver, '.ra-filters button[data-filter="fixed"]')
    assert "q03" in visible_ids(driver)
    Select(driver.find_element("css selector", ".ra-run")).select_by_index(2)
    click(driver, '.ra-filters button[data-filter="regressed"]')
    assert visible_ids(driver) == ["q05"]
    click(driver, '.ra-filters button[data-filter="all"]')
    assert visible_ids(driver) == IDS


def test_search_finds_text_inside_trajectories(page):
    driver, runs = page
    box = driver.find_element("css selector", ".ra-search")
    box.send_keys("q17 variant 1")
    assert wait_for(lambda: visible_ids(driver) == ["q17"])
    assert "showing 1 of 30" in driver.find_element("css selector", ".ra-count").text
    box.clear()
    box.send_keys("no such text anywhere")
    assert wait_for(lambda: visible_ids(driver) == [])


def test_a_trajectory_cannot_break_out_of_the_page(page):
    driver, runs = page
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", ".ra-run")).select_by_index(1)
    click(driver, '.ra-sample[data-id="q11"]')
    assert driver.execute_script("return window.__pwned === undefined")
    assert INJECTION in driver.find_element("css selector", ".ra-detail").text  # shown as text
    assert not driver.find_elements("css selector", ".ra-detail b")


def test_a_thousand_samples_render_quickly(browser, tmp_path):
    ids = [f"s{i:04d}" for i in range(1000)]
    records = [{"sample_id": sid, "trial": t, "correct": t == 3 and i % 3 == 0, "input": f"question {sid}",
                "trajectory": "\n".join(f"Step {j}: thinking about {sid} at trial {t}" for j in range(40)),
                "reflections": [f"note {k}" for k in range(1, t)], "feedback_source": "oracle"}
               for i, sid in enumerate(ids) for t in (1, 2, 3)]
    path = write_viewer([(records, {"agent": "react", "strategy": "reinagent", "dataset_ids": ids})],
                        tmp_path / "big.html")
    start = time.time()
    browser.get(path.resolve().as_uri())
    assert len(visible_ids(browser)) == 1000
    click(browser, '.ra-filters button[data-filter="never"]')
    assert len(visible_ids(browser)) == 666
    click(browser, '.ra-sample[data-id="s0001"]')
    assert len(browser.find_elements("css selector", ".ra-line")) == 80
    assert time.time() - start < 10, "loading, filtering and opening a sample should take well under 10 s"


# -- issue 21 ----------------------------------------------------------------------------------------
CODE = "def add(a, b):\n    if a < 0:\n        return b  # keep   these   spaces\n    return a + b\n"


def _code_runs():
    """Two HumanEval runs whose labels are long (they differ only by run folder) and one attempt with
    an outcome the viewer has no fixed letter for."""
    def run(name, source):
        records = [{"task": "humaneval", "sample_id": "HumanEval/0", "trial": t, "correct": t == 2,
                    "answer": CODE, "trajectory": "tests:\nassert add(1, 2) == 3", "reflections": [],
                    "feedback": {"success": t == 2, "message": "", "source": source}, "feedback_source": source}
                   for t in (1, 2)]
        records.append({"task": "humaneval", "sample_id": "HumanEval/107", "trial": 1, "correct": False,
                        "answer": "", "outcome": "untested", "feedback_source": source})
        return records, {"task": "humaneval", "agent": "codegen", "strategy": "reinagent", "feedback_source": source,
                         "model_id": "a-rather-long-model-name-q4_k_m.gguf", "n_trials": 2,
                         "dataset_ids": ["HumanEval/0", "HumanEval/107"],
                         "run_dir": f"/root/programming_runs/root/codegen/reinagent/{name}"}
    return [run("local-gemma-3-270m-q4_k_m.gguf-20p-3f9a1c2e-first-attempt-with-a-long-name", "tests"),
            run("local-gemma-3-270m-q4_k_m.gguf-20p-3f9a1c2e-second-attempt-with-a-long-name", "tests")]


@pytest.fixture
def code_page(browser, tmp_path, monkeypatch):
    from agents.engine import report, viewer

    real = report.outcome  # an outcome the kit may add (issue 18's "untested"): shown, not hidden
    fake = lambda record: "untested" if record.get("outcome") == "untested" else real(record)
    monkeypatch.setattr(viewer, "outcome", fake)
    path = write_viewer(_code_runs(), tmp_path / "code.html")
    browser.get(path.resolve().as_uri())
    browser.find_element("css selector", ".ra-sample")
    yield browser


def test_the_run_menu_shows_every_label_whole(code_page):
    """Item 12: the labels say what differs (here only the run folder, at the end) and the menu is
    wide enough for the longest one."""
    driver = code_page
    labels = [o.text for o in driver.find_elements("css selector", ".ra-run option")]
    assert labels[0].endswith("first-attempt-with-a-long-name") and labels[1].endswith("second-attempt-with-a-long-name")
    fits = driver.execute_script("""
        var s = document.querySelector('.ra-run'), c = document.createElement('canvas').getContext('2d');
        var st = getComputedStyle(s); c.font = st.fontSize + ' ' + st.fontFamily;
        var widest = Math.max.apply(null, Array.from(s.options).map(function (o) { return c.measureText(o.text).width; }));
        return [s.getBoundingClientRect().width, widest];""")
    assert fits[0] >= fits[1], f"the run menu ({fits[0]:.0f} px) cuts its longest label ({fits[1]:.0f} px)"
    assert "run programming_runs/root/codegen" not in driver.find_element("css selector", ".ra-info").text
    assert "run codegen/reinagent/local-gemma" in driver.find_element("css selector", ".ra-info").text


def test_code_answers_keep_their_whitespace(code_page):
    """Item 14: the viewer collapsed the spaces and line breaks of a code answer."""
    driver = code_page
    click(driver, '.ra-sample[data-id="HumanEval/0"]')
    blocks = driver.find_elements("css selector", ".ra-answer")
    assert blocks and all(b.tag_name == "pre" for b in blocks)
    shown = driver.execute_script("return document.querySelector('.ra-answer').innerText")
    assert shown.rstrip("\n") == CODE.rstrip("\n")  # innerText is the text as rendered: indentation and all
    assert driver.find_element("css selector", ".ra-meta").text.lower().startswith("code\n")


def test_an_outcome_without_a_fixed_letter_is_shown(code_page):
    """Item 2 (with issue 18): any outcome the records carry gets a badge and a legend entry."""
    driver = code_page
    badge = driver.find_element("css selector", '.ra-sample[data-id="HumanEval/107"] .ra-b')
    assert badge.text == "U" and "untested" in badge.get_attribute("title")
    assert "untested" in driver.find_element("css selector", ".ra-legend").text


def test_an_alfworld_answer_is_called_the_last_command(browser, tmp_path):
    """Item 14: ALFWorld's "answer" is the last command sent; the game decides."""
    records = [{"task": "alfworld", "sample_id": "pick_and_place-1", "trial": 1, "correct": False,
                "answer": "go to desk 1", "trajectory": "> go to desk 1\nOn the desk 1, you see a pen.",
                "feedback_source": "oracle"}]
    path = write_viewer([(records, {"task": "alfworld", "agent": "react", "strategy": "reinagent",
                                    "feedback_source": "oracle", "dataset_ids": ["pick_and_place-1"]})],
                        tmp_path / "alf.html")
    browser.get(path.resolve().as_uri())
    click(browser, '.ra-sample[data-id="pick_and_place-1"]')
    meta = browser.find_element("css selector", ".ra-meta").text.lower()  # labels are set in capitals
    assert "last command go to desk 1" in meta and "answer go to desk 1" not in meta
