"""The external channel adapters: generic webhook, WeCom and DingTalk group bots, an SMS
gateway and e-mail (registered at import time, from NotifyConfig.ready).

Each one sends one `Delivery` and raises `TransientError` (timeouts, connection failures,
5xx, 429, a bot's "too fast", an answer that is not what the protocol promises) or
`PermanentError` (other 4xx, a bot's signature or keyword check failed, a bad number). The
idempotency key (`delivery.idempotency_key`) travels with every send that can carry one, so a
retry after a worker crash is recognised by the receiver.

Wire formats (see docs of each service, summarised in reference/alerts-cap.md §6):

* webhook: ``POST`` JSON, always signed (an endpoint without a secret is dead-lettered);
  headers ``X-Liuqing-Timestamp`` (Unix seconds),
  ``X-Liuqing-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``,
  ``Idempotency-Key``. Any 2xx is accepted.
* WeCom group bot: ``POST <url>`` ``{"msgtype": "markdown", "markdown": {"content": …}}``,
  answer ``{"errcode": 0}``; 45009 (too fast) is transient.
* DingTalk bot (always signed, like the webhook): ``POST <url>&timestamp=<ms>&sign=<url-
  encoded base64 HMAC-SHA256(secret, "<ms>\\n<secret>")>``, ``{"msgtype": "markdown",
  "markdown": {"title", "text"}}``, answer
  ``{"errcode": 0}``; 130101 (too fast) is transient, 310000 (sign/keyword/IP) permanent.
* SMS gateway (template-based, Aliyun-shaped JSON): ``POST <url>`` with header
  ``Authorization: Bearer <key>`` and ``{"PhoneNumbers", "SignName", "TemplateCode",
  "TemplateParam" (a JSON string), "OutId" (the idempotency key)}``; answer ``{"Code": "OK"}``;
  codes listed in the endpoint's ``options["transient_codes"]`` (default: throttling) retry.
* e-mail: Django's mail backend; the idempotency key is the Message-ID's local part. An SMTP
  5xx answer is permanent, a 4xx answer or a connection failure transient.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import http.client
import json
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.core.mail import EmailMessage
from django.core.validators import validate_email

from liuqing.notify import channels
from liuqing.notify.channels import Adapter, PermanentError, TransientError, register
from liuqing.notify.models import Channel

SMS_TRANSIENT_CODES = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable")
WECOM_TRANSIENT = {45009, -1}
DINGTALK_TRANSIENT = {130101, -1}


def _endpoint(delivery: Any, channel: str) -> Any:
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.is_active or endpoint.channel != channel:
        raise PermanentError(f"no active {channel} endpoint for this delivery")
    return endpoint


def post_json(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """POST `payload` as JSON; (status, body). Network failures and 5xx/408/429 are transient,
    other 4xx permanent."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return post_bytes(url, body, headers)


# One kept-alive connection per (scheme, host, port) and sending thread: a worker sending a
# big alert to a webhook or an SMS gateway pays the TCP (and TLS) handshake once, not per
# message. A connection the server closed while idle is reopened, and the request sent once
# more on the fresh one (it carries the same idempotency key).
_pool = threading.local()
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_ANSWER_MAX = 65536
_ONE_WRITE_MAX = 256 * 1024


class _OneWrite:
    """http.client writes a request's head and body with two system calls; a small body goes
    with its head in one (one wake-up of the receiver instead of two)."""

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if isinstance(message_body, bytes) and len(message_body) <= _ONE_WRITE_MAX:
            buffer = self._buffer  # type: ignore[attr-defined]
            buffer.extend((b"", b""))
            head = b"\r\n".join(buffer)
            del buffer[:]
            self.send(head + message_body)  # type: ignore[attr-defined]
            return
        super()._send_output(message_body, encode_chunked)  # type: ignore[misc]


class _HTTPConnection(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_OneWrite, http.client.HTTPSConnection):
    pass


def _connection(scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
    connections: dict[tuple[str, str, int | None], http.client.HTTPConnection] | None = getattr(
        _pool, "connections", None
    )
    if connections is None:
        connections = _pool.connections = {}
    key = (scheme, host, port)
    found = connections.get(key)
    if found is None:
        if scheme == "https":
            found = _HTTPSConnection(
                host, port, timeout=channels.http_timeout(), context=ssl.create_default_context()
            )
        else:
            found = _HTTPConnection(host, port, timeout=channels.http_timeout())
        connections[key] = found
    return found


def _forget(scheme: str, host: str, port: int | None) -> None:
    found = getattr(_pool, "connections", {}).pop((scheme, host, port), None)
    if found is not None:
        found.close()


@functools.cache
def _proxies() -> dict[str, str]:
    # Read once per process, as urllib's default opener does.
    return urllib.request.getproxies()


def _status(code: int) -> None:
    if code in (408, 425, 429) or code >= 500:
        raise TransientError(f"HTTP {code}")
    if code >= 300:
        # Redirects are not followed (a POST must not wander to another address).
        raise PermanentError(f"HTTP {code}")


def post_bytes(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """POST `body`; (status, answer). Network failures and 5xx/408/429 are transient, other
    4xx and 3xx permanent. Through a proxy of the environment (``https_proxy``…), if one is
    set for the address, as urllib does; else over a kept-alive connection."""
    if not url.startswith(("http://", "https://")):
        raise PermanentError("the endpoint URL is not http(s)")
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise PermanentError("the endpoint URL has a bad port") from None
    if not host:
        raise PermanentError("the endpoint URL has no host")
    if parts.scheme in _proxies() and not urllib.request.proxy_bypass(host):
        return _post_urllib(url, body, headers)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    for fresh_try in (False, True):
        conn = _connection(parts.scheme, host, port)
        reused = conn.sock is not None
        try:
            conn.request("POST", target, body=body, headers=sent)
            response = conn.getresponse()
            answer = response.read(_ANSWER_MAX)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            _forget(parts.scheme, host, port)
            if isinstance(exc, _STALE) and reused and not fresh_try:
                continue  # the server closed the idle connection: once more, afresh
            if isinstance(exc, OSError):  # timeouts included
                raise TransientError(f"network: {exc}") from None
            raise TransientError(f"bad answer: {type(exc).__name__}") from None  # not HTTP
        if not response.isclosed() or response.will_close:
            # An answer longer than we read, or a server that closes: no reuse.
            _forget(parts.scheme, host, port)
        _status(response.status)
        return response.status, answer
    raise AssertionError("unreachable")  # pragma: no cover


def _post_urllib(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310  (scheme checked by the caller)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=channels.http_timeout()) as response:  # noqa: S310
            return response.status, response.read(_ANSWER_MAX)
    except urllib.error.HTTPError as exc:
        _status(exc.code)
        raise PermanentError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TransientError(f"network: {exc}") from None
    except ValueError as exc:  # a malformed answer (http.client's parser)
        raise TransientError(f"bad answer: {exc}") from None


def _json_answer(body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TransientError("the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise TransientError("the answer is not a JSON object")
    return answer


def _secret(delivery: Any) -> str:
    found = getattr(delivery, "_secret", None)
    if found is None:
        secret = delivery.endpoint.secret
        found = secret.reveal() if secret else ""
    return str(found)


def _signing_secret(delivery: Any) -> str:
    """The endpoint's signing secret; a webhook or DingTalk bot without one is never sent
    to unsigned (PermanentError: an operator must add the secret, then re-drive)."""
    secret = _secret(delivery)
    if not secret:
        raise PermanentError(f"the {delivery.channel} endpoint has no signing secret")
    return secret


def message_text(delivery: Any) -> str:
    lines = [f"**{delivery.subject}**"]
    if delivery.body:
        lines.append(delivery.body)
    if delivery.link:
        lines.append(delivery.link)
    return "\n\n".join(lines)


# --- Generic webhook -----------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def send_webhook(delivery: Any) -> None:
    endpoint = _endpoint(delivery, Channel.WEBHOOK)
    payload = {
        "id": delivery.idempotency_key,
        "kind": delivery.kind,
        "topic": delivery.topic,
        "subject": delivery.subject,
        "body": delivery.body,
        "link": delivery.link,
        "created_at": delivery.created_at.isoformat(),
    }
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "X-Liuqing-Timestamp": timestamp,
        "X-Liuqing-Signature": webhook_signature(_signing_secret(delivery), timestamp, body),
        "Idempotency-Key": delivery.idempotency_key,
    }
    post_bytes(endpoint.url, body, headers)


# --- WeCom group bot -----------------------------------------------------------------------------


def _bot_answer(body: bytes, transient: set[int]) -> None:
    answer = _json_answer(body)
    code = answer.get("errcode")
    if code == 0:
        return
    if not isinstance(code, int):
        raise TransientError("the answer has no errcode")
    message = f"errcode {code}: {str(answer.get('errmsg', ''))[:120]}"
    if code in transient:
        raise TransientError(message)
    raise PermanentError(message)


def send_wecom(delivery: Any) -> None:
    endpoint = _endpoint(delivery, Channel.WECOM)
    content = message_text(delivery).encode("utf-8")[:4000].decode("utf-8", "ignore")
    _status, body = post_json(
        endpoint.url, {"msgtype": "markdown", "markdown": {"content": content}}
    )
    _bot_answer(body, WECOM_TRANSIENT)


# --- DingTalk bot --------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    mac = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(mac).decode("ascii"))


def send_dingtalk(delivery: Any) -> None:
    endpoint = _endpoint(delivery, Channel.DINGTALK)
    secret = _signing_secret(delivery)
    ms = str(int(time.time() * 1000))
    url = endpoint.url
    url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={dingtalk_sign(secret, ms)}"
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": delivery.subject[:64], "text": message_text(delivery)},
    }
    _status, body = post_json(url, payload)
    _bot_answer(body, DINGTALK_TRANSIENT)


# --- SMS gateway ---------------------------------------------------------------------------------


def send_sms(delivery: Any) -> None:
    endpoint = _endpoint(delivery, Channel.SMS)
    contact = channels.contact_for(delivery)
    if not contact.phone:
        raise PermanentError("the recipient has no phone number")
    options = endpoint.options or {}
    params = {"title": delivery.subject[:40], "link": delivery.link[:120]}
    payload = {
        "PhoneNumbers": contact.phone.removeprefix("+86"),
        "SignName": str(options.get("sign_name", "")),
        "TemplateCode": str(options.get("template_code", "")),
        "TemplateParam": json.dumps(params, ensure_ascii=False),
        "OutId": delivery.idempotency_key,
    }
    key = _secret(delivery)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    _status, body = post_json(endpoint.url, payload, headers)
    answer = _json_answer(body)
    code = str(answer.get("Code", ""))
    if code == "OK":
        return
    transient = tuple(options.get("transient_codes") or SMS_TRANSIENT_CODES)
    message = f"gateway code {code or '(none)'}: {str(answer.get('Message', ''))[:120]}"
    if not code or code in transient:
        raise TransientError(message)
    raise PermanentError(message)


# --- E-mail --------------------------------------------------------------------------------------


def send_email(delivery: Any) -> None:
    contact = channels.contact_for(delivery)
    try:
        validate_email(contact.email)
    except Exception:
        raise PermanentError("the recipient has no valid e-mail address") from None
    body = delivery.body + (f"\n\n{delivery.link}" if delivery.link else "")
    message = EmailMessage(
        subject=delivery.subject,
        body=body,
        to=[contact.email],
        headers={
            "Message-ID": f"<{delivery.idempotency_key}@liuqing>",
            "X-Liuqing-Idempotency-Key": delivery.idempotency_key,
        },
    )
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentError(f"mail server refused the recipient: {codes[0]}") from None
        raise TransientError(f"mail server deferred the recipient: {codes}") from None
    except smtplib.SMTPResponseException as exc:
        # Like HTTP: a 5xx answer (mailbox unknown, message refused) will not change on a
        # retry; a 4xx one (greylisting, mailbox busy) may.
        text = f"mail server: {exc.smtp_code} {exc.smtp_error!r}"[:200]
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(text) from None
        raise TransientError(text) from None
    except (TimeoutError, OSError) as exc:  # refused, reset, unreachable, other SMTP errors
        raise TransientError(f"mail server: {exc}") from None


register(Adapter(channel=Channel.WEBHOOK, send=send_webhook))
register(Adapter(channel=Channel.WECOM, send=send_wecom))
register(Adapter(channel=Channel.DINGTALK, send=send_dingtalk))
register(Adapter(channel=Channel.SMS, send=send_sms))
register(Adapter(channel=Channel.EMAIL, send=send_email))
