"""The Snakemake report of the smoke build in a real browser (Debian's headless Chromium
through Selenium and Debian's chromedriver; nothing is downloaded): the page loads without
console errors, and it lists every figure and claims table of the build, each with its
caption. Captions have broken this page before (JS strings), which only a browser shows."""

import html
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 60


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not exe.is_file() and not shutil.which(exe.name):
            pytest.skip(f"{exe} missing: apt-get install chromium chromium-driver (.ci/run does)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1400,1000")
    options.binary_location = str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    path = CHROMEDRIVER if CHROMEDRIVER.is_file() else shutil.which("chromedriver")
    driver = webdriver.Chrome(service=Service(str(path)), options=options)
    yield driver
    driver.quit()


def expected_results(build):
    """{path: study} of every figure and claims table the build's catalog lists."""
    return {
        a.path: a.study
        for a in build.artifacts()
        if a.kind in ("figure", "claims") and (build.workdir / a.path).is_file()
    }


def open_report(driver, report):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(report.as_uri())
    # the React app has rendered its menu (the loading screen is replaced)
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.execute_script("return document.getElementById('app').innerText.length > 0")
    )


def click_text(driver, text, tag="*"):
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    literal = "concat(" + ", '\"', ".join(f'"{p}"' for p in text.split('"')) + ", '')"
    element = WebDriverWait(driver, WAIT_S).until(
        ec.element_to_be_clickable(("xpath", f"//{tag}[normalize-space(text())={literal}]"))
    )
    element.click()


def app_text(driver):
    return driver.find_element("id", "app").text


def show_info(driver, path, tries=3):
    """Click the info button of ``path``'s row; the page's text once it shows the file's
    description. (A click that lands while React re-renders the listing is lost: retried.)"""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    info = f"//td[normalize-space(text())='{path}']/..//a[@iconname='information-circle']"
    for attempt in range(tries):
        WebDriverWait(driver, WAIT_S).until(ec.element_to_be_clickable(("xpath", info))).click()
        try:
            WebDriverWait(driver, 10).until(lambda d: "DESCRIPTION" in app_text(d))
            return app_text(driver)
        except TimeoutException:
            if attempt == tries - 1:
                raise
    return ""


def squeezed(text):
    """``text`` without whitespace: the page lays words out its own way."""
    return re.sub(r"\s+", "", text)


def plain(caption_html):
    """The caption's characters as the page shows them (tags dropped, entities decoded),
    without whitespace."""
    return squeezed(html.unescape(re.sub(r"<[^>]+>", "", caption_html)))


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_report_loads_without_console_errors(browser, smoke_report):
    open_report(browser, smoke_report)
    assert not console_errors(browser)
    assert browser.execute_script("return typeof results === 'object' && results !== null")


def test_a_caption_that_breaks_the_page_is_caught(browser, smoke_report, tmp_path):
    """What a caption once did: a quote that ends the JS string of the results early."""
    text = smoke_report.read_text()
    assert text.count("var results = {") == 1
    broken = tmp_path / "report.html"
    broken.write_text(text.replace("var results = {", "var results = {\"caption\": 'it's", 1))
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(broken.as_uri())
    errors = console_errors(browser)
    assert errors and any("SyntaxError" in e["message"] for e in errors), errors


def test_report_lists_every_figure_and_claims_table_with_its_caption(
    browser, smoke_build, smoke_report
):
    from selenium.webdriver.support.ui import WebDriverWait

    expected = expected_results(smoke_build)
    assert {p for p, _ in expected.items() if "/claims/" in p}, "the catalog lists no claims"
    open_report(browser, smoke_report)
    results = browser.execute_script("return results")
    categories = browser.execute_script("return categories")
    missing = sorted(set(expected) - set(results))
    assert not missing, f"not in the report: {missing}"
    shown = set()
    for category, subcategories in categories.items():
        open_report(browser, smoke_report)
        click_text(browser, category)
        listing = browser.find_element("id", "app").text
        for path in (p for paths in subcategories.values() for p in paths):
            assert path in listing, f"{path} not listed under {category}"
            if path not in expected:
                continue
            caption = plain(results[path]["caption"])
            assert len(caption) > 20, f"{path}: no caption"
            page = squeezed(show_info(browser, path))
            assert caption[:80] in page, f"{path}: caption not shown ({caption[:80]!r})"
            shown.add(path)
            click_text(browser, category)  # the breadcrumb: back to the listing
            WebDriverWait(browser, WAIT_S).until(lambda d: "DESCRIPTION" not in app_text(d))
    assert shown == set(expected), f"never shown: {sorted(set(expected) - shown)}"
    assert not console_errors(browser)
