#!/usr/bin/env python3
"""A scripted "browser" for the end-to-end tests: `BROWSER="python3 browser.py"`.

The CLI appends the authorization URL as the last argument and does not wait for us.
BROWSER_MODE picks what the user does:

  (unset) / follow  GET the URL and follow redirects (a dev server in --auto-approve
                    redirects straight to the loopback callback).
  approve / deny    GET the consent page, POST its form with decision=approve / deny to
                    /oauth/authorize/decision, follow the redirect to the callback.
  tamper-state      Reach the callback redirect without following it, replace `state`
  tamper-iss        (or `iss`) in its Location, then GET the altered callback.
  favicon-first     Like a real browser: GET /favicon.ico on the callback origin (must be a
                    404 that does not end the CLI's wait), then the real callback.
  ignore            Do nothing (the CLI's callback timeout must fire).
  capture           A browser on another machine (`login --paste`): reach the callback
                    redirect without following it and write its Location to the file
                    BROWSER_CAPTURE (atomically), never requesting the loopback listener.

HTTPS_PROXY and BROWSER_CA_FILE, when set, route https through the proxy and trust that CA
(for `atproto-oauth dev-server --tls`); plain http always goes direct.

BROWSER_LOG, when set, is a file this script appends what it did to (it runs detached,
with stdout and stderr discarded, so the log is the only way to see a failure).
Python 3 standard library only.
"""

import html.parser
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

MODE = os.environ.get("BROWSER_MODE", "follow")
LOG = os.environ.get("BROWSER_LOG")


def log(message):
    if LOG:
        with open(LOG, "a", encoding="utf-8") as handle:
            handle.write(f"[{MODE}] {message}\n")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def handlers():
    """Plain http (the loopback callback) never goes through a proxy from the environment.
    https (only `dev-server --tls`, the production-mode network) goes through HTTPS_PROXY,
    verified against BROWSER_CA_FILE, the network's throwaway CA, when set."""
    proxy = os.environ.get("https_proxy") or os.environ.get("HTTPS_PROXY")
    chosen = [urllib.request.ProxyHandler({"https": proxy} if proxy else {})]
    ca_file = os.environ.get("BROWSER_CA_FILE")
    if ca_file:
        chosen.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)))
    return chosen


FOLLOW = urllib.request.build_opener(*handlers())
MANUAL = urllib.request.build_opener(*handlers(), NoRedirect())


def fetch(opener, url, data=None):
    """Returns (status, headers, body text); HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace") if error.fp else ""
        return error.code, error.headers, body


class ConsentForm(html.parser.HTMLParser):
    """The hidden inputs, the selected account and the form action of the consent page."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self.account = None
        self.first_account = None
        self.in_select = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes.get("name")] = attributes.get("value") or ""
        elif tag == "select" and attributes.get("name") == "account":
            self.in_select = True
        elif tag == "option" and self.in_select:
            value = attributes.get("value")
            if self.first_account is None:
                self.first_account = value
            if "selected" in attributes:
                self.account = value

    def handle_endtag(self, tag):
        if tag == "select":
            self.in_select = False


def decide(url, decision):
    """POSTs the consent form; returns the callback URL it redirects to (not followed)."""
    status, _, body = fetch(FOLLOW, url)
    log(f"consent page: HTTP {status}")
    form = ConsentForm()
    form.feed(body)
    if form.action is None:
        raise RuntimeError(f"no consent form at {url} (HTTP {status}): {body[:200]}")
    fields = dict(form.fields)
    fields["account"] = form.account or form.first_account or ""
    fields["decision"] = decision
    action = urllib.parse.urljoin(url, form.action)
    status, headers, body = fetch(MANUAL, action, urllib.parse.urlencode(fields).encode())
    location = headers.get("Location") if headers else None
    log(f"POST {decision}: HTTP {status} -> {urllib.parse.urlsplit(location or '').path}")
    if location is None:
        raise RuntimeError(f"the decision was not redirected (HTTP {status}): {body[:200]}")
    return urllib.parse.urljoin(action, location)


def callback_location(url):
    """The callback URL the authorization endpoint redirects to, without visiting it.
    A consent page (no --auto-approve) is approved first."""
    status, headers, _ = fetch(MANUAL, url)
    location = headers.get("Location") if headers else None
    if status in (301, 302, 303, 307, 308) and location:
        return urllib.parse.urljoin(url, location)
    return decide(url, "approve")


def tampered(url, name):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    replacement = {"state": "tampered-state-AAAAAAAAAAAAAAAA", "iss": "http://127.0.0.1:9"}[name]
    changed = [(key, replacement if key == name else value) for key, value in query]
    if not any(key == name for key, _ in query):
        changed.append((name, replacement))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(changed)))


def main():
    if len(sys.argv) < 2:
        log("no URL given")
        return 2
    url = sys.argv[-1]
    log(f"open {urllib.parse.urlsplit(url).netloc}{urllib.parse.urlsplit(url).path}")
    if MODE == "ignore":
        return 0
    if MODE == "capture":
        target = os.environ.get("BROWSER_CAPTURE")
        if not target:
            log("capture: BROWSER_CAPTURE is not set")
            return 2
        callback = callback_location(url)
        with open(target + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(callback)
        os.replace(target + ".tmp", target)
        log(f"captured the callback to {urllib.parse.urlsplit(callback).path} without requesting it")
        return 0
    if MODE in ("follow", ""):
        status, _, _ = fetch(FOLLOW, url)
        log(f"followed: HTTP {status}")
        return 0
    if MODE in ("approve", "deny"):
        callback = decide(url, MODE)
    elif MODE in ("tamper-state", "tamper-iss"):
        callback = tampered(callback_location(url), MODE.split("-", 1)[1])
    elif MODE == "favicon-first":
        callback = callback_location(url)
        parts = urllib.parse.urlsplit(callback)
        favicon = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/favicon.ico", "", ""))
        status, _, _ = fetch(FOLLOW, favicon)
        log(f"favicon: HTTP {status}")
    else:
        log(f"unknown BROWSER_MODE {MODE}")
        return 2
    status, _, _ = fetch(FOLLOW, callback)
    log(f"callback: HTTP {status}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 - the log is the only place to see it
        log(f"error: {error!r}")
        sys.exit(1)
