"""S3 listing: ListObjects (v1) and ListObjectsV2 with Prefix, Delimiter, MaxKeys, pagination,
StartAfter, EncodingType, FetchOwner, KeyCount and key ordering; ListObjectVersions paging.

Most expectations come from ``aws-reference/s3/test_s3_list_operations.snapshot.json``; each test
names its scenario. botocore asks for ``EncodingType=url`` on its own and decodes the keys
(only when the caller did not set it), so explicit ``EncodingType="url"`` shows the raw form.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import pytest
from botocore.exceptions import ClientError

from .conftest import error_fields, error_of, keys_of, put_keys

PREFIX_KEYS = ["test/bar/foo/123", "test/foo/bar/123", "test/foo/bar/456", "other/zzz"]
CONTENT = b"content 123"  # the recordings' body: 11 bytes, ETag 0d9fa06a66933b40f615f530e59edd6b


def prefixes_of(listing: dict) -> list[str]:
    return [p["Prefix"] for p in listing.get("CommonPrefixes", [])]


# --------------------------------------------------------------------------- ListObjectsV2


def test_list_v2_basic_shape(s3, bucket):
    # test_list_objects_v2_with_prefix: list-objects-v2-1
    put_keys(s3, bucket, PREFIX_KEYS, CONTENT)
    listing = s3.list_objects_v2(Bucket=bucket, Prefix="test/")
    assert keys_of(listing) == ["test/bar/foo/123", "test/foo/bar/123", "test/foo/bar/456"]
    assert listing["KeyCount"] == 3
    assert listing["MaxKeys"] == 1000
    assert listing["IsTruncated"] is False
    assert listing["Name"] == bucket
    assert listing["Prefix"] == "test/"
    assert listing["EncodingType"] == "url"
    item = listing["Contents"][0]
    assert item["ETag"] == '"0d9fa06a66933b40f615f530e59edd6b"'
    assert item["Size"] == 11
    assert item["StorageClass"] == "STANDARD"
    assert "Owner" not in item
    assert "NextContinuationToken" not in listing


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("test/foo", ["test/foo/bar/123", "test/foo/bar/456"]),
        ("test/foo/bar", ["test/foo/bar/123", "test/foo/bar/456"]),
        ("test/foo/bar/4", ["test/foo/bar/456"]),
        ("nothing", []),
        ("", [*sorted(PREFIX_KEYS)]),
    ],
)
def test_list_v2_prefix(s3, bucket, prefix, expected):
    # test_list_objects_v2_with_prefix: list-objects-v2-2, -3
    put_keys(s3, bucket, PREFIX_KEYS, CONTENT)
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    assert keys_of(listing) == expected
    assert listing["KeyCount"] == len(expected)
    assert listing["Prefix"] == prefix


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("test/", ["test/bar/", "test/foo/"]), ("test/foo", ["test/foo/"]), ("test/foo/bar", ["test/foo/bar/"])],
)
def test_list_v2_delimiter_common_prefixes(s3, bucket, prefix, expected):
    # test_list_objects_v2_with_prefix_and_delimiter: list-objects-v2-1, -2, -3
    put_keys(s3, bucket, PREFIX_KEYS, CONTENT)
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
    assert prefixes_of(listing) == expected
    assert "Contents" not in listing
    assert listing["KeyCount"] == len(expected)  # common prefixes count as keys
    assert listing["Delimiter"] == "/"


def test_list_v2_delimiter_mixes_keys_and_prefixes(s3, bucket):
    put_keys(s3, bucket, ["a.txt", "dir/b.txt", "dir/sub/c.txt", "dir2/d.txt", "z.txt"])
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert keys_of(top) == ["a.txt", "z.txt"]
    assert prefixes_of(top) == ["dir/", "dir2/"]
    assert top["KeyCount"] == 4
    inner = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert keys_of(inner) == ["dir/b.txt"]
    assert prefixes_of(inner) == ["dir/sub/"]
    other = s3.list_objects_v2(Bucket=bucket, Delimiter=".")
    assert prefixes_of(other) == ["a.", "dir/b.", "dir/sub/c.", "dir2/d.", "z."]


def test_list_v2_max_keys_with_prefixes(s3, bucket):
    # test_list_objects_v2_with_prefix_and_delimiter: list-objects-v2-1-with-max-keys
    put_keys(s3, bucket, PREFIX_KEYS, CONTENT)
    page = s3.list_objects_v2(Bucket=bucket, Prefix="test/", Delimiter="/", MaxKeys=1)
    assert prefixes_of(page) == ["test/bar/"]
    assert page["KeyCount"] == 1
    assert page["MaxKeys"] == 1
    assert page["IsTruncated"] is True
    rest = s3.list_objects_v2(
        Bucket=bucket, Prefix="test/", Delimiter="/", ContinuationToken=page["NextContinuationToken"]
    )
    assert prefixes_of(rest) == ["test/foo/"]
    assert rest["ContinuationToken"] == page["NextContinuationToken"]


NUMBERED = [f"test_{i}" for i in range(12)]


def test_list_v2_continuation_and_start_after(s3, bucket):
    # test_list_objects_v2_continuation_start_after
    put_keys(s3, bucket, NUMBERED, CONTENT)
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=5)
    assert keys_of(first) == ["test_0", "test_1", "test_10", "test_11", "test_2"]
    assert (first["KeyCount"], first["MaxKeys"], first["IsTruncated"]) == (5, 5, True)
    token = first["NextContinuationToken"]
    rest = s3.list_objects_v2(Bucket=bucket, ContinuationToken=token)
    assert keys_of(rest) == [f"test_{i}" for i in range(3, 10)]
    assert (rest["KeyCount"], rest["IsTruncated"], rest["ContinuationToken"]) == (7, False, token)
    assert "NextContinuationToken" not in rest
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="test_7", MaxKeys=2)
    assert keys_of(after) == ["test_8", "test_9"]
    assert (after["StartAfter"], after["KeyCount"], after["IsTruncated"]) == ("test_7", 2, False)
    # StartAfter is ignored once a continuation token is given (list-objects-start-after-token)
    resumed = s3.list_objects_v2(Bucket=bucket, StartAfter="test_7", ContinuationToken=token)
    assert keys_of(resumed) == [f"test_{i}" for i in range(3, 10)]


def test_list_v2_start_after_a_missing_key(s3, bucket):
    put_keys(s3, bucket, ["a", "c", "e"])
    assert keys_of(s3.list_objects_v2(Bucket=bucket, StartAfter="b")) == ["c", "e"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket, StartAfter="z")) == []


def test_list_v2_paginator_walks_everything(s3, bucket):
    keys = [f"k{i:03d}" for i in range(23)]
    put_keys(s3, bucket, keys)
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4})
    )
    assert len(pages) == 6
    assert [k for page in pages for k in keys_of(page)] == keys


def test_list_v2_invalid_continuation_token(s3, bucket):
    # test_list_objects_v2_continuation_start_after: exc-continuation-token
    put_keys(s3, bucket, ["a"])
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="not-a-real-token")
    assert error_of(exc) == ("InvalidArgument", "The continuation token provided is incorrect", 400)
    assert error_fields(exc)["ArgumentName"] == "continuation-token"


@pytest.mark.parametrize("token", ["garbage!!", "YQ", "YQ==*", "a b=="])
def test_list_v2_continuation_token_that_is_not_one_of_ours(s3, bucket, token):
    # characters outside base64's alphabet or wrong padding are not skipped into some start key
    put_keys(s3, bucket, ["a", "b"])
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken=token)
    assert error_of(exc) == ("InvalidArgument", "The continuation token provided is incorrect", 400)


def test_list_v2_continuation_with_common_prefixes(s3, bucket):
    # test_list_objects_v2_continuation_common_prefixes
    keys = ["folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2", "folder/file1", "folder/file2"]
    put_keys(s3, bucket, keys, CONTENT)
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == keys
    page = s3.list_objects_v2(Bucket=bucket, Prefix="folder/", Delimiter="/", MaxKeys=1)
    assert prefixes_of(page) == ["folder/aSubfolder/"] and page["IsTruncated"] is True
    page = s3.list_objects_v2(
        Bucket=bucket,
        Prefix="folder/",
        Delimiter="/",
        MaxKeys=1,
        ContinuationToken=page["NextContinuationToken"],
    )
    assert keys_of(page) == ["folder/file1"] and page["IsTruncated"] is True
    page = s3.list_objects_v2(
        Bucket=bucket,
        Prefix="folder/",
        Delimiter="/",
        MaxKeys=1,
        ContinuationToken=page["NextContinuationToken"],
    )
    assert keys_of(page) == ["folder/file2"] and page["IsTruncated"] is False
    assert "CommonPrefixes" not in page


def test_list_v2_fetch_owner(s3, bucket):
    # S3 API reference, ListObjectsV2: the owner field is not present unless FetchOwner is true
    put_keys(s3, bucket, ["a"])
    assert "Owner" not in s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    owner = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"]
    assert owner["ID"] == s3.list_buckets()["Owner"]["ID"]


def test_list_v2_checksum_algorithm_of_contents(s3, bucket):
    # test_bucket_name_with_dots: ChecksumAlgorithm ["CRC32"], ChecksumType FULL_OBJECT
    s3.put_object(Bucket=bucket, Key="crc", Body=b"x")
    s3.put_object(Bucket=bucket, Key="sha", Body=b"x", ChecksumAlgorithm="SHA256")
    items = {i["Key"]: i for i in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert items["crc"]["ChecksumAlgorithm"] == ["CRC32"]
    assert items["sha"]["ChecksumAlgorithm"] == ["SHA256"]
    assert items["sha"]["ChecksumType"] == "FULL_OBJECT"


def test_list_v2_empty_bucket(s3, bucket):
    # test_empty_bucket_fixture: list-obj-after-empty
    listing = s3.list_objects_v2(Bucket=bucket)
    assert "Contents" not in listing
    assert (listing["KeyCount"], listing["IsTruncated"], listing["MaxKeys"]) == (0, False, 1000)


@pytest.mark.slow
def test_list_v2_returns_at_most_1000_keys(s3, bucket):
    # test_s3_put_more_than_1000_items
    keys = [f"many/{i:04d}" for i in range(1001)]
    put_keys(s3, bucket, keys)
    first = s3.list_objects_v2(Bucket=bucket)
    assert first["KeyCount"] == 1000 and first["IsTruncated"] is True
    second = s3.list_objects_v2(Bucket=bucket, ContinuationToken=first["NextContinuationToken"])
    assert keys_of(second) == ["many/1000"]


# --------------------------------------------------------------------------- ordering & encoding


def test_keys_are_ordered_by_utf8_bytes(s3, bucket):
    # S3 user guide: listings return keys in UTF-8 binary order
    keys = [
        "a",
        "B",
        "_underscore",
        "~tilde",
        "\u00e9",  # 0xC3 0xA9
        "\uff61",  # 0xEF 0xBD 0xA1
        "\U0001f600",  # 0xF0 ...: after U+FF61 in UTF-8, before it in UTF-16
        "a/b",
        "a-b",
        "ab",
        "0",
        "A",
    ]
    put_keys(s3, bucket, keys)
    expected = sorted(keys, key=lambda k: k.encode())
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == expected
    assert keys_of(s3.list_objects(Bucket=bucket)) == expected
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["Key"] for v in versions] == expected


def test_explicit_url_encoding_returns_encoded_keys(s3, bucket):
    # test_list_objects_v2_continuation_token_safe_chars: list-objects-start-after-url-type
    put_keys(s3, bucket, ["date=2026-01-01/", "date=2026-02-01/", "date=2026-03-01/", "date=2026-05-01/"])
    listing = s3.list_objects_v2(Bucket=bucket, EncodingType="url", StartAfter="date=2026-02-01/", MaxKeys=2)
    assert keys_of(listing) == ["date%3D2026-03-01/", "date%3D2026-05-01/"]
    assert listing["StartAfter"] == "date%3D2026-02-01/"
    assert listing["EncodingType"] == "url"


def test_url_encoding_of_unicode_and_prefixes(s3, bucket):
    # decoded the way botocore decodes (unquote_plus), which is what S3's url encoding needs
    keys = ["caf\u00e9/menu.txt", "space dir/file", "\U0001f600.txt"]
    put_keys(s3, bucket, keys)
    raw = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert sorted(unquote_plus(k) for k in keys_of(raw)) == sorted(keys)
    assert all(k.isascii() for k in keys_of(raw))
    delimited = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter="/")
    assert sorted(unquote_plus(p) for p in prefixes_of(delimited)) == ["caf\u00e9/", "space dir/"]
    # botocore's own decoding (EncodingType left to botocore) gives the keys back as stored
    assert sorted(keys_of(s3.list_objects_v2(Bucket=bucket))) == sorted(keys)


@pytest.mark.parametrize(
    "call", ["list_objects_v2", "list_objects", "list_object_versions", "list_multipart_uploads"]
)
def test_invalid_encoding_type(s3, bucket, call):
    # test_list_ops_encoding_type_validation[*]: error-wrong-value
    with pytest.raises(ClientError) as exc:
        getattr(s3, call)(Bucket=bucket, EncodingType="value")
    assert error_of(exc) == ("InvalidArgument", "Invalid Encoding Method specified in Request", 400)
    assert error_fields(exc)["ArgumentName"] == "encoding-type"
    assert error_fields(exc)["ArgumentValue"] == "value"


# --------------------------------------------------------------------------- ListObjects (v1)


def test_list_v1_shape_and_owner(s3, bucket):
    # test_list_objects_with_prefix[], test_s3_list_objects_empty_marker
    empty = s3.list_objects(Bucket=bucket)
    assert (empty["Marker"], empty["MaxKeys"], empty["IsTruncated"], empty["Prefix"]) == ("", 1000, False, "")
    assert "Contents" not in empty
    put_keys(s3, bucket, ["test/foo/bar/123"], CONTENT)
    listing = s3.list_objects(Bucket=bucket, Prefix="test/", MaxKeys=1)
    assert keys_of(listing) == ["test/foo/bar/123"]
    assert listing["Contents"][0]["Owner"]["ID"]
    assert (listing["Prefix"], listing["MaxKeys"], listing["IsTruncated"]) == ("test/", 1, False)


def test_list_v1_prefix_and_delimiter(s3, bucket):
    # test_list_objects_with_prefix[/]
    put_keys(s3, bucket, ["test/foo/bar/123"], CONTENT)
    listing = s3.list_objects(Bucket=bucket, Prefix="test/", Delimiter="/", MaxKeys=1)
    assert prefixes_of(listing) == ["test/foo/"]
    assert listing["Delimiter"] == "/"
    assert "Contents" not in listing


def test_list_v1_marker_pagination(s3, bucket):
    # test_list_objects_next_marker: NextMarker only with a delimiter
    keys = ["key-a", "key-b", "key-c"]
    put_keys(s3, bucket, keys, CONTENT)
    with_delimiter = s3.list_objects(Bucket=bucket, MaxKeys=1, Delimiter="/")
    assert keys_of(with_delimiter) == ["key-a"]
    assert (with_delimiter["IsTruncated"], with_delimiter["NextMarker"]) == (True, "key-a")
    page = s3.list_objects(Bucket=bucket, MaxKeys=1, Marker="key-a")
    assert keys_of(page) == ["key-b"]
    assert (page["Marker"], page["IsTruncated"]) == ("key-a", True)
    assert "NextMarker" not in page
    from_start = s3.list_objects(Bucket=bucket, MaxKeys=1, Marker="")
    assert keys_of(from_start) == ["key-a"]
    assert keys_of(s3.list_objects(Bucket=bucket, Marker="key-c")) == []


def test_list_v1_marker_with_common_prefixes(s3, bucket):
    # test_list_objects_marker_common_prefixes
    keys = ["folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2", "folder/file1", "folder/file2"]
    put_keys(s3, bucket, keys, CONTENT)
    start = s3.list_objects(Bucket=bucket, Prefix="folder/", Delimiter="/", MaxKeys=1)
    assert prefixes_of(start) == ["folder/aSubfolder/"]
    assert (start["IsTruncated"], start["NextMarker"]) == (True, "folder/aSubfolder/")
    nxt = s3.list_objects(
        Bucket=bucket, Prefix="folder/", Delimiter="/", MaxKeys=1, Marker=start["NextMarker"]
    )
    assert keys_of(nxt) == ["folder/file1"]
    assert (nxt["IsTruncated"], nxt["NextMarker"]) == (True, "folder/file1")
    end = s3.list_objects(Bucket=bucket, Prefix="folder/", Delimiter="/", MaxKeys=1, Marker="folder/file1")
    assert keys_of(end) == ["folder/file2"] and end["IsTruncated"] is False
    # a marker inside a rolled-up prefix skips the prefix (list-objects-manual-first-file)
    manual = s3.list_objects(
        Bucket=bucket, Prefix="folder/", Delimiter="/", MaxKeys=1, Marker="folder/aSubfolder/subFile1"
    )
    assert keys_of(manual) == ["folder/file1"]
    assert "CommonPrefixes" not in manual
    assert manual["NextMarker"] == "folder/file1"


def test_list_v1_paginator(s3, bucket):
    keys = [f"p/{i:02d}" for i in range(11)]
    put_keys(s3, bucket, keys)
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}))
    assert [k for page in pages for k in keys_of(page)] == keys


# --------------------------------------------------------------------------- ListObjectVersions paging


def build_version_history(s3, bucket: str) -> dict[str, str]:
    """The history of test_list_objects_versions_markers; returns name -> version id.

    v1..v3: first puts of test_0..2; v4: second put of test_2; dm5..dm7: deletes of
    test_0..2; v8, v9: puts of test_0 and test_1 again.
    """
    ids: dict[str, str] = {}
    for i in range(3):
        ids[f"v{i + 1}"] = s3.put_object(Bucket=bucket, Key=f"test_{i}", Body=b"version-1")["VersionId"]
    ids["v4"] = s3.put_object(Bucket=bucket, Key="test_2", Body=b"version-2")["VersionId"]
    for i in range(3):
        ids[f"dm{i + 5}"] = s3.delete_object(Bucket=bucket, Key=f"test_{i}")["VersionId"]
    ids["v8"] = s3.put_object(Bucket=bucket, Key="test_0", Body=b"version-2")["VersionId"]
    ids["v9"] = s3.put_object(Bucket=bucket, Key="test_1", Body=b"version-2")["VersionId"]
    return ids


def entries(listing: dict) -> list[tuple[str, str, bool]]:
    """(key, version id, is latest) of versions and delete markers, in listing order per kind."""
    return [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listing.get("Versions", [])] + [
        (d["Key"], d["VersionId"], d["IsLatest"]) for d in listing.get("DeleteMarkers", [])
    ]


def test_list_object_versions_markers(s3, versioned_bucket):
    # test_list_objects_versions_markers
    bucket = versioned_bucket
    ids = build_version_history(s3, bucket)
    everything = s3.list_object_versions(Bucket=bucket)
    assert entries(everything) == [
        ("test_0", ids["v8"], True),
        ("test_0", ids["v1"], False),
        ("test_1", ids["v9"], True),
        ("test_1", ids["v2"], False),
        ("test_2", ids["v4"], False),
        ("test_2", ids["v3"], False),
        ("test_0", ids["dm5"], False),
        ("test_1", ids["dm6"], False),
        ("test_2", ids["dm7"], True),
    ]
    assert (everything["KeyMarker"], everything["VersionIdMarker"], everything["IsTruncated"]) == (
        "",
        "",
        False,
    )

    five = s3.list_object_versions(Bucket=bucket, MaxKeys=5)
    assert entries(five) == [
        ("test_0", ids["v8"], True),
        ("test_0", ids["v1"], False),
        ("test_1", ids["v9"], True),
        ("test_0", ids["dm5"], False),
        ("test_1", ids["dm6"], False),
    ]
    assert (five["IsTruncated"], five["NextKeyMarker"], five["NextVersionIdMarker"]) == (
        True,
        "test_1",
        ids["dm6"],
    )

    key_only = s3.list_object_versions(Bucket=bucket, KeyMarker="test_1", MaxKeys=1)
    assert entries(key_only) == [("test_2", ids["dm7"], True)]
    assert (key_only["NextKeyMarker"], key_only["NextVersionIdMarker"]) == ("test_2", ids["dm7"])

    last = s3.list_object_versions(Bucket=bucket, KeyMarker="test_2", MaxKeys=1)
    assert entries(last) == [] and last["IsTruncated"] is False

    both = s3.list_object_versions(Bucket=bucket, KeyMarker="test_1", VersionIdMarker=ids["dm6"], MaxKeys=1)
    assert entries(both) == [("test_1", ids["v2"], False)]
    assert (both["IsTruncated"], both["NextKeyMarker"], both["NextVersionIdMarker"]) == (
        True,
        "test_1",
        ids["v2"],
    )

    tail = s3.list_object_versions(Bucket=bucket, KeyMarker="test_2", VersionIdMarker=ids["v4"], MaxKeys=1)
    assert entries(tail) == [("test_2", ids["v3"], False)] and tail["IsTruncated"] is False

    first = s3.list_object_versions(Bucket=bucket, KeyMarker="", MaxKeys=1)
    assert entries(first) == [("test_0", ids["v8"], True)]
    assert (first["NextKeyMarker"], first["NextVersionIdMarker"]) == ("test_0", ids["v8"])


def test_list_object_versions_version_marker_needs_key_marker(s3, versioned_bucket):
    # test_list_objects_versions_markers: list-objects-next-version-only
    version = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.list_object_versions(Bucket=versioned_bucket, VersionIdMarker=version)
    assert error_of(exc) == (
        "InvalidArgument",
        "A version-id marker cannot be specified without a key marker.",
        400,
    )
    assert error_fields(exc)["ArgumentName"] == "version-id-marker"
    assert error_fields(exc)["ArgumentValue"] == version


def test_list_object_versions_prefix_and_delimiter(s3, versioned_bucket):
    # test_list_objects_versions_with_prefix
    bucket = versioned_bucket
    for key in ("dir/test", "dir/subdir/test2"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"first version!!")
        s3.put_object(Bucket=bucket, Key=key, Body=b"second version!")
    top = s3.list_object_versions(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert prefixes_of(top) == ["dir/subdir/"]
    assert [(v["Key"], v["IsLatest"]) for v in top["Versions"]] == [("dir/test", True), ("dir/test", False)]
    partial = s3.list_object_versions(Bucket=bucket, Prefix="dir/s", Delimiter="/")
    assert prefixes_of(partial) == ["dir/subdir/"] and "Versions" not in partial
    inner = s3.list_object_versions(Bucket=bucket, Prefix="dir/subdir/", Delimiter="/")
    assert [v["Key"] for v in inner["Versions"]] == ["dir/subdir/test2", "dir/subdir/test2"]
    assert "CommonPrefixes" not in inner


def test_list_object_versions_paginator(s3, versioned_bucket):
    for i in range(4):
        for _ in range(3):
            s3.put_object(Bucket=versioned_bucket, Key=f"k{i}", Body=b"x")
    pages = list(
        s3.get_paginator("list_object_versions").paginate(
            Bucket=versioned_bucket, PaginationConfig={"PageSize": 5}
        )
    )
    versions = [(v["Key"], v["VersionId"]) for page in pages for v in page.get("Versions", [])]
    assert len(versions) == 12 and len(set(versions)) == 12
    assert [k for k, _ in versions] == [f"k{i}" for i in range(4) for _ in range(3)]
