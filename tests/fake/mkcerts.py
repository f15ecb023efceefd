#!/usr/bin/python3
"""Create the test certificates used by the fake SMTP server.

Usage: mkcerts.py DIR

Writes into DIR (EC P-256 keys, PEM, keys unencrypted):

  ca.pem / ca.key                 test CA (self-signed, CA:TRUE)
  server.pem / server.key         signed by the CA, CN=localhost,
                                  SAN DNS:localhost, IP:127.0.0.1, IP:::1,
                                  valid now-1d .. now+30d
  expired.pem / expired.key       signed by the CA, same SANs,
                                  valid now-60d .. now-2d
  wronghost.pem / wronghost.key   signed by the CA, SAN DNS:wrong.example only
  untrusted.pem / untrusted.key   self-signed (not by the CA), same SANs as server
  longchain.pem / longchain.key   a chain of CHAIN_LENGTH (50) certificates: the
                                  leaf (same SANs as server), 48 intermediates
                                  and a root of its own that nobody trusts,
                                  leaf first (tests/fake/hostile.py chain_50)

Idempotent: nothing is done when every file exists and server.pem is
valid for at least 7 more days; otherwise everything is regenerated.
Concurrent runs are serialised with a lock file in DIR, and every file is
written to a temporary name and renamed into place.

Needs the `cryptography` package (Debian's python3-cryptography).
"""

import datetime
import fcntl
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NAMES = ("ca", "server", "expired", "wronghost", "untrusted", "longchain")
CHAIN_LENGTH = 50
RENEW_BEFORE = datetime.timedelta(days=7)
SERVER_SANS = [
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.IPAddress(ipaddress.ip_address("::1")),
]


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smtpcheck tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def make_ca(key, cn="smtpcheck test CA", issuer=None, issuer_key=None, path_length=0):
    """A CA certificate; self-signed unless ISSUER (a certificate) and
    ISSUER_KEY are given."""
    t = now()
    subject = name(cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(t - datetime.timedelta(days=90))
        .not_valid_after(t + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length),
                       critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def make_leaf(key, cn, sans, not_before, not_after, issuer_cert, issuer_key):
    """A server certificate; issuer_cert None means self-signed."""
    subject = name(cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=True, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),
            critical=False)
    return builder.sign(issuer_key if issuer_key else key, hashes.SHA256())


def make_long_chain(t, day):
    """(leaf key, [leaf, intermediates..., root]): CHAIN_LENGTH
    certificates under a root of their own."""
    root_key = new_key()
    root = make_ca(root_key, "smtpcheck untrusted long-chain root", path_length=None)
    chain, issuer, issuer_key = [root], root, root_key
    for i in range(CHAIN_LENGTH - 2):
        k = new_key()
        issuer = make_ca(k, "smtpcheck long-chain intermediate %d" % (i + 1), issuer, issuer_key,
                         path_length=None)
        issuer_key = k
        chain.append(issuer)
    leaf_key = new_key()
    leaf = make_leaf(leaf_key, "localhost", SERVER_SANS, t - day, t + 30 * day, issuer, issuer_key)
    chain.append(leaf)
    return leaf_key, list(reversed(chain))


def write_atomic(path, data, mode=0o644):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def save(directory, base, cert, key):
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    write_atomic(os.path.join(directory, base + ".key"), key_pem, 0o600)
    write_atomic(os.path.join(directory, base + ".pem"),
                 cert.public_bytes(serialization.Encoding.PEM))


def save_chain(directory, base, chain, key):
    save(directory, base, chain[0], key)
    write_atomic(os.path.join(directory, base + ".pem"),
                 b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))


def up_to_date(directory):
    for base in NAMES:
        for ext in (".pem", ".key"):
            if not os.path.exists(os.path.join(directory, base + ext)):
                return False
    try:
        with open(os.path.join(directory, "server.pem"), "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    except (OSError, ValueError):
        return False
    not_after = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return not_after - now() > RENEW_BEFORE


def generate(directory):
    t = now()
    day = datetime.timedelta(days=1)
    ca_key = new_key()
    ca = make_ca(ca_key)
    save(directory, "ca", ca, ca_key)

    k = new_key()
    save(directory, "server",
         make_leaf(k, "localhost", SERVER_SANS, t - day, t + 30 * day, ca, ca_key), k)
    k = new_key()
    save(directory, "expired",
         make_leaf(k, "localhost", SERVER_SANS, t - 60 * day, t - 2 * day, ca, ca_key), k)
    k = new_key()
    save(directory, "wronghost",
         make_leaf(k, "wrong.example", [x509.DNSName("wrong.example")],
                   t - day, t + 30 * day, ca, ca_key), k)
    k = new_key()
    save(directory, "untrusted",
         make_leaf(k, "localhost", SERVER_SANS, t - day, t + 30 * day, None, None), k)
    k, chain = make_long_chain(t, day)
    save_chain(directory, "longchain", chain, k)


def ensure(directory):
    """Make sure DIR holds a current set of certificates; returns True if
    they were (re)generated."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".mkcerts.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if up_to_date(directory):
            return False
        generate(directory)
        return True


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: mkcerts.py DIR\n")
        return 2
    made = ensure(argv[1])
    print("%s certificates in %s" % ("generated" if made else "kept", argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
