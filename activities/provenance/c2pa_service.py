"""
Reelcast's C2PA service: one long-lived process per worker that signs renditions with c2pa-python
(the c2pa-rs C library inside its wheel), so a rendition pays for the signature, not for a Python
start. The worker talks to it over stdin/stdout, one JSON object a line:

  -> {"id": 1, "op": "init", "alg": "es256", "chain": "<PEM>", "key": "<PEM>", "tsa": null}
  -> {"id": 2, "op": "sign", "path": "/tmp/x/rendition.mp4", "format": "video/mp4", "manifest": {...}}
  -> {"id": 3, "op": "read", "path": "/tmp/x/rendition.mp4", "anchors": "<PEM>" or null}
  -> {"id": 4, "op": "make-ca", "dir": "/path", "organization": "...", "days": 365}
  <- {"id": 1, "ok": true, "result": ...}   or   {"id": 1, "ok": false, "error": "...", "kind": "..."}

The private key arrives on stdin (never argv or the environment) and is never written back.
"""

import datetime
import errno
import json
import os
import re
import sys
import warnings

import c2pa

# c2pa-rs hashes in 256 MB chunks whatever this says; the spooled copy of the asset goes to disk.
SETTINGS = {
    "core": {"backing_store_memory_threshold_in_mb": 16},
    "verify": {"verify_after_sign": True, "ocsp_fetch": False, "remote_manifest_fetch": False},
    "builder": {"thumbnail": {"enabled": False}},
}
# Extended key usages C2PA accepts on a signing certificate: documentSigning, emailProtection.
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"


class Failure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


# c2pa-rs's words when the time-stamp authority cannot be reached or answers with an error.
TSA_TROUBLE = re.compile(r"http resolver|service responded with an HTTP error|time.?stamp", re.IGNORECASE)


class Remembering:
    """A file that keeps the first OSError its calls raised (c2pa's stream callbacks hide it)."""

    def __init__(self, f):
        self._f = f
        self.error = None

    def __getattr__(self, name):
        attr = getattr(self._f, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except OSError as e:
                self.error = self.error or e
                raise

        return call


class Service:
    def __init__(self):
        self.signer = None
        self.tsa = None
        self.context = c2pa.Context(settings=c2pa.Settings.from_dict(SETTINGS))

    def init(self, req):
        try:
            info = c2pa.C2paSignerInfo(
                req["alg"].encode(), req["chain"].encode(), req["key"].encode(), req.get("tsa")
            )
            self.signer = c2pa.Signer.from_info(info)
            self.tsa = req.get("tsa")
        except Exception as e:  # the library's own words, minus anything it echoed back
            raise Failure("credentials", f"c2pa refused the certificate and key: {short(e)}")
        return {"sdk": c2pa.sdk_version(), "python": c2pa.__version__}

    def sign(self, req):
        if self.signer is None:
            raise Failure("state", "sign before init")
        path = req["path"]
        tmp = f"{path}.c2pa-partial"
        try:
            builder = c2pa.Builder(req["manifest"], context=self.context)
            with open(path, "rb") as src, open(tmp, "w+b") as f:
                dst = Remembering(f)
                try:
                    builder.sign(self.signer, req.get("format", "video/mp4"), src, dst)
                except Exception:
                    # c2pa reports a failed write in its own words ("Io: Other: UntrackedPointer"):
                    # the file's own error (a full disk) is the one that says what to do.
                    if dst.error is not None:
                        raise dst.error
                    raise
            os.replace(tmp, path)
        except OSError as e:
            kind = "disk-full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else "io"
            raise Failure(kind, f"{path}: {e.strerror or e}")
        except Exception as e:
            # The time-stamp authority is asked while signing: its outage is not this file's fault.
            if self.tsa and TSA_TROUBLE.search(str(e)):
                raise Failure("tsa", short(e))
            raise Failure("sign", short(e))
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return {"bytes": os.path.getsize(path)}

    def read(self, req):
        settings = {"verify": {"verify_trust": bool(req.get("anchors")), "ocsp_fetch": False,
                               "remote_manifest_fetch": False}}
        if req.get("anchors"):
            settings["trust"] = {"trust_anchors": req["anchors"]}
        context = c2pa.Context(settings=c2pa.Settings.from_dict(settings))
        try:
            with c2pa.Reader(req["path"], context=context) as reader:
                return {
                    "state": reader.get_validation_state(),
                    "manifest": reader.get_active_manifest(),
                    "results": reader.get_validation_results(),
                }
        except c2pa.C2paError.ManifestNotFound:
            return {"state": None, "manifest": None, "results": None}
        except Exception as e:
            raise Failure("read", short(e))

    def make_ca(self, req):
        return make_ca(req["dir"], req.get("organization") or "Reelcast", float(req.get("days") or 365))


def make_ca(out, organization, days):
    """A private CA and an ES256 signing certificate under it, as C2PA wants them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(minutes=5)

    def name(cn):
        return x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ])

    def usage(**on):
        flags = dict.fromkeys(["digital_signature", "content_commitment", "key_encipherment",
                               "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                               "encipher_only", "decipher_only"], False)
        flags.update(on)
        return x509.KeyUsage(**flags)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"{organization} C2PA private root")
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=max(days, 1) * 10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(name(f"{organization} C2PA signer"))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(DOCUMENT_SIGNING),
                                              ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    private = lambda k: k.private_bytes(  # noqa: E731
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    os.makedirs(out, exist_ok=True)
    files = {
        "caCertificate": os.path.join(out, "ca.pem"),
        "caKey": os.path.join(out, "ca.key"),
        "certificateChain": os.path.join(out, "signer-chain.pem"),
        "privateKey": os.path.join(out, "signer.key"),
    }
    for path in files.values():
        if os.path.exists(path):
            raise Failure("exists", f"{path} exists already; choose another folder or remove it")
    write(files["caCertificate"], pem(ca), 0o644)
    write(files["caKey"], private(ca_key), 0o600)
    write(files["certificateChain"], pem(leaf) + pem(ca), 0o644)
    write(files["privateKey"], private(key), 0o600)
    return {"files": files, "notAfter": leaf.not_valid_after_utc.isoformat()}


def write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def short(err):
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def main():
    warnings.simplefilter("ignore")
    service = Service()
    ops = {"init": service.init, "sign": service.sign, "read": service.read, "make-ca": service.make_ca}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = {}
        try:
            req = json.loads(line)
            op = ops.get(req.get("op"))
            if op is None:
                raise Failure("input", f"unknown op {req.get('op')!r}")
            reply = {"id": req.get("id"), "ok": True, "result": op(req)}
        except Failure as e:
            reply = {"id": req.get("id"), "ok": False, "kind": e.kind, "error": str(e)}
        except Exception as e:  # a bug here must not take the worker's signer down
            reply = {"id": req.get("id"), "ok": False, "kind": "internal", "error": short(e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
