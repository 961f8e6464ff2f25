//! WHATWG URL parsing and setters, done by the `url` crate (the same standard the
//! browser follows), exposed to `internal/url.js` as arrays of components.

use super::{arg_string, throw, v8_str, OpError};

fn components(u: &url::Url) -> [String; 11] {
    use url::quirks as q;
    [
        q::href,
        q::protocol,
        q::username,
        q::password,
        q::host,
        q::hostname,
        q::port,
        q::pathname,
        q::search,
        q::hash,
    ]
    .map(|f| f(u).to_string())
    .into_iter()
    .chain(std::iter::once(q::origin(u)))
    .collect::<Vec<_>>()
    .try_into()
    .expect("eleven components")
}

fn to_array<'s>(scope: &mut v8::PinScope<'s, '_>, u: &url::Url) -> v8::Local<'s, v8::Value> {
    let parts = components(u);
    let values: Vec<v8::Local<v8::Value>> = parts.iter().map(|s| v8_str(scope, s).into()).collect();
    v8::Array::new_with_elements(scope, &values).into()
}

fn parse(input: &str, base: Option<&str>) -> Option<url::Url> {
    match base {
        Some(b) => url::Url::parse(b).ok()?.join(input).ok(),
        None => url::Url::parse(input).ok(),
    }
}

fn base_arg(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
) -> Option<String> {
    let v = args.get(1);
    (!v.is_undefined()).then(|| v.to_rust_string_lossy(scope))
}

/// `op_url_parse(input, base)`: the 11 components, or throws `ERR_INVALID_URL`.
pub fn op_url_parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let input = arg_string(scope, &args, 0);
    let base = base_arg(scope, &args);
    match parse(&input, base.as_deref()) {
        Some(u) => rv.set(to_array(scope, &u)),
        None => {
            let mut e = OpError::type_error("ERR_INVALID_URL", "Invalid URL")
                .with("input", super::OpValue::String(input));
            if let Some(b) = base {
                e = e.with("base", super::OpValue::String(b));
            }
            throw(scope, e);
        }
    }
}

pub fn op_url_can_parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let input = arg_string(scope, &args, 0);
    let base = base_arg(scope, &args);
    rv.set_bool(parse(&input, base.as_deref()).is_some());
}

/// `op_url_set(href, field, value)`: the components after the setter, or `undefined`
/// when the spec says the setter does nothing for this URL and value.
pub fn op_url_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let href = arg_string(scope, &args, 0);
    let field = arg_string(scope, &args, 1);
    let value = arg_string(scope, &args, 2);
    let Ok(mut u) = url::Url::parse(&href) else {
        return;
    };
    let ok = match field.as_str() {
        "href" => match url::Url::parse(&value) {
            Ok(n) => {
                u = n;
                true
            }
            Err(_) => {
                let e = OpError::type_error("ERR_INVALID_URL", "Invalid URL")
                    .with("input", super::OpValue::String(value));
                return throw(scope, e);
            }
        },
        "protocol" => url::quirks::set_protocol(&mut u, &value).is_ok(),
        "username" => url::quirks::set_username(&mut u, &value).is_ok(),
        "password" => url::quirks::set_password(&mut u, &value).is_ok(),
        "host" => url::quirks::set_host(&mut u, &value).is_ok(),
        "hostname" => url::quirks::set_hostname(&mut u, &value).is_ok(),
        "port" => url::quirks::set_port(&mut u, &value).is_ok(),
        "pathname" => {
            url::quirks::set_pathname(&mut u, &value);
            true
        }
        "search" => {
            url::quirks::set_search(&mut u, &value);
            true
        }
        "hash" => {
            url::quirks::set_hash(&mut u, &value);
            true
        }
        _ => false,
    };
    if ok {
        rv.set(to_array(scope, &u));
    }
}

pub fn op_url_domain_to_ascii<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let input = arg_string(scope, &args, 0);
    let out = url::quirks::domain_to_ascii(&input);
    rv.set(v8_str(scope, &out).into());
}

pub fn op_url_domain_to_unicode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let input = arg_string(scope, &args, 0);
    let out = url::quirks::domain_to_unicode(&input);
    rv.set(v8_str(scope, &out).into());
}
