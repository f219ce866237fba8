"""The log formats of the guestbook's images, as Fluent Bit regex parsers, and the pod
annotations that name them.

The images log to stdout and stderr only: the php image links Apache's ``access.log`` to
stdout and ``error.log`` to stderr, and Redis without a ``logfile`` logs to stdout. So a pod
only has to say how its lines are parsed, with Fluent Bit's documented annotation
``fluentbit.io/parser[_stream][-container]`` (honoured when the collector's kubernetes filter
has ``K8S-Logging.Parser On``). Imports nothing from the constructs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ANNOTATION_PREFIX = "fluentbit.io/parser"
"""Fluent Bit's pod annotation naming a parser: ``fluentbit.io/parser[_stream][-container]``."""


@dataclass(frozen=True, kw_only=True)
class LogParser:
    """One Fluent Bit regex parser: what it is called and the fields it extracts."""

    name: str
    """Parser name, as the pod annotations give it."""
    regex: str
    """Onigmo (Ruby syntax) regex; each named group becomes a field."""
    time_key: str
    """Field holding the record's time (removed from the record once read)."""
    time_format: str
    """strptime format of that field (``%L``: fractional seconds, Fluent Bit's extension)."""
    types: Mapping[str, str]
    """Fields converted from strings (``integer``)."""

    def fields(self) -> tuple[str, ...]:
        """The named groups, in order: the fields a matching line can give."""
        return tuple(re.findall(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", self.regex))


_QUOTED = r'(?:[^"\\]|\\.)*'  # Apache escapes " and \ inside quoted fields as \" and \\

APACHE_ACCESS = LogParser(
    name="guestbook-apache-access",
    # Apache's "combined" format: %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i".
    # A request line that is not "METHOD PATH PROTOCOL" (a timeout logs "-") is kept whole.
    regex=(
        r"^(?<client>[^ ]+) (?<ident>[^ ]+) (?<user>[^ ]+) \[(?<time>[^\]]+)\] "
        r'"(?:(?<method>[A-Z]+) (?<path>(?:[^"\\ ]|\\.)*)(?: (?<protocol>HTTP/[0-9.]+))?'
        rf'|(?<request>{_QUOTED}))" '
        r"(?<code>[0-9]{3}) (?:(?<size>[0-9]+)|-) "
        rf'"(?<referer>{_QUOTED})" "(?<agent>{_QUOTED})"$'
    ),
    time_key="time",
    time_format="%d/%b/%Y:%H:%M:%S %z",
    types={"code": "integer", "size": "integer"},
)
"""The frontend's access log (stdout)."""

APACHE_ERROR = LogParser(
    name="guestbook-apache-error",
    # Apache 2.4's default error log format:
    # [%{u}t] [%-m:%l] [pid %P:tid %T] %E: [client %a] %M, referer %{Referer}i
    # (no tid under the prefork MPM, %E and the client only when there are some).
    regex=(
        r"^\[(?<time>[^\]]+)\] \[(?:(?<module>[^:\] ]+):)?(?<level>[a-z0-9]+)\] "
        r"\[pid (?<pid>[0-9]+)(?::tid (?<tid>[0-9]+))?\]"
        r"(?: \((?<os_errno>-?[0-9]+)\)(?<os_error>[^:]*):)?"
        r"(?: \[client (?<client>[^\]]+)\])? (?<message>.*?)(?:, referer: (?<referer>[^ ]*))?$"
    ),
    time_key="time",
    time_format="%a %b %d %H:%M:%S.%L %Y",
    types={"pid": "integer", "tid": "integer", "os_errno": "integer"},
)
"""The frontend's error log (stderr): Apache's own messages and PHP's warnings and errors."""

REDIS = LogParser(
    name="guestbook-redis",
    # pid:role day month year time.ms level message; role X sentinel, C child, S replica,
    # M master; level . debug, - verbose, * notice, # warning.
    regex=(
        r"^(?<pid>[0-9]+):(?<role>[XCSM]) "
        r"(?<time>[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}) "
        r"(?<level>[.*#-]) (?<message>.*)$"
    ),
    time_key="time",
    time_format="%d %b %Y %H:%M:%S.%L",
    types={"pid": "integer"},
)
"""Redis and Sentinel (stdout)."""

PARSERS: tuple[LogParser, ...] = (APACHE_ACCESS, APACHE_ERROR, REDIS)
"""Every parser the guestbook's pods name; the collector's configuration defines them all."""


def parser_annotations(container: str, parsers: Sequence[tuple[str, LogParser]]) -> dict[str, str]:
    """The pod annotations naming ``container``'s parsers: ``(stream, parser)`` pairs, where a
    stream of ``""`` means both (``fluentbit.io/parser-<container>``)."""
    return {
        f"{ANNOTATION_PREFIX}{'_' + stream if stream else ''}-{container}": parser.name
        for stream, parser in parsers
    }
