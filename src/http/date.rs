//! The `Date` header value, formatted at most once a second per thread.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static CACHE: RefCell<(u64, http::HeaderValue)> = const { RefCell::new((u64::MAX, http::HeaderValue::from_static(""))) };
}

/// Now, as an IMF-fixdate header value.
pub fn now() -> http::HeaderValue {
    let now = SystemTime::now();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs {
            let text = httpdate::fmt_http_date(now);
            *c = (
                secs,
                http::HeaderValue::from_str(&text).unwrap_or(http::HeaderValue::from_static("")),
            );
        }
        c.1.clone()
    })
}

/// Now, as text.
pub fn now_str() -> String {
    now().to_str().unwrap_or("").to_owned()
}
