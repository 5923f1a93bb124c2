"""Hot reload: a function whose code is a local directory (``S3Bucket: hot-reload``, ``S3Key``
the directory), edits taking effect on the next invoke without redeploying."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import TRUST, error_of, make_zip

from cloudlet.config import Config
from cloudlet.services.awslambda import local_code
from cloudlet.services.awslambda.local_code import digest, loopback, requested
from cloudlet.testing.server import ServerThread, client, free_port

CODE = """
import os
COUNT = 0
VERSION = "{version}"
def handler(event, context):
    global COUNT
    COUNT += 1
    return {{"version": VERSION, "count": COUNT, "pid": os.getpid()}}
"""


def write(directory: Path, version: str) -> None:
    (directory / "index.py").write_text(CODE.format(version=version))


def invoke(lam, name, **extra) -> tuple[dict, str]:
    response = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail", **extra)
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read()), base64.b64decode(response["LogResult"]).decode()


@pytest.fixture
def code_dir(tmp_path) -> Path:
    directory = tmp_path / "src"
    directory.mkdir()
    write(directory, "one")
    (directory / "lib").mkdir()
    (directory / "lib" / "data.txt").write_text("x" * 100)
    return directory


@pytest.fixture
def hot(lam, role, name, code_dir) -> str:
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": str(code_dir)},
    )
    return name


def _gone(pid: int, within: float = 10.0) -> bool:
    """Whether process ``pid`` ended (or is a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return True
        if "\nState:\tZ" in status:
            return True
        time.sleep(0.05)
    return False


def test_edits_take_effect_on_the_next_invoke(lam, hot, code_dir):
    first, log = invoke(lam, hot)
    assert (first["version"], first["count"]) == ("one", 1)
    assert "Init Duration" in log
    again, log = invoke(lam, hot)  # nothing changed: the warm environment is reused
    assert (again["version"], again["count"], again["pid"]) == ("one", 2, first["pid"])
    assert "Init Duration" not in log
    write(code_dir, "two")  # same size: only the modification time tells
    edited, log = invoke(lam, hot)
    assert (edited["version"], edited["count"]) == ("two", 1)
    assert "Init Duration" in log
    assert edited["pid"] != first["pid"]
    assert _gone(first["pid"])  # the environment of the old code was ended, not left idle
    (code_dir / "helper.py").write_text("X = 1\n")  # a new file anywhere: a new environment too
    added, _ = invoke(lam, hot)
    assert added["count"] == 1
    (code_dir / "lib" / "data.txt").unlink()  # and a removed one, in a subdirectory
    removed, _ = invoke(lam, hot)
    assert removed["count"] == 1
    steady, _ = invoke(lam, hot)
    assert steady["count"] == 2


def test_caches_and_git_do_not_restart_environments(lam, hot, code_dir):
    invoke(lam, hot)
    (code_dir / "__pycache__").mkdir()
    (code_dir / "__pycache__" / "index.cpython-312.pyc").write_bytes(b"\0" * 10)
    (code_dir / ".git").mkdir()
    (code_dir / ".git" / "index").write_bytes(b"changed")
    out, log = invoke(lam, hot)
    assert out["count"] == 2 and "Init Duration" not in log


def test_code_sha256_and_size_come_from_the_directory(lam, hot, code_dir, name):
    config = lam.get_function_configuration(FunctionName=name)
    files = sorted(p for p in code_dir.rglob("*") if p.is_file())
    assert config["CodeSize"] == sum(p.stat().st_size for p in files)
    assert len(base64.b64decode(config["CodeSha256"])) == 32
    assert (config["CodeSha256"], config["CodeSize"]) == digest(str(code_dir))
    assert config["PackageType"] == "Zip"
    assert not any(k.startswith("_") for k in config)
    got = lam.get_function(FunctionName=name)
    assert got["Code"] == {"RepositoryType": "S3", "Location": code_dir.as_uri()}
    # the answer is the state when the code was set: an edit shows after UpdateFunctionCode
    write(code_dir, "three")
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == config["CodeSha256"]
    dry = lam.update_function_code(FunctionName=name, S3Bucket="hot-reload", S3Key=str(code_dir), DryRun=True)
    assert dry["CodeSha256"] != config["CodeSha256"]
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == config["CodeSha256"]
    updated = lam.update_function_code(FunctionName=name, S3Bucket="hot-reload", S3Key=str(code_dir))
    assert updated["CodeSha256"] == dry["CodeSha256"]
    assert updated["CodeSize"] == config["CodeSize"] + 2


def test_same_files_same_sha(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        (d / "pkg").mkdir(parents=True)
        (d / "pkg" / "m.py").write_text("print(1)\n")
        (d / "index.py").write_text("x = 1\n")
    assert digest(str(a)) == digest(str(b))
    (b / "pkg" / "m.py").rename(b / "pkg" / "n.py")  # same content under another name
    assert digest(str(a))[0] != digest(str(b))[0]
    assert digest(str(a))[1] == len("print(1)\n") + len("x = 1\n")


def test_update_between_zip_and_directory(lam, function, code_dir, name):
    assert invoke(lam, function)[0] == {}  # the zip's echo handler
    lam.update_function_code(FunctionName=name, S3Bucket="hot-reload", S3Key=str(code_dir))
    assert invoke(lam, function)[0]["version"] == "one"
    assert lam.get_function(FunctionName=name)["Code"]["Location"] == code_dir.as_uri()
    lam.update_function_code(FunctionName=name, ZipFile=make_zip())
    assert invoke(lam, function)[0] == {}
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    assert location.startswith("http://") and "/_lambda/code/" in location
    write(code_dir, "two")  # the directory is no longer the function's code
    assert invoke(lam, function)[0] == {}


def test_published_versions_share_the_directory(lam, hot, code_dir, name):
    version = lam.publish_version(FunctionName=name)["Version"]
    assert invoke(lam, name, Qualifier=version)[0]["version"] == "one"
    write(code_dir, "two")
    assert invoke(lam, name, Qualifier=version)[0]["version"] == "two"
    assert invoke(lam, name)[0]["version"] == "two"
    lam.delete_function(FunctionName=name)
    assert (code_dir / "index.py").exists()  # deleting the function leaves the directory alone


@pytest.mark.parametrize(
    "key",
    ["relative/path", "", "/definitely/not/here", "FILE"],
)
def test_bad_directories_are_refused(lam, role, name, code_dir, key):
    if key == "FILE":
        key = str(code_dir / "index.py")
    with pytest.raises(ClientError) as exc:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"S3Bucket": "hot-reload", "S3Key": key} if key else {"S3Bucket": "hot-reload"},
        )
    code, message, status = error_of(exc)
    if not key:  # no S3Key at all: the usual missing-source answer
        assert (code, status) == ("InvalidParameterValueException", 400)
        return
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "absolute path of an existing directory" in message and repr(key) in message
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=name)  # nothing was created


def test_update_refuses_bad_directories(lam, hot, name):
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name, S3Bucket="hot-reload", S3Key="not/absolute")
    assert error_of(exc)[0] == "InvalidParameterValueException"
    assert invoke(lam, hot)[0]["version"] == "one"  # the function kept its code


def test_a_zip_file_wins_over_the_hot_reload_bucket(lam, role, name, code_dir):
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip(), "S3Bucket": "hot-reload", "S3Key": str(code_dir)},
    )
    assert "/_lambda/code/" in lam.get_function(FunctionName=name)["Code"]["Location"]


def test_the_bucket_name_is_a_setting(role, code_dir):
    """``CLOUDLET_LAMBDA_HOT_RELOAD_BUCKET``: another name, and "hot-reload" is then an
    ordinary (here missing) S3 bucket."""
    server = ServerThread(
        Config(port=free_port(), in_memory=True, log_level="warning", lambda_hot_reload_bucket="dev-code")
    ).start()
    try:
        iam = client("iam", server.endpoint)
        role_arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam = client("lambda", server.endpoint)
        common = {"Runtime": "python3.12", "Role": role_arn, "Handler": "index.handler"}
        lam.create_function(FunctionName="f", Code={"S3Bucket": "dev-code", "S3Key": str(code_dir)}, **common)
        assert invoke(lam, "f")[0]["version"] == "one"
        with pytest.raises(ClientError) as exc:
            lam.create_function(
                FunctionName="g", Code={"S3Bucket": "hot-reload", "S3Key": str(code_dir)}, **common
            )
        code, message, _ = error_of(exc)
        assert code == "InvalidParameterValueException" and "NoSuchBucket" in message
    finally:
        server.stop()


def test_refused_off_loopback_unless_allowed(code_dir):
    import asyncio

    code = {"S3Bucket": "hot-reload", "S3Key": str(code_dir)}
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1"):
        assert loopback(host)
        assert asyncio.run(requested(Config(host=host), code)) is not None
    for host in ("0.0.0.0", "", "::", "192.0.2.1", "my-machine"):
        assert not loopback(host)
        with pytest.raises(Exception) as exc:
            asyncio.run(requested(Config(host=host), code))
        assert "not only on loopback" in str(exc.value)
        allowed = Config(host=host, lambda_hot_reload_any_host=True)
        assert asyncio.run(requested(allowed, code)) is not None
    assert asyncio.run(requested(Config(lambda_hot_reload_bucket=""), code)) is None  # off
    assert asyncio.run(requested(Config(), {"S3Bucket": "other", "S3Key": "k"})) is None


def test_stamp_sees_every_kind_of_change(tmp_path):
    root = tmp_path / "code"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.py").write_text("a")
    before = local_code.stamp(str(root))
    assert local_code.stamp(str(root)) == before
    (root / "sub" / "a.py").rename(root / "sub" / "b.py")
    renamed = local_code.stamp(str(root))
    assert renamed != before
    os.utime(root / "sub" / "b.py", ns=(1, 1))
    assert local_code.stamp(str(root)) != renamed


def test_a_directory_over_250_mb_is_refused(lam, role, name, code_dir):
    with open(code_dir / "big.bin", "wb") as f:  # sparse: no disk used
        f.truncate(262_144_001)
    with pytest.raises(ClientError) as exc:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"S3Bucket": "hot-reload", "S3Key": str(code_dir)},
        )
    assert error_of(exc) == (
        "InvalidParameterValueException",
        "Unzipped size must be smaller than 262144000 bytes",
        400,
    )


def test_too_many_entries_are_refused(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"f{i}").write_text("x")
    monkeypatch.setattr(local_code, "MAX_ENTRIES", 4)
    with pytest.raises(Exception) as exc:
        digest(str(tmp_path))
    assert "more than 4 files and directories" in str(exc.value)
