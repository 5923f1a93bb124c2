"""``{{resolve:ssm:…}}`` and ``{{resolve:ssm-secure:…}}`` through one function, on a real server."""

from __future__ import annotations

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.ssm.resolve import has_reference, resolve_reference

from .conftest import needs_kms


def resolve(cloudlet, text: str) -> str:
    runtime = cloudlet.app.runtime
    return cloudlet.call(resolve_reference, runtime, "000000000000", "us-east-1", text)


def test_resolves_versions_and_labels(cloudlet, ssm, root):
    ssm.put_parameter(Name=f"{root}/db", Value="host-1", Type="String")
    ssm.put_parameter(Name=f"{root}/db", Value="host-2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=f"{root}/db", ParameterVersion=1, Labels=["old"])
    text = f"a={{{{resolve:ssm:{root}/db}}}} b={{{{resolve:ssm:{root}/db:1}}}} c={{{{resolve:ssm:{root}/db:old}}}}"
    assert has_reference(text)
    assert resolve(cloudlet, text) == "a=host-2 b=host-1 c=host-1"
    assert resolve(cloudlet, "no references") == "no references"


def test_unresolvable_references(cloudlet, ssm, root):
    with pytest.raises(ServiceError) as exc:
        resolve(cloudlet, f"{{{{resolve:ssm:{root}/missing}}}}")
    assert exc.value.code == "ValidationException"
    ssm.put_parameter(Name=f"{root}/plain", Value="p", Type="String")
    with pytest.raises(ServiceError):
        resolve(cloudlet, f"{{{{resolve:ssm-secure:{root}/plain}}}}")
    with pytest.raises(ServiceError):
        resolve(cloudlet, f"{{{{resolve:ssm:{root}/plain:9}}}}")


@needs_kms
def test_resolves_secure_strings(cloudlet, ssm, root):
    ssm.put_parameter(Name=f"{root}/pw", Value="s3cret", Type="SecureString")
    assert resolve(cloudlet, f"{{{{resolve:ssm-secure:{root}/pw:1}}}}") == "s3cret"
    with pytest.raises(ServiceError):
        resolve(cloudlet, f"{{{{resolve:ssm:{root}/pw}}}}")
