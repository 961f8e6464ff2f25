//! The handler side of HTTP exchanges (`js-api/lib/internal/http/server.js`): take
//! the next requests, read request bodies, send the response head and body with
//! backpressure, end or abort. Exchanges are named by their id in the worker's
//! [`HttpWorker`]; an id that is gone means the client went away.

use super::{arg_f64, arg_string, spawn, throw, ErrorClass, OpError, OpValue};
use crate::http::exchange::{Event, Exchange, HttpWorker, Phase, RequestBody};
use crate::js::bytes::view_to_bytes;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use std::rc::Rc;

fn worker(scope: &mut v8::PinScope<'_, '_>) -> Option<Rc<HttpWorker>> {
    scope.get_slot::<Rc<HttpWorker>>().cloned()
}

fn exchange(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
) -> Option<(Rc<HttpWorker>, Rc<Exchange>)> {
    let w = worker(scope)?;
    let id = arg_f64(scope, args, 0, 0.0) as u32;
    let ex = w.get(id)?;
    Some((w, ex))
}

/// Header bytes as Node shows them: one JS character per byte (latin1).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

fn request_event(ex: &Exchange, secure: bool) -> OpValue {
    let mut raw = Vec::with_capacity(ex.headers.len() * 2);
    for (name, value) in &ex.headers {
        raw.push(OpValue::String(name.as_str().to_string()));
        raw.push(OpValue::String(latin1(value.as_bytes())));
    }
    // HTTP/2 and HTTP/3 carry the authority as a pseudo-header; Node shows it as Host.
    if ex.headers.get(http::header::HOST).is_none() {
        if let Some(authority) = ex.uri.authority() {
            raw.push(OpValue::String("host".into()));
            raw.push(OpValue::String(authority.to_string()));
        }
    }
    let url = ex
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    OpValue::Array(vec![
        OpValue::Number(1.0),
        OpValue::Number(ex.id as f64),
        OpValue::String(ex.method.as_str().to_string()),
        OpValue::String(url),
        OpValue::String(ex.protocol.as_str().to_string()),
        OpValue::Array(raw),
        OpValue::String(ex.remote.ip().to_string()),
        OpValue::Number(ex.remote.port() as f64),
        OpValue::Bool(ex.has_body()),
        OpValue::Bool(secure),
    ])
}

fn event_batch(events: Vec<Event>, secure: bool) -> OpValue {
    OpValue::Array(
        events
            .into_iter()
            .map(|e| match e {
                Event::Request(ex) => request_event(&ex, secure),
                Event::Aborted(id) => {
                    OpValue::Array(vec![OpValue::Number(2.0), OpValue::Number(id as f64)])
                }
            })
            .collect(),
    )
}

/// `op_http_listen(callback)`: from now on the loop calls `callback(batch)` with up
/// to 64 events at a time, each `[1, id, method, url, httpVersion, rawHeaders,
/// remoteAddress, remotePort, hasBody, encrypted]` (a request) or `[2, id]` (the
/// client went away), until the worker shuts down.
pub fn op_http_listen<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(w) = worker(scope) else {
        return throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_SERVER_NOT_RUNNING",
                "this isolate does not serve HTTP",
            ),
        );
    };
    let Ok(callback) = v8::Local::<v8::Function>::try_from(args.get(0)) else {
        return super::throw_type_error(scope, "op_http_listen(callback)");
    };
    let secure = w.secure;
    let mut next: Option<std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Event>>>>> = None;
    let poll = move |cx: &mut std::task::Context<'_>| {
        let fut = next.get_or_insert_with(|| Box::pin(w.clone().next_events(64)));
        match fut.as_mut().poll(cx) {
            std::task::Poll::Ready(events) => {
                next = None;
                if events.is_empty() {
                    std::task::Poll::Ready(None)
                } else {
                    std::task::Poll::Ready(Some(event_batch(events, secure)))
                }
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    };
    let callback = v8::Global::new(scope, callback);
    crate::js::state::state(scope)
        .borrow_mut()
        .sources
        .push(crate::js::state::EventSource {
            poll: Box::new(poll),
            callback,
        });
}

/// `op_http_ready(ok, message)`: the handler module loaded (or failed to).
pub fn op_http_ready<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ok = args.get(0).is_true();
    let message = arg_string(scope, &args, 1);
    if let Some(w) = worker(scope) {
        w.report_ready(if ok { Ok(()) } else { Err(message) });
    }
}

/// `op_http_set_context(id)`: tags the JS about to run (and every promise
/// continuation it creates) with the request it works for; 0 clears the tag.
pub fn op_http_set_context<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let id = arg_f64(scope, &args, 0, 0.0);
    let value: v8::Local<v8::Value> = if id > 0.0 {
        v8::Number::new(scope, id).into()
    } else {
        v8::undefined(scope).into()
    };
    scope.set_continuation_preserved_embedder_data(value);
}

/// `op_http_read(id)`: a promise of the next request-body chunk, or `null` at the end.
pub fn op_http_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ex = exchange(scope, &args).map(|(_, ex)| ex);
    let p = spawn(scope, true, async move {
        let Some(ex) = ex else {
            return Ok(OpValue::Null);
        };
        let Some(body) = ex.take_body() else {
            return Ok(OpValue::Null);
        };
        let RequestBody::Hyper(mut incoming) = body else {
            return Ok(OpValue::Null);
        };
        loop {
            match http_body_util::BodyExt::frame(&mut incoming).await {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        ex.put_body(RequestBody::Hyper(incoming));
                        return Ok(OpValue::Bytes(data));
                    }
                    Err(_trailers) => continue,
                },
                Some(Err(e)) => {
                    return Err(OpError::new(ErrorClass::Error, "ECONNRESET", "aborted")
                        .with("cause", OpValue::String(e.to_string())));
                }
                None => return Ok(OpValue::Null),
            }
        }
    });
    rv.set(p.into());
}

fn header_map(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<v8::Value>,
) -> Result<HeaderMap, OpError> {
    let mut map = HeaderMap::new();
    let Ok(list) = v8::Local::<v8::Array>::try_from(value) else {
        return Ok(map);
    };
    let mut i = 0;
    while i + 1 < list.length() {
        let name = list
            .get_index(scope, i)
            .map(|v| v.to_rust_string_lossy(scope))
            .unwrap_or_default();
        let value = list
            .get_index(scope, i + 1)
            .and_then(|v| v.to_string(scope));
        i += 2;
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            OpError::type_error(
                "ERR_INVALID_HTTP_TOKEN",
                format!("Header name must be a valid HTTP token [\"{name}\"]"),
            )
        })?;
        let bytes: Vec<u8> = match value {
            Some(v) => {
                let mut buf = vec![0u16; v.length()];
                v.write_v2(scope, 0, &mut buf, v8::WriteFlags::empty());
                if buf.iter().any(|&u| u > 255) {
                    return Err(OpError::type_error(
                        "ERR_INVALID_CHAR",
                        format!("Invalid character in header content [\"{name}\"]"),
                    ));
                }
                buf.into_iter().map(|u| u as u8).collect()
            }
            None => Vec::new(),
        };
        let value = HeaderValue::from_bytes(&bytes).map_err(|_| {
            OpError::type_error(
                "ERR_INVALID_CHAR",
                format!("Invalid character in header content [\"{name}\"]"),
            )
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// `op_http_respond(id, status, statusMessage, headers, body, end)`: sends the head
/// (and, with `end`, the whole body). Returns false when the client is gone.
pub fn op_http_respond<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((w, ex)) = exchange(scope, &args) else {
        rv.set_bool(false);
        return;
    };
    let code = arg_f64(scope, &args, 1, 200.0);
    let Some(status) = (100.0..=999.0)
        .contains(&code)
        .then(|| StatusCode::from_u16(code as u16).ok())
        .flatten()
    else {
        return throw(
            scope,
            OpError::range_error(
                "ERR_HTTP_INVALID_STATUS_CODE",
                format!("Invalid status code: {code}"),
            ),
        );
    };
    let headers = match header_map(scope, args.get(3)) {
        Ok(h) => h,
        Err(e) => return throw(scope, e),
    };
    let body = match args.get(4) {
        v if v.is_null_or_undefined() => None,
        v if v.is_string() => Some(Bytes::from(v.to_rust_string_lossy(scope))),
        v => view_to_bytes(scope, v),
    };
    let end = args.get(5).is_true();
    let mut response = Response::new(());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    let message = args.get(2);
    if message.is_string() {
        let text = message.to_rust_string_lossy(scope);
        if status.canonical_reason() != Some(text.as_str()) {
            if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(text.into_bytes()) {
                response.extensions_mut().insert(reason);
            }
        }
    }
    let capacity = w.limits.body_buffer;
    if ex.respond(response, capacity, &w).is_none() {
        rv.set_bool(false);
        return;
    }
    if let Some(b) = body {
        if !b.is_empty() && ex.try_write(b).is_none() {
            rv.set_bool(false);
            return;
        }
    }
    if end {
        ex.end(None);
    }
    rv.set_bool(true);
}

/// `op_http_write(id, chunk)`: `true` when queued, `false` when the client is gone, or
/// a promise of either once there is room (backpressure).
pub fn op_http_write<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((_, ex)) = exchange(scope, &args) else {
        rv.set_bool(false);
        return;
    };
    let chunk = match args.get(1) {
        v if v.is_string() => Bytes::from(v.to_rust_string_lossy(scope)),
        v => match view_to_bytes(scope, v) {
            Some(b) => b,
            None => {
                return super::throw_type_error(scope, "chunk must be a string or a Uint8Array")
            }
        },
    };
    match ex.try_write(chunk.clone()) {
        Some(true) => rv.set_bool(true),
        None => rv.set_bool(false),
        Some(false) => {
            let p = spawn(scope, true, async move {
                Ok(OpValue::Bool(ex.write(chunk).await))
            });
            rv.set(p.into());
        }
    }
}

/// `op_http_end(id, trailers)`: ends the response body.
pub fn op_http_end<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((_, ex)) = exchange(scope, &args) else {
        return;
    };
    let trailers = match header_map(scope, args.get(1)) {
        Ok(t) if !t.is_empty() => Some(t),
        Ok(_) => None,
        Err(e) => return throw(scope, e),
    };
    ex.end(trailers);
}

/// `op_http_abort(id, status)`: answers `status` if no head was sent, else cuts the
/// response so the client sees an error, never a short body taken for complete.
pub fn op_http_abort<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let status = StatusCode::from_u16(arg_f64(scope, &args, 1, 500.0) as u16)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some((_, ex)) = exchange(scope, &args) {
        ex.abort(status);
    }
}

/// `op_http_log_error(id, text)`: logs a handler failure with its request line.
pub fn op_http_log_error<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let text = arg_string(scope, &args, 1);
    match exchange(scope, &args) {
        Some((_, ex)) => tracing::error!(
            target: "weir::handler",
            "{} {} HTTP/{} from {}: {text}",
            ex.method,
            ex.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
            ex.protocol.as_str(),
            ex.remote
        ),
        None => tracing::error!(target: "weir::handler", "{text}"),
    }
}

/// After the loop stopped a handler that ran past its CPU budget: its request is
/// answered 503 (or cut, if its head was sent) and the handler side told.
pub fn on_cpu_limit(scope: &mut v8::PinScope<'_, '_>, culprit: Option<u32>) {
    let Some(w) = worker(scope) else { return };
    match culprit.and_then(|id| w.get(id)) {
        Some(ex) => {
            tracing::error!(
                target: "weir::handler",
                "{} {} HTTP/{} from {}: the handler ran past --handler-timeout-ms and was stopped; answered 503",
                ex.method,
                ex.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
                ex.protocol.as_str(),
                ex.remote
            );
            let head_sent = ex.phase() != Phase::Pending;
            ex.abort(StatusCode::SERVICE_UNAVAILABLE);
            if !head_sent || ex.phase() == Phase::Aborted {
                w.notify_aborted(ex.id);
            }
        }
        None => {
            tracing::error!(target: "weir::handler", "JavaScript ran past --handler-timeout-ms outside any request and was stopped")
        }
    }
}

/// `op_http_send_file(id, root, urlPath)`: serves a file under `root` natively: 404
/// when missing, 403 for paths that try to leave the root. Settles when the body
/// has been handed to the connection (or the client left).
pub fn op_http_send_file<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((w, ex)) = exchange(scope, &args) else {
        rv.set(v8::Boolean::new(scope, false).into());
        return;
    };
    let root = std::path::PathBuf::from(arg_string(scope, &args, 1));
    let url_path = arg_string(scope, &args, 2);
    let p = spawn(scope, true, async move {
        Ok(OpValue::Bool(
            crate::http::files::send(&w, &ex, &root, &url_path).await,
        ))
    });
    rv.set(p.into());
}
