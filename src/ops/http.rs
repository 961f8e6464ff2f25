//! The handler side of HTTP exchanges (`js-api/lib/internal/http/server.js`): take
//! the next requests, read request bodies, send the response head and body with
//! backpressure, end or abort. Exchanges are named by their id in the worker's
//! [`HttpWorker`]; an id that is gone means the client went away.

use super::{arg_f64, arg_string, settled, spawn, throw, ErrorClass, OpError, OpValue};
use crate::http::exchange::{Event, Exchange, HttpWorker, Phase, Protocol};
use crate::http::fields::{Fields, Invalid};
use crate::js::bytes::view_to_bytes;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
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

fn one_byte<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: &[u8],
    internalized: bool,
) -> v8::Local<'s, v8::Value> {
    // Header bytes are shown one JS character per byte (latin1), as in Node. Methods
    // and protocol names are internalized (made once, then shared); field names are
    // not: looking each up in V8's string table cost more than it saved, whether the
    // handler reads `req.headers` or not (A/B with twelve browser-like fields).
    let kind = if internalized {
        v8::NewStringType::Internalized
    } else {
        v8::NewStringType::Normal
    };
    v8::String::new_from_one_byte(scope, bytes, kind)
        .map(Into::into)
        .unwrap_or_else(|| v8::String::empty(scope).into())
}

/// Strings every request event carries, made once per isolate instead of once per
/// request: the common methods, the protocol versions, and the remote address seen
/// last (a connection's requests all come from one).
#[derive(Default)]
struct EventStrings {
    /// GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, then the four protocol versions.
    fixed: RefCell<[Option<v8::Global<v8::String>>; 11]>,
    last_ip: RefCell<Option<(IpAddr, v8::Global<v8::String>)>>,
}

impl EventStrings {
    fn fixed<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        i: usize,
        text: &str,
    ) -> v8::Local<'s, v8::Value> {
        if let Some(g) = &self.fixed.borrow()[i] {
            return v8::Local::new(scope, g).into();
        }
        let s = one_byte(scope, text.as_bytes(), true);
        if let Ok(s) = v8::Local::<v8::String>::try_from(s) {
            self.fixed.borrow_mut()[i] = Some(v8::Global::new(scope, s));
        }
        s
    }

    fn method<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        m: &http::Method,
    ) -> v8::Local<'s, v8::Value> {
        let i = match *m {
            http::Method::GET => 0,
            http::Method::HEAD => 1,
            http::Method::POST => 2,
            http::Method::PUT => 3,
            http::Method::DELETE => 4,
            http::Method::OPTIONS => 5,
            http::Method::PATCH => 6,
            _ => return one_byte(scope, m.as_str().as_bytes(), true),
        };
        self.fixed(scope, i, m.as_str())
    }

    fn protocol<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        p: Protocol,
    ) -> v8::Local<'s, v8::Value> {
        self.fixed(scope, 7 + p as usize, p.as_str())
    }

    fn ip<'s>(&self, scope: &mut v8::PinScope<'s, '_>, ip: IpAddr) -> v8::Local<'s, v8::Value> {
        if let Some((last, g)) = &*self.last_ip.borrow() {
            if *last == ip {
                return v8::Local::new(scope, g).into();
            }
        }
        let s = v8::String::new(scope, &ip.to_string()).unwrap_or_else(|| v8::String::empty(scope));
        *self.last_ip.borrow_mut() = Some((ip, v8::Global::new(scope, s)));
        s.into()
    }
}

/// The request's fields as one string of `name: value` lines, which JavaScript splits
/// into `rawHeaders` only when something reads them (one string instead of two per
/// field; most handlers never look). Over HTTP/1.1 it is the head as it arrived, after
/// the request line: the client's spelling, in wire order, as Node shows them.
fn fields_block<'s>(scope: &mut v8::PinScope<'s, '_>, ex: &Exchange) -> v8::Local<'s, v8::Value> {
    if let Some(head) = &ex.raw_head {
        return one_byte(scope, crate::http::h1::fields_of(head), false);
    }
    // HTTP/2 and HTTP/3 carry the authority as a pseudo-header: Node shows it as Host
    // when there is no Host field. (An HTTP/1 absolute-form target's is not shown.)
    let authority = match ex.protocol {
        Protocol::Http2 | Protocol::Http3 => ex.uri.authority(),
        Protocol::Http10 | Protocol::Http11 => None,
    };
    let headers = ex.headers();
    let mut block = Vec::with_capacity(256);
    for (name, value) in headers {
        push_field(&mut block, name.as_str().as_bytes(), value.as_bytes());
    }
    if let Some(a) = authority {
        if !headers.contains_key(http::header::HOST) {
            push_field(&mut block, b"host", a.as_str().as_bytes());
        }
    }
    one_byte(scope, &block, false)
}

/// Appends a `name: value` line. Neither can hold a line break (`http` checked them).
fn push_field(block: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    block.extend_from_slice(name);
    block.extend_from_slice(b": ");
    block.extend_from_slice(value);
    block.extend_from_slice(b"\r\n");
}

fn request_event<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    strings: &EventStrings,
    ex: &Exchange,
    secure: bool,
) -> v8::Local<'s, v8::Value> {
    // An absolute-form target (`GET http://host/path`, as proxies are asked) is shown
    // whole, as Node shows it; other forms by their path and query.
    let whole;
    let url = match (&ex.raw_head, ex.uri.scheme()) {
        (Some(head), Some(_)) => crate::http::h1::target_of(head),
        // The target as sent where the URI is not it: read leniently (see
        // `h1::lenient_uri`, characters percent-encoded), or with a fragment.
        (Some(head), None) if !crate::http::h1::is_target(head, ex.uri.path_and_query()) => {
            crate::http::h1::target_of(head)
        }
        // HTTP/1.1 over TLS, parsed by hyper (HTTP/2 and HTTP/3 always have a scheme).
        (None, Some(_)) if matches!(ex.protocol, Protocol::Http10 | Protocol::Http11) => {
            whole = ex.uri.to_string();
            whole.as_bytes()
        }
        _ => ex
            .uri
            .path_and_query()
            .map_or(&b"/"[..], |p| p.as_str().as_bytes()),
    };
    let fields = [
        v8::Integer::new(scope, 1).into(),
        v8::Number::new(scope, ex.id as f64).into(),
        strings.method(scope, &ex.method),
        one_byte(scope, url, false),
        strings.protocol(scope, ex.protocol),
        fields_block(scope, ex),
        strings.ip(scope, ex.remote.ip()),
        v8::Integer::new(scope, ex.remote.port() as i32).into(),
        v8::Boolean::new(scope, ex.has_body()).into(),
        v8::Boolean::new(scope, secure).into(),
    ];
    v8::Array::new_with_elements(scope, &fields).into()
}

struct EventBatch {
    events: Vec<Event>,
    secure: bool,
    strings: Rc<EventStrings>,
}

impl crate::js::state::Batch for EventBatch {
    fn into_v8<'s>(self: Box<Self>, scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value> {
        let strings = &self.strings;
        let items: Vec<v8::Local<v8::Value>> = self
            .events
            .iter()
            .map(|e| match e {
                Event::Request(ex) => request_event(scope, strings, ex, self.secure),
                Event::Aborted(id) => {
                    let fields = [
                        v8::Integer::new(scope, 2).into(),
                        v8::Number::new(scope, *id as f64).into(),
                    ];
                    v8::Array::new_with_elements(scope, &fields).into()
                }
            })
            .collect();
        v8::Array::new_with_elements(scope, &items).into()
    }
}

/// `op_http_listen(callback)`: from now on the loop calls `callback(batch)` with up
/// to 64 events at a time, each `[1, id, method, url, httpVersion, fields,
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
    // One set for the isolate's life, whatever batch carries it.
    let strings = Rc::new(EventStrings::default());
    let mut next: Option<std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Event>>>>> = None;
    let poll = move |cx: &mut std::task::Context<'_>| {
        let fut = next.get_or_insert_with(|| Box::pin(w.clone().next_events(64)));
        match fut.as_mut().poll(cx) {
            std::task::Poll::Ready(events) => {
                next = None;
                if events.is_empty() {
                    std::task::Poll::Ready(None)
                } else {
                    std::task::Poll::Ready(Some(Box::new(EventBatch {
                        events,
                        secure,
                        strings: strings.clone(),
                    })
                        as Box<dyn crate::js::state::Batch>))
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

/// `op_http_read(id)`: a promise of the next request-body chunk; at the end, `null`,
/// or the request's trailer fields `[name, value, ...]` as they came (Node's
/// `req.rawTrailers`, each byte one character). They come with the end because the
/// exchange may be gone by the time its reader asks (a body read on after its
/// response is let go of at its end).
pub fn op_http_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ex = exchange(scope, &args).map(|(_, ex)| ex);
    // Before the read starts: a response completing meanwhile leaves the body to it.
    if let Some(ex) = &ex {
        ex.mark_read();
        // Bytes already buffered (most small uploads come with their head): the
        // promise is settled now, without a task.
        if let Some(read) = ex.read_body_now() {
            let read = read_value(ex, read);
            rv.set(settled(scope, read).into());
            return;
        }
    }
    let p = spawn(scope, true, async move {
        // An exchange no longer known is over: its client left, or its body, read on
        // after the response, was dropped or let go of. A read must not find an end.
        match &ex {
            Some(ex) => read_value(ex, ex.read_body().await),
            None => Err(aborted(crate::http::exchange::client_left())),
        }
    });
    rv.set(p.into());
}

/// What a read of the body gives JavaScript: the chunk; at the end, the trailer
/// list or `null`; a failure as Node's `aborted` error.
fn read_value(ex: &Exchange, read: std::io::Result<Option<Bytes>>) -> Result<OpValue, OpError> {
    read.map(|chunk| chunk.map_or_else(|| trailer_list(ex), OpValue::Bytes))
        .map_err(aborted)
}

fn aborted(e: std::io::Error) -> OpError {
    OpError::new(ErrorClass::Error, "ECONNRESET", "aborted")
        .with("cause", OpValue::String(e.to_string()))
}

/// A handler's `Content-Length` as weir's HTTP/1.1 writer takes it
/// ([`Fields::push`]): the first valid value (digits, spaces around them allowed)
/// frames the body, alone; one that is not a length, and any after, are dropped, as is
/// the field of a status without a body. Over HTTP/2 and HTTP/3 a malformed or
/// repeated field would make clients fail the response.
fn tidy_content_length(headers: &mut HeaderMap, bodiless: bool) {
    let http::header::Entry::Occupied(mut field) = headers.entry(http::header::CONTENT_LENGTH)
    else {
        return;
    };
    let first = field
        .iter()
        .find_map(|v| crate::http::content_length(v.as_bytes().trim_ascii()));
    match first {
        Some(n) if !bodiless => {
            field.insert(HeaderValue::from(n));
        }
        _ => {
            field.remove_entry_mult();
        }
    }
}

/// Headers from a JS array of alternating names and values.
fn header_map(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<v8::Value>,
) -> Result<HeaderMap, OpError> {
    let Ok(list) = v8::Local::<v8::Array>::try_from(value) else {
        return Ok(HeaderMap::new());
    };
    let len = list.length() as usize;
    header_pairs(scope, len, |scope, i| list.get_index(scope, i as u32))
}

/// The Latin-1 bytes of a one-byte string, in `stack` when they fit, else in `heap`.
fn one_byte_in<'a>(
    scope: &mut v8::PinScope<'_, '_>,
    s: v8::Local<v8::String>,
    stack: &'a mut [u8],
    heap: &'a mut Vec<u8>,
) -> &'a [u8] {
    let out = crate::http::scratch(stack, heap, s.length(), 0);
    s.write_one_byte_v2(scope, 0, out, v8::WriteFlags::empty());
    out
}

/// The most fields a response head, or its trailers, may carry. `http`'s header map
/// (HTTP/2, HTTP/3) holds at most 32 768 and aborts past that; a head this large is a
/// handler's bug, refused with the same error on every protocol.
const MAX_RESPONSE_FIELDS: usize = 10_000;

fn too_many_fields(n: usize) -> OpError {
    OpError::new(
        ErrorClass::RangeError,
        "ERR_HTTP_TOO_MANY_FIELDS",
        format!("a response can carry at most {MAX_RESPONSE_FIELDS} header fields, not {n}"),
    )
}

/// Headers from `len` alternating names and values, the `i`th given by `at` (array
/// elements, or call arguments, which are cheaper to reach).
fn header_pairs<'s, 'i>(
    scope: &mut v8::PinScope<'s, 'i>,
    len: usize,
    at: impl Fn(&mut v8::PinScope<'s, 'i>, usize) -> Option<v8::Local<'s, v8::Value>>,
) -> Result<HeaderMap, OpError> {
    // Room for what weir may add (Content-Length, Date) without the map growing.
    let mut map = HeaderMap::with_capacity((len / 2).min(64) + 2);
    each_field(scope, len, at, |name, value| {
        let name = HeaderName::from_bytes(name).map_err(|_| Invalid::Name)?;
        // Spaces and tabs around a value are not part of it (RFC 9110 §5.5); HTTP/2
        // and HTTP/3 clients refuse a field that keeps them (RFC 9113 §8.2.1).
        let value = HeaderValue::from_bytes(trim_ows(value)).map_err(|_| Invalid::Value)?;
        map.append(name, value);
        Ok(())
    })?;
    Ok(map)
}

/// `value` without the spaces and tabs around it.
fn trim_ows(value: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &value[start..end]
}

/// Calls `f` with the Latin-1 bytes of each of `len` alternating names and values (the
/// `i`th given by `at`); a field `f` refuses, or one with a character past Latin-1, is
/// Node's error for it. Names and most values are read through the stack.
fn each_field<'s, 'i>(
    scope: &mut v8::PinScope<'s, 'i>,
    len: usize,
    at: impl Fn(&mut v8::PinScope<'s, 'i>, usize) -> Option<v8::Local<'s, v8::Value>>,
    mut f: impl FnMut(&[u8], &[u8]) -> Result<(), Invalid>,
) -> Result<(), OpError> {
    if len / 2 > MAX_RESPONSE_FIELDS {
        return Err(too_many_fields(len / 2));
    }
    let mut name_buf = [0u8; 64];
    let mut value_buf = [0u8; 256];
    let (mut long_name, mut long_value) = (Vec::new(), Vec::new());
    let as_string = |scope: &mut v8::PinScope<'s, 'i>, v: v8::Local<'s, v8::Value>| {
        v8::Local::<v8::String>::try_from(v)
            .ok()
            .or_else(|| v.to_string(scope))
    };
    let mut i = 0;
    while i + 1 < len {
        let name = at(scope, i).and_then(|v| as_string(scope, v));
        let value = at(scope, i + 1).and_then(|v| as_string(scope, v));
        i += 2;
        let (Some(name), Some(value)) = (name, value) else {
            continue;
        };
        let refused = if !name.contains_only_onebyte() {
            Invalid::Name
        } else if !value.contains_only_onebyte() {
            Invalid::Value
        } else {
            let name_bytes = one_byte_in(scope, name, &mut name_buf, &mut long_name);
            let value_bytes = one_byte_in(scope, value, &mut value_buf, &mut long_value);
            match f(name_bytes, value_bytes) {
                Ok(()) => continue,
                Err(e) => e,
            }
        };
        let shown = name.to_rust_string_lossy(scope);
        return Err(match refused {
            Invalid::Name => OpError::type_error(
                "ERR_INVALID_HTTP_TOKEN",
                format!("Header name must be a valid HTTP token [\"{shown}\"]"),
            ),
            Invalid::Value => OpError::type_error(
                "ERR_INVALID_CHAR",
                format!("Invalid character in header content [\"{shown}\"]"),
            ),
        });
    }
    Ok(())
}

/// `op_http_local_address(id)`: `[address, port]` of the server's end of the
/// request's connection, or undefined once the exchange is over.
pub fn op_http_local_address<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(local) = exchange(scope, &args).and_then(|(_, ex)| ex.local) else {
        return;
    };
    let address = v8::String::new(scope, &local.ip().to_string())
        .map_or_else(|| v8::undefined(scope).into(), Into::into);
    let port = v8::Integer::new(scope, local.port() as i32).into();
    rv.set(v8::Array::new_with_elements(scope, &[address, port]).into());
}

/// How Node folds a repeated request field into `req.headers` (its
/// `matchKnownFields`), by lower-case name.
#[derive(Clone, Copy, PartialEq)]
enum Fold {
    /// Values joined with `, `.
    Join,
    /// `cookie`: joined with `; `.
    Cookie,
    /// `set-cookie`: always an array.
    List,
    /// Fields that may appear once: later ones are dropped.
    First,
}

fn fold_of(name: &[u8]) -> Fold {
    match name {
        b"cookie" => Fold::Cookie,
        b"set-cookie" => Fold::List,
        b"age"
        | b"authorization"
        | b"content-length"
        | b"content-type"
        | b"etag"
        | b"expires"
        | b"from"
        | b"host"
        | b"if-modified-since"
        | b"if-unmodified-since"
        | b"last-modified"
        | b"location"
        | b"max-forwards"
        | b"proxy-authorization"
        | b"referer"
        | b"retry-after"
        | b"server"
        | b"user-agent" => Fold::First,
        _ => Fold::Join,
    }
}

/// A field of `req.headers` being gathered: its lower-case name (a range of the
/// names buffer) and its first value (later ones wait in the extras list).
struct Folded<'a> {
    name: std::ops::Range<usize>,
    fold: Fold,
    first: &'a [u8],
}

/// The bytes of the fields string an op is given first (see `fields_block`), through
/// `stack` when they fit; `None`, with a `TypeError` thrown, for anything else.
fn fields_arg<'a>(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
    op: &str,
    stack: &'a mut [u8],
    heap: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    let Ok(block) = v8::Local::<v8::String>::try_from(args.get(0)) else {
        super::throw_type_error(scope, &format!("{op}(fields)"));
        return None;
    };
    Some(one_byte_in(scope, block, stack, heap))
}

/// Past this many fields, repeated names are found through a hash map instead of a
/// scan of those gathered so far.
const FOLD_SCAN_MAX: usize = 32;

/// `op_http_headers(fields)`: Node's `req.headers` for a request's fields string (see
/// `fields_block`): lower-case names, repeated fields folded as Node folds them. One
/// pass and one object, where JavaScript would look each name up twice.
pub fn op_http_headers<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (mut stack, mut heap) = ([0u8; 4096], Vec::new());
    let Some(bytes) = fields_arg(scope, &args, "op_http_headers", &mut stack, &mut heap) else {
        return;
    };
    let mut names: Vec<u8> = Vec::with_capacity(bytes.len() / 2);
    let mut fields: Vec<Folded> = Vec::with_capacity(32);
    // Values of repeated fields, with the index of the field they belong to.
    let mut extras: Vec<(usize, &[u8])> = Vec::new();
    let mut index: Option<HashMap<Vec<u8>, usize>> = None;
    for (name, value) in crate::http::h1::field_lines(bytes) {
        let start = names.len();
        names.extend(name.iter().map(u8::to_ascii_lowercase));
        let lower = &names[start..];
        let seen = match &index {
            Some(map) => map.get(lower).copied(),
            None => fields.iter().position(|f| &names[f.name.clone()] == lower),
        };
        if let Some(i) = seen {
            names.truncate(start);
            if fields[i].fold != Fold::First {
                extras.push((i, value));
            }
            continue;
        }
        // Node drops it: `headers.__proto__ = value` sets no property.
        if lower == b"__proto__" {
            names.truncate(start);
            continue;
        }
        let fold = fold_of(lower);
        if let Some(map) = &mut index {
            map.insert(lower.to_vec(), fields.len());
        }
        fields.push(Folded {
            name: start..names.len(),
            fold,
            first: value,
        });
        if index.is_none() && fields.len() > FOLD_SCAN_MAX {
            index = Some(
                fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (names[f.name.clone()].to_vec(), i))
                    .collect(),
            );
        }
    }
    // Each field's extra values in order, found by a cursor rather than a search.
    extras.sort_by_key(|&(i, _)| i);
    let mut next_extra = 0;
    let mut keys: Vec<v8::Local<v8::Name>> = Vec::with_capacity(fields.len());
    let mut values: Vec<v8::Local<v8::Value>> = Vec::with_capacity(fields.len());
    let mut joined = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let from = next_extra;
        while next_extra < extras.len() && extras[next_extra].0 == i {
            next_extra += 1;
        }
        let more = || extras[from..next_extra].iter().map(|&(_, v)| v);
        let Ok(key) =
            v8::Local::<v8::String>::try_from(one_byte(scope, &names[f.name.clone()], true))
        else {
            continue;
        };
        let value = match f.fold {
            Fold::List => {
                let mut list = vec![one_byte(scope, f.first, false)];
                for v in more() {
                    list.push(one_byte(scope, v, false));
                }
                v8::Array::new_with_elements(scope, &list).into()
            }
            Fold::Join | Fold::Cookie if next_extra > from => {
                let sep: &[u8] = if f.fold == Fold::Cookie { b"; " } else { b", " };
                joined.clear();
                joined.extend_from_slice(f.first);
                for v in more() {
                    joined.extend_from_slice(sep);
                    joined.extend_from_slice(v);
                }
                one_byte(scope, &joined, false)
            }
            _ => one_byte(scope, f.first, false),
        };
        keys.push(key.into());
        values.push(value);
    }
    let proto = v8::Object::new(scope)
        .get_prototype(scope)
        .unwrap_or_else(|| v8::null(scope).into());
    rv.set(v8::Object::with_prototype_and_properties(scope, proto, &keys, &values).into());
}

/// `op_http_raw_headers(fields)`: Node's `req.rawHeaders` for a request's fields string
/// (see `fields_block`): `[name, value, ...]` as the fields came.
pub fn op_http_raw_headers<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (mut stack, mut heap) = ([0u8; 4096], Vec::new());
    let Some(bytes) = fields_arg(scope, &args, "op_http_raw_headers", &mut stack, &mut heap) else {
        return;
    };
    rv.set(pair_list(scope, crate::http::h1::field_lines(bytes)).into());
}

/// `[name, value, ...]` of Latin-1 strings (Node's `rawHeaders` shape).
fn pair_list<'s, 'a>(
    scope: &mut v8::PinScope<'s, '_>,
    pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> v8::Local<'s, v8::Array> {
    let mut list = Vec::with_capacity(64);
    for (name, value) in pairs {
        list.push(one_byte(scope, name, false));
        list.push(one_byte(scope, value, false));
    }
    v8::Array::new_with_elements(scope, &list)
}

/// The request's trailer fields for the end of its body: `null` when there are none.
fn trailer_list(ex: &Exchange) -> OpValue {
    let trailers = ex.trailers.borrow();
    if trailers.is_empty() {
        return OpValue::Null;
    }
    let latin1 = |b: &[u8]| OpValue::String(b.iter().map(|&c| char::from(c)).collect());
    OpValue::Array(
        trailers
            .iter()
            .flat_map(|(n, v)| [latin1(n), latin1(v)])
            .collect(),
    )
}

/// `op_http_inform(id, status, fields)`: an interim (1xx) response, such as `103 Early
/// Hints`, sent before the head (`res.writeEarlyHints`). `fields` is one array of
/// alternating names and values. Returns whether it goes to the client: `false` where
/// the protocol cannot send one (HTTP/2 and TLS connections, HTTP/1.0 clients; see
/// `Exchange::informs`) or once the head is given.
pub fn op_http_inform<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    rv.set_bool(false);
    let Some((_, ex)) = exchange(scope, &args) else {
        return;
    };
    let code = arg_f64(scope, &args, 1, 0.0);
    let Some(status) = (100.0..=199.0)
        .contains(&code)
        .then(|| StatusCode::from_u16(code as u16).ok())
        .flatten()
        .filter(|s| *s != StatusCode::SWITCHING_PROTOCOLS)
    else {
        return throw(
            scope,
            OpError::range_error(
                "ERR_HTTP_INVALID_STATUS_CODE",
                format!("Invalid status code: {code}"),
            ),
        );
    };
    let Ok(list) = v8::Local::<v8::Array>::try_from(args.get(2)) else {
        return throw(
            scope,
            OpError::type_error("ERR_INVALID_ARG_TYPE", "fields must be an array"),
        );
    };
    let len = list.length() as usize;
    let headers = match header_pairs(scope, len, |scope, i| list.get_index(scope, i as u32)) {
        Ok(h) => h,
        Err(e) => return throw(scope, e),
    };
    let mut interim = Response::new(());
    *interim.status_mut() = status;
    *interim.headers_mut() = headers;
    rv.set_bool(ex.inform(interim));
}

/// `op_http_respond(id, status, statusMessage, body, flags, name, value, ...)`: sends
/// the head, its fields as the arguments after `flags` or as one array there (and,
/// when `flags` says end, the whole body).
/// Returns false when the client is gone.
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
    if status.is_informational() {
        // A 1xx is never a final answer (RFC 9110 §15.2): the client would take the
        // next response for this one. Interim ones go by writeEarlyHints() and
        // writeProcessing().
        return throw(
            scope,
            OpError::range_error(
                "ERR_HTTP_INVALID_STATUS_CODE",
                format!("Invalid status code: {code} (a 1xx status is not a final response; send it with res.writeEarlyHints() or res.writeProcessing())"),
            ),
        );
    }
    // The fields follow `flags` as arguments, or come as one array there when there
    // are too many for a call.
    let fields = (args.length() as usize).saturating_sub(5);
    let list = (fields == 1)
        .then(|| v8::Local::<v8::Array>::try_from(args.get(5)).ok())
        .flatten();
    let at = |scope: &mut v8::PinScope<'s, '_>, i: usize| match list {
        Some(list) => list.get_index(scope, i as u32),
        None => Some(args.get(5 + i as i32)),
    };
    let len = list.map_or(fields, |l| l.length() as usize);
    // A reason phrase other than the status code's own.
    let message = args.get(2);
    let reason = if message.is_string() {
        let text = message.to_rust_string_lossy(scope);
        (status.canonical_reason() != Some(text.as_str()))
            .then(|| hyper::ext::ReasonPhrase::try_from(text.into_bytes()).ok())
            .flatten()
    } else {
        None
    };
    let bodiless = crate::http::bodiless(status);
    // weir's own HTTP/1.1 writer takes the head serialized (status line, then the
    // fields with names as given); the other protocols a `HeaderMap`.
    let (mut headers, mut serialized) = if ex.writes_own_head() {
        let phrase = match &reason {
            Some(r) => r.as_bytes(),
            None => status.canonical_reason().unwrap_or("").as_bytes(),
        };
        let mut out = Fields::with_status_line(status, phrase, len * 24);
        match each_field(scope, len, at, |n, v| out.push(n, v, bodiless)) {
            Ok(()) => (HeaderMap::new(), Some(out)),
            Err(e) => return throw(scope, e),
        }
    } else {
        match header_pairs(scope, len, at) {
            Ok(mut h) => {
                tidy_content_length(&mut h, bodiless);
                (h, None)
            }
            Err(e) => return throw(scope, e),
        }
    };
    let body = match args.get(3) {
        v if v.is_null_or_undefined() => None,
        v if v.is_string() => Some(Bytes::from(v.to_rust_string_lossy(scope))),
        v => view_to_bytes(scope, v),
    };
    // Bit 0: the body ends here; bit 1: no Date header (`res.sendDate = false`); bit 2:
    // the head goes now, without waiting for body bytes (`res.flushHeaders()`).
    let flags = args.get(4).int32_value(scope).unwrap_or(0);
    let (end, no_date, flush) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
    // A whole body's length goes out as `Content-Length` unless a field frames the
    // body, as Node does; a HEAD response says the length of the body it was given,
    // and none without one.
    if end && !bodiless {
        let head_request = ex.is_head_request();
        let len = body.as_ref().map_or(0, |b| b.len() as u64);
        match serialized.as_mut() {
            // The writer says the length of a whole body itself; a HEAD's is not queued.
            Some(f) => {
                if head_request && body.is_some() && !f.framed() {
                    f.push_content_length(len);
                }
            }
            None => {
                let framed = headers.contains_key(http::header::CONTENT_LENGTH)
                    || headers.contains_key(http::header::TRANSFER_ENCODING);
                // A HEAD given no body says nothing of GET's length.
                let unknown = head_request && body.is_none();
                if !framed && !unknown {
                    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
                }
            }
        }
    }
    let mut response = Response::new(());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    ex.no_date.set(no_date);
    if let Some(reason) = reason {
        response.extensions_mut().insert(reason);
    }
    if flush {
        response
            .extensions_mut()
            .insert(crate::http::exchange::FlushHead);
    }
    if end {
        rv.set_bool(ex.respond_whole(response, serialized, body).is_some());
        return;
    }
    let capacity = w.limits.body_buffer;
    if ex.respond_with(response, serialized, capacity).is_none() {
        rv.set_bool(false);
        return;
    }
    if let Some(b) = body {
        if !b.is_empty() && ex.try_write(b).is_none() {
            rv.set_bool(false);
            return;
        }
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
/// Status 0 cuts it in any case, with no answer (`req.destroy()`).
pub fn op_http_abort<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let code = arg_f64(scope, &args, 1, 500.0) as u16;
    let Some((_, ex)) = exchange(scope, &args) else {
        return;
    };
    if code == 0 {
        return ex.cut();
    }
    ex.abort(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
}

/// `op_http_drop_body(id)`: the handler side no longer reads the request body (`req`
/// destroyed before its end while the response goes on, or after it).
pub fn op_http_drop_body<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Some((_, ex)) = exchange(scope, &args) {
        ex.let_go_body();
    }
}

/// `op_http_body_taken(id)`: the handler took a chunk of a body read on after its
/// response from its stream's buffer: its reader is not idle.
pub fn op_http_body_taken<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Some((_, ex)) = exchange(scope, &args) {
        ex.body_taken();
    }
}

/// `op_http_log_error(id, text, line)`: logs a handler failure with its request line,
/// `line` (as the handler side tells it) where the exchange has ended already.
pub fn op_http_log_error<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let text = arg_string(scope, &args, 1);
    match exchange(scope, &args) {
        Some((_, ex)) => tracing::error!(target: "weir::handler", "{}: {text}", RequestLine(&ex)),
        None if args.get(2).is_string() => {
            let line = arg_string(scope, &args, 2);
            tracing::error!(target: "weir::handler", "{line}: {text}")
        }
        None => tracing::error!(target: "weir::handler", "{text}"),
    }
}

/// `GET /path HTTP/1.1 from 1.2.3.4:5678`, as a handler's errors are logged (the
/// handler side writes the same for an exchange already ended: `requestLine` in
/// internal/http/server.js).
struct RequestLine<'a>(&'a Exchange);

impl std::fmt::Display for RequestLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ex = self.0;
        let path = ex.uri.path_and_query().map_or("/", |p| p.as_str());
        write!(
            f,
            "{} {path} HTTP/{} from {}",
            ex.method,
            ex.protocol.as_str(),
            ex.remote
        )
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
                "{}: the handler ran past --handler-timeout-ms and was stopped; answered 503",
                RequestLine(&ex)
            );
            let head_sent = ex.phase() != Phase::Pending;
            ex.abort(StatusCode::SERVICE_UNAVAILABLE);
            if !head_sent || ex.phase() == Phase::Aborted {
                w.notify_aborted(ex.id);
            }
        }
        // Its exchange is over: answered whole from the handler's call, say, which
        // then went on running.
        None if culprit.is_some() => tracing::error!(
            target: "weir::handler",
            "JavaScript of a request already answered ran past --handler-timeout-ms and was stopped"
        ),
        None => {
            tracing::error!(target: "weir::handler", "JavaScript ran past --handler-timeout-ms outside any request and was stopped")
        }
    }
}

/// `op_http_send_file(id, root, path, contentType, headers, maxRanges, fallthrough)`:
/// answers exchange `id` with a file, natively (see `http::files`). `root` null: `path`
/// is a file-system path; otherwise a URL path confined under `root`. `headers` is a
/// flat `[name, value, ...]` list. Settles with the status sent, 0 when the client went
/// away first, or -1 when `fallthrough` is set and there is no such file (nothing was
/// sent).
pub fn op_http_send_file<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((w, ex)) = exchange(scope, &args) else {
        rv.set(v8::Integer::new(scope, 0).into());
        return;
    };
    let root = args.get(1);
    let root = (!root.is_null_or_undefined())
        .then(|| std::path::PathBuf::from(root.to_rust_string_lossy(scope)));
    let path = arg_string(scope, &args, 2);
    let content_type = args.get(3);
    let content_type = if content_type.is_null_or_undefined() {
        None
    } else {
        match http::HeaderValue::from_str(&content_type.to_rust_string_lossy(scope)) {
            Ok(v) => Some(v),
            Err(_) => {
                return throw(
                    scope,
                    OpError::type_error(
                        "ERR_INVALID_CHAR",
                        "Invalid character in the contentType option",
                    ),
                )
            }
        }
    };
    let headers = match header_map(scope, args.get(4)) {
        Ok(h) => h,
        Err(e) => return throw(scope, e),
    };
    let max_ranges = crate::ops::arg_f64(scope, &args, 5, 16.0).clamp(0.0, 1024.0) as usize;
    let fallthrough = args.get(6).is_true();
    let no_date = args.get(7).is_true();
    let Some(reader) = w.files.get().cloned() else {
        return throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_WEIR_NO_FILE_READER",
                "this worker has no file reader",
            ),
        );
    };
    // For the head sendFile sends (a handler answering after a fallthrough sets its
    // own).
    ex.no_date.set(no_date);
    let opts = crate::http::files::SendFile {
        root,
        path,
        content_type,
        headers,
        ranges: crate::media::range::RangeLimits { max_ranges },
        fallthrough,
    };
    let p = spawn(scope, true, async move {
        Ok(OpValue::Number(
            match crate::http::files::send(&w, &ex, &reader, opts).await {
                crate::http::files::Sent::Status(s) => f64::from(s),
                crate::http::files::Sent::ClientGone => 0.0,
                crate::http::files::Sent::NotFound => -1.0,
            },
        ))
    });
    rv.set(p.into());
}

/// `op_http_source(id)`: the request body of exchange `id` as a byte source (a
/// resource id), for native pipes.
pub fn op_http_source<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((_, ex)) = exchange(scope, &args) else {
        return throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_STREAM_PREMATURE_CLOSE",
                "the request is gone",
            ),
        );
    };
    ex.mark_read();
    let rid = crate::js::state::state(scope)
        .borrow_mut()
        .resources
        .add(crate::http::streams::RequestBodySource(ex));
    rv.set_uint32(rid);
}

/// `op_http_sink(id)`: the response body of exchange `id` (its head already sent) as
/// a byte sink (a resource id), for native pipes.
pub fn op_http_sink<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some((_, ex)) = exchange(scope, &args) else {
        return throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_STREAM_PREMATURE_CLOSE",
                "the client is gone",
            ),
        );
    };
    if ex.phase() != Phase::Streaming {
        return throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_INVALID_STATE",
                "the response head must be sent first",
            ),
        );
    }
    let rid = crate::js::state::state(scope)
        .borrow_mut()
        .resources
        .add(crate::http::streams::ResponseSink(ex));
    rv.set_uint32(rid);
}
