"""Ansible filter netem_tcset: tc's netem text -> tcset's flags, for netem.yml's netem_tool=tcset.

tcset (tcconfig) takes its own flags, not netem's text, and expresses only part of netem.
This maps the part it can express and refuses the rest with a message that names the option,
so a profile never silently means something else on the hosts than in `dist-example sim`.

    "delay 50ms 10ms distribution normal loss 5% duplicate 1% reorder 10%" | netem_tcset
    -> ['--delay', '50ms', '--delay-distro', '10ms', '--delay-distribution', 'normal',
        '--loss', '5%', '--duplicate', '1%', '--reordering', '10%']

(Jitter needs a named distribution here: tc draws it uniformly without one, and tcset has
no uniform, so "delay 50ms 10ms" alone is refused.)

Run `python3 filter_plugins/netem_tcset.py` to check the mapping against its examples,
the one above included.
"""

import re

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # run stand-alone for the self-check below

    class AnsibleFilterError(Exception):
        pass


_NUM = r"[0-9]+(?:\.[0-9]+)?"

# tc's time units -> tcset's. tcset reads "m" as minutes and a bare number as ms, while tc
# reads a bare number as ns (us before iproute2 6.9), so only explicit units are accepted.
_TIME_UNITS = {
    "s": "s", "sec": "s", "secs": "s",
    "ms": "ms", "msec": "ms", "msecs": "ms",
    "us": "us", "usec": "us", "usecs": "us",
}

# tc's rate units (case-insensitive in tc) -> (factor, tcset unit). tc's "Bps" family is
# bytes per second; tcset's "bps" family is bits per second, hence the factor 8.
_RATE_UNITS = {
    "bit": (1, "bps"), "kbit": (1, "Kbps"), "mbit": (1, "Mbps"), "gbit": (1, "Gbps"),
    "tbit": (1, "Tbps"), "kibit": (1, "Kibps"), "mibit": (1, "Mibps"), "gibit": (1, "Gibps"),
    "tibit": (1, "Tibps"), "bps": (8, "bps"), "kbps": (8, "Kbps"), "mbps": (8, "Mbps"),
    "gbps": (8, "Gbps"), "tbps": (8, "Tbps"), "kibps": (8, "Kibps"), "mibps": (8, "Mibps"),
    "gibps": (8, "Gibps"), "tibps": (8, "Tibps"),
}

_DISTRIBUTIONS = ("normal", "pareto", "paretonormal")

_UNSUPPORTED = {
    "ecn": "tcset has no ECN marking",
    "seed": "tcset cannot seed netem's generator",
    "slot": "tcset has no slotting",
    "gap": "tcset has no reorder gap",
    "state": "tcset has only random loss, not the 4-state model",
    "gemodel": "tcset has only random loss, not Gilbert-Elliott",
}


def _fail(msg):
    raise AnsibleFilterError(
        "netem_tcset: %s. Use netem_tool=tc to apply the profile verbatim." % msg)


def _is_num(tok):
    return re.match(r"^-?[0-9.]", tok) is not None


def _time(opt, tok):
    m = re.match(r"^(%s)([a-z]*)$" % _NUM, tok)
    if not m or m.group(2) not in _TIME_UNITS:
        _fail("%s %r: give a time with a unit (s, ms, us and their long forms); "
              "tc and tcset read a bare number differently" % (opt, tok))
    return m.group(1) + _TIME_UNITS[m.group(2)]


def _pct(opt, tok):
    m = re.match(r"^(%s)%%?$" % _NUM, tok)
    if not m or float(m.group(1)) > 100:
        _fail("%s %r: give a percentage from 0 to 100, such as 5%%" % (opt, tok))
    return m.group(1) + "%"


def _rate(tok):
    m = re.match(r"^(%s)([A-Za-z]*)$" % _NUM, tok)
    unit = m.group(2).lower() if m else None
    if not m or (unit and unit not in _RATE_UNITS):
        _fail("rate %r: give a rate such as 1mbit or 125kbps (tc's units); "
              "a share of the device speed (N%%) is not supported" % tok)
    factor, tcset_unit = _RATE_UNITS[unit or "bit"]
    value = float(m.group(1)) * factor
    if value == 0:
        return None  # tc's rate 0 is no rate limit: no --rate at all
    return ("%d" % value if value == int(value) else "%g" % value) + tcset_unit


def netem_tcset(text):
    """Returns tcset's arguments for the netem text, or raises AnsibleFilterError."""
    toks = str(text).split()
    if not toks:
        _fail("the profile is empty")
    args, seen, i = [], set(), 0

    def optional(n):
        # tc takes an optional argument only when the next token starts like a number.
        return n < len(toks) and _is_num(toks[n])

    while i < len(toks):
        opt = toks[i]
        key = {"latency": "delay", "drop": "loss"}.get(opt, opt)
        if key in seen:
            _fail("%s is given twice" % opt)
        seen.add(key)
        if key in _UNSUPPORTED:
            _fail("%s: %s" % (opt, _UNSUPPORTED[key]))
        if key == "limit":
            if i + 1 >= len(toks) or not re.match(r"^[0-9]+$", toks[i + 1]):
                _fail("limit needs a whole number of packets")
            args += ["--limit", toks[i + 1]]
            i += 2
        elif key == "delay":
            if not optional(i + 1):
                _fail("%s needs a time, such as 50ms" % opt)
            args += ["--delay", _time(opt, toks[i + 1])]
            i += 2
            if optional(i):
                jitter = _time("jitter", toks[i])
                if float(re.match(r"[0-9.]*", jitter).group() or 0) != 0:
                    args += ["--delay-distro", jitter]  # a zero jitter draws nothing
                i += 1
                if optional(i):
                    _fail("delay correlation %r: tcset has no delay correlation" % toks[i])
        elif key == "distribution":
            if i + 1 >= len(toks) or toks[i + 1] not in _DISTRIBUTIONS:
                _fail("distribution must be one of %s for tcset" % ", ".join(_DISTRIBUTIONS))
            args += ["--delay-distribution", toks[i + 1]]
            i += 2
        elif key in ("loss", "duplicate", "corrupt", "reorder"):
            i += 1
            if key == "loss" and i < len(toks) and toks[i] in _UNSUPPORTED:
                _fail("loss %s: %s" % (toks[i], _UNSUPPORTED[toks[i]]))
            if key == "loss" and i < len(toks) and toks[i] == "random":
                i += 1
            if not optional(i):
                _fail("%s needs a percentage, such as 5%%" % opt)
            flag = "--reordering" if key == "reorder" else "--" + key
            args += [flag, _pct(opt, toks[i])]
            i += 1
            if optional(i):
                _fail("%s correlation %r: tcset has no correlation" % (opt, toks[i]))
        elif key == "rate":
            if not optional(i + 1):
                _fail("rate needs a value, such as 1mbit")
            rate = _rate(toks[i + 1])
            args += ["--rate", rate] if rate else []
            i += 2
            if optional(i):
                _fail("rate overheads (%r): tcset has no packet or cell overhead" % toks[i])
        else:
            _fail("unknown or abbreviated option %r (tcset needs the full keywords: limit, "
                  "delay, distribution, loss, duplicate, corrupt, reorder, rate)" % opt)
    if "distribution" in seen and "--delay-distro" not in args:
        _fail("distribution needs a delay with jitter, as in tc")
    if "--delay-distro" in args and "distribution" not in seen:
        # tc (and simnet) draw jitter uniformly when no distribution is named; tcset's
        # default is normal and it has no uniform, so mapping it would change the delays.
        _fail("jitter without a distribution: tc draws it uniformly, tcset has no uniform "
              "distribution (its default is normal); name one of %s, or use netem_tool=tc"
              % ", ".join(_DISTRIBUTIONS))
    if not args:
        _fail("%r leaves nothing for tcset to apply (rate 0 is no rate limit); "
              "use netem_state=absent for an unimpaired link" % text)
    return args


class FilterModule(object):
    def filters(self):
        return {"netem_tcset": netem_tcset}


if __name__ == "__main__":
    good = {
        "delay 50ms 10ms distribution normal loss 5% duplicate 1% reorder 10%":
            ["--delay", "50ms", "--delay-distro", "10ms", "--delay-distribution", "normal",
             "--loss", "5%", "--duplicate", "1%", "--reordering", "10%"],
        "latency 1s drop random 0.5 corrupt 0.1% limit 2000":
            ["--delay", "1s", "--loss", "0.5%", "--corrupt", "0.1%", "--limit", "2000"],
        "delay 100msec 20usec distribution pareto":
            ["--delay", "100ms", "--delay-distro", "20us", "--delay-distribution", "pareto"],
        "delay 50ms 0ms": ["--delay", "50ms"],
        "rate 1mbit": ["--rate", "1Mbps"],
        "rate 125KBps": ["--rate", "1000Kbps"],
        "rate 1000": ["--rate", "1000bps"],
        "delay 10ms rate 0": ["--delay", "10ms"],
        "rate 0mbit limit 10": ["--limit", "10"],
    }
    # The header's example is one of them: the docstring shows what the code does.
    import ast
    doc = __doc__.split("| netem_tcset")
    example = doc[0].rsplit('"', 2)[-2]
    good[example] = ast.literal_eval(doc[1].split("->", 1)[1].split("\n\n")[0].strip())
    bad = {
        "": "empty", "delay 50": "unit", "delay 5m": "unit", "delay 50ms 10ms 25%": "correlation",
        "loss 5% 25%": "correlation", "loss gemodel 1%": "Gilbert", "reorder 10% gap 5": "gap",
        "rate 10%": "share", "rate 1mbit 20": "overhead", "ecn": "ECN", "del 50ms": "abbreviated",
        "loss 101%": "0 to 100", "delay 10ms delay 20ms": "twice", "slot 1ms": "slotting",
        "distribution uniform": "one of", "delay 10ms distribution normal": "jitter",
        "delay 50ms 10ms": "no uniform", "delay 50ms 10ms loss 5%": "no uniform",
        "delay 50ms 10ms distribution experimental": "one of", "rate 0": "nothing for tcset",
    }
    for text, want in good.items():
        got = netem_tcset(text)
        assert got == want, (text, got, want)
    for text, words in bad.items():
        try:
            netem_tcset(text)
        except AnsibleFilterError as e:
            assert words in str(e), (text, str(e))
        else:
            raise AssertionError("accepted %r" % text)
    print("netem_tcset: %d mappings and %d refusals as expected" % (len(good), len(bad)))
