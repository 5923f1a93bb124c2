"""Spool files: large request bodies on disk, with their MD5 and CRC64NVME computed as they are written."""

from __future__ import annotations

import hashlib
import os
import random

from awscrt import checksums

from cloudlet import spool


def test_the_md5_is_of_everything_written():
    rng = random.Random(7)
    pieces = [os.urandom(rng.choice((1, 100, 8191, 65536, 300_000))) for _ in range(200)]
    with spool.new_file() as f:
        for piece in pieces:
            f.write(piece)
        assert f.md5().hexdigest() == hashlib.md5(b"".join(pieces)).hexdigest()
        assert f.crc64nvme() == checksums.crc64nvme(b"".join(pieces))
        f.seek(0)
        assert f.read() == b"".join(pieces)


def test_reading_back_by_lines_and_chunks():
    with spool.new_file() as f:
        f.write(b"first line\r\nsecond\r\n")
        f.write(b"rest" * 1000)
        f.seek(0)
        assert f.readline() == b"first line\r\n"
        assert f.readline(3) == b"sec"
        buffer = bytearray(10)
        assert f.readinto(buffer) == 10 and bytes(buffer) == b"ond\r\nrestr"


def test_an_empty_file_and_closing_without_asking():
    with spool.new_file() as f:
        assert f.md5().hexdigest() == hashlib.md5(b"").hexdigest()
        assert f.crc64nvme() == 0
    f = spool.new_file()
    f.write(b"x" * 1000)
    name = f.name
    f.close()  # the digest thread ends; the file is gone
    assert not os.path.exists(name)


def test_files_live_in_the_configured_directory(tmp_path):
    leftover = tmp_path / "spool" / "body-leftover"
    leftover.parent.mkdir()
    leftover.write_bytes(b"from a killed process")
    try:
        spool.configure(tmp_path / "spool")
        assert not leftover.exists()
        with spool.new_file() as f:
            assert os.path.dirname(f.name) == str(tmp_path / "spool")
    finally:
        spool.configure(None)
