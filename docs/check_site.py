"""Check the built documentation site in headless Chromium (run by `nox -s docs`).

    python docs/check_site.py build/docs --screenshots build/docs-screenshots

Serves the site on 127.0.0.1 (a thread of this process), then, with Debian's chromium:

* crawls every page reachable from index.html, reading the DOM that Chromium rendered
  (``--dump-dom``, after the page's scripts ran), and checks every internal link: the
  target must be served (HTTP 200) and, for a ``#fragment``, have an element with that id;
* opens search.html?q=<name> for a few API names and requires search results;
* checks that the landing page rendered (its title, the navigation) and saves a
  screenshot of it as landing.png.

Exits non-zero, listing every problem, if any check fails. Nothing leaves the machine:
Chromium runs with its background networking off and reaches only the local server.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

# Names that the search must find (one per distribution and the low-level API).
SEARCHES = ("open_nursery", "AsyncValue", "suspend", "Clock")

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


class _Page(HTMLParser):
    """The ids, the links and a few landmarks of one rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.search_results = 0
        self.title = ""
        self.has_sidebar = False
        self._in_title = False
        self._in_results = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"] or "")
        for name in ("href", "src"):
            value = attributes.get(name)
            if value and (tag, name) in (("a", "href"), ("img", "src"), ("link", "href")):
                self.links.append(value)
        classes = (attributes.get("class") or "").split()
        if tag == "title":
            self._in_title = True
        if "sidebar-tree" in classes:
            self.has_sidebar = True
        if tag == "ul" and ("search" in classes or self._in_results):
            self._in_results += 1  # the results list, or a list nested in it
        if tag == "li" and self._in_results == 1:
            self.search_results += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "ul" and self._in_results:
            self._in_results -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Chromium closes connections it no longer needs (it exits once the DOM is dumped).
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _find_chromium() -> str:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name) or name
    raise SystemExit(
        "check_site: no chromium on PATH. Install Debian's (as root: apt-get install -y "
        "--no-install-recommends chromium; .ci/run does it on CI) or set CHROMIUM=/path"
    )


class Browser:
    """Headless Chromium, one process per page, with a profile of its own."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.profile = tempfile.mkdtemp(prefix="docs-chromium-")
        self.launches = 0

    def _run(self, *args: str, timeout: float = 60) -> str:
        self.launches += 1
        command = [self.executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"chromium failed ({result.returncode}): {result.stderr[-2000:]}")
        return result.stdout

    def dom(self, url: str, wait_ms: int = 1000) -> str:
        """The page's DOM after its scripts ran for `wait_ms` of virtual time."""
        return self._run(f"--virtual-time-budget={wait_ms}", "--dump-dom", url)

    def screenshot(self, url: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self._run(
            "--window-size=1280,900", "--virtual-time-budget=2000", f"--screenshot={path}", url
        )
        if not path.is_file() or path.stat().st_size == 0:
            raise RuntimeError(f"chromium wrote no screenshot to {path}")

    def close(self) -> None:
        shutil.rmtree(self.profile, ignore_errors=True)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def check(site: Path, screenshots: Path) -> list[str]:
    problems: list[str] = []
    if not (site / "index.html").is_file():
        return [f"{site}/index.html not found: build the site first"]
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Browser(_find_chromium())
    started = time.monotonic()
    try:
        # Crawl: every page reachable from the landing page, rendered by Chromium.
        pages: dict[str, _Page] = {}
        queue = [urljoin(base, "index.html")]
        links: list[tuple[str, str]] = []  # (page, absolute link)
        while queue:
            url = queue.pop(0)
            if url in pages:
                continue
            page = _Page()
            page.feed(browser.dom(url))
            pages[url] = page
            for link in page.links:
                absolute = urljoin(url, link)
                if not absolute.startswith(base):
                    continue  # the repository's web address, and the like: not ours to check
                links.append((url, absolute))
                target, _ = urldefrag(absolute)
                if (
                    target.endswith(".html")
                    and target not in pages
                    and target not in queue
                    and "/_modules/" not in target  # source listings: checked as served
                ):
                    queue.append(target)

        # Links: the target is served and, for a fragment, has that id in its rendered DOM.
        statuses: dict[str, int] = {}
        fragments_checked = 0
        static: dict[str, _Page] = {}
        for page_url, link in links:
            target, fragment = urldefrag(link)
            if target not in statuses:
                statuses[target] = _status(target)
            where = page_url.removeprefix(base)
            if statuses[target] != 200:
                status = statuses[target]
                problems.append(f"{where}: broken link {link.removeprefix(base)} (HTTP {status})")
                continue
            if fragment and target.endswith(".html"):
                fragments_checked += 1
                if target not in pages and target not in static:
                    # Not a page of the crawl (a highlighted source listing): its served HTML.
                    static[target] = _Page()
                    with urllib.request.urlopen(target, timeout=10) as response:
                        static[target].feed(response.read().decode("utf-8"))
                ids = (pages.get(target) or static[target]).ids
                if unquote(fragment) not in ids:
                    problems.append(f"{where}: no id {fragment!r} in {target.removeprefix(base)}")
        print(
            f"check_site: {len(pages)} pages rendered, {len(links)} internal links "
            f"({len(statuses)} distinct targets, {fragments_checked} with an anchor) checked"
        )

        # Pages that no link reaches (besides the search page and the source listings).
        built = {
            urljoin(base, path.relative_to(site).as_posix())
            for path in site.rglob("*.html")
            if not path.relative_to(site).parts[0].startswith("_")
        }
        unlinked = {urljoin(base, "search.html"), urljoin(base, "genindex.html")}
        for orphan in sorted(built - set(pages) - unlinked):
            problems.append(f"{orphan.removeprefix(base)}: no link leads to this page")

        # The landing page renders (title, navigation); a screenshot to look at. Taken before
        # the searches, whose terms Sphinx would highlight on it.
        landing = pages[urljoin(base, "index.html")]
        if "gearwork" not in landing.title or not landing.has_sidebar:
            problems.append(f"index.html: title {landing.title!r}, sidebar {landing.has_sidebar}")
        shot = screenshots / "landing.png"
        browser.screenshot(urljoin(base, "index.html"), shot)
        print(f"check_site: landing page screenshot: {shot}")
        # Search: results appear once the search script ran.
        for name in SEARCHES:
            page = _Page()
            page.feed(browser.dom(urljoin(base, f"search.html?q={name}"), wait_ms=10000))
            print(f"check_site: search for {name!r}: {page.search_results} results")
            if page.search_results == 0:
                problems.append(f"search.html?q={name}: no search results")

        print(f"check_site: {browser.launches} Chromium runs in {time.monotonic() - started:.0f} s")
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site (build/docs)")
    parser.add_argument("--screenshots", type=Path, default=Path("build/docs-screenshots"))
    args = parser.parse_args()
    problems = check(args.site.resolve(), args.screenshots.resolve())
    for problem in problems:
        print(f"check_site: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(f"check_site: {len(problems)} problems in {args.site}")
    print("check_site: the site passes")


if __name__ == "__main__":
    main()
