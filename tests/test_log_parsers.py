"""The rendered Fluent Bit configuration parses the guestbook's log lines into the documented
fields.

Fluent Bit itself is in no package registry this project reaches, so the configuration is
checked as far as that allows: its parser regexes, read from the ConfigMap in
``dist/prod.logging/``, run in a real Oniguruma in Ruby syntax as Fluent Bit runs them
(tests/oniguruma.py), over lines as the images write them; the time formats are read with
strptime; and the file's structure and keys are checked against Fluent Bit's documented
sections and plugin options.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, by_kind_name, load_folder

pytest.importorskip("onigurumacffi", reason="needs the dev extra onigurumacffi")

from tests.oniguruma import FluentBitRegex, OnigError

COLLECTOR = ROOT / "dist" / "prod.logging"
DOCS = ROOT / "docs" / "production.md"


def _config() -> dict[str, Any]:
    objects = by_kind_name(load_folder(COLLECTOR))
    config = yaml.safe_load(objects[("ConfigMap", "fluent-bit")]["data"]["fluent-bit.yaml"])
    assert isinstance(config, dict)
    return config


def _parser(name: str) -> dict[str, Any]:
    [parser] = [p for p in _config()["parsers"] if p["name"] == name]
    return parser


def _parse(name: str, line: str) -> dict[str, str] | None:
    return FluentBitRegex(_parser(name)["regex"]).parse(line)


def _timestamp(name: str, value: str) -> time.struct_time:
    """The record time Fluent Bit reads from ``value`` (its %L is fractional seconds)."""
    return time.strptime(value, _parser(name)["time_format"].replace("%L", "%f"))


# --- Apache's access log: the "combined" format, on stdout -----------------------------

ACCESS = "guestbook-apache-access"


def test_a_probe_request_gives_every_field() -> None:
    line = (
        '10.244.1.1 - - [28/Nov/2026:09:58:44 +0000] "GET / HTTP/1.1" 200 1184 "-" '
        '"kube-probe/1.34"'
    )
    assert _parse(ACCESS, line) == {
        "client": "10.244.1.1",
        "ident": "-",
        "user": "-",
        "time": "28/Nov/2026:09:58:44 +0000",
        "method": "GET",
        "path": "/",
        "protocol": "HTTP/1.1",
        "code": "200",
        "size": "1184",
        "referer": "-",
        "agent": "kube-probe/1.34",
    }
    stamp = _timestamp(ACCESS, "28/Nov/2026:09:58:44 +0000")
    assert (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour) == (2026, 11, 28, 9)


def test_an_api_call_keeps_its_query_and_an_escaped_quote() -> None:
    line = (
        "203.0.113.7 - - [28/Nov/2026:10:01:02 +0100] "
        '"GET /guestbook.php?cmd=set&key=messages&value=,hi%20there HTTP/1.1" 200 298 '
        '"http://guestbook.example/" "Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\""'
    )
    fields = _parse(ACCESS, line)
    assert fields is not None
    assert fields["path"] == "/guestbook.php?cmd=set&key=messages&value=,hi%20there"
    assert fields["referer"] == "http://guestbook.example/"
    assert fields["agent"] == 'Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\"'
    assert _timestamp(ACCESS, fields["time"]).tm_gmtoff == 3600


def test_a_request_line_apache_could_not_read_is_kept_whole() -> None:
    # A client that connects and sends nothing: Apache logs "-" and 408
    line = '10.244.1.1 - - [28/Nov/2026:10:01:03 +0000] "-" 408 0 "-" "-"'
    fields = _parse(ACCESS, line)
    assert fields is not None
    assert fields["request"] == "-"
    assert "method" not in fields and "path" not in fields
    assert (fields["code"], fields["size"]) == ("408", "0")


def test_a_response_without_a_body_size_has_no_size_field() -> None:
    line = '10.244.1.1 - alice [28/Nov/2026:10:01:04 +0000] "HEAD / HTTP/1.0" 304 - "-" "curl/8"'
    fields = _parse(ACCESS, line)
    assert fields is not None
    assert fields["user"] == "alice"
    assert "size" not in fields  # empty values are skipped, as Fluent Bit does


def test_an_error_log_line_is_not_read_as_an_access_line() -> None:
    line = "[Sat Nov 28 09:58:44.123456 2026] [core:notice] [pid 1] AH00094: Command line"
    assert _parse(ACCESS, line) is None


# --- Apache's error log: Apache 2.4's default format, on stderr -------------------------

ERROR = "guestbook-apache-error"


def test_apache_start_up_notice() -> None:
    line = (
        "[Sat Nov 28 09:58:44.123456 2026] [mpm_prefork:notice] [pid 1] AH00163: "
        "Apache/2.4.38 (Debian) PHP/7.4.33 configured -- resuming normal operations"
    )
    assert _parse(ERROR, line) == {
        "time": "Sat Nov 28 09:58:44.123456 2026",
        "module": "mpm_prefork",
        "level": "notice",
        "pid": "1",
        "message": "AH00163: Apache/2.4.38 (Debian) PHP/7.4.33 configured -- resuming normal "
        "operations",
    }
    stamp = _timestamp(ERROR, "Sat Nov 28 09:58:44.123456 2026")
    assert (stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec) == (28, 9, 58, 44)


def test_a_php_warning_names_the_client_and_the_referer() -> None:
    line = (
        "[Sat Nov 28 10:02:03.456789 2026] [php7:warn] [pid 17] [client 10.244.2.5:51234] "
        "PHP Warning:  Undefined index: cmd in /var/www/html/guestbook.php on line 10, "
        "referer: http://guestbook.example/"
    )
    fields = _parse(ERROR, line)
    assert fields is not None
    assert (fields["module"], fields["level"], fields["pid"]) == ("php7", "warn", "17")
    assert fields["client"] == "10.244.2.5:51234"
    assert fields["message"] == (
        "PHP Warning:  Undefined index: cmd in /var/www/html/guestbook.php on line 10"
    )
    assert fields["referer"] == "http://guestbook.example/"


def test_an_os_error_a_thread_id_and_a_space_padded_day() -> None:
    # Saturday 7 November 2026: Apache pads the day with a space
    line = (
        "[Sat Nov  7 10:02:03.000001 2026] [core:error] [pid 18:tid 140234] "
        "(13)Permission denied: [client 10.244.2.5:51236] AH00035: access to / denied"
    )
    fields = _parse(ERROR, line)
    assert fields is not None
    assert (fields["tid"], fields["os_errno"], fields["os_error"]) == (
        "140234",
        "13",
        "Permission denied",
    )
    assert fields["message"] == "AH00035: access to / denied"
    assert _timestamp(ERROR, fields["time"]).tm_mday == 7


def test_a_message_apache_prints_before_its_error_log_opens_stays_unparsed() -> None:
    # Written to stderr before the log is set up: Fluent Bit keeps it as the raw `log`
    line = (
        "AH00558: apache2: Could not reliably determine the server's fully qualified "
        "domain name, using 10.244.1.9. Set the 'ServerName' directive globally"
    )
    assert _parse(ERROR, line) is None


# --- Redis (leader, followers and Sentinel), on stdout ----------------------------------

REDIS = "guestbook-redis"


@pytest.mark.parametrize(
    ("line", "pid", "role", "level", "message"),
    [
        (
            "1:C 28 Nov 2026 09:58:44.123 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
            "1",
            "C",
            "#",
            "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        ),
        (
            "1:M 28 Nov 2026 09:58:44.130 * Running mode=standalone, port=6379.",
            "1",
            "M",
            "*",
            "Running mode=standalone, port=6379.",
        ),
        (
            "1:S 08 Nov 2026 09:58:45.001 * Connecting to MASTER redis-leader:6379",
            "1",
            "S",
            "*",
            "Connecting to MASTER redis-leader:6379",
        ),
        (
            "12:X 28 Nov 2026 10:00:00.000 # +switch-master guestbook 10.244.1.5 6379 "
            "10.244.2.6 6379",
            "12",
            "X",
            "#",
            "+switch-master guestbook 10.244.1.5 6379 10.244.2.6 6379",
        ),
        (
            "27:C 28 Nov 2026 10:05:00.500 - Fork CoW for RDB: current 0 MB",
            "27",
            "C",
            "-",
            "Fork CoW for RDB: current 0 MB",
        ),
    ],
)
def test_redis_lines(line: str, pid: str, role: str, level: str, message: str) -> None:
    fields = _parse(REDIS, line)
    assert fields is not None
    assert (fields["pid"], fields["role"], fields["level"], fields["message"]) == (
        pid,
        role,
        level,
        message,
    )
    stamp = _timestamp(REDIS, fields["time"])
    assert (stamp.tm_year, stamp.tm_mon) == (2026, 11)


def test_the_exporter_sidecars_lines_are_not_redis_lines() -> None:
    # redis_exporter logs in logfmt; the annotations name the parser for the Redis containers only
    line = 'time="2026-11-28T09:58:44Z" level=info msg="Redis Metrics Exporter v1.87.0"'
    assert _parse(REDIS, line) is None


# --- the configuration file -------------------------------------------------------------

# Sections of Fluent Bit's YAML configuration, and the options its documentation lists for
# what the guestbook uses (docs.fluentbit.io: "YAML configuration", tail, kubernetes, es,
# opensearch, "Configuring parsers").
SECTIONS = {"service", "parsers", "pipeline"}
OPTIONS = {
    "service": {
        "flush", "log_level", "http_server", "http_listen", "http_port", "health_check",
    },
    "parser": {"name", "format", "regex", "time_key", "time_format", "types"},
    "tail": {
        "name", "tag", "path", "multiline.parser", "db", "mem_buf_limit", "skip_long_lines",
        "refresh_interval",
    },
    "kubernetes": {
        "name", "match", "kube_url", "merge_log", "keep_log", "k8s-logging.parser",
        "k8s-logging.exclude", "labels", "annotations",
    },
    "es": {
        "name", "match", "host", "port", "index", "suppress_type_name", "replace_dots",
        "trace_error", "retry_limit", "tls", "tls.verify", "http_user", "http_passwd",
    },
}  # fmt: skip
OPTIONS["opensearch"] = OPTIONS["es"]
ON_OFF = {"on", "off"}
TYPES = {"string", "integer", "bool", "float", "hex"}


def test_the_file_has_fluent_bits_sections_and_documented_options_only() -> None:
    config = _config()
    assert set(config) == SECTIONS
    assert set(config["service"]) <= OPTIONS["service"]
    pipeline = config["pipeline"]
    assert set(pipeline) == {"inputs", "filters", "outputs"}
    for plugin in (*pipeline["inputs"], *pipeline["filters"], *pipeline["outputs"]):
        assert set(plugin) <= OPTIONS[plugin["name"]], plugin["name"]
        for key, value in plugin.items():
            # Booleans are written as on/off strings, never YAML booleans
            assert not isinstance(value, bool), (plugin["name"], key)
    # The filter and the output read what the input tags
    [tail] = pipeline["inputs"]
    assert all(p["match"] == tail["tag"] for p in (*pipeline["filters"], *pipeline["outputs"]))


def test_every_parser_compiles_and_its_options_fit_its_regex() -> None:
    for parser in _config()["parsers"]:
        assert set(parser) <= OPTIONS["parser"]
        assert parser["format"] == "regex"
        regex = FluentBitRegex(parser["regex"])
        names = regex.names()
        assert parser["time_key"] in names, parser["name"]
        for entry in parser["types"].split():
            field, kind = entry.split(":")
            assert field in names and kind in TYPES, (parser["name"], entry)


def test_the_engine_refuses_a_broken_regex() -> None:
    # The check above can fail: an unbalanced group is an error, not a non-match
    with pytest.raises(OnigError):
        FluentBitRegex("^(?<time>[^\\]]+")


def test_every_annotation_names_a_parser_the_configuration_defines() -> None:
    defined = {p["name"] for p in _config()["parsers"]}
    named: set[str] = set()
    for obj in load_folder(ROOT / "dist" / "prod"):
        if obj["kind"] == "Deployment":
            annotations = obj["spec"]["template"]["metadata"].get("annotations", {})
            named |= {v for k, v in annotations.items() if k.startswith("fluentbit.io/parser")}
    assert named == defined


def test_every_field_is_documented() -> None:
    section = DOCS.read_text(encoding="utf-8").split("## Centralised logging", 1)[1]
    documented = set(re.findall(r"`([a-z_]+)`", section))
    for parser in _config()["parsers"]:
        fields = set(FluentBitRegex(parser["regex"]).names())
        assert fields <= documented, (parser["name"], sorted(fields - documented))
