// Cloudlet's runtime for Node.js functions: loads the handler (`file.export` under
// LAMBDA_TASK_ROOT), then loops on the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) with
// Node's own `http` module. No npm dependencies.
//
// After each invocation's output it writes a marker line (MARKER + request id) to stdout,
// before answering, so the server knows every line of the invocation arrived (environment.py).
//
// Response streaming as AWS's Node.js runtime offers it: the global `awslambda` has
// `streamifyResponse(handler)` (the handler gets `(event, responseStream, context)`) and
// `HttpResponseStream.from(stream, metadata)`; the response goes to the Runtime API as it is
// written (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked), an error after it
// began as trailers.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import util from "node:util";
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";

const MARKER = "\u0000cloudlet-invocation-end ";
const [HOST, PORT] = (process.env.AWS_LAMBDA_RUNTIME_API || "127.0.0.1:9001").split(":");
const PREFIX = "/2018-06-01/runtime";
const BOOTSTRAP = new URL(import.meta.url).pathname;
let currentId = undefined; // the request id console lines carry (undefined during init, as on AWS)

// ---- output ------------------------------------------------------------------------------

function write(text) {
  const data = Buffer.from(text);
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(1, data, offset);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
    }
  }
}

// The function's LoggingConfig, as Lambda tells runtimes (both set with the JSON format only):
// console methods below AWS_LAMBDA_LOG_LEVEL write nothing; with JSON each call is one object.
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const JSON_LOGS = (process.env.AWS_LAMBDA_LOG_FORMAT || "").toUpperCase() === "JSON";
const MIN_LEVEL = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || "").toUpperCase()] || LEVELS.TRACE;

function logLine(level, args) {
  if (LEVELS[level] < MIN_LEVEL) return;
  if (JSON_LOGS) return write(jsonLine(level, args) + "\n");
  const message = util.format(...args).replace(/\n/g, "\r");
  write(`${new Date().toISOString()}\t${currentId}\t${level}\t${message}\n`);
}

// A console call as AWS's Node.js runtime writes it in JSON: timestamp, level, requestId (none
// during init), message: a lone argument as itself (an Error as errorType, errorMessage,
// stackTrace), several as util.format's string, with the first Error's members alongside.
function jsonLine(level, [message, ...params]) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentId };
  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, (_key, value) => (value instanceof Error ? errorMembers(value) : value));
    } catch {
      record.message = util.format(message); // circular or otherwise not JSON
      return JSON.stringify(record);
    }
  }
  record.message = util.format(message, ...params);
  const err = params.find((param) => param instanceof Error);
  return JSON.stringify(err ? { ...record, ...errorMembers(err, false) } : record);
}

function errorMembers(err, own = true) {
  const members = {
    errorType: err?.constructor?.name ?? "UnknownError",
    errorMessage: err.message,
    stackTrace: typeof err.stack === "string" ? err.stack.split("\n") : err.stack,
  };
  return own ? Object.assign(members, err) : members;
}

// How an error the runtime caught is logged: `<what> \t{...}` in text, a JSON ERROR record.
function logError(what, payload) {
  if (JSON_LOGS) {
    const err = { errorType: payload.errorType, errorMessage: payload.errorMessage, stackTrace: payload.trace };
    return logLine("ERROR", [err]);
  }
  logLine("ERROR", [what + " \t" + JSON.stringify({ ...without(payload), stack: payload.trace })]);
}

for (const [name, level] of [
  ["log", "INFO"],
  ["info", "INFO"],
  ["warn", "WARN"],
  ["error", "ERROR"],
  ["debug", "DEBUG"],
  ["trace", "TRACE"],
  ["fatal", "FATAL"],
]) {
  console[name] = (...args) => logLine(level, args);
}

// ---- the Runtime API ---------------------------------------------------------------------

function request(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: Number(PORT), method, path: PREFIX + route, agent: false, headers },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function post(route, payload, errorType) {
  const body = Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload));
  const headers = { "Content-Type": "application/json", "Content-Length": body.length };
  if (errorType) headers["Lambda-Runtime-Function-Error-Type"] = errorType;
  return request("POST", route, body, headers);
}

// ---- errors ------------------------------------------------------------------------------

function stackLines(err) {
  return typeof err?.stack === "string" ? err.stack.split("\n") : [];
}

function errorPayload(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || "Error",
      errorMessage: err.message,
      trace: stackLines(err),
    };
  }
  // a non-Error thrown or rejected: AWS names it by its JavaScript type (unverified detail)
  return { errorType: typeof err === "string" ? "string" : "object", errorMessage: String(err), trace: [] };
}

class RuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

async function initError(err) {
  const payload = errorPayload(err);
  logError("Uncaught Exception", payload);
  try {
    await post("/init/error", payload, payload.errorType);
  } finally {
    process.exit(1);
  }
}

function without(payload) {
  return { errorType: payload.errorType, errorMessage: payload.errorMessage };
}

// ---- loading the handler -----------------------------------------------------------------

function packageType(dir, root) {
  for (let d = dir; d.startsWith(root); d = path.dirname(d)) {
    const file = path.join(d, "package.json");
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, "utf8")).type || "commonjs";
      } catch {
        return "commonjs";
      }
    }
    if (d === root) break;
  }
  return "commonjs";
}

async function loadModule(root, name) {
  const base = path.resolve(root, name);
  const require = createRequire(path.join(root, "index.js"));
  for (const ext of [".js", ".mjs", ".cjs"]) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    const esm = ext === ".mjs" || (ext === ".js" && packageType(path.dirname(file), root) === "module");
    if (esm) return import(pathToFileURL(file).href);
    try {
      return require(file);
    } catch (err) {
      if (err.code === "ERR_REQUIRE_ESM") return import(pathToFileURL(file).href);
      throw err;
    }
  }
  throw new RuntimeError(
    "Runtime.ImportModuleError",
    `Error: Cannot find module '${name}'\nRequire stack:\n- ${BOOTSTRAP}`,
  );
}

async function loadHandler(root, spec) {
  const slash = spec.lastIndexOf("/");
  const dot = spec.indexOf(".", slash + 1);
  if (dot < 0) throw new RuntimeError("Runtime.MalformedHandlerName", "Bad handler");
  const name = spec.slice(0, dot);
  const members = spec.slice(dot + 1).split(".");
  let module;
  try {
    module = await loadModule(root, name);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    if (err instanceof SyntaxError) {
      throw new RuntimeError("Runtime.UserCodeSyntaxError", `${err.name}: ${err.message}`);
    }
    if (err?.code === "MODULE_NOT_FOUND" || err?.code === "ERR_MODULE_NOT_FOUND") {
      throw new RuntimeError("Runtime.ImportModuleError", `${err.name}: ${err.message}`);
    }
    throw err; // an error thrown by the module's own code as it loads
  }
  let handler = module;
  for (const member of members) handler = handler?.[member];
  if (handler === undefined && module?.default) {
    handler = module.default;
    for (const member of members) handler = handler?.[member];
  }
  if (typeof handler !== "function") {
    throw new RuntimeError("Runtime.HandlerNotFound", `${spec} is undefined or not exported`);
  }
  return handler;
}

// ---- response streaming ------------------------------------------------------------------

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HIGH_WATER_MARK = Symbol.for("aws.lambda.runtime.handler.streaming.highWaterMark");
const STREAM_RESPONSE = "response";
const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";
const ERROR_TYPE = "Lambda-Runtime-Function-Error-Type";
const ERROR_BODY = "Lambda-Runtime-Function-Error-Body";

// What a streaming handler writes to: the body of one POST .../response, opened by the first
// byte (or the end), chunk by chunk as written; ended with MARKER written first.
class ResponseStream extends Writable {
  constructor(id, highWaterMark) {
    super(highWaterMark ? { highWaterMark } : {});
    this.id = id;
    this.contentType = "application/octet-stream";
    this.prelude = null; // HttpResponseStream.from's metadata, sent before the first byte
    this.req = null;
    this.done = Promise.resolve();
    this.ended = false;
  }

  setContentType(contentType) {
    if (this.req !== null) throw new Error("Cannot set content-type, too late.");
    this.contentType = contentType;
  }

  open() {
    if (this.req !== null) return this.req;
    const headers = {
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      "Transfer-Encoding": "chunked",
      Trailer: `${ERROR_TYPE}, ${ERROR_BODY}`,
      "Content-Type": this.contentType,
    };
    const route = `${PREFIX}/invocation/${this.id}/response`;
    const req = http.request({ host: HOST, port: Number(PORT), method: "POST", path: route, agent: false, headers });
    this.done = new Promise((resolve) => {
      req.on("response", (res) => {
        res.on("end", resolve);
        res.on("error", resolve);
        res.resume();
      });
      req.on("error", resolve); // the server went away (the invocation ended)
    });
    this.req = req;
    if (this.prelude !== null) {
      req.write(this.prelude);
      req.write(Buffer.alloc(8)); // the 8 null bytes that end the metadata prelude
    }
    return req;
  }

  _write(chunk, encoding, callback) {
    if (this.ended) return callback(); // failed meanwhile: the rest is dropped
    this.open().write(chunk, () => callback());
  }

  _final(callback) {
    this.finish(null).then(() => callback());
  }

  // End the response: a success, or the error as trailers. Resolves once the server answered.
  finish(error) {
    if (this.ended) return this.done;
    this.ended = true;
    const req = this.open();
    write(MARKER + this.id + "\n");
    if (error !== null) {
      req.addTrailers({
        [ERROR_TYPE]: error.errorType,
        [ERROR_BODY]: Buffer.from(JSON.stringify(error)).toString("base64"),
      });
    }
    req.end();
    return this.done;
  }
}

globalThis.awslambda = {
  streamifyResponse(handler, options) {
    handler[STREAMING] = STREAM_RESPONSE;
    if (options?.highWaterMark) handler[HIGH_WATER_MARK] = options.highWaterMark;
    return handler;
  },
  HttpResponseStream: class HttpResponseStream {
    // The metadata (statusCode, headers, cookies) a function URL answers with, sent as JSON and
    // 8 null bytes before the body, under the http-integration-response content type.
    static from(stream, metadata) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.prelude = JSON.stringify(metadata);
      return stream;
    }
  },
};

// Run one invocation of a streaming handler; resolves once its response was sent.
async function runStreaming(handler, event, headers) {
  const id = headers["lambda-runtime-aws-request-id"];
  const stream = new ResponseStream(id, handler[HIGH_WATER_MARK]);
  const fail = (err) => {
    if (stream.ended) return stream.done;
    const payload = errorPayload(err);
    logError("Invoke Error", payload);
    return stream.finish(payload);
  };
  stream.on("error", (err) => fail(err));
  let returned;
  try {
    returned = handler(event, stream, makeContext(headers, { callback: () => {} }));
  } catch (err) {
    return fail(err);
  }
  if (!returned || typeof returned.then !== "function") {
    return fail(new Error("Streaming does not support non-async handlers."));
  }
  try {
    if ((await returned) !== undefined) console.warn("Streaming handlers ignore return values.");
  } catch (err) {
    return fail(err);
  }
  if (!stream.ended) {
    // the handler returned before the stream ended (a pipeline still writing): wait for the
    // end, unless nothing is left that could end it
    await new Promise((resolve) => {
      const settle = () => {
        process.removeListener("beforeExit", unfinished);
        stream.removeListener("close", settle);
        resolve();
      };
      const unfinished = () => fail(new Error("Response stream is not finished.")).then(settle);
      process.once("beforeExit", unfinished);
      stream.once("close", settle);
      if (stream.ended) stream.done.then(settle);
    });
  }
  await stream.done;
}

// ---- invocations -------------------------------------------------------------------------

function makeContext(headers, state) {
  const env = process.env;
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const parse = (value) => (value ? JSON.parse(value) : undefined);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(headers["lambda-runtime-client-context"]),
    identity: parse(headers["lambda-runtime-cognito-identity"]),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    // the legacy completion methods, as AWS's runtime still offers them
    done: (err, result) => state.callback(err, result),
    succeed: (result) => state.callback(null, result),
    fail: (err) => state.callback(err || "handled"),
  };
}

// Run one invocation: resolves with ["response", json] or ["error", payload].
function run(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    const state = {};
    const context = makeContext(headers, state);
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      process.removeListener("beforeExit", onEmpty);
      resolve(outcome);
    };
    const answer = (err, result) => {
      if (err !== undefined && err !== null) return ["error", errorPayload(err)];
      try {
        return ["response", JSON.stringify(result === undefined ? null : result)];
      } catch (e) {
        return ["error", { errorType: "Runtime.MarshalError", errorMessage: e.message, trace: [] }];
      }
    };
    // The callback answers once the event loop is empty (beforeExit) unless the function said not to.
    let pending = null;
    const onEmpty = () => {
      if (pending !== null) finish(pending);
      else finish(answer(null, undefined)); // the handler ended without calling back
    };
    state.callback = (err, result) => {
      if (pending !== null || settled) return;
      pending = answer(err, result);
      if (!context.callbackWaitsForEmptyEventLoop) finish(pending);
    };
    process.on("beforeExit", onEmpty);
    let returned;
    try {
      returned = handler(event, context, state.callback);
    } catch (err) {
      finish(answer(err));
      return;
    }
    if (returned && typeof returned.then === "function") {
      returned.then(
        (result) => finish(answer(null, result)),
        (err) => finish(answer(err === undefined || err === null ? new Error(String(err)) : err)),
      );
    }
  });
}

async function main() {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(root, process.env._HANDLER || "");
  } catch (err) {
    await initError(err);
    return;
  }
  process.on("uncaughtException", (err) => fatal(err, "Uncaught Exception"));
  process.on("unhandledRejection", (err) => fatal(err, "Unhandled Promise Rejection"));
  for (;;) {
    let next;
    try {
      next = await request("GET", "/invocation/next");
    } catch {
      process.exit(0); // the server went away
    }
    const id = next.headers["lambda-runtime-aws-request-id"];
    currentId = id;
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString()) : {};
    } catch (err) {
      event = {};
    }
    if (handler[STREAMING] === STREAM_RESPONSE) {
      await runStreaming(handler, event, next.headers);
      continue;
    }
    const [kind, body] = await run(handler, event, next.headers);
    if (kind === "error") {
      logError("Invoke Error", body);
    }
    write(MARKER + id + "\n");
    if (kind === "error") await post(`/invocation/${id}/error`, body, body.errorType);
    else await post(`/invocation/${id}/response`, body);
  }
}

// An exception nothing caught during an invocation: answered as the function's error, then
// the process exits (AWS's runtime does the same; the environment is replaced).
async function fatal(err, what) {
  const payload = errorPayload(err);
  logError(what, payload);
  if (currentId !== undefined) {
    write(MARKER + currentId + "\n");
    try {
      await post(`/invocation/${currentId}/error`, payload, payload.errorType);
    } catch {
      // the server went away
    }
  }
  process.exit(129);
}

main();
