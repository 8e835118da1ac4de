"""Shared by the Python clients of our ExternalJWTSigner: stubs generated from our proto files with
grpc_tools (Debian python3-grpc-tools), and kube-apiserver's unpadded base64url."""
import base64
import os
import sys
import tempfile

import grpc_tools
from grpc_tools import protoc


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_stubs(proto_dir):
    """Writes Python stubs for v1 and v1alpha1 into a temporary directory and puts it on sys.path."""
    out = tempfile.mkdtemp(prefix="externaljwt-py-")
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    for version in ("v1", "v1alpha1"):
        rc = protoc.main(["protoc", "-I" + proto_dir, "-I" + include, "--python_out=" + out,
                          "--grpc_python_out=" + out, version + "/externaljwt.proto"])
        if rc != 0:
            sys.exit("protoc failed for " + version)
        open(os.path.join(out, version, "__init__.py"), "a").close()
    sys.path.insert(0, out)
