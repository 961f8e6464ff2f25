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
    /// Cache-Control of the built-in handler's file answers.
    pub cache_control: Option<http::HeaderValue>,
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
    /// How file responses read files.
    pub io: crate::io::file::IoMode,
    /// HTTP/3 settings; used when TLS is on (`None`: no HTTP/3).
    pub h3: Option<crate::http::h3::H3Limits>,
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

/// What each worker gets to serve with.
pub(crate) struct Listeners {
    pub tcp: std::net::TcpListener,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The UDP socket and QUIC configuration of HTTP/3.
    pub quic: Option<(
        std::net::UdpSocket,
        Arc<quinn::crypto::rustls::QuicServerConfig>,
    )>,
}

fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    // Room for bursts of datagrams between two reads of a busy worker.
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.bind(&addr.into())?;
    Ok(socket.into())
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
    let identity = match &config.tls {
        None => None,
        Some(Tls::Pem { cert, key }) => Some(crate::http::tls::from_pem(cert, key)),
        Some(Tls::SelfSigned) => Some(crate::http::tls::self_signed()),
    };
    let identity = match identity.transpose() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("weir: {e}");
            return 1;
        }
    };
    let configs = identity.as_ref().map(|id| {
        let tcp = crate::http::tls::tcp(id)?;
        let quic = match &config.h3 {
            Some(_) => Some(crate::http::tls::quic(id)?),
            None => None,
        };
        Ok::<_, String>((tcp, quic))
    });
    let (tls, quic) = match configs.transpose() {
        Ok(Some((t, q))) => (Some(t), q),
        Ok(None) => (None, None),
        Err(e) => {
            eprintln!("weir: {e}");
            return 1;
        }
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
    let mut tcp = vec![first];
    for _ in 1..config.workers {
        match bind(addr) {
            Ok(l) => tcp.push(l),
            Err(e) => {
                eprintln!("weir: cannot listen on {addr} again (SO_REUSEPORT): {e}");
                return 1;
            }
        }
    }
    // HTTP/3 takes the same port number over UDP; as for TCP, a plain bind first
    // makes sure no one else has it.
    let mut udp = Vec::new();
    if quic.is_some() {
        if let Err(e) = std::net::UdpSocket::bind(addr) {
            eprintln!(
                "weir: cannot listen on {addr}/udp for HTTP/3: {e} (--h3 false serves without it)"
            );
            return 1;
        }
        for _ in 0..config.workers {
            match bind_udp(addr) {
                Ok(s) => udp.push(s),
                Err(e) => {
                    eprintln!("weir: cannot listen on {addr}/udp for HTTP/3: {e} (--h3 false serves without it)");
                    return 1;
                }
            }
        }
    }
    let mut udp = udp.into_iter();
    let listeners: Vec<Listeners> = tcp
        .into_iter()
        .map(|tcp| Listeners {
            tcp,
            tls: tls.clone(),
            quic: udp.next().zip(quic.clone()),
        })
        .collect();

    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let (report_tx, report_rx) = mpsc::channel::<Report>();
    let config = Arc::new(config);
    let mut handles = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let cfg = config.clone();
        let rx = shutdown_rx.clone();
        let reports = report_tx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("weir-worker-{i}"))
            .stack_size(8 << 20)
            .spawn(move || worker::run(i, listener, cfg, rx, reports));
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
                    let protocols = if quic.is_some() {
                        "HTTP/1.1 and HTTP/2 (ALPN), HTTP/3 (QUIC, same port over UDP)"
                    } else if tls.is_some() {
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
