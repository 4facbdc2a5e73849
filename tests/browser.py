"""Browser-test helpers shared by the dash_duo tests."""
from __future__ import annotations

import time

from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException


def click(dash_duo, selector, tries=10):
    """Scroll to the element and click it; retry while the page is still settling (map loading)."""
    for attempt in range(tries):
        try:
            el = dash_duo.find_element(selector)
            dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
            time.sleep(0.2)
            el.click()
            return
        except (ElementClickInterceptedException, StaleElementReferenceException):
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


def start_signed_in(dash_duo, app, username="city_duty", path="/", password=None):
    """Start the app and sign in through the login page, landing on `path`."""
    from .conftest import TEST_PASSWORD
    dash_duo.start_server(app, navigate=False)  # "/" would redirect to the login page
    dash_duo._url = dash_duo.server.url  # what dash_duo.server_url reads, without its page wait
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/login?next={path}")
    dash_duo.wait_for_element("#username", timeout=20)
    driver.find_element("css selector", "#username").send_keys(username)
    driver.find_element("css selector", "#password").send_keys(password or TEST_PASSWORD)
    driver.find_element("css selector", "#login-submit").click()
    end = time.time() + 20
    while time.time() < end and "/login" in driver.current_url:
        time.sleep(0.2)
    assert "/login" not in driver.current_url, "sign-in failed"
    dash_duo.wait_for_element("#react-entry-point", timeout=20)
