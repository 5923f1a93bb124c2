"""S3 through the AWS CLI (the awscli package from PyPI, run as ``python -m awscli``):
``s3 cp``, ``s3 sync``, ``s3 ls``, ``s3 rm``, ``s3 mb``/``rb`` and ``s3 presign``, on a
temporary directory, checked with boto3 afterwards.

The CLI's own output lines (``upload: … to s3://…``, ``delete: s3://…``, ``PRE dir/``,
``make_bucket: …``) are awscli's formatting, not the service's.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .conftest import etag_of, keys_of, unique_name, xml_error


def aws(endpoint: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "awscli", *args, "--endpoint-url", endpoint],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=cwd,
    )


def ok(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 0, f"exit {out.returncode}\nstdout: {out.stdout}\nstderr: {out.stderr}"
    return out.stdout


def make_tree(root: Path, files: dict[str, bytes], age: float = 3600) -> None:
    """Write ``files`` under ``root``, dated ``age`` seconds back (so sync sees them as older)."""
    past = time.time() - age
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (past, past))


TREE = {
    "index.html": b"<h1>hello</h1>",
    "css/site.css": b"body { color: blue; }",
    "img/logo.bin": bytes(range(256)) * 4,
    "docs/with space.txt": b"spaces in the name",
    "docs/unicode-\u00e9t\u00e9.txt": b"utf-8 name",
}


# --------------------------------------------------------------------------- cp


def test_cp_upload_and_download(cloudlet, s3, bucket, tmp_path):
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from the cli\n")
    out = ok(aws(cloudlet.endpoint, "s3", "cp", str(source), f"s3://{bucket}/dir/hello.txt"))
    assert any(
        line.startswith("upload: ") and line.endswith(f" to s3://{bucket}/dir/hello.txt")
        for line in out.splitlines()
    )
    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert got["Body"].read() == b"hello from the cli\n"
    assert got["ETag"] == etag_of(b"hello from the cli\n")
    target = tmp_path / "copy.txt"
    ok(aws(cloudlet.endpoint, "s3", "cp", f"s3://{bucket}/dir/hello.txt", str(target)))
    assert target.read_bytes() == b"hello from the cli\n"


def test_cp_with_content_type_and_metadata(cloudlet, s3, bucket, tmp_path):
    source = tmp_path / "data.json"
    source.write_text('{"a": 1}')
    ok(
        aws(
            cloudlet.endpoint,
            "s3",
            "cp",
            str(source),
            f"s3://{bucket}/data.json",
            "--content-type",
            "application/json",
            "--metadata",
            "color=blue,size=small",
            "--cache-control",
            "max-age=60",
        )
    )
    head = s3.head_object(Bucket=bucket, Key="data.json")
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"color": "blue", "size": "small"}
    assert head["CacheControl"] == "max-age=60"


def test_cp_large_file_uses_multipart(cloudlet, s3, bucket, tmp_path):
    # awscli switches to multipart above 8 MiB, in 8 MiB parts: 9 MiB -> 2 parts, ETag "-2"
    data = os.urandom(9 * 1024 * 1024)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    ok(aws(cloudlet.endpoint, "s3", "cp", str(source), f"s3://{bucket}/big.bin"))
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-2")
    target = tmp_path / "big.copy"
    ok(aws(cloudlet.endpoint, "s3", "cp", f"s3://{bucket}/big.bin", str(target)))
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_cp_recursive(cloudlet, s3, bucket, tmp_path):
    make_tree(tmp_path / "site", TREE)
    ok(aws(cloudlet.endpoint, "s3", "cp", str(tmp_path / "site"), f"s3://{bucket}/site/", "--recursive"))
    assert sorted(keys_of(s3.list_objects_v2(Bucket=bucket))) == sorted(f"site/{k}" for k in TREE)
    assert (
        s3.get_object(Bucket=bucket, Key="site/docs/with space.txt")["Body"].read() == b"spaces in the name"
    )
    back = tmp_path / "back"
    ok(aws(cloudlet.endpoint, "s3", "cp", f"s3://{bucket}/site/", str(back), "--recursive"))
    for name, data in TREE.items():
        assert (back / name).read_bytes() == data


def test_cp_between_buckets(cloudlet, s3, bucket, make_bucket):
    other = make_bucket("clidst")
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"copied server-side", Metadata={"k": "v"})
    ok(aws(cloudlet.endpoint, "s3", "cp", f"s3://{bucket}/src.txt", f"s3://{other}/dst.txt"))
    got = s3.get_object(Bucket=other, Key="dst.txt")
    assert got["Body"].read() == b"copied server-side"
    assert got["Metadata"] == {"k": "v"}


def test_cp_missing_key_fails(cloudlet, bucket, tmp_path):
    out = aws(cloudlet.endpoint, "s3", "cp", f"s3://{bucket}/nope.txt", str(tmp_path / "nope.txt"))
    assert out.returncode != 0
    assert "(404)" in out.stderr
    assert not (tmp_path / "nope.txt").exists()


def test_cp_to_missing_bucket_fails(cloudlet, tmp_path):
    source = tmp_path / "x.txt"
    source.write_text("x")
    out = aws(cloudlet.endpoint, "s3", "cp", str(source), f"s3://{unique_name('nobucket')}/x.txt")
    assert out.returncode != 0
    assert "NoSuchBucket" in out.stderr


# --------------------------------------------------------------------------- sync


def test_sync_up_incremental_and_delete(cloudlet, s3, bucket, tmp_path):
    local = tmp_path / "local"
    make_tree(local, TREE)
    first = ok(aws(cloudlet.endpoint, "s3", "sync", str(local), f"s3://{bucket}/mirror"))
    assert first.count("upload: ") == len(TREE)
    assert sorted(keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="mirror/"))) == sorted(
        f"mirror/{k}" for k in TREE
    )

    unchanged = ok(aws(cloudlet.endpoint, "s3", "sync", str(local), f"s3://{bucket}/mirror"))
    assert "upload: " not in unchanged

    make_tree(local, {"new/added.txt": b"added later", "index.html": b"<h1>hello, changed</h1>"})
    again = ok(aws(cloudlet.endpoint, "s3", "sync", str(local), f"s3://{bucket}/mirror"))
    assert sorted(line.split(" to ")[-1] for line in again.splitlines() if line.startswith("upload:")) == [
        f"s3://{bucket}/mirror/index.html",
        f"s3://{bucket}/mirror/new/added.txt",
    ]
    assert s3.get_object(Bucket=bucket, Key="mirror/index.html")["Body"].read() == b"<h1>hello, changed</h1>"

    (local / "css" / "site.css").unlink()
    pruned = ok(aws(cloudlet.endpoint, "s3", "sync", str(local), f"s3://{bucket}/mirror", "--delete"))
    assert f"delete: s3://{bucket}/mirror/css/site.css" in pruned
    assert "mirror/css/site.css" not in keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="mirror/"))


def test_sync_down(cloudlet, s3, bucket, tmp_path):
    for name, data in TREE.items():
        s3.put_object(Bucket=bucket, Key=f"remote/{name}", Body=data)
    s3.put_object(Bucket=bucket, Key="elsewhere/skip.txt", Body=b"not synced")
    target = tmp_path / "down"
    out = ok(aws(cloudlet.endpoint, "s3", "sync", f"s3://{bucket}/remote", str(target)))
    assert out.count("download: ") == len(TREE)
    for name, data in TREE.items():
        assert (target / name).read_bytes() == data
    assert not (target / "skip.txt").exists()
    assert "download: " not in ok(aws(cloudlet.endpoint, "s3", "sync", f"s3://{bucket}/remote", str(target)))


def test_sync_with_exclude(cloudlet, s3, bucket, tmp_path):
    make_tree(tmp_path / "src", {"keep.txt": b"keep", "skip.log": b"skip", "sub/also.log": b"skip"})
    ok(aws(cloudlet.endpoint, "s3", "sync", str(tmp_path / "src"), f"s3://{bucket}/", "--exclude", "*.log"))
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["keep.txt"]


# --------------------------------------------------------------------------- ls


def test_ls_buckets_and_objects(cloudlet, s3, bucket):
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="dir/inner.txt", Body=b"123")
    s3.put_object(Bucket=bucket, Key="dir/deeper/leaf.txt", Body=b"1")
    buckets = ok(aws(cloudlet.endpoint, "s3", "ls"))
    assert bucket in buckets.split()
    top = ok(aws(cloudlet.endpoint, "s3", "ls", f"s3://{bucket}/")).splitlines()
    assert any(line.split() == ["PRE", "dir/"] for line in top)
    assert any(line.split()[-2:] == ["5", "top.txt"] for line in top)
    assert not any("inner.txt" in line for line in top)
    inner = ok(aws(cloudlet.endpoint, "s3", "ls", f"s3://{bucket}/dir/")).splitlines()
    assert any(line.split() == ["PRE", "deeper/"] for line in inner)
    assert any(line.split()[-2:] == ["3", "inner.txt"] for line in inner)
    everything = ok(aws(cloudlet.endpoint, "s3", "ls", f"s3://{bucket}", "--recursive")).splitlines()
    assert sorted(line.split()[-1] for line in everything) == [
        "dir/deeper/leaf.txt",
        "dir/inner.txt",
        "top.txt",
    ]
    summary = ok(aws(cloudlet.endpoint, "s3", "ls", f"s3://{bucket}", "--recursive", "--summarize"))
    assert "Total Objects: 3" in summary and "Total Size: 9" in summary


def test_ls_empty_and_missing_bucket(cloudlet, bucket):
    empty = aws(cloudlet.endpoint, "s3", "ls", f"s3://{bucket}/")
    assert empty.stdout.strip() == ""
    missing = aws(cloudlet.endpoint, "s3", "ls", f"s3://{unique_name('nols')}/")
    assert missing.returncode != 0
    assert "NoSuchBucket" in missing.stderr


# --------------------------------------------------------------------------- rm, mb, rb


def test_rm_single_and_recursive(cloudlet, s3, bucket):
    for key in ("logs/a.log", "logs/b.log", "logs/deep/c.log", "keep/d.txt", "single.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    single = ok(aws(cloudlet.endpoint, "s3", "rm", f"s3://{bucket}/single.txt"))
    assert f"delete: s3://{bucket}/single.txt" in single
    out = ok(aws(cloudlet.endpoint, "s3", "rm", f"s3://{bucket}/logs/", "--recursive"))
    assert sorted(line for line in out.splitlines() if line.startswith("delete:")) == [
        f"delete: s3://{bucket}/logs/a.log",
        f"delete: s3://{bucket}/logs/b.log",
        f"delete: s3://{bucket}/logs/deep/c.log",
    ]
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["keep/d.txt"]


def test_rm_recursive_with_include_exclude(cloudlet, s3, bucket):
    for key in ("a.tmp", "b.tmp", "c.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    ok(
        aws(
            cloudlet.endpoint,
            "s3",
            "rm",
            f"s3://{bucket}/",
            "--recursive",
            "--exclude",
            "*",
            "--include",
            "*.tmp",
        )
    )
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["c.txt"]


def test_mb_and_rb(cloudlet, s3, make_bucket):
    name = unique_name("climb")
    made = ok(aws(cloudlet.endpoint, "s3", "mb", f"s3://{name}"))
    make_bucket.adopt(name, s3)
    assert f"make_bucket: {name}" in made
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    refused = aws(cloudlet.endpoint, "s3", "rb", f"s3://{name}")
    assert refused.returncode != 0
    assert "BucketNotEmpty" in refused.stderr
    removed = ok(aws(cloudlet.endpoint, "s3", "rb", f"s3://{name}", "--force"))
    assert f"remove_bucket: {name}" in removed
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_mb_invalid_name(cloudlet):
    out = aws(cloudlet.endpoint, "s3", "mb", "s3://Invalid_Bucket_Name")
    assert out.returncode != 0
    assert "InvalidBucketName" in out.stderr


# --------------------------------------------------------------------------- presign


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_presign_then_fetch_then_expire(cloudlet, s3, bucket):
    # awscli v1 presigns with SigV2: Expires is an absolute time from this machine's clock.
    # Cloudlet measures it from the service clock's offset when the URL is first presented,
    # so moving the clock afterwards expires it.
    s3.put_object(Bucket=bucket, Key="shared/report.txt", Body=b"presigned by the cli")
    url = ok(
        aws(cloudlet.endpoint, "s3", "presign", f"s3://{bucket}/shared/report.txt", "--expires-in", "120")
    ).strip()
    assert url.startswith(f"{cloudlet.endpoint}/{bucket}/shared/report.txt?")
    assert fetch(url) == (200, b"presigned by the cli")
    cloudlet.advance_clock(180)
    status, body = fetch(url)
    assert status == 403  # "Error responses": AccessDenied, 403
    error = xml_error(body)
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired")


def test_presign_of_missing_key(cloudlet, bucket):
    offset = int(cloudlet.clock()["offset"])
    url = ok(
        aws(
            cloudlet.endpoint,
            "s3",
            "presign",
            f"s3://{bucket}/missing.txt",
            "--expires-in",
            str(offset + 3600),
        )
    ).strip()
    status, body = fetch(url)
    assert status == 404
    assert xml_error(body)["Code"] == "NoSuchKey"
