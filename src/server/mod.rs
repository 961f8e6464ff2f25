//! `weir serve`: the main thread binds one `SO_REUSEPORT` listener per worker, starts
//! the workers (each a thread with its own tokio runtime, V8 isolate and copy of the
//! handler), waits for SIGINT/SIGTERM, then shuts down gracefully: workers stop
//! accepting, let in-flight responses finish up to the shutdown timeout, and exit.

pub mod worker;

use crate::http::server::ConnLimits;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Everything `weir serve` is configured with (see the CLI for defaults).
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The handler module; `None` serves files under `root` (the built-in handler).
    pub handler: Option<PathBuf>,
    pub root: PathBuf,
    pub listen: SocketAddr,
    pub workers: usize,
    pub tls: Option<Tls>,
    pub conn: ConnLimits,
    /// Bytes a response body may hold between the handler and the socket.
    pub response_buffer: usize,
    pub max_heap_mb: usize,
    pub handler_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub access_log: bool,
}

#[derive(Clone, Debug)]
pub enum Tls {
    Pem { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

/// What workers tell the main thread.
pub(crate) enum Report {
    Ready(usize),
    Failed(usize, String),
    /// `process.exit(code)` in a handler ends the whole server, as in Node.
    Exit(i32),
    Stopped(usize),
}

fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    // The kernel's accept queue: 1024 pending connections per worker.
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Runs the server until a signal or `process.exit()`; returns the exit code.
pub fn run(config: ServeConfig) -> i32 {
    let tls = match &config.tls {
        None => None,
        Some(Tls::Pem { cert, key }) => match crate::http::server::tls::from_pem(cert, key) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("weir: {e}");
                return 1;
            }
        },
        Some(Tls::SelfSigned) => match crate::http::server::tls::self_signed() {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("weir: {e}");
                return 1;
            }
        },
    };
    // SO_REUSEPORT would let a second weir on the same port silently share its
    // traffic: first make sure the port is free (and pick it, if the address says :0)
    // with a plain bind, then open the workers' listeners on it.
    let probed = std::net::TcpListener::bind(config.listen).and_then(|l| l.local_addr());
    let listen = match probed {
        Ok(a) => a,
        Err(e) => {
            eprintln!("weir: cannot listen on {}: {e}", config.listen);
            return 1;
        }
    };
    let first = match bind(listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("weir: cannot listen on {}: {e}", config.listen);
            return 1;
        }
    };
    let addr = match first.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("weir: {e}");
            return 1;
        }
    };
    let mut listeners = vec![first];
    for _ in 1..config.workers {
        match bind(addr) {
            Ok(l) => listeners.push(l),
            Err(e) => {
                eprintln!("weir: cannot listen on {addr} again (SO_REUSEPORT): {e}");
                return 1;
            }
        }
    }

    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let (report_tx, report_rx) = mpsc::channel::<Report>();
    let config = Arc::new(config);
    let mut handles = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let cfg = config.clone();
        let tls = tls.clone();
        let rx = shutdown_rx.clone();
        let reports = report_tx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("weir-worker-{i}"))
            .stack_size(8 << 20)
            .spawn(move || worker::run(i, listener, tls, cfg, rx, reports));
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                eprintln!("weir: cannot start worker {i}: {e}");
                return 1;
            }
        }
    }

    // Signals arrive on a small runtime of their own and become a report.
    let signal_reports = report_tx.clone();
    std::thread::Builder::new()
        .name("weir-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    return;
                };
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                let _ = signal_reports.send(Report::Exit(-1));
            });
        })
        .ok();
    drop(report_tx);

    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut ready = 0;
    let mut exit_code = 0;
    let mut announced = false;
    let mut stopped = 0;
    while let Ok(report) = report_rx.recv() {
        match report {
            Report::Ready(i) => {
                tracing::debug!("worker {i} is ready");
                ready += 1;
                if ready == config.workers && !announced {
                    announced = true;
                    let protocols = if tls.is_some() {
                        "HTTP/1.1 and HTTP/2 (ALPN)"
                    } else {
                        "HTTP/1.1 and HTTP/2 (prior knowledge)"
                    };
                    let handler = config
                        .handler
                        .as_ref()
                        .map(|h| h.display().to_string())
                        .unwrap_or_else(|| format!("files under {}", config.root.display()));
                    tracing::info!("weir listening on {scheme}://{addr} with {} worker(s), {protocols}, serving {handler}", config.workers);
                }
            }
            Report::Failed(i, message) => {
                eprintln!("weir: worker {i} could not start the handler:\n{message}");
                exit_code = 1;
                break;
            }
            Report::Exit(code) => {
                if code >= 0 {
                    // process.exit(): immediate, as in Node.
                    std::process::exit(code);
                }
                break;
            }
            Report::Stopped(i) => {
                tracing::debug!("worker {i} stopped");
                stopped += 1;
                if stopped == config.workers {
                    break;
                }
            }
        }
    }
    tracing::info!(
        "weir shutting down: no new connections; in-flight responses get up to {:?}",
        config.shutdown_timeout
    );
    let _ = shutdown_tx.send(true);
    for h in handles {
        let _ = h.join();
    }
    tracing::info!("weir stopped");
    exit_code
}
