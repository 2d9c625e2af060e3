"""Every error AcademicHub raises on purpose, so callers can catch by kind.

    AcademicHubError
    ├── ConfigError                  bad settings or options
    ├── InputError                   a file or value the user gave cannot be used
    ├── NotFoundError                no such paper, radar, subscription … (or not yours)
    ├── AuthError                    not signed in, or wrong credentials
    │   └── TooManyAttemptsError     sign-in paused after repeated failures
    ├── StorageError                 the database or the search index refused
    ├── DeliveryError                an e-mail or a webhook could not be delivered
    └── SourceError                  anything that went wrong getting data from a source
        ├── FetchError               the request did not give usable bytes (kind says why)
        │   ├── NetworkError         kind="network": DNS, refused, reset
        │   ├── TimeoutError_        kind="timeout"
        │   ├── RateLimitedError     kind="rate-limited": 429 (retry_after kept)
        │   ├── HttpClientError      kind="http-4xx"
        │   ├── HttpServerError      kind="http-5xx"
        │   └── TooLargeError        kind="too-large": over the response size cap
        ├── ParseError               kind="parse": bytes came but are not the expected format
        └── ProtocolError            kind="protocol": the source answered with an error document

Messages start with the component ("arxiv-oai: …") so a log line names its origin.
"""

from __future__ import annotations


class AcademicHubError(Exception):
    """Base of all deliberate errors."""


class ConfigError(AcademicHubError):
    """A setting or option is invalid."""


class InputError(AcademicHubError):
    """A file or value the user gave cannot be used.

    `problem` names the case so an interface can say it in the reader's language, and
    `suggestions` holds values that would work (e.g. the nearest category names)."""

    def __init__(self, message: str, *, problem: str = "", suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problem = problem
        self.suggestions = suggestions


class NotFoundError(AcademicHubError):
    """The requested object does not exist."""


class AuthError(AcademicHubError):
    """Not signed in, or the credentials are wrong (the message never says which part)."""


class TooManyAttemptsError(AuthError):
    """Sign-in is paused after repeated failures."""

    def __init__(self, message: str, *, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryError(AcademicHubError):
    """An e-mail digest or a webhook post failed (the message names the channel)."""


class StorageError(AcademicHubError):
    """The database or the index failed."""


class SourceError(AcademicHubError):
    """Getting data from a source failed; `kind` classifies why."""

    kind = "source"

    def __init__(self, message: str, *, component: str = "source") -> None:
        super().__init__(message if message.startswith(f"{component}:") else f"{component}: {message}")
        self.component = component


class FetchError(SourceError):
    """The request did not produce usable bytes."""

    kind = "fetch"


class NetworkError(FetchError):
    """Connection-level failure."""

    kind = "network"


class TimeoutError_(FetchError):
    """The source did not answer in time."""

    kind = "timeout"


class RateLimitedError(FetchError):
    """The source said 429; `retry_after` holds its advice in seconds when given."""

    kind = "rate-limited"

    def __init__(self, message: str, *, component: str = "source", retry_after: float | None = None):
        super().__init__(message, component=component)
        self.retry_after = retry_after


class HttpClientError(FetchError):
    """A 4xx answer other than 429."""

    kind = "http-4xx"

    def __init__(self, message: str, *, component: str = "source", status: int = 400):
        super().__init__(message, component=component)
        self.status = status


class HttpServerError(FetchError):
    """A 5xx answer."""

    kind = "http-5xx"

    def __init__(self, message: str, *, component: str = "source", status: int = 500):
        super().__init__(message, component=component)
        self.status = status


class TooLargeError(FetchError):
    """The response exceeded the size cap."""

    kind = "too-large"


class ParseError(SourceError):
    """The bytes are not in the format the parser expects."""

    kind = "parse"


class ProtocolError(SourceError):
    """The source answered with an error document (e.g. an OAI-PMH error code)."""

    kind = "protocol"

    def __init__(self, message: str, *, component: str = "source", code: str = ""):
        super().__init__(message, component=component)
        self.code = code


def refusal(exc: BaseException) -> str:
    """The first line of what an exception says, the driver's own words where a database error
    wraps them (SQLAlchemy adds the statement and a link): a full disk said in one line."""
    said = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return said[0] if said else type(exc).__name__
