"""Which From address a candidate's notes may carry: the rules that need no SES to decide.

A note From the candidate's own address reads more personal, but it only reaches people when the
address's domain lets this SES account send for it: receivers check DMARC, which passes only when
the From domain is the domain that signed the message (DKIM) or sent it (SPF). Hence two refusals
that hold whatever SES would say:

- **free-mail addresses**: SES can never sign for gmail.com or yahoo.com, and those providers publish
  DMARC policies telling receivers to refuse or junk such mail (Yahoo and AOL `p=reject`; Gmail
  `p=none`, announced to move to `quarantine`). The platform's own identity, with the candidate's
  name and Reply-To their address, is what reaches the inbox;
- **the platform's own sender domain** (and its subdomains): the account may send as anyone there,
  so a member choosing such an address could write as `notes@` or as another member.

Whether the account has verified an address or its domain is SES's to say (service.ports.Identities).
"""

from __future__ import annotations

import re

# Free-mail providers, by the domain after the "@". Readable on purpose: add to it as members meet
# others. Brands registered under many country domains (yahoo.co.uk, hotmail.fr, gmx.de) are below.
FREE_MAIL_DOMAINS = frozenset(
    {
        # Google
        "gmail.com",
        "googlemail.com",
        # Yahoo (also yahoo.<country>, below) and AOL, both p=reject
        "ymail.com",
        "rocketmail.com",
        "aol.com",
        "aim.com",
        # Microsoft (also hotmail.<country>, live.<country>, outlook.<country>)
        "msn.com",
        "passport.com",
        # Apple
        "icloud.com",
        "me.com",
        "mac.com",
        # Proton
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        # United Internet (also gmx.<country>)
        "web.de",
        "mail.com",
        # Yandex (also yandex.<country>) and Mail.ru
        "ya.ru",
        "mail.ru",
        # Zoho, Fastmail, Tuta, HEY
        "zoho.com",
        "zohomail.com",
        "fastmail.com",
        "tutanota.com",
        "tuta.io",
        "hey.com",
        # National providers where career-centre members often are
        "t-online.de",
        "freenet.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "btinternet.com",
        "comcast.net",
        "att.net",
        "sbcglobal.net",
        "verizon.net",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "daum.net",
        "rediffmail.com",
    }
)
FREE_MAIL_BRANDS = frozenset({"yahoo", "hotmail", "live", "outlook", "gmx", "yandex", "aol"})
# What follows a brand: a top-level domain ("fr", "com") or a country's second level ("co.uk", "com.br").
_COUNTRY_SUFFIX = re.compile(r"[a-z]{2,3}|(co|com|ne|or)\.[a-z]{2}")


def free_mail_domain(domain: str) -> bool:
    domain = domain.strip().lower().rstrip(".")
    if domain in FREE_MAIL_DOMAINS:
        return True
    brand, _, suffix = domain.partition(".")
    return brand in FREE_MAIL_BRANDS and _COUNTRY_SUFFIX.fullmatch(suffix) is not None


def on_domain(domain: str, parent: str) -> bool:
    """Is `domain` the domain `parent` or one of its subdomains?"""
    domain, parent = domain.strip().lower().rstrip("."), parent.strip().lower().rstrip(".")
    return domain == parent or domain.endswith(f".{parent}")


def own_address_refusal(address: str, platform_domain: str) -> str | None:
    """Why `address` can never be a candidate's own From, whatever SES says; None if it may be."""
    domain = address.rpartition("@")[2]
    if free_mail_domain(domain):
        return (
            f"{domain.lower()} is a free-mail domain: SES cannot send From it and pass DMARC (Yahoo and "
            "AOL publish p=reject, Gmail p=none moving to quarantine), so receivers would refuse or junk "
            'the note; use "platform": it goes From the platform\'s domain with your name, and replies '
            "come to your address (Reply-To)"
        )
    if on_domain(domain, platform_domain):
        return (
            f"an address on the platform's own sender domain ({platform_domain}) cannot be a member's "
            'own address; use "platform"'
        )
    return None
