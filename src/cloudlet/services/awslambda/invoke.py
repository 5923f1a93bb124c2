"""Invoke: RequestResponse and DryRun on the executor (executor.py); Event invocations go to
the delivery engine (async_invoke.py); InvokeWithResponseStream (stream_invoke.py) shares the
checks and the run path."""

from __future__ import annotations

import base64
import binascii
import random
import re
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import ids
from cloudlet.protocol.errors import ServiceError, not_implemented
from cloudlet.services.awslambda import local_code
from cloudlet.services.awslambda.executor import Launch, Outcome, tail, unsupported
from cloudlet.services.awslambda.metrics import FunctionMetrics
from cloudlet.services.awslambda.names import ref_of_arn
from cloudlet.services.awslambda.store import Doc
from cloudlet.services.base import RequestContext
from cloudlet.services.iam.interface import directory

if TYPE_CHECKING:
    from cloudlet.services.awslambda.names import FunctionRef
    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.awslambda.response_stream import ResponseStream

MAX_REQUEST = 6291456  # bytes (recorded: "Request must be smaller than 6291456 bytes ...")
MAX_RESPONSE = 6291556  # bytes: 100 more than a request may carry
CREDENTIALS_SECONDS = 12 * 3600
_ROLE = re.compile(r"^arn:([^:]+):iam::(\d{12}):role/(?:[^:]*/)?([^/]+)$")


def too_large() -> ServiceError:
    return ServiceError(
        "RequestEntityTooLargeException",
        f"Request must be smaller than {MAX_REQUEST} bytes for the InvokeFunction operation",
        413,
        fields={"Type": "User"},
    )


class Invoking:
    """The Invoke operation of LambdaProvider."""

    async def invoke(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind = params.get("InvocationType") or "RequestResponse"
        ref, config, alias, payload = self.invoked(ctx, params)
        if kind == "DryRun":
            return {"StatusCode": 204}
        runnable(config, payload, "Invoke")
        if kind == "Event":  # async_invoke.py: answered once the event is stored
            self.invoke_event(ref, config, payload, ctx.request_id)
            return {"StatusCode": 202}
        client = decode_client_context(params.get("ClientContext"))
        # the invocation's request id is the API request's (x-amzn-RequestId), as on AWS
        outcome, config = await self.run(ref, config, alias, payload or b"{}", ctx.request_id, client)
        body, error = outcome.payload, outcome.error
        if len(body) > MAX_RESPONSE:
            body, error = (
                orjson.dumps(
                    {
                        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        f"({MAX_RESPONSE} bytes).",
                        "errorType": "Function.ResponseSizeTooLarge",
                    }
                ),
                True,
            )  # unverified wording
        out: dict[str, Any] = {"StatusCode": 200, "Payload": body, "ExecutedVersion": config["Version"]}
        if error:
            out["FunctionError"] = "Unhandled"
        if params.get("LogType") == "Tail":
            out["LogResult"] = base64.b64encode(tail(outcome)).decode()
        return out

    def invoked(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[FunctionRef, Doc, str | None, bytes]:
        """The function (version or alias) an invoke names, and its payload within the limit."""
        ref = self.ref(ctx, params)
        config, alias = self.resolve(ref)
        payload = bytes(params.get("Payload") or b"")
        if len(payload) > MAX_REQUEST:
            raise too_large()
        return ref, config, alias, payload

    async def run(
        self: LambdaProvider,
        ref: FunctionRef,
        config: Doc,
        alias: str | None,
        payload: bytes,
        request_id: str,
        client_context: str | None = None,
        stream: ResponseStream | None = None,
    ) -> tuple[Outcome, Doc]:
        """Run the version ``resolve(ref)`` gave (an alias's weights pick one) once: the one
        path every invocation takes (Invoke, InvokeWithResponseStream, Event attempts, rotation
        steps). With ``stream``, it learns when the invocation is admitted (and the version),
        and a response the function streams goes there as it arrives."""
        if alias is not None:
            config = self._weighted(ref.account, ref.region, ref.name, alias, config)
        invoked = ref.arn() if ref.qualifier else config["FunctionArn"]
        function = ref.arn("")
        metrics = FunctionMetrics(self.metrics, ref.account, ref.region, ref.name, ref.qualifier)
        try:
            limits = self.limits(ref.account, ref.region, ref.name)
            slot = self.concurrency.admit(ref.account, ref.region, function, ref.qualifier, limits)
        except ServiceError:
            metrics.add("Throttles")
            raise
        metrics.concurrency(self.concurrency.by_function[function], self.concurrency.by_region[slot.region])
        if stream is not None:
            stream.admit(config["Version"])
        try:
            outcome = await self.executor.invoke(
                self._launch(config, await local_code.current(config)),
                request_id,
                payload,
                invoked,
                client_context,
                stream,
            )
        finally:
            self.concurrency.release(slot)
        metrics.add("Invocations")
        metrics.add("Duration", outcome.duration)
        if outcome.error:
            metrics.add("Errors")
        return outcome, config

    async def invoke_function(
        self: LambdaProvider, function_arn: str, payload: bytes, request_id: str
    ) -> tuple[bytes, bool]:
        """A RequestResponse invocation for another service (interface.py): the function's
        answer and whether it is a function error; Lambda's ServiceError (no such function,
        a throttle, an unsupported runtime) when it cannot run."""
        try:
            ref = ref_of_arn(function_arn)
        except ValueError:
            raise ServiceError(
                "ResourceNotFoundException", f"Function not found: {function_arn}", 404
            ) from None
        config, alias = self.resolve(ref)
        missing = unsupported(config.get("Runtime"))
        if missing is not None:
            raise not_implemented("lambda", f"Invoke ({missing})")
        outcome, _ = await self.run(ref, config, alias, payload, request_id)
        return outcome.payload, outcome.error

    def _weighted(self: LambdaProvider, account: str, region: str, name: str, alias: str, config: Doc) -> Doc:
        """The version an alias's routing picks for one invocation."""
        found = self.db.alias(account, region, name, alias) or {}
        weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        roll = random.random()
        for version, weight in weights.items():
            if roll < float(weight):
                other = self.db.version(account, region, name, version)
                return other if other is not None else config
            roll -= float(weight)
        return config

    def _launch(self: LambdaProvider, config: Doc, stamped: str | None = None) -> Launch:
        """How to start an environment of ``config``; ``stamped``: its hot-reload directory's
        stamp (local_code.py) when taken."""
        name = config["FunctionName"]
        region, account = config["FunctionArn"].split(":")[3:5]
        layers = []
        for layer in config.get("Layers") or []:
            path = self.layer_dir(layer["Arn"])
            if path is not None:
                layers.append(path)
        group = (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}"
        version = config["Version"]
        key = (f"{config['FunctionArn']}", version, config.get("RevisionId") or "")
        code_dir, key = local_code.code_of(self.codes, self.executor, key, config, stamped)
        return Launch(
            key=key,
            config=config,
            code_dir=code_dir,
            layer_dirs=layers,
            account=account,
            region=region,
            log_group=group,
            endpoint=self.runtime.config.endpoint,
            credentials=lambda: self.role_credentials(config["Role"], name),
        )

    def role_credentials(self: LambdaProvider, role_arn: str, session: str) -> tuple[str, str, str, float]:
        """Session credentials for the function's role, issued as STS's AssumeRole issues them,
        and when they expire (service clock)."""
        import secrets

        m = _ROLE.match(role_arn)
        partition, account, role_name = (m[1], m[2], m[3]) if m else ("aws", "000000000000", "unknown")
        iam = directory(self.runtime)
        role = iam.entity(account, "role", role_name) if iam is not None else None
        role_id = (role or {}).get("RoleId") or "AROA" + ids.random_upper(17)
        key, secret = ids.access_key_id("ASIA"), ids.secret_key()
        token = base64.b64encode(secrets.token_bytes(96)).decode()
        arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"
        expires = self.clock.now() + CREDENTIALS_SECONDS
        with self.store.transaction():
            self.runtime.credentials.issue(key, secret, token, account, arn, f"{role_id}:{session}", expires)
        return key, secret, token, expires


def check_json(payload: bytes) -> None:
    if not payload:
        return
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        # unverified: the detail after the colon (AWS quotes its Java parser's message)
        raise ServiceError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
            400,
            fields={"Type": "User"},
        ) from None


def runnable(config: Doc, payload: bytes, operation: str) -> None:
    """Refuse a runtime Cloudlet cannot run (NotImplemented naming ``operation``) and a payload
    that is not JSON."""
    missing = unsupported(config.get("Runtime"))
    if missing is not None:
        raise not_implemented("lambda", f"{operation} ({missing})")
    check_json(payload)


def decode_client_context(value: str | None) -> str | None:
    """The decoded JSON of ``X-Amz-Client-Context`` (base64), as the runtime gets it."""
    if not value:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode()
        if isinstance(orjson.loads(text), dict):
            return text
    except (binascii.Error, UnicodeDecodeError, orjson.JSONDecodeError):
        pass
    raise ServiceError(
        "InvalidRequestContentException",
        "Client context must be a valid Base64-encoded JSON object.",
        400,
        fields={"Type": "User"},
    )  # unverified wording
