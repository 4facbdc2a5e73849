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
