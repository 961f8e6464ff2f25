//! The `weir` command line: `weir run FILE [args...]`, `weir eval CODE`,
//! `weir --version`, `weir --help`.

use crate::js::runtime::{JsRuntime, RuntimeOptions};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "weir",
    version,
    about = "weir: a streaming media server runtime. JavaScript decides, Rust moves."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a JavaScript file (ES module or CommonJS) like `node FILE`.
    Run {
        #[command(flatten)]
        limits: Limits,
        /// The script to run.
        file: PathBuf,
        /// Arguments for the script (`process.argv.slice(2)`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Serve HTTP/1.1 and HTTP/2 with a JavaScript handler (or files under --root).
    Serve(Box<ServeArgs>),
    /// Evaluate JavaScript source given on the command line, like `node -e`.
    Eval {
        #[command(flatten)]
        limits: Limits,
        /// The code to evaluate.
        code: String,
        /// Arguments for the code (`process.argv.slice(1)`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    /// The handler module: `export default function (req, res)`, `module.exports =` a
    /// function, or a default export with a `request(req, res)` method. Without it,
    /// weir serves the files under --root.
    handler: Option<PathBuf>,
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "0.0.0.0:8080", value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// Worker threads, each with its own event loop, isolate and listener.
    /// Default: the number of cores.
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Folder the built-in handler serves.
    #[arg(long, default_value = "./media-samples", value_name = "DIR")]
    root: PathBuf,
    /// Cache-Control of the built-in handler's file answers (200, 206 and 304), for
    /// example `public, max-age=3600`; none by default. A handler module sets its own
    /// (sendFile's `maxAge` and `cacheControl` options).
    #[arg(long, value_name = "VALUE", value_parser = parse_field_value, conflicts_with = "handler")]
    cache_control: Option<http::HeaderValue>,
    /// TLS certificate chain (PEM); enables HTTPS with HTTP/2 by ALPN.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// HTTPS with a certificate generated at start-up (development only).
    #[arg(long, conflicts_with = "tls_cert")]
    tls_self_signed: bool,
    /// With TLS, also serve HTTP/3 over QUIC on the same port number (UDP) and
    /// advertise it with Alt-Svc. `--h3 false` turns it off.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    h3: bool,
    /// HTTP/3 requests (QUIC bidirectional streams) one connection may have open at
    /// once.
    #[arg(long, default_value_t = 100, value_name = "N")]
    h3_max_concurrent_streams: u32,
    /// An HTTP/3 connection with no request in flight (or no packet at all) for this
    /// long is closed.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    h3_idle_timeout_ms: u64,
    /// HTTP/3 requests a client may cancel before they are answered, within 10 s on
    /// one connection (the "Rapid Reset" budget); past it the connection is closed
    /// with H3_EXCESSIVE_LOAD.
    #[arg(long, default_value_t = 200, value_name = "N")]
    h3_max_cancels: u32,
    /// How file responses read files: `uring` (io_uring, one ring per worker; falls
    /// back to `threads` with a warning where the kernel or a seccomp profile refuses
    /// it) or `threads` (what the page cache holds read on the worker's thread, the
    /// rest with pread on a thread pool). Default: `WEIR_IO`, else uring.
    #[arg(long, value_name = "MODE", value_parser = parse_io_mode)]
    io: Option<crate::io::file::IoMode>,
    /// Plain-TCP HTTP/1.1 file bodies go out with sendfile(2), from the page cache to
    /// the socket without a copy through weir. `--sendfile false` reads them through
    /// --io into buffers, as TLS, HTTP/2 and HTTP/3 always do.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    sendfile: bool,
    /// CPU budget of each handler invocation; past it the request gets 503 and the
    /// worker goes on.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    handler_timeout_ms: u64,
    /// Heap limit of each worker's isolate; past it that isolate is replaced.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    max_heap_mb: usize,
    /// Bytes of request line and headers; past it: 431 (414 when the request line
    /// alone is longer). At most 16 MiB.
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES",
          value_parser = clap::value_parser!(u64).range(1..=16 << 20))]
    max_header_bytes: u64,
    /// Request headers; past it: 431. At most 10000.
    #[arg(long, default_value_t = 100, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_headers: u64,
    /// Time to receive a complete request head (and the TLS handshake); past it the
    /// connection is closed.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    header_timeout_ms: u64,
    /// Keep-alive: a connection idle this long with no request in flight is closed.
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    idle_timeout_ms: u64,
    /// Longest wait for the next bytes of a request body the handler is reading;
    /// past it the read fails and a request not yet answered gets 408; on HTTP/1.1
    /// the connection is closed (nginx's client_body_timeout).
    #[arg(long, default_value_t = 60_000, value_name = "MS")]
    body_timeout_ms: u64,
    /// Longest wait for a client to take bytes of a response (no write makes
    /// progress, or HTTP/2 data waits for its window); past it the connection is
    /// closed (nginx's send_timeout)
    #[arg(long, default_value_t = 60_000, value_name = "MS")]
    send_timeout_ms: u64,
    /// Connections each worker serves at once; past it the worker stops accepting
    /// until one closes.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    max_connections: usize,
    /// HTTP/2 streams one connection may have open at once.
    #[arg(long, default_value_t = 100, value_name = "N")]
    h2_max_concurrent_streams: u32,
    /// HTTP/2 header list size (bytes, decoded).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    h2_max_header_list_size: u32,
    /// HTTP/2 streams a client may open and reset before they are answered (the
    /// "Rapid Reset" budget); past it the connection is closed with GOAWAY.
    #[arg(long, default_value_t = 20, value_name = "N")]
    h2_max_pending_resets: usize,
    /// HTTP/2 stream errors a client may cause on one connection before GOAWAY.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    h2_max_error_resets: usize,
    /// Bytes a response body may hold between the handler and the socket (per
    /// response, on top of the handler's own 64 KiB stream buffer).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    response_buffer_bytes: usize,
    /// On SIGINT/SIGTERM, how long in-flight responses may take to finish.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    shutdown_timeout: f64,
    /// Log level (error, warn, info, debug, trace); RUST_LOG overrides it. Access-log
    /// lines are at info.
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    log: String,
}

#[derive(Args, Debug, Clone)]
struct Limits {
    /// Heap limit of the JavaScript isolate, in MiB. Past it the script ends with
    /// ERR_WORKER_OUT_OF_MEMORY and exit code 134.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    max_heap_mb: usize,
    /// CPU budget of each invocation (the top-level run, each timer or I/O callback
    /// batch), in milliseconds. Past it the script ends with
    /// ERR_SCRIPT_EXECUTION_TIMEOUT and exit code 124. Default: no limit.
    #[arg(long, value_name = "MS")]
    cpu_limit_ms: Option<u64>,
}

fn exec_path() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "weir".into())
}

fn options(limits: &Limits, argv: Vec<String>) -> RuntimeOptions {
    RuntimeOptions {
        argv,
        exec_argv: Vec::new(),
        max_heap_mb: limits.max_heap_mb,
        cpu_limit: limits.cpu_limit_ms.map(Duration::from_millis),
        recover_from_cpu_limit: false,
    }
}

fn block_on<F: std::future::Future<Output = i32>>(f: F) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("weir: cannot start the event loop: {e}");
            return 1;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, f)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    crate::ops::process::mark_start();
    let cli = Cli::parse();
    match cli.command {
        Command::Run { limits, file, args } => {
            let path = match std::fs::canonicalize(&file) {
                Ok(p) if p.is_file() => p,
                Ok(p) => {
                    eprintln!(
                        "Error: Cannot run '{}': it is a directory, not a file",
                        p.display()
                    );
                    return 1;
                }
                Err(_) => {
                    let shown = std::env::current_dir()
                        .map(|d| d.join(&file))
                        .unwrap_or(file.clone());
                    eprintln!("Error: Cannot find module '{}' [MODULE_NOT_FOUND]\n    weir run needs the path of an existing JavaScript file.", shown.display());
                    return 1;
                }
            };
            let mut argv = vec![exec_path(), path.display().to_string()];
            argv.extend(args);
            let mut rt = JsRuntime::new(options(&limits, argv));
            block_on(async move { rt.run_main(&path).await })
        }
        Command::Serve(args) => serve(*args),
        Command::Eval { limits, code, args } => {
            let mut argv = vec![exec_path()];
            argv.extend(args);
            let mut rt = JsRuntime::new(options(&limits, argv));
            block_on(async move { rt.run_eval(&code).await })
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

fn parse_field_value(s: &str) -> Result<http::HeaderValue, String> {
    http::HeaderValue::from_str(s.trim())
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("'{s}' is not a header field value (visible ASCII, not empty)"))
}

fn parse_io_mode(s: &str) -> Result<crate::io::file::IoMode, String> {
    s.parse()
        .map_err(|()| format!("'{s}' is not an I/O mode: use uring or threads"))
}

fn serve(a: ServeArgs) -> i32 {
    use crate::http::server::ConnLimits;
    use crate::server::{ServeConfig, Tls};
    init_logging(&a.log);
    if let Some(h) = &a.handler {
        if !h.is_file() {
            eprintln!("weir: cannot find the handler module '{}'", h.display());
            return 1;
        }
    }
    let handler = a
        .handler
        .as_ref()
        .map(|h| std::fs::canonicalize(h).unwrap_or_else(|_| h.clone()));
    let tls = match (a.tls_cert, a.tls_key, a.tls_self_signed) {
        (Some(cert), Some(key), _) => Some(Tls::Pem { cert, key }),
        (_, _, true) => Some(Tls::SelfSigned),
        _ => None,
    };
    if !a.shutdown_timeout.is_finite() || a.shutdown_timeout < 0.0 {
        eprintln!("weir: --shutdown-timeout must be a number of seconds >= 0");
        return 2;
    }
    let workers = a
        .workers
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let config = ServeConfig {
        handler,
        root: a.root,
        cache_control: a.cache_control,
        listen: a.listen,
        workers,
        tls,
        conn: ConnLimits {
            max_header_bytes: a.max_header_bytes as usize,
            max_headers: a.max_headers as usize,
            header_timeout: Duration::from_millis(a.header_timeout_ms),
            idle_timeout: Duration::from_millis(a.idle_timeout_ms),
            body_timeout: Duration::from_millis(a.body_timeout_ms.max(1)),
            send_timeout: Duration::from_millis(a.send_timeout_ms.max(1)),
            max_connections: a.max_connections.max(1),
            h2_max_concurrent_streams: a.h2_max_concurrent_streams,
            h2_max_header_list_size: a.h2_max_header_list_size,
            h2_max_pending_accept_reset_streams: a.h2_max_pending_resets,
            h2_max_local_error_reset_streams: a.h2_max_error_resets,
            sendfile: a.sendfile,
        },
        response_buffer: a.response_buffer_bytes.max(1024),
        max_heap_mb: a.max_heap_mb,
        handler_timeout: Duration::from_millis(a.handler_timeout_ms.max(1)),
        shutdown_timeout: Duration::from_secs_f64(a.shutdown_timeout),
        access_log: true,
        io: a.io.unwrap_or_else(|| {
            crate::io::file::IoMode::from_env_or(crate::io::file::IoMode::Uring)
        }),
        h3: a.h3.then(|| crate::http::h3::H3Limits {
            max_concurrent_streams: a.h3_max_concurrent_streams.max(1),
            idle_timeout: Duration::from_millis(a.h3_idle_timeout_ms.max(1)),
            max_field_section_size: a.max_header_bytes,
            max_connections: a.max_connections.max(1),
            header_timeout: Duration::from_millis(a.header_timeout_ms),
            max_cancels: a.h3_max_cancels,
            ..Default::default()
        }),
    };
    crate::server::run(config)
}
