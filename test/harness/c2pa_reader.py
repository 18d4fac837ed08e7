"""
The tests' independent reader of Content Credentials: c2pa-python's own Reader, called directly
(none of Reelcast's code), validating the signature against the trust anchors given.
  python c2pa_reader.py FILE [ANCHORS.pem]  ->  {"state": ..., "manifest": ..., "results": ...}
"""
import json
import sys

import c2pa

path = sys.argv[1]
settings = {"verify": {"verify_trust": len(sys.argv) > 2, "ocsp_fetch": False, "remote_manifest_fetch": False}}
if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        settings["trust"] = {"trust_anchors": f.read()}
context = c2pa.Context(settings=c2pa.Settings.from_dict(settings))
try:
    with c2pa.Reader(path, context=context) as reader:
        out = {
            "state": reader.get_validation_state(),
            "manifest": reader.get_active_manifest(),
            "results": reader.get_validation_results(),
        }
except c2pa.C2paError.ManifestNotFound:
    out = {"state": None, "manifest": None, "results": None}
print(json.dumps(out))
