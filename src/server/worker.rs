//! One worker: a thread with a tokio current-thread runtime, its listener and accept
//! loop, and one V8 isolate running the handler. Heap exhaustion in a handler
//! replaces the isolate (in-flight requests of this worker get 503 or are cut); the
//! listener and the other workers never stop.

use super::{Listeners, Report, ServeConfig};
use crate::http::exchange::{ExchangeLimits, HttpWorker};
use crate::js::runtime::{JsRuntime, RuntimeOptions};
use crate::js::state::Termination;
use crate::ops::OpValue;
use http::StatusCode;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) fn run(
    index: usize,
    listener: Listeners,
    config: Arc<ServeConfig>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    reports: mpsc::Sender<Report>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = reports.send(Report::Failed(
                index,
                format!("cannot start the event loop: {e}"),
            ));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(
        &rt,
        serve(index, listener, config, shutdown, reports.clone()),
    );
    let _ = reports.send(Report::Stopped(index));
}

async fn serve(
    index: usize,
    listeners: Listeners,
    config: Arc<ServeConfig>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    reports: mpsc::Sender<Report>,
) {
    let Listeners { tcp, tls, quic } = listeners;
    let listener = match tokio::net::TcpListener::from_std(tcp) {
        Ok(l) => l,
        Err(e) => {
            let _ = reports.send(Report::Failed(
                index,
                format!("cannot use the listener: {e}"),
            ));
            return;
        }
    };
    let worker = HttpWorker::new(
        ExchangeLimits {
            body_buffer: config.response_buffer,
            body_timeout: config.conn.body_timeout,
            max_headers: config.conn.max_headers,
        },
        tls.is_some(),
        config.access_log,
    );
    let files = crate::io::file::FileReader::new(
        config.io,
        crate::io::file::DEFAULT_BUFFER_SIZE,
        crate::io::file::DEFAULT_POOL_SIZE,
    );
    if index == 0 {
        let stats = files.stats();
        tracing::info!(
            "file reads: {}{}",
            match stats.mode {
                crate::io::file::IoMode::Uring => "io_uring",
                crate::io::file::IoMode::Threads => "the blocking thread pool",
            },
            if stats.registered_buffers {
                " with registered buffers"
            } else {
                ""
            }
        );
    }
    crate::io::set_thread_reader(files.clone());
    if config.handler.is_none() {
        // The built-in handler has nothing to decide per request: it runs in Rust.
        match std::fs::canonicalize(&config.root) {
            Ok(root) => {
                let mut headers = http::HeaderMap::new();
                if let Some(v) = &config.cache_control {
                    headers.insert(http::header::CACHE_CONTROL, v.clone());
                }
                let native = crate::http::files::NativeRoot { root, headers };
                let _ = worker.native_root.set(Rc::new(native));
            }
            Err(e) => {
                let _ = reports.send(Report::Failed(
                    index,
                    format!("cannot serve --root {}: {e}", config.root.display()),
                ));
                return;
            }
        }
    }
    let _ = worker.files.set(files);
    let mut h3_task = None;
    if let (Some((socket, crypto)), Some(limits)) = (quic, config.h3.clone()) {
        let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
        let endpoint = crate::http::h3::server_config(crypto, &limits)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            .and_then(|c| crate::http::h3::endpoint(socket, c, &limits));
        match endpoint {
            Ok(endpoint) => {
                if let Ok(v) = http::HeaderValue::from_str(&format!("h3=\":{port}\"; ma=86400")) {
                    let _ = worker.alt_svc.set(v);
                }
                h3_task = Some(tokio::task::spawn_local(crate::http::h3::serve(
                    endpoint,
                    worker.clone(),
                    Rc::new(limits),
                    shutdown.clone(),
                )));
            }
            Err(e) => {
                let _ = reports.send(Report::Failed(index, format!("cannot start HTTP/3: {e}")));
                return;
            }
        }
    }
    let acceptor = tls.map(crate::http::server::acceptor);
    let accept = tokio::task::spawn_local(crate::http::server::serve(
        listener,
        acceptor,
        worker.clone(),
        Rc::new(config.conn.clone()),
        shutdown.clone(),
    ));
    // Closing the worker's request queue is how the handler side learns of shutdown.
    {
        let w = worker.clone();
        let mut rx = shutdown.clone();
        tokio::task::spawn_local(async move {
            let _ = rx.wait_for(|s| *s).await;
            w.close();
        });
    }

    // When the shutdown began: both waits below end `--shutdown-timeout` after it.
    let shutdown_at: std::cell::Cell<Option<tokio::time::Instant>> = Default::default();
    let shutdown_deadline = || async {
        let _ = shutdown.clone().wait_for(|s| *s).await;
        let at = shutdown_at.get().unwrap_or_else(|| {
            let now = tokio::time::Instant::now();
            shutdown_at.set(Some(now));
            now
        });
        tokio::time::sleep_until(at + config.shutdown_timeout).await;
    };
    let mut first = true;
    // The shutdown timeout ran out (or the handler called process.exit): whatever is
    // still in flight is cut, built-in responses included.
    let mut cut_all = false;
    loop {
        let mut rt = JsRuntime::new(RuntimeOptions {
            argv: vec![
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| "weir".into()),
                config
                    .handler
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ],
            exec_argv: Vec::new(),
            max_heap_mb: config.max_heap_mb,
            cpu_limit: Some(config.handler_timeout),
            recover_from_cpu_limit: true,
        });
        rt.set_slot(worker.clone());
        rt.on_cpu_limit(crate::ops::http::on_cpu_limit);
        if first {
            let reports = reports.clone();
            worker.on_ready(move |r| {
                let _ = reports.send(match r {
                    Ok(()) => Report::Ready(index),
                    Err(message) => Report::Failed(index, message),
                });
            });
        }
        let handler = config
            .handler
            .as_ref()
            .map(|p| OpValue::String(p.display().to_string()))
            .unwrap_or(OpValue::Null);
        let root = OpValue::String(config.root.display().to_string());
        let started = rt.call_builtin("internal/http/server", "start", &[handler, root]);

        let outcome = match started {
            Err(t) => Err(t),
            Ok(()) => {
                let deadline = shutdown_deadline();
                tokio::select! {
                    r = rt.run_event_loop() => r,
                    _ = deadline => {
                        tracing::warn!("worker {index}: shutdown timeout reached with {} request(s) in flight; cutting them", worker.in_flight());
                        cut_all = true;
                        Ok(())
                    }
                }
            }
        };
        match outcome {
            Ok(()) => break,
            Err(Termination::HeapLimit) => {
                tracing::error!(
                    "worker {index}: the handler reached the heap limit (--max-heap-mb {}); replacing this worker's isolate, {} in-flight request(s) answered 503 or cut",
                    config.max_heap_mb,
                    worker.in_flight()
                );
                worker.abort_in_flight(StatusCode::SERVICE_UNAVAILABLE, false);
                first = false;
                drop(rt);
                continue;
            }
            Err(Termination::Exit(code)) => {
                let _ = reports.send(Report::Exit(code));
                cut_all = true;
                break;
            }
            Err(Termination::CpuLimit) => {
                // Only reachable while loading the handler (the loop recovers later).
                tracing::error!(
                    "worker {index}: loading the handler ran past --handler-timeout-ms"
                );
                let _ = reports.send(Report::Failed(
                    index,
                    "loading the handler ran past --handler-timeout-ms".into(),
                ));
                break;
            }
        }
    }
    // The handler side is done: what it still had in flight is answered 503 or cut.
    // Responses whole on weir's side, and the built-in handler's, finish within the
    // grace below, as the connections drain.
    worker.abort_in_flight(StatusCode::SERVICE_UNAVAILABLE, cut_all);
    worker.close();
    let grace = shutdown_deadline();
    // Both the TCP and the QUIC side let their in-flight responses finish.
    let mut accept = accept;
    let drained = async {
        let _ = (&mut accept).await;
        if let Some(h3) = h3_task {
            let _ = h3.await;
        }
    };
    let timed_out = tokio::select! {
        _ = drained => false,
        _ = grace => true,
    };
    if timed_out {
        let left = worker.answering();
        if left > 0 {
            tracing::warn!("worker {index}: shutdown timeout reached with {left} response(s) still going out; closing their connections");
        }
        // The TCP connections close now (idle ones too), while the worker is there
        // to log their responses with the bytes that went: each connection, then
        // each of its HTTP/2 streams, is dropped on a later turn of the runtime,
        // which runs a bounded number of tasks per turn. What is left after a second
        // (HTTP/3, whose connections are not closed here) is logged as it stands.
        accept.abort();
        let until = Instant::now() + Duration::from_secs(1);
        while worker.answering() > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        worker.give_up();
    }
    if let Some(files) = worker.files.get() {
        let stats = files.stats();
        tracing::debug!(
            "worker {index}: {} file read(s) found the buffer pool ({} x {} KiB) empty and went into heap buffers",
            stats.heap_reads,
            stats.pool_size,
            stats.buffer_size / 1024
        );
    }
}
