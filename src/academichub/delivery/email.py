"""E-mail digests: multipart text + HTML with an unsubscribe link, sent over SMTP (STARTTLS, SSL or plain)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from academichub.delivery.digest import Digest
from academichub.errors import ConfigError, DeliveryError
from academichub.settings import SmtpSettings

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
# With each language's punctuation after a label and between reasons (a Chinese digest said "推荐理由: …; …").
LABELS = {"zh": {"why": "推荐理由", "overview": "简报概览", "themes": "主题", "briefing": "阅读完整简报",
                 "feed": "打开雷达", "unsubscribe": "退订此邮件", "colon": "：", "and": "；"},
          "en": {"why": "why", "overview": "Briefing", "themes": "Themes", "briefing": "Read the whole briefing",
                 "feed": "Open the radar", "unsubscribe": "Unsubscribe", "colon": ": ", "and": "; "}}


def text_body(digest: Digest, unsubscribe_url: str) -> str:
    """The plain-text part."""
    labels = LABELS[digest.lang]
    colon = labels["colon"]
    lines = [digest.title, "=" * min(len(digest.title), 72), ""]
    for item in digest.items:
        lines += [f"{item.n:02d}. {item.title}", f"    {item.label} · {item.date} · {item.authors}",
                  f"    {labels['why']}{colon}{labels['and'].join(item.reasons)}", f"    {item.url}", ""]
    if digest.overview:
        lines += [f"{labels['overview']}{colon.rstrip()}", digest.overview, ""]
        if digest.themes:
            lines += [f"{labels['themes']}{colon}" + " · ".join(digest.themes), ""]
        lines += [f"{labels['briefing']}{colon}{digest.briefing_url}", ""]
    lines += [f"{labels['feed']}{colon}{digest.feed_url}", f"{labels['unsubscribe']}{colon}{unsubscribe_url}"]
    return "\n".join(lines) + "\n"


def compose(digest: Digest, *, sender: str, to: str, unsubscribe_url: str) -> EmailMessage:
    """The digest as a multipart/alternative message with List-Unsubscribe (one-click, RFC 8058)."""
    message = EmailMessage()
    message["Subject"] = digest.title
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="academichub")
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text_body(digest, unsubscribe_url))
    html = _ENV.get_template("digest_email.html").render(d=digest, labels=LABELS[digest.lang],
                                                         unsubscribe_url=unsubscribe_url)
    message.add_alternative(html, subtype="html")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send through the configured SMTP server; failures raise DeliveryError naming the server."""
    if not settings.host:
        raise ConfigError("email: no SMTP server configured (set smtp.host, e.g. ACADEMICHUB_SMTP__HOST)")
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password.get_secret_value() if settings.password else "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"email: sending through {where} failed: {exc}") from exc
