"""SMTP-CHECK-MIB read from its text, for the Zabbix template generator
and the trap receiver (stdlib only).

The MIB file is the one place that defines OIDs, columns, units and
enumerations; everything here is derived from it, so a moved OID root or a
new enumeration label reaches the template and the trap text by
regenerating, not by editing a second list.

Only the subset of SMIv2 the MIB uses is understood: OBJECT-TYPE,
NOTIFICATION-TYPE, OBJECT IDENTIFIER, MODULE-IDENTITY and
TEXTUAL-CONVENTION definitions with INTEGER or BITS enumerations.
"""

import re

# Parents imported from other MIBs that smtpCheckMIB may hang under
# (docs/mib.md says how a site moves the root). Debian ships no base MIBs,
# so these few numbers are spelled out.
EXTERNAL = {
    "enterprises": "1.3.6.1.4.1",
    "netSnmpPlaypen": "1.3.6.1.4.1.8072.9999.9999",
}

# Standard objects that appear in every SNMPv2 notification.
STANDARD_NAMES = {
    "1.3.6.1.2.1.1.3.0": "sysUpTime.0",
    "1.3.6.1.6.3.1.1.4.1.0": "snmpTrapOID.0",
    "1.3.6.1.6.3.18.1.3.0": "snmpTrapAddress.0",
    "1.3.6.1.6.3.18.1.4.0": "snmpTrapCommunity.0",
}

# TruthValue (SNMPv2-TC, RFC 2579) is imported, not defined in our MIB.
IMPORTED_ENUMS = {"TruthValue": {"true": 1, "false": 2}}

_COMMENT = re.compile(r"--.*?(?:--|$)", re.M)
_DEF = re.compile(
    r"^([a-z][A-Za-z0-9]*)\s+(OBJECT-TYPE|NOTIFICATION-TYPE|OBJECT IDENTIFIER|"
    r"MODULE-IDENTITY|MODULE-COMPLIANCE|OBJECT-GROUP|NOTIFICATION-GROUP)\b"
    r"(.*?)::=\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s+(\d+)\s*\}", re.M | re.S)
_TC = re.compile(r"^([A-Z][A-Za-z0-9]*)\s+::=\s*TEXTUAL-CONVENTION\b(.*?)"
                 r"SYNTAX\s+(INTEGER|BITS)\s*\{([^}]*)\}", re.M | re.S)
_LABEL = re.compile(r"([a-z][A-Za-z0-9-]*)\s*\(\s*(-?\d+)\s*\)")


def _strip_comments(text):
    """The MIB without ASN.1 comments, keeping strings (descriptions may
    contain "--")."""
    out = []
    for part in re.split(r'("[^"]*")', text):
        out.append(part if part.startswith('"') else _COMMENT.sub("", part))
    return "".join(out)


def _labels(body):
    return {k: int(v) for k, v in _LABEL.findall(body)}


class MibObject:
    """One definition: name, kind, parent, number, and for OBJECT-TYPE its
    syntax, units, access, and the labels of an inline enumeration."""

    def __init__(self, name, kind, parent, number, body):
        self.name = name
        self.kind = kind
        self.parent = parent
        self.number = number
        self.syntax = self.units = self.access = None
        self.enum = None
        self.objects = []
        self.description = ""
        m = re.search(r'DESCRIPTION\s+"([^"]*)"', body)
        if m:
            self.description = " ".join(m.group(1).split())
        if kind == "OBJECT-TYPE":
            self._object_type(body)
        elif kind == "NOTIFICATION-TYPE":
            m = re.search(r"OBJECTS\s*\{([^}]*)\}", body)
            self.objects = re.findall(r"[A-Za-z][A-Za-z0-9]*", m.group(1)) if m else []

    def _object_type(self, body):
        m = re.search(r"SYNTAX\s+(SEQUENCE OF\s+\w+|[A-Za-z][A-Za-z0-9]*)(\s*\{[^}]*\})?",
                      body)
        self.syntax = m.group(1) if m else None
        if m and m.group(2) and self.syntax in ("INTEGER", "BITS"):
            self.enum = _labels(m.group(2))
        m = re.search(r'UNITS\s+"([^"]*)"', body)
        self.units = m.group(1) if m else None
        m = re.search(r"MAX-ACCESS\s+([a-z-]+)", body)
        self.access = m.group(1) if m else None


class Mib:
    """The parsed MIB: objects by name, OIDs, textual conventions."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.text = _strip_comments(f.read())
        self.path = path
        self.objects = {}
        for m in _DEF.finditer(self.text):
            name, kind, body, parent, number = m.groups()
            self.objects[name] = MibObject(name, kind, parent, int(number), body)
        self.tcs = {m.group(1): (m.group(3), _labels(m.group(4)))
                    for m in _TC.finditer(self.text)}
        self.root = next(n for n, o in self.objects.items() if o.kind == "MODULE-IDENTITY")
        self._by_oid = {self.oid(n): n for n in self.objects}

    def oid(self, name):
        """Numeric OID (no leading dot) of NAME."""
        if name in EXTERNAL:
            return EXTERNAL[name]
        o = self.objects[name]
        return "%s.%d" % (self.oid(o.parent), o.number)

    def children(self, parent):
        """Objects directly under PARENT, by number."""
        return sorted((o for o in self.objects.values() if o.parent == parent),
                      key=lambda o: o.number)

    def columns(self, entry):
        """The accessible columns of a conceptual row ENTRY."""
        return [o for o in self.children(entry) if o.kind == "OBJECT-TYPE"]

    def enum(self, name):
        """{label: number} of a TC (SmtpCheckError), an imported TC
        (TruthValue), or an object's own INTEGER/BITS (smtpCheckStatus);
        for an object typed with a TC, that TC's labels."""
        if name in self.tcs:
            return dict(self.tcs[name][1])
        if name in IMPORTED_ENUMS:
            return dict(IMPORTED_ENUMS[name])
        o = self.objects[name]
        if o.enum is not None:
            return dict(o.enum)
        return self.enum(o.syntax)

    def has_enum(self, name):
        try:
            self.enum(name)
            return True
        except KeyError:
            return False

    def is_bits(self, name):
        o = self.objects.get(name)
        syntax = o.syntax if o else name
        return syntax == "BITS" or self.tcs.get(syntax, ("",))[0] == "BITS"

    def name_oid(self, oid):
        """(object name, instance suffix) of a numeric OID, or (None, oid)
        when no object of the MIB is a prefix of it."""
        oid = oid.lstrip(".")
        if oid in STANDARD_NAMES:
            return STANDARD_NAMES[oid], ""
        parts = oid.split(".")
        for i in range(len(parts), 0, -1):
            name = self._by_oid.get(".".join(parts[:i]))
            if name:
                return name, ".".join(parts[i:])
        return None, oid
