"""Tests of the date and CIDR template functions against Microsoft's documented examples."""
from __future__ import annotations

from typing import Any

import pytest

from validator.expressions import ArmError, Unknown, evaluate
from validator.expressions.functions.dates import (
    DateFormatError,
    format_datetime,
    parse_datetime,
    parse_duration,
)

DOC_BASE_TIME = "2020-04-07 14:53:14Z"  # what the dateTimeAdd example deploys with (utcNow('u'))


def ev(text: str, **parameters: Any) -> Any:
    return evaluate(text, parameters=parameters)


# --- dateTimeAdd: documented examples --------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Remarks of template-functions-date.md: P1Y is 365 days and P1M is 30 days, leap years or not.
        ("[dateTimeAdd('2023-01-01 00:00:00Z', 'P1Y')]", "2024-01-01T00:00:00Z"),
        ("[dateTimeAdd('2024-01-01 00:00:00Z', 'P1Y')]", "2024-12-31T00:00:00Z"),
        ("[dateTimeAdd('2023-02-01 00:00:00Z', 'P1M')]", "2023-03-03T00:00:00Z"),
        ("[dateTimeAdd('2024-02-01 00:00:00Z', 'P1M')]", "2024-03-02T00:00:00Z"),
    ],
)
def test_date_time_add_documented_remarks(expression: str, expected: str) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("duration", "iso", "shown"),
    [
        ("P3Y", "2023-04-07T14:53:14Z", "4/7/2023 2:53:14 PM"),
        ("-P9D", "2020-03-29T14:53:14Z", "3/29/2020 2:53:14 PM"),
        ("PT1H", "2020-04-07T15:53:14Z", "4/7/2020 3:53:14 PM"),
    ],
)
def test_date_time_add_documented_example(duration: str, iso: str, shown: str) -> None:
    # The documentation's output table shows the values as PowerShell prints a DateTime (en-US);
    # the string Azure returns is ISO 8601.
    assert ev(f"[dateTimeAdd(parameters('baseTime'), '{duration}')]", baseTime=DOC_BASE_TIME) == iso
    assert ev(f"[dateTimeAdd(parameters('baseTime'), '{duration}', 'M/d/yyyy h:mm:ss tt')]", baseTime=DOC_BASE_TIME) == shown


def test_date_time_add_of_utc_now_is_nondeterministic_unknown() -> None:
    # The automation schedule example: `dateTimeAdd(parameters('baseTime'), 'PT1H')` with baseTime = utcNow('u').
    value = ev("[dateTimeAdd(utcNow('u'), 'PT1H')]")
    assert isinstance(value, Unknown) and value.nondeterministic


@pytest.mark.parametrize(
    ("base", "duration", "expected"),
    [
        ("2020-01-31T00:00:00Z", "P1M", "2020-03-01T00:00:00Z"),  # 30 days, no month-end clamping
        ("2020-01-01T00:00:00Z", "P1Y2M3DT4H5M6S", "2021-03-04T04:05:06Z"),  # 365 + 60 + 3 days
        ("2020-01-01T00:00:00Z", "PT0.5S", "2020-01-01T00:00:00.5Z"),
        ("2020-01-01T00:00:00Z", "PT1.0000001S", "2020-01-01T00:00:01.0000001Z"),
        ("2020-01-01T00:00:00Z", "PT1.000000019S", "2020-01-01T00:00:01Z"),  # beyond 100 ns is dropped
        ("2020-01-01T00:00:00Z", "P2W", "2020-01-15T00:00:00Z"),
        ("2020-01-01T00:00:00Z", "-P2W", "2019-12-18T00:00:00Z"),
        ("2020-01-01T00:00:00Z", "PT36H", "2020-01-02T12:00:00Z"),
        ("2020-01-01T00:00:00Z", "P0D", "2020-01-01T00:00:00Z"),
        ("2020-03-01T00:00:00+02:00", "PT0S", "2020-02-29T22:00:00Z"),  # adjusted to UTC
        ("2020-03-01T00:00:00-0130", "PT0S", "2020-03-01T01:30:00Z"),
        ("2020-03-01", "P1D", "2020-03-02T00:00:00Z"),
        ("2020-03-01T10:20", "PT1M", "2020-03-01T10:21:00Z"),
        ("2020-03-01T10:20:30.1234567Z", "PT0S", "2020-03-01T10:20:30.1234567Z"),
        ("20190305T175318Z", "P1Y", "2020-03-04T17:53:18Z"),  # utcNow()'s own format
        ("03/05/2019", "P1D", "2019-03-06T00:00:00Z"),  # utcNow('d')'s format
        ("4/7/2023 2:53:14 PM", "PT0S", "2023-04-07T14:53:14Z"),
        ("  2020-01-01T00:00:00Z ", "PT1S", "2020-01-01T00:00:01Z"),
    ],
)
def test_date_time_add_semantics(base: str, duration: str, expected: str) -> None:
    assert ev("[dateTimeAdd(parameters('b'), parameters('d'))]", b=base, d=duration) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("u", "2020-04-07 14:53:14Z"),
        ("s", "2020-04-07T14:53:14"),
        ("o", "2020-04-07T14:53:14.0000000Z"),
        ("O", "2020-04-07T14:53:14.0000000Z"),
        ("r", "Tue, 07 Apr 2020 14:53:14 GMT"),
        ("d", "04/07/2020"),
        ("D", "Tuesday, 07 April 2020"),
        ("f", "Tuesday, 07 April 2020 14:53"),
        ("F", "Tuesday, 07 April 2020 14:53:14"),
        ("g", "04/07/2020 14:53"),
        ("G", "04/07/2020 14:53:14"),
        ("m", "April 07"),
        ("t", "14:53"),
        ("T", "14:53:14"),
        ("U", "Tuesday, 07 April 2020 14:53:14"),
        ("y", "2020 April"),
        ("", "04/07/2020 14:53:14"),
        ("yyyy-MM-dd", "2020-04-07"),
        ("yyyyMMddTHHmmssZ", "20200407T145314Z"),
        ("MM/dd/yyyy", "04/07/2020"),
        ("M d", "4 7"),
        ("%d", "7"),
        ("%M", "4"),
        ("yy-M-d h tt t", "20-4-7 2 PM P"),
        ("ddd MMM", "Tue Apr"),
        ("HH:mm:ss.fff", "14:53:14.000"),
        ("HH:mm:ss.FFF", "14:53:14"),
        ("yyyy'T'HH\\Z", "2020T14Z"),
        ('"quoted: "yyyy', "quoted: 2020"),
        ("yyyyy g", "02020 A.D."),
        ("K zzz zz z", "Z +00:00 +00 +0"),
    ],
)
def test_date_time_add_formats(fmt: str, expected: str) -> None:
    assert ev("[dateTimeAdd(parameters('b'), 'PT0S', parameters('f'))]", b=DOC_BASE_TIME, f=fmt) == expected


@pytest.mark.parametrize(
    ("base", "duration", "fmt"),
    [
        ("not a date", "P1D", None),
        ("2020-13-01T00:00:00Z", "P1D", None),
        ("2021-02-29T00:00:00Z", "P1D", None),
        ("2020-01-01T24:00:00Z", "P1D", None),
        ("2020-01-01T00:00:00+15:00", "P1D", None),
        ("13/45/2020", "P1D", None),
        ("2020-01-01T00:00:00Z", "1D", None),
        ("2020-01-01T00:00:00Z", "P", None),
        ("2020-01-01T00:00:00Z", "PT", None),
        ("2020-01-01T00:00:00Z", "P1DT", None),
        ("2020-01-01T00:00:00Z", "P1H", None),
        ("2020-01-01T00:00:00Z", "p1d", None),
        ("2020-01-01T00:00:00Z", "P1.5D", None),
        ("2020-01-01T00:00:00Z", "+P1D", None),
        ("2020-01-01T00:00:00Z", "P1D2Y", None),
        ("2020-01-01T00:00:00Z", "P99999999999D", None),
        ("9999-12-31T00:00:00Z", "P1D", None),
        ("0001-01-01T00:00:00Z", "-PT1S", None),
        ("2020-01-01T00:00:00Z", "P1D", "x"),
        ("2020-01-01T00:00:00Z", "P1D", "ffffffff"),
        ("2020-01-01T00:00:00Z", "P1D", "yyyy'"),
        ("2020-01-01T00:00:00Z", "P1D", "yyyy\\"),
        ("2020-01-01T00:00:00Z", "P1D", "%"),
        ("2020-01-01T00:00:00Z", "P1D", "%%"),
    ],
)
def test_date_time_add_rejects_bad_input(base: str, duration: str, fmt: str | None) -> None:
    params: dict[str, Any] = {"b": base, "d": duration, "f": fmt}
    text = "[dateTimeAdd(parameters('b'), parameters('d'))]" if fmt is None else "[dateTimeAdd(parameters('b'), parameters('d'), parameters('f'))]"
    with pytest.raises(ArmError):
        ev(text, **params)


@pytest.mark.parametrize(
    "expression",
    ["[dateTimeAdd(1, 'P1D')]", "[dateTimeAdd('2020-01-01', 1)]", "[dateTimeAdd('2020-01-01', 'P1D', 2)]", "[dateTimeAdd('2020-01-01')]"],
)
def test_date_time_add_rejects_wrong_types_and_arity(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression)


def test_date_time_add_error_points_at_the_bad_argument() -> None:
    text = "[dateTimeAdd('2020-01-01', 'P1X')]"
    with pytest.raises(ArmError) as info:
        ev(text)
    assert info.value.span == (text.index("'P1X'"), text.index("'P1X'") + 5)


# --- epoch functions -------------------------------------------------------------------------


def test_epoch_documented_example() -> None:
    assert ev("[dateTimeFromEpoch(1683040573)]") == "2023-05-02T15:16:13Z"
    assert ev("[dateTimeToEpoch('2023-05-02T15:16:13Z')]") == 1683040573
    # The parameter default `dateTimeToEpoch(dateTimeAdd(utcNow(), 'P1Y'))` depends on the time.
    value = ev("[dateTimeToEpoch(dateTimeAdd(utcNow(), 'P1Y'))]")
    assert isinstance(value, Unknown) and value.nondeterministic


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("1969-12-31T23:59:59.5Z", -1),  # rounded down, as ToUnixTimeSeconds does
        ("1970-01-01T00:00:00.9Z", 0),
        ("2023-05-02T17:16:13+02:00", 1683040573),
        ("0001-01-01T00:00:00Z", -62135596800),
        ("9999-12-31T23:59:59Z", 253402300799),
    ],
)
def test_date_time_to_epoch(text: str, epoch: int) -> None:
    assert ev("[dateTimeToEpoch(parameters('t'))]", t=text) == epoch


def test_date_time_from_epoch_limits() -> None:
    assert ev("[dateTimeFromEpoch(-62135596800)]") == "0001-01-01T00:00:00Z"
    assert ev("[dateTimeFromEpoch(253402300799)]") == "9999-12-31T23:59:59Z"
    assert ev("[dateTimeFromEpoch(-1)]") == "1969-12-31T23:59:59Z"
    for bad in ("-62135596801", "253402300800", "'0'", "true"):
        with pytest.raises(ArmError):
            ev(f"[dateTimeFromEpoch({bad})]")


def test_date_time_to_epoch_rejects_bad_input() -> None:
    for bad in ("'yesterday'", "0", "'2020-02-30'"):
        with pytest.raises(ArmError):
            ev(f"[dateTimeToEpoch({bad})]")


# --- utcNow ----------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["[utcNow()]", "[utcNow('d')]", "[utcNow('M d')]", "[utcNow('u')]"])
def test_utc_now_is_nondeterministic_unknown(expression: str) -> None:
    value = ev(expression)
    assert value == Unknown(expression[1:-1], nondeterministic=True)


def test_utc_now_documented_formats() -> None:
    # The documented outputs for a deployment at 2019-03-05T17:53:18Z: utcNow(), utcNow('d'), utcNow('M d').
    ticks = parse_datetime("2019-03-05T17:53:18Z")
    assert format_datetime(ticks, "yyyyMMddTHHmmssZ") == "20190305T175318Z"
    assert format_datetime(ticks, "d") == "03/05/2019"
    assert format_datetime(ticks, "M d") == "3 5"


@pytest.mark.parametrize("expression", ["[utcNow('x')]", "[utcNow(1)]", "[utcNow('yyyy', 'x')]", "[utcNow('ffffffffff')]"])
def test_utc_now_rejects_bad_format(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression)


def test_duration_and_datetime_helpers() -> None:
    assert parse_duration("P1Y") == 365 * 864_000_000_000
    assert parse_duration("-P1M") == -30 * 864_000_000_000
    assert parse_datetime("0001-01-01T00:00:00Z") == 0
    with pytest.raises(DateFormatError):
        parse_duration("PT1.5M")
    with pytest.raises(DateFormatError):
        parse_datetime("2020-01-01T00:00:00.12345678Z")


# --- parseCidr -------------------------------------------------------------------------------


def test_parse_cidr_documented_ipv4() -> None:
    assert ev("[parseCidr('10.144.0.0/20')]") == {
        "network": "10.144.0.0",
        "netmask": "255.255.240.0",
        "broadcast": "10.144.15.255",
        "firstUsable": "10.144.0.1",
        "lastUsable": "10.144.15.254",
        "cidr": 20,
    }


def test_parse_cidr_documented_ipv6() -> None:
    assert ev("[parseCidr('fdad:3236:5555::/48')]") == {
        "network": "fdad:3236:5555::",
        "netmask": "ffff:ffff:ffff::",
        "firstUsable": "fdad:3236:5555::",
        "lastUsable": "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff",
        "cidr": 48,
    }


def test_parse_cidr_more_cases() -> None:
    # Host bits in the address are cleared.
    assert ev("[parseCidr('10.144.7.9/20')]")["network"] == "10.144.0.0"
    assert ev("[parseCidr('0.0.0.0/0')]") == {
        "network": "0.0.0.0",
        "netmask": "0.0.0.0",
        "broadcast": "255.255.255.255",
        "firstUsable": "0.0.0.1",
        "lastUsable": "255.255.255.254",
        "cidr": 0,
    }
    assert ev("[parseCidr('10.0.0.4/31')]") == {
        "network": "10.0.0.4",
        "netmask": "255.255.255.254",
        "broadcast": "10.0.0.5",
        "firstUsable": "10.0.0.4",
        "lastUsable": "10.0.0.5",
        "cidr": 31,
    }
    assert ev("[parseCidr('FDAD:3236:5555::1/128')]")["network"] == "fdad:3236:5555::1"
    assert ev("[parseCidr(parameters('n'))]", n="10.1.2.3/32")["lastUsable"] == "10.1.2.3"


@pytest.mark.parametrize(
    "network",
    ["10.144.0.0", "10.144.0.0/33", "10.144.0.256/20", "10.144.0/20", "fdad::/129", "fdad:::/48", "10.0.0.0/255.0.0.0",
     "10.0.0.0/ 8", "10.0.0.0/8 ", "fe80::1%eth0/64", "", "/8", "010.0.0.0/8", "10.0.0.0/-1"],
)
def test_parse_cidr_rejects_bad_ranges(network: str) -> None:
    with pytest.raises(ArmError):
        ev("[parseCidr(parameters('n'))]", n=network)


# --- cidrSubnet ------------------------------------------------------------------------------


def test_cidr_subnet_documented_examples() -> None:
    # The documented copy loop over range(0, 5), one index at a time.
    v4 = [ev(f"[cidrSubnet('10.144.0.0/20', 24, {i})]") for i in range(5)]
    assert v4 == ["10.144.0.0/24", "10.144.1.0/24", "10.144.2.0/24", "10.144.3.0/24", "10.144.4.0/24"]
    v6 = [ev(f"[cidrSubnet('fdad:3236:5555::/48', 52, {i})]") for i in range(5)]
    assert v6 == [
        "fdad:3236:5555::/52",
        "fdad:3236:5555:1000::/52",
        "fdad:3236:5555:2000::/52",
        "fdad:3236:5555:3000::/52",
        "fdad:3236:5555:4000::/52",
    ]


def test_cidr_subnet_edges() -> None:
    assert ev("[cidrSubnet('10.144.0.0/20', 20, 0)]") == "10.144.0.0/20"
    assert ev("[cidrSubnet('10.144.0.0/20', 24, 15)]") == "10.144.15.0/24"
    assert ev("[cidrSubnet('10.144.0.0/20', 32, 4095)]") == "10.144.15.255/32"
    assert ev("[cidrSubnet('::/0', 1, 1)]") == "8000::/1"
    assert ev("[cidrSubnet('::/0', 128, 1)]") == "::1/128"


@pytest.mark.parametrize(
    "expression",
    [
        "[cidrSubnet('10.144.0.0/20', 24, 16)]",
        "[cidrSubnet('10.144.0.0/20', 24, -1)]",
        "[cidrSubnet('10.144.0.0/20', 19, 0)]",
        "[cidrSubnet('10.144.0.0/20', 33, 0)]",
        "[cidrSubnet('fdad::/48', 129, 0)]",
        "[cidrSubnet('10.144.0.0/20', '24', 0)]",
        "[cidrSubnet('10.144.0.0/20', 24, '0')]",
        "[cidrSubnet('10.144.0.0', 24, 0)]",
        "[cidrSubnet('10.144.0.0/20', 24)]",
    ],
)
def test_cidr_subnet_rejects_bad_input(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression)


# --- cidrHost --------------------------------------------------------------------------------


def test_cidr_host_documented_examples() -> None:
    assert [ev(f"[cidrHost('10.144.3.0/24', {i})]") for i in range(5)] == [
        "10.144.3.1", "10.144.3.2", "10.144.3.3", "10.144.3.4", "10.144.3.5",
    ]
    assert [ev(f"[cidrHost('fdad:3236:5555:3000::/52', {i})]") for i in range(5)] == [
        "fdad:3236:5555:3000::1",
        "fdad:3236:5555:3000::2",
        "fdad:3236:5555:3000::3",
        "fdad:3236:5555:3000::4",
        "fdad:3236:5555:3000::5",
    ]
    # The description's example: index 0 of 192.168.1.0/24 is 192.168.1.1.
    assert ev("[cidrHost('192.168.1.0/24', 0)]") == "192.168.1.1"


def test_cidr_host_edges() -> None:
    assert ev("[cidrHost('192.168.1.0/24', 253)]") == "192.168.1.254"
    assert ev("[cidrHost('192.168.1.0/24', 3)]") == "192.168.1.4"  # the first host Azure leaves usable
    assert ev("[cidrHost('fdad::/127', 0)]") == "fdad::1"
    assert ev("[cidrHost('10.0.0.0/31', 1)]") == "10.0.0.1"


@pytest.mark.parametrize(
    "expression",
    [
        "[cidrHost('192.168.1.0/24', 254)]",  # would be the broadcast address
        "[cidrHost('192.168.1.0/24', -1)]",
        "[cidrHost('192.168.1.1/32', 1)]",
        "[cidrHost('fdad::/128', 0)]",
        "[cidrHost('fdad::/127', 1)]",
        "[cidrHost('192.168.1.0/24', '0')]",
        "[cidrHost(24, 0)]",
        "[cidrHost('nonsense', 0)]",
    ],
)
def test_cidr_host_rejects_bad_input(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression)
