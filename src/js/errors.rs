//! How an uncaught error reaches a person: the place it was thrown (file, line, column
//! and the source line with a caret under the culprit), then the error itself as
//! `util.inspect` shows it (stack and extra properties such as `code`), like Node.

use crate::js::state::{state, Termination};

/// `file:line:column`, the source line and a caret line, when V8 knows them.
pub fn arrow(
    scope: &mut v8::PinScope<'_, '_>,
    message: v8::Local<v8::Message>,
    span: bool,
) -> Option<String> {
    let resource = message.get_script_resource_name(scope)?;
    if resource.is_undefined() || resource.is_null() {
        return None;
    }
    let resource = resource.to_rust_string_lossy(scope);
    let line = message.get_line_number(scope)?;
    let source_line = message.get_source_line(scope)?.to_rust_string_lossy(scope);
    let start = message.get_start_column();
    let end = message.get_end_column().max(start + 1);
    let mut caret = String::new();
    for c in source_line.chars().take(start) {
        caret.push(if c == '\t' { '\t' } else { ' ' });
    }
    let width = if span { end - start } else { 1 };
    caret.push_str(&"^".repeat(width));
    Some(format!(
        "{resource}:{line}:{}\n{source_line}\n{caret}\n",
        start + 1
    ))
}

/// The error as a person should read it: `util.inspect(err)` through the bootstrap's
/// formatter when it can run, else the `stack` property, else `String(err)`.
pub fn describe(scope: &mut v8::PinScope<'_, '_>, exception: v8::Local<v8::Value>) -> String {
    let formatter = state(scope).borrow().hooks.inspect_error.clone();
    if let Some(f) = formatter {
        v8::tc_scope!(let tc, scope);
        let f = v8::Local::new(tc, f);
        let undefined = v8::undefined(tc).into();
        if let Some(s) = f.call(tc, undefined, &[exception]) {
            if s.is_string() {
                return s.to_rust_string_lossy(tc);
            }
        }
    }
    if let Ok(obj) = v8::Local::<v8::Object>::try_from(exception) {
        v8::tc_scope!(let tc, scope);
        let key = v8::String::new(tc, "stack").expect("key");
        if let Some(stack) = obj.get(tc, key.into()) {
            if stack.is_string() {
                return stack.to_rust_string_lossy(tc);
            }
        }
    }
    exception.to_rust_string_lossy(scope)
}

/// Prints a fatal error to stderr the way Node does.
pub fn print_fatal(
    scope: &mut v8::PinScope<'_, '_>,
    exception: v8::Local<v8::Value>,
    message: Option<v8::Local<v8::Message>>,
) {
    let is_syntax = is_syntax_error(scope, exception);
    let mut out = String::new();
    if let Some(m) = message {
        if let Some(a) = arrow(scope, m, is_syntax) {
            out.push_str(&a);
            out.push('\n');
        }
    }
    out.push_str(&describe(scope, exception));
    crate::ops::core::write_stderr(&format!("{out}\n"));
}

fn is_syntax_error(scope: &mut v8::PinScope<'_, '_>, exception: v8::Local<v8::Value>) -> bool {
    let Ok(obj) = v8::Local::<v8::Object>::try_from(exception) else {
        return false;
    };
    v8::tc_scope!(let tc, scope);
    let key = v8::String::new(tc, "name").expect("key");
    obj.get(tc, key.into())
        .is_some_and(|n| n.to_rust_string_lossy(tc) == "SyntaxError")
}

/// The fatal-exception path (Node's `TriggerUncaughtException`): give
/// `process.on('uncaughtException')` its chance; if nobody handles the error, print it
/// and stop execution with the exit code JS chose (1 unless `process.exitCode` says
/// otherwise). Returns true when a listener handled the error and execution goes on.
pub fn trigger_uncaught(
    scope: &mut v8::PinScope<'_, '_>,
    exception: v8::Local<v8::Value>,
    message: Option<v8::Local<v8::Message>>,
    from_promise: bool,
) -> bool {
    let st = state(scope);
    if st.borrow().termination.is_some() {
        return false;
    }
    let handler = st.borrow().hooks.on_uncaught.clone();
    let mut exit_code = 1;
    if let Some(handler) = handler {
        v8::tc_scope!(let tc, scope);
        let handler = v8::Local::new(tc, handler);
        let undefined = v8::undefined(tc).into();
        let from_promise = v8::Boolean::new(tc, from_promise).into();
        match handler.call(tc, undefined, &[exception, from_promise]) {
            Some(handled) if handled.is_true() => return true,
            Some(code) if code.is_number() => {
                exit_code = code.int32_value(tc).unwrap_or(1);
            }
            Some(_) => {}
            None => {
                if tc.has_terminated() || st.borrow().termination.is_some() {
                    return false;
                }
                // The 'uncaughtException' listener itself threw: Node prints that
                // error instead and exits with 7.
                if let Some(inner) = tc.exception() {
                    let inner_message = tc.message();
                    tc.reset();
                    print_fatal(tc, inner, inner_message);
                    stop(tc, Termination::Exit(7));
                    return false;
                }
            }
        }
    }
    let message = message.or_else(|| Some(v8::Exception::create_message(scope, exception)));
    print_fatal(scope, exception, message);
    stop(scope, Termination::Exit(exit_code));
    false
}

/// Records why execution stops and unwinds whatever JS is on the stack.
pub fn stop(scope: &mut v8::PinScope<'_, '_>, why: Termination) {
    let st = state(scope);
    let mut st = st.borrow_mut();
    if st.termination.is_none() {
        st.termination = Some(why);
    }
    drop(st);
    scope.terminate_execution();
}

/// V8 reports here the exceptions nobody caught that never reached a `TryCatch` of
/// ours: those thrown by `queueMicrotask` callbacks while the microtask queue runs.
pub extern "C" fn message_listener(
    message: v8::Local<v8::Message>,
    exception: v8::Local<v8::Value>,
) {
    v8::callback_scope!(unsafe scope, message);
    v8::scope!(let scope, scope);
    let context = scope.get_current_context();
    let scope = &mut v8::ContextScope::new(scope, context);
    trigger_uncaught(scope, exception, Some(message), false);
}
