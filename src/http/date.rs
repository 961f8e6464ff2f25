//! The `Date` header value, formatted at most once a second per thread, and the
//! kernel's coarse clocks it and the HTTP/1.1 timeouts read.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

thread_local! {
    static CACHE: RefCell<(u64, http::HeaderValue)> = const { RefCell::new((u64::MAX, http::HeaderValue::from_static(""))) };
}

/// Now, as an IMF-fixdate header value.
pub fn now() -> http::HeaderValue {
    let secs = coarse_secs();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
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

/// Seconds since the epoch, from the kernel's coarse clock: a one-second header needs
/// no hardware clock read.
fn coarse_secs() -> u64 {
    coarse(libc::CLOCK_REALTIME_COARSE)
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        })
        .as_secs()
}

/// Monotonic time from the kernel's coarse clock (the time of the last tick, a few
/// milliseconds behind at most): for timeouts counted in seconds, read per request.
pub fn coarse_monotonic() -> Duration {
    coarse(libc::CLOCK_MONOTONIC_COARSE).unwrap_or_else(|| {
        static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        ORIGIN.get_or_init(std::time::Instant::now).elapsed()
    })
}

fn coarse(clock: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a clock id and a pointer to a timespec the call fills.
    let ok = unsafe { libc::clock_gettime(clock, &mut ts) } == 0;
    ok.then(|| {
        Duration::new(
            ts.tv_sec.max(0) as u64,
            ts.tv_nsec.clamp(0, 999_999_999) as u32,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_now_to_the_second() {
        let value = now();
        let parsed = httpdate::parse_http_date(value.to_str().unwrap()).unwrap();
        let exact = SystemTime::now();
        let off = exact
            .duration_since(parsed)
            .unwrap_or_else(|e| e.duration());
        assert!(off < Duration::from_secs(2), "{value:?} is {off:?} off");
    }

    #[test]
    fn the_coarse_clock_moves_with_the_exact_one() {
        // Both read together (a pair taken in one go, retried if the thread was
        // pre-empted between the reads); the coarse clock lags by a tick at most.
        let pair = || loop {
            let e0 = std::time::Instant::now();
            let c = coarse_monotonic();
            if e0.elapsed() < Duration::from_millis(1) {
                return (c, e0);
            }
        };
        let (c0, e0) = pair();
        std::thread::sleep(Duration::from_millis(120));
        let (c1, e1) = pair();
        let (coarse, exact) = (c1 - c0, e1 - e0);
        let gap = coarse.abs_diff(exact);
        assert!(
            gap < Duration::from_millis(50),
            "coarse {coarse:?}, exact {exact:?}"
        );
    }
}
