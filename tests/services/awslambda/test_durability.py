"""Lambda's control plane after kill -9 and a restart on the same data directory."""

from __future__ import annotations

import json
import os
import stat
import urllib.request
from pathlib import Path

from tests.services.awslambda.conftest import TRUST, make_zip

from cloudlet.testing.server import ServerProcess, client


def test_functions_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        iam = client("iam", server.endpoint)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam = client("lambda", server.endpoint)
        code = make_zip({"index.py": "def handler(e, c):\n    return 1\n", "bootstrap": "#!/bin/sh\n"})
        lam.create_function(
            FunctionName="keep",
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code},
            Publish=True,
            Tags={"t": "1"},
        )
        lam.create_alias(FunctionName="keep", Name="live", FunctionVersion="1")
        lam.add_permission(
            FunctionName="keep", StatementId="s", Action="lambda:InvokeFunction", Principal="*"
        )
        sha = lam.get_function(FunctionName="keep")["Configuration"]["CodeSha256"]
    finally:
        server.kill()
    server.start()
    try:
        lam = client("lambda", server.endpoint)
        got = lam.get_function(FunctionName="keep", Qualifier="live")
        assert got["Configuration"]["CodeSha256"] == sha
        with urllib.request.urlopen(got["Code"]["Location"]) as response:
            assert response.read() == code
        assert lam.get_function(FunctionName="keep")["Tags"] == {"t": "1"}
        assert json.loads(lam.get_policy(FunctionName="keep")["Policy"])["Statement"][0]["Sid"] == "s"
        # environments are not persisted: they start again on demand
        answer = lam.invoke(FunctionName="keep", Qualifier="live")
        assert (answer["StatusCode"], answer["Payload"].read()) == (200, b"1")
        root = Path(tmp_path) / "lambda" / "code"
        zips = list(root.glob("*.zip"))
        assert len(zips) == 1
        assert stat.S_IMODE(os.stat(zips[0]).st_mode) == 0o600
        assert (root / zips[0].stem / "index.py").is_file()
    finally:
        server.kill()


def test_provisioned_concurrency_allocated_again_after_kill_9(tmp_path):
    """Pre-started environments die with the server; the config comes back and allocates again."""
    import time

    server = ServerProcess(str(tmp_path)).start()
    code = "import os\ndef handler(e, c):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"
    try:
        iam = client("iam", server.endpoint)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam = client("lambda", server.endpoint)
        lam.create_function(
            FunctionName="warm",
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": make_zip({"index.py": code})},
            Publish=True,
        )
        lam.put_provisioned_concurrency_config(
            FunctionName="warm", Qualifier="1", ProvisionedConcurrentExecutions=1
        )
    finally:
        server.kill()
    server.start()
    try:
        lam = client("lambda", server.endpoint)
        deadline = time.monotonic() + 30
        while True:
            answer = json.loads(lam.invoke(FunctionName="warm", Qualifier="1")["Payload"].read())
            if answer == "provisioned-concurrency" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert answer == "provisioned-concurrency"
        config = lam.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="1")
        assert config["Status"] == "READY"
    finally:
        server.kill()
