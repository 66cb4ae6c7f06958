"""Where famlink reads its configuration from.

Settings come from environment variables, optionally backed by a TOML
settings file (``$FAMLINK_SETTINGS_FILE``, else ``$FAMLINK_DATA_DIR/famlink.toml``).
An environment variable always wins over the file. Every setting is listed in
``SETTINGS`` with its meaning, and ``docs/configuration.md`` is tested to
document each one.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from famlink.core import digits as _digits
from famlink.core.errors import InvalidInput
from famlink.core.policy import ConsentBasis
from famlink.core.private_files import private_folder, write_private
from famlink.core.taxonomy import Purpose


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("FAMLINK_DATA_DIR", "~/.local/share/famlink", "Folder for the embedded database, keys, logs and demo data; created 0700, its files 0600."),
    Setting("DATABASE_URL", "sqlite:///$FAMLINK_DATA_DIR/famlink.sqlite3", "Database: sqlite:///PATH or postgresql://USER@HOST:PORT/NAME."),
    Setting("FAMLINK_SECRET_KEY", None, "Django secret key; generated into the data folder on first use when unset."),
    Setting("FAMLINK_DEBUG", "0", "1 shows debug pages. Never in production."),
    Setting("FAMLINK_ALLOWED_HOSTS", "127.0.0.1,localhost", "Comma-separated host names the web app answers to."),
    Setting("FAMLINK_SECURE_COOKIES", "0", "1 marks cookies Secure (set it behind HTTPS)."),
    Setting("FAMLINK_HTTPS", "0", "1 when people reach famlink over HTTPS only: sends Strict-Transport-Security and marks cookies Secure."),
    Setting("FAMLINK_HSTS_SECONDS", "31536000", "With FAMLINK_HTTPS=1: how long browsers must use HTTPS only (one year; 0 sends no HSTS)."),
    Setting("FAMLINK_HSTS_INCLUDE_SUBDOMAINS", "0", "1 adds includeSubDomains to HSTS: only if every name under famlink's host name serves HTTPS."),
    Setting("FAMLINK_FRONTEND_DIR", "<checkout>/node_modules", "Where the npm packages (govuk-frontend) were installed."),
    Setting("FAMLINK_INGEST_BATCH", "5000", "Rows written per transaction during ingest."),
    Setting("FAMLINK_SPARK_MASTER", "local[2]", "Spark master for the Spark linkage engine (spark://HOST:7077 in production)."),
    Setting("FAMLINK_SPARK_DRIVER_MEMORY", "4g", "Heap of the Spark driver famlink starts (a JVM size: 4g, 8g); in local mode the driver also runs the work. Spark's own default, 1g, runs out on 2,000 families. Ignored when famlink runs under spark-submit, which sets it itself."),
    Setting("FAMLINK_SPARK_CHECKPOINT_DIR", "", "Folder where Splink on Spark writes its intermediate tables; on a cluster one every executor and the driver can reach (hdfs://..., a shared mount). Empty: a temporary folder, removed after the run (local mode)."),
    Setting("FAMLINK_DUCKDB_MEMORY_LIMIT", "3GB", "Most memory the DuckDB linkage engine may use (a DuckDB size: 3GB, 500MB); beyond it a run spills to a temporary folder. DuckDB's own default, 80% of the machine's memory, would leave too little for the database and the web app."),
    Setting("FAMLINK_EMAIL_BACKEND", "famlink.adapters.outbox.PrivateOutbox", "Django email backend used to notify parents; the default writes 0600 files to $FAMLINK_DATA_DIR/outbox."),
    Setting("FAMLINK_OIDC_ISSUER", "", "GOV.UK One Login issuer URL (https://oidc.account.gov.uk/); empty turns One Login off."),
    Setting("FAMLINK_OIDC_CLIENT_ID", "", "The client id One Login issued to the council."),
    Setting("FAMLINK_OIDC_PRIVATE_KEY_FILE", "", "PEM private key for private_key_jwt; its public key is registered with One Login."),
    Setting("FAMLINK_OIDC_KEY_ID", "", "Optional kid for the client assertion."),
    Setting("FAMLINK_OIDC_VTR", '["Cl.Cm"]', "One Login vector of trust; add P2 for identity proving."),
    Setting("FAMLINK_STAFF_OIDC_ISSUER", "", "The council's OpenID Connect issuer URL for staff sign-in; empty turns it off."),
    Setting("FAMLINK_STAFF_OIDC_CLIENT_ID", "", "The client id the council's provider issued to famlink."),
    Setting("FAMLINK_STAFF_OIDC_PRIVATE_KEY_FILE", "", "PEM private key for private_key_jwt; its public key is registered with the council's provider."),
    Setting("FAMLINK_STAFF_OIDC_KEY_ID", "", "Optional kid for the staff client assertion."),
    Setting("FAMLINK_STAFF_OIDC_MFA_AMR", "mfa", "Space-separated amr values that count as the provider's own second factor; otherwise famlink asks for a TOTP code."),
    Setting("FAMLINK_API_CALLS_PER_MINUTE", "120", "Calls one account (signed in, or a service account's token) may make to the API in a minute; more get 429 with Retry-After."),
    Setting("FAMLINK_API_TOKEN_DAYS", "90", "Days a service account's API token lasts when famlink accounts create-service is given no --days."),
    Setting("FAMLINK_AUDIT_WRITER_SOCKET", "$FAMLINK_DATA_DIR/audit-writer.sock", "Unix socket where the audit writer (famlink audit writer) listens; a path under 100 characters."),
    Setting("FAMLINK_AUDIT_WITNESS_FILE", "$FAMLINK_DATA_DIR/audit-witness/tree-heads.jsonl", "Append-only file (JSON lines) where famlink audit publish keeps a copy of every signed tree head, outside the database; put it on other storage than the database's."),
    Setting("FAMLINK_AUDIT_WITNESS_URLS", "", "Witness servers that famlink audit publish POSTs each signed tree head to (JSON), separated by commas or spaces; empty sends none."),
    Setting("FAMLINK_AUDIT_WITNESS_TIMEOUT", "10", "Seconds to wait for each witness URL, and for a URL given to famlink audit verify --against."),
    Setting("FAMLINK_CONSENT_MODELS", "service.record_linkage=consent", "The consent model of each purpose, as PURPOSE=consent, PURPOSE=opt_out or PURPOSE=statutory:LAW separated by ';'; a purpose not listed keeps its default. Record linkage's default, consent, links across services only with a yes (within one service always)."),
    Setting("FAMLINK_SETTINGS_FILE", "$FAMLINK_DATA_DIR/famlink.toml", "Optional TOML file holding any of these settings."),
)


def _file_settings() -> dict[str, str]:
    path = os.environ.get("FAMLINK_SETTINGS_FILE")
    if path is None:
        data_dir = os.environ.get("FAMLINK_DATA_DIR")
        if data_dir is None:
            return {}
        path = str(Path(data_dir) / "famlink.toml")
    candidate = Path(path).expanduser()
    if not candidate.is_file():
        return {}
    with candidate.open("rb") as fh:
        loaded = tomllib.load(fh)
    return {str(k).upper(): str(v) for k, v in loaded.items()}


def get(name: str, default: str | None = None) -> str | None:
    """One setting: environment first, then the settings file, then ``default``."""
    if name in os.environ:
        return os.environ[name]
    return _file_settings().get(name, default)


def data_dir() -> Path:
    raw = get("FAMLINK_DATA_DIR") or str(Path.home() / ".local" / "share" / "famlink")
    return private_folder(Path(raw).expanduser().resolve())


def database_url() -> str:
    return get("DATABASE_URL") or f"sqlite:///{data_dir() / 'famlink.sqlite3'}"


def audit_writer_socket() -> Path:
    """Where the audit writer listens (``famlink audit writer``)."""
    configured = get("FAMLINK_AUDIT_WRITER_SOCKET")
    return Path(configured).expanduser() if configured else data_dir() / "audit-writer.sock"


def audit_witness_file() -> Path:
    """Where ``famlink audit publish`` keeps its copy of each signed tree head."""
    configured = get("FAMLINK_AUDIT_WITNESS_FILE")
    return Path(configured).expanduser() if configured else data_dir() / "audit-witness" / "tree-heads.jsonl"


def audit_witness_urls() -> list[str]:
    """The witness servers each signed tree head is sent to."""
    return (get("FAMLINK_AUDIT_WITNESS_URLS") or "").replace(",", " ").split()


def audit_witness_timeout() -> float:
    raw = get("FAMLINK_AUDIT_WITNESS_TIMEOUT") or "10"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise InvalidInput(f"must be a number of seconds between 0 and 600, not {raw!r}",
                           where="FAMLINK_AUDIT_WITNESS_TIMEOUT")
    return seconds


def consent_models() -> dict[Purpose, ConsentBasis]:
    """Every purpose's consent model: what ``decide()`` is told and what every page says.

    A bad value is refused with the entry named (``InvalidInput``, where
    ``FAMLINK_CONSENT_MODELS``); docs/configuration.md gives the format.
    """
    from famlink.core.policy.consent_models import (
        DEFAULT,
        SETTING,
        consent_bases,
        parse_consent_models,
    )

    return consent_bases(parse_consent_models(get(SETTING, DEFAULT) or ""))


def secret_key() -> str:
    """The Django secret key: never in the repo, generated on first use."""
    configured = get("FAMLINK_SECRET_KEY")
    if configured:
        return configured
    key_file = data_dir() / "secret_key"
    if not key_file.exists():
        write_private(key_file, secrets.token_urlsafe(50).encode())
    return key_file.read_text().strip()


def whole_number(name: str, *, minimum: int = 0) -> int:
    """A numeric setting, read by the same parser as ids in URLs; its default comes from ``SETTINGS``."""
    default = next(s.default for s in SETTINGS if s.name == name)
    value = _digits.whole_number((get(name, default) or "").strip(), where=name)
    if value < minimum:
        raise InvalidInput(f"must be at least {minimum}", where=name)
    return value


def flag(name: str, default: str = "0") -> bool:
    return (get(name, default) or "0").strip().lower() in {"1", "true", "yes", "on"}


def checkout_dir() -> Path:
    return Path(__file__).resolve().parent.parent
