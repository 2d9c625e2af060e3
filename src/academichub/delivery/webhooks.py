"""Chat webhooks: a digest in Feishu, DingTalk, WeCom and Slack message formats, signed where the
service signs (Feishu and DingTalk: HMAC-SHA256 over "timestamp\\nsecret"), posted with retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Any

import httpx

from academichub.delivery.digest import Digest
from academichub.delivery.email import LABELS
from academichub.errors import DeliveryError
from academichub.outbound import GuardedTransport, OutboundGuard, UnsafeTargetError
from academichub.settings import DeliverySettings

USER_AGENT = "AcademicHub-webhook/1"
WECOM_BYTES = 4096  # WeCom's group robots refuse Markdown past 4096 bytes of UTF-8 (error 40058)


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu/Lark custom bot signature: base64(HMAC-SHA256(key = "timestamp\\nsecret", message = ""))."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signature: base64(HMAC-SHA256(key = secret, message = "timestamp\\nsecret"))."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def markdown(digest: Digest, *, limit: int = 10, max_bytes: int | None = None) -> str:
    """The digest as chat Markdown (DingTalk and WeCom render it), within `max_bytes` of UTF-8 if
    given: the overview is shortened first, then the last papers left out, never a link cut in two."""
    items = [f"{item.n}. [{_md(item.title)}]({item.url})  \n{item.label} · {item.date} · "
             f"{_md(_reasons(digest, item.reasons))}" for item in digest.items[:limit]]
    text = ""
    for count in range(len(items), -1, -1):
        for overview in (600, 200, 0) if digest.overview else (0,):
            text = _markdown_of(digest, items[:count], overview)
            if max_bytes is None or len(text.encode()) <= max_bytes:
                return text
    # Even the title alone is too long: cut it on a character, not inside one.
    return text.encode()[:max_bytes].decode(errors="ignore")


def _markdown_of(digest: Digest, items: list[str], overview: int) -> str:
    lines = [f"### {digest.title}", *items]
    labels = LABELS.get(digest.lang, LABELS["en"])
    if overview:
        lines.append(f"> {_md(digest.overview[:overview])}")
    if digest.briefing_url:
        lines.append(f"[{labels['briefing']}]({digest.briefing_url})")
    elif len(items) < len(digest.items) and digest.feed_url:  # the papers left out are one click away
        lines.append(f"[{labels['feed']}]({digest.feed_url})")
    return "\n\n".join(lines)


def _reasons(digest: Digest, reasons: list[str]) -> str:
    """A paper's reasons joined as the digest's language punctuates a list ("；" in Chinese)."""
    return LABELS.get(digest.lang, LABELS["en"])["and"].join(reasons)


def _md(text: str) -> str:
    """Untrusted text made inert in chat Markdown (no links, images or emphasis of its own)."""
    return "".join("\\" + ch if ch in "\\`*_[]()<>#!|" else ch for ch in text.replace("\n", " "))


def payload(channel: str, digest: Digest, secret: str | None, *, now: float | None = None) -> tuple[dict, dict]:
    """(JSON body, extra query parameters) of one channel's message."""
    now = time.time() if now is None else now
    if channel == "feishu":
        rows = [[{"tag": "a", "text": f"{i.n}. {i.title}", "href": i.url},
                 {"tag": "text", "text": f"\n{i.label} · {i.date} · {_reasons(digest, i.reasons)}"}] for i in digest.items]
        if digest.overview:
            rows.append([{"tag": "text", "text": digest.overview[:800]}])
        body: dict[str, Any] = {"msg_type": "post", "content": {"post": {"zh_cn" if digest.lang == "zh" else "en_us": {
            "title": digest.title, "content": rows}}}}
        if secret:
            timestamp = int(now)
            body.update(timestamp=str(timestamp), sign=feishu_sign(secret, timestamp))
        return body, {}
    if channel == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": digest.title, "text": markdown(digest)}}
        if secret:
            timestamp_ms = int(now * 1000)
            return body, {"timestamp": str(timestamp_ms), "sign": dingtalk_sign(secret, timestamp_ms)}
        return body, {}
    if channel == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown(digest, max_bytes=WECOM_BYTES)}}, {}
    if channel == "slack":
        blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": digest.title[:150]}}]
        for item in digest.items:
            text = f"*<{item.url}|{_slack(item.title)}>*\n{_slack(item.label)} · {item.date} · {_slack(_reasons(digest, item.reasons))}"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        if digest.overview:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack(digest.overview)[:3000]}})
        return {"text": digest.title, "blocks": blocks[:50]}, {}
    raise DeliveryError(f"webhook: unknown channel {channel!r}")


def _slack(text: str) -> str:
    """Slack's three escapes, so a title cannot form a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _accepted(channel: str, response: httpx.Response) -> str | None:
    """None when the service took the message, else a classified complaint.

    Never the answer's own text: a reader chooses the URL, and echoing what it answered would
    let them read any service the server can reach."""
    if response.status_code >= 400:
        return f"HTTP {response.status_code}"
    if channel == "slack":
        return None if response.text.strip() in ("ok", "") else f"HTTP {response.status_code}, but not Slack's 'ok'"
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, but the answer is not JSON"
    if not isinstance(data, dict):
        return f"HTTP {response.status_code}, but not a webhook service's answer"
    code = data.get("code", data.get("errcode", data.get("StatusCode", 0)))
    if code in (0, "0", None):
        return None
    shown = str(code) if re.fullmatch(r"-?\d{1,12}", str(code)) else "?"
    return f"the service refused the message (error code {shown})"


def _failure(exc: httpx.HTTPError) -> str:
    """A network failure, classified (the exception's own text can describe the target's network)."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.TooManyRedirects | httpx.UnsupportedProtocol):
        return "not a webhook URL"
    return "network error"


def post(channel: str, url: str, digest: Digest, secret: str | None, settings: DeliverySettings, *,
         transport: httpx.BaseTransport | None = None, sleep=time.sleep) -> int:  # type: ignore[no-untyped-def]
    """Post a digest; retries on network errors, 429 and 5xx (honouring Retry-After). Returns attempts made."""
    last = ""
    guarded = GuardedTransport(OutboundGuard(settings.allow_networks), transport)
    with httpx.Client(timeout=settings.timeout, transport=guarded, headers={"User-Agent": USER_AGENT}) as client:
        for attempt in range(1, settings.retries + 2):
            body, params = payload(channel, digest, secret)  # signed afresh: the services reject old timestamps
            try:
                response = client.post(url, json=body, params=params)
            except UnsafeTargetError as exc:
                raise DeliveryError(f"{channel}: webhook refused: {exc}".replace("outbound: ", "")) from None
            except httpx.HTTPError as exc:
                last = _failure(exc)
            else:
                complaint = _accepted(channel, response)
                if complaint is None:
                    return attempt
                last = complaint
                if response.status_code < 500 and response.status_code != 429:
                    break  # the service refused the message itself: retrying sends the same thing
                retry_after = response.headers.get("retry-after", "")
                if retry_after.isdigit():
                    sleep(min(float(retry_after), 60.0))
                    continue
            if attempt <= settings.retries:
                sleep(settings.backoff * 2 ** (attempt - 1))
    raise DeliveryError(f"{channel}: webhook post failed: {last}")
