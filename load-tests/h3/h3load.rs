//! h3load: a throughput load client for HTTP/1.1, HTTP/2 (both over TLS) and HTTP/3
//! (QUIC), so that the three protocols are measured with the same client code.
//!
//! h1: C connections, each doing its requests one after the other (keep-alive).
//! h2, h3: C connections, each with S streams in flight at once.
//!
//! Response bodies are counted as they arrive and dropped, never collected. A request
//! counts as done when its whole body (as long as Content-Length says, when there is
//! one) has arrived with a 2xx status; anything else counts as an error. With
//! --duration, bytes of responses still in flight at the end are counted too, so
//! MB/s is the rate at which bytes arrived.
//!
//! Built as an example of the weir crate:
//!   cargo build --release --example h3load
//!   target/release/examples/h3load --proto h3 --url https://127.0.0.1:8443/big.bin --insecure

use bytes::{Buf, Bytes};
use clap::{Parser, ValueEnum};
use http::{header, Request, Uri};
use http_body_util::{BodyExt, Empty};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Proto {
    H1,
    H2,
    H3,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::H1 => "h1",
            Proto::H2 => "h2",
            Proto::H3 => "h3",
        }
    }
}

#[derive(Parser, Debug, Clone)]
#[command(
    name = "h3load",
    about = "HTTP/1.1, HTTP/2 and HTTP/3 throughput load client"
)]
struct Args {
    /// Protocol: h1 (HTTP/1.1 over TLS), h2 (HTTP/2 over TLS), h3 (HTTP/3 over QUIC).
    #[arg(long, value_enum)]
    proto: Proto,
    /// https://HOST:PORT/path
    #[arg(long)]
    url: String,
    /// Connections.
    #[arg(long, short = 'c', default_value_t = 1)]
    connections: usize,
    /// Streams in flight per connection (h2, h3; h1 always has one).
    #[arg(long, short = 's', default_value_t = 1)]
    streams: usize,
    /// Requests in total (default: one per stream, when --duration is not given).
    #[arg(long, short = 'n')]
    requests: Option<u64>,
    /// Run for this many seconds instead (with --requests too: whichever ends first).
    #[arg(long, short = 'd')]
    duration: Option<f64>,
    /// Accept any server certificate.
    #[arg(long, short = 'k')]
    insecure: bool,
    /// Trust this CA certificate (PEM) instead.
    #[arg(long, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
    /// Print the result as one JSON line too (last line of the output).
    #[arg(long)]
    json: bool,
    /// Client threads (1: one single-threaded event loop, the cheapest).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Flow-control window the client offers per stream (h2, h3), bytes.
    #[arg(long, default_value_t = 8 << 20, value_name = "BYTES")]
    stream_window: u32,
    /// Flow-control window the client offers per connection (h2, h3), bytes.
    #[arg(long, default_value_t = 32 << 20, value_name = "BYTES")]
    conn_window: u32,
    /// SETTINGS_MAX_FRAME_SIZE the client announces (h2), bytes (16384..16777215).
    #[arg(long, default_value_t = 16384, value_name = "BYTES")]
    h2_max_frame: u32,
    /// UDP socket send and receive buffer sizes (h3), bytes (capped by
    /// net.core.rmem_max / wmem_max).
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    udp_buffer: usize,
    /// Largest UDP payload the client's path MTU discovery probes for and the
    /// max_udp_payload_size it announces (h3).
    #[arg(long, default_value_t = 1452, value_name = "BYTES")]
    mtu: u16,
    /// TLS 1.3 cipher suite the client prefers (the server follows the client's order):
    /// aes128 (AES-128-GCM, what browsers pick first on AES-capable CPUs), aes256
    /// (rustls' own default order) or chacha20.
    #[arg(long, value_enum, default_value = "aes128")]
    cipher: Cipher,
    /// Let quinn use UDP GSO for what the client sends (h3).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    gso: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Cipher {
    Aes128,
    Aes256,
    Chacha20,
}

impl Cipher {
    fn suite(self) -> rustls::CipherSuite {
        match self {
            Cipher::Aes128 => rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
            Cipher::Aes256 => rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
            Cipher::Chacha20 => rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        }
    }
}

/// Counters shared by every connection and stream of the run.
#[derive(Default)]
struct Stats {
    issued: AtomicU64,
    done: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Stats {
    /// A ticket for one more request, or None when the run is over.
    fn take(&self, limit: Option<u64>) -> bool {
        if self.stop.load(Relaxed) {
            return false;
        }
        match limit {
            Some(n) => self.issued.fetch_add(1, Relaxed) < n,
            None => true,
        }
    }

    fn error(&self, what: impl std::fmt::Display) {
        self.errors.fetch_add(1, Relaxed);
        let mut first = self.first_error.lock().unwrap();
        if first.is_none() {
            *first = Some(what.to_string());
        }
    }
}

struct Target {
    addr: SocketAddr,
    /// What TLS and QUIC are told the server's name is (host of the URL).
    server_name: String,
    /// Absolute URI (h2 :authority, h3).
    uri: Uri,
    /// Origin-form path and query (the h1 request line).
    path: Uri,
    /// Host header (h1).
    host: http::HeaderValue,
}

fn main() {
    let args = Args::parse();
    if args.connections == 0 || args.streams == 0 {
        die("--connections and --streams must be at least 1");
    }
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    };
    let rt = rt.unwrap_or_else(|e| die(format!("tokio runtime: {e}")));
    rt.block_on(run(args));
}

fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("h3load: {msg}");
    std::process::exit(2);
}

async fn run(args: Args) {
    let uri: Uri = args
        .url
        .parse()
        .unwrap_or_else(|e| die(format!("--url: {e}")));
    if uri.scheme_str() != Some("https") {
        die("--url must be https://HOST:PORT/path (all three protocols run over TLS)");
    }
    let host = uri
        .host()
        .unwrap_or_else(|| die("--url has no host"))
        .trim_matches(['[', ']'])
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| die(format!("cannot resolve {host}")));
    let path: Uri = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .unwrap();
    let authority = uri.authority().unwrap().as_str().to_string();
    let target = Arc::new(Target {
        addr,
        server_name: host,
        uri: uri.clone(),
        path,
        host: http::HeaderValue::from_str(&authority).unwrap(),
    });

    let limit = match (args.requests, args.duration) {
        (None, None) => Some(
            (args.connections
                * if args.proto == Proto::H1 {
                    1
                } else {
                    args.streams
                }) as u64,
        ),
        (n, _) => n,
    };
    let tls = tls_config(&args);
    let stats = Arc::new(Stats::default());

    // Connect everything first; the clock starts when all connections are up.
    let t_connect = Instant::now();
    let mut quic_conns: Vec<(quinn::Endpoint, quinn::Connection)> = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    match args.proto {
        Proto::H1 => {
            let mut conns = Vec::with_capacity(args.connections);
            for _ in 0..args.connections {
                conns.push(
                    h1_connect(&target, &tls)
                        .await
                        .unwrap_or_else(|e| die(format!("HTTP/1.1 connection: {e}"))),
                );
            }
            for sender in conns {
                tasks.spawn(h1_worker(
                    sender,
                    target.clone(),
                    tls.clone(),
                    stats.clone(),
                    limit,
                ));
            }
        }
        Proto::H2 => {
            let mut conns = Vec::with_capacity(args.connections);
            for _ in 0..args.connections {
                conns.push(
                    h2_connect(&target, &tls, &args)
                        .await
                        .unwrap_or_else(|e| die(format!("HTTP/2 connection: {e}"))),
                );
            }
            for sender in conns {
                for _ in 0..args.streams {
                    tasks.spawn(h2_stream(
                        sender.clone(),
                        target.clone(),
                        stats.clone(),
                        limit,
                    ));
                }
            }
        }
        Proto::H3 => {
            let mut conns = Vec::with_capacity(args.connections);
            for _ in 0..args.connections {
                let (endpoint, conn, send) = h3_connect(&target, &tls, &args)
                    .await
                    .unwrap_or_else(|e| die(format!("HTTP/3 connection: {e}")));
                quic_conns.push((endpoint, conn));
                conns.push(send);
            }
            for send in conns {
                for _ in 0..args.streams {
                    tasks.spawn(h3_stream(
                        send.clone(),
                        target.clone(),
                        stats.clone(),
                        limit,
                    ));
                }
            }
        }
    }
    let connect_secs = t_connect.elapsed().as_secs_f64();
    let started = Instant::now();

    let all_done = async { while tasks.join_next().await.is_some() {} };
    match args.duration {
        Some(d) => {
            let _ = tokio::time::timeout(Duration::from_secs_f64(d), all_done).await;
        }
        None => all_done.await,
    }
    let secs = started.elapsed().as_secs_f64();
    stats.stop.store(true, Relaxed);
    let snapshot = (
        stats.done.load(Relaxed),
        stats.bytes.load(Relaxed),
        stats.errors.load(Relaxed),
    );
    let quic = (!quic_conns.is_empty()).then(|| quic_stats(&quic_conns));
    report(&args, &stats, snapshot, secs, connect_secs, quic);

    // Close QUIC connections explicitly, so the server does not keep them (and keep
    // retransmitting to a client that is gone) until its idle timeout.
    for (_, conn) in &quic_conns {
        conn.close(quinn::VarInt::from_u32(0x100), b"done"); // H3_NO_ERROR
    }
    for (endpoint, _) in &quic_conns {
        let _ = tokio::time::timeout(Duration::from_millis(500), endpoint.wait_idle()).await;
    }
    // Exit without waiting for (or dropping) in-flight tasks; TCP connections close
    // with the process.
    std::process::exit(if snapshot.2 > 0 { 1 } else { 0 });
}

/// What the client's QUIC connections saw, summed over connections: how the server's
/// data arrived (datagrams and their size), what the client sent back
/// (ACKs), and whether the server reported being blocked by the client's flow-control
/// windows.
fn quic_stats(conns: &[(quinn::Endpoint, quinn::Connection)]) -> serde_json::Value {
    let (mut rx_dgrams, mut rx_bytes, mut tx_dgrams, mut tx_ios, mut acks) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut blocked, mut data_blocked, mut lost, mut mtu, mut rtt_us) =
        (0u64, 0u64, 0u64, 0u16, 0u128);
    for (_, c) in conns {
        let s = c.stats();
        rx_dgrams += s.udp_rx.datagrams;
        rx_bytes += s.udp_rx.bytes;
        tx_dgrams += s.udp_tx.datagrams;
        tx_ios += s.udp_tx.ios;
        acks += s.frame_tx.acks;
        blocked += s.frame_rx.stream_data_blocked;
        data_blocked += s.frame_rx.data_blocked;
        lost += s.path.lost_packets;
        mtu = mtu.max(s.path.current_mtu);
        rtt_us = rtt_us.max(s.path.rtt.as_micros());
    }
    serde_json::json!({
        "rx_datagrams": rx_dgrams,
        "rx_bytes": rx_bytes,
        "rx_avg_datagram": rx_bytes.checked_div(rx_dgrams).unwrap_or(0),
        "tx_datagrams": tx_dgrams,
        "tx_ios": tx_ios,
        "acks_sent": acks,
        "stream_data_blocked_rx": blocked,
        "data_blocked_rx": data_blocked,
        "client_lost_packets": lost,
        "client_path_mtu": mtu,
        "rtt_us_max": rtt_us as u64,
    })
}

fn report(
    args: &Args,
    stats: &Stats,
    (done, bytes, errors): (u64, u64, u64),
    secs: f64,
    connect_secs: f64,
    quic: Option<serde_json::Value>,
) {
    let mbps = bytes as f64 / secs / 1e6;
    let gbps = bytes as f64 * 8.0 / secs / 1e9;
    let rps = done as f64 / secs;
    let (user, sys) = own_cpu();
    let streams = if args.proto == Proto::H1 {
        1
    } else {
        args.streams
    };
    println!(
        "{} {}: {} connection(s) x {} stream(s), connected in {:.3} s",
        args.proto.name(),
        args.url,
        args.connections,
        streams,
        connect_secs
    );
    println!("requests  {done}");
    println!("errors    {errors}");
    println!("bytes     {bytes}");
    println!("seconds   {secs:.3}");
    println!("MB/s      {mbps:.1}  ({gbps:.2} Gbit/s)");
    println!("req/s     {rps:.1}");
    println!("client    {user:.3} s user, {sys:.3} s system");
    println!(
        "cipher    {}",
        NEGOTIATED
            .get()
            .cloned()
            .unwrap_or_else(|| format!("{:?} preferred", args.cipher.suite()))
    );
    if let Some(q) = &quic {
        println!(
            "quic      {} datagrams in ({} B average), {} out in {} sends ({} ACK frames); \
             server blocked by flow control: {} stream / {} connection",
            q["rx_datagrams"],
            q["rx_avg_datagram"],
            q["tx_datagrams"],
            q["tx_ios"],
            q["acks_sent"],
            q["stream_data_blocked_rx"],
            q["data_blocked_rx"]
        );
    }
    let first_error = stats.first_error.lock().unwrap().clone();
    if let Some(e) = &first_error {
        println!("first error: {e}");
    }
    if args.json {
        let j = serde_json::json!({
            "proto": args.proto.name(),
            "url": args.url,
            "connections": args.connections,
            "streams": streams,
            "requests": done,
            "errors": errors,
            "bytes": bytes,
            "seconds": secs,
            "connect_seconds": connect_secs,
            "mb_per_s": mbps,
            "gbit_per_s": gbps,
            "req_per_s": rps,
            "client_user_s": user,
            "client_sys_s": sys,
            "first_error": first_error,
            "cipher_preferred": format!("{:?}", args.cipher.suite()),
            "cipher_negotiated": NEGOTIATED.get(),
            "quic": quic,
        });
        println!("{j}");
    }
}

/// This process's CPU time so far: (user, system) seconds.
fn own_cpu() -> (f64, f64) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_utime), t(ru.ru_stime))
}

// ---------------------------------------------------------------- TLS

/// Accepts any certificate (--insecure); signatures are still checked so that the
/// handshake runs the same code as with verification.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS 1.3 client configuration every protocol uses (ALPN set per protocol).
fn tls_config(args: &Args) -> Arc<rustls::ClientConfig> {
    // The preferred suite first, the others after it (QUIC needs AES-128-GCM present
    // for its Initial packets whatever is negotiated).
    let mut provider = rustls::crypto::ring::default_provider();
    let want = args.cipher.suite();
    provider.cipher_suites.sort_by_key(|s| s.suite() != want);
    let provider = Arc::new(provider);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap_or_else(|e| die(format!("TLS: {e}")));
    let mut cfg = if args.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    } else if let Some(ca) = &args.ca {
        let pem = std::fs::read(ca).unwrap_or_else(|e| die(format!("{}: {e}", ca.display())));
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.unwrap_or_else(|e| die(format!("{}: {e}", ca.display())));
            roots
                .add(cert)
                .unwrap_or_else(|e| die(format!("{}: {e}", ca.display())));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        die("give --insecure (accept any certificate) or --ca FILE");
    };
    cfg.alpn_protocols = vec![match args.proto {
        Proto::H1 => b"http/1.1".to_vec(),
        Proto::H2 => b"h2".to_vec(),
        Proto::H3 => b"h3".to_vec(),
    }];
    Arc::new(cfg)
}

/// The cipher suite the first TLS-over-TCP connection negotiated (QUIC does not expose
/// it; with QUIC the server follows the client's order just the same).
static NEGOTIATED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn tls_connect(
    target: &Target,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let tcp = tokio::net::TcpStream::connect(target.addr)
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(target.server_name.clone())
        .map_err(|e| e.to_string())?;
    let stream = tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(suite) = stream.get_ref().1.negotiated_cipher_suite() {
        let _ = NEGOTIATED.set(format!("{:?}", suite.suite()));
    }
    let alpn = stream.get_ref().1.alpn_protocol().map(|p| p.to_vec());
    if alpn.as_deref() != tls.alpn_protocols.first().map(|p| p.as_slice()) {
        return Err(format!(
            "server did not agree to ALPN {:?}",
            String::from_utf8_lossy(&tls.alpn_protocols[0])
        ));
    }
    Ok(stream)
}

// ---------------------------------------------------------------- HTTP/1.1

type H1Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn h1_connect(target: &Target, tls: &Arc<rustls::ClientConfig>) -> Result<H1Sender, String> {
    let io = hyper_util::rt::TokioIo::new(tls_connect(target, tls).await?);
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One HTTP/1.1 connection: requests one after the other. After an error the
/// connection is replaced (up to 3 failures in a row).
async fn h1_worker(
    mut sender: H1Sender,
    target: Arc<Target>,
    tls: Arc<rustls::ClientConfig>,
    stats: Arc<Stats>,
    limit: Option<u64>,
) {
    let mut failures = 0;
    while stats.take(limit) {
        let ok = match h1_request(&mut sender, &target, &stats).await {
            Ok(()) => true,
            Err(e) => {
                stats.error(e);
                false
            }
        };
        if ok {
            failures = 0;
            continue;
        }
        failures += 1;
        if failures >= 3 {
            return;
        }
        match h1_connect(&target, &tls).await {
            Ok(s) => sender = s,
            Err(e) => {
                stats.error(format!("reconnect: {e}"));
                return;
            }
        }
    }
}

async fn h1_request(sender: &mut H1Sender, target: &Target, stats: &Stats) -> Result<(), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let req = Request::get(target.path.clone())
        .header(header::HOST, target.host.clone())
        .body(Empty::new())
        .unwrap();
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    read_hyper_body(resp, stats).await
}

/// Counts a hyper response body as it arrives.
async fn read_hyper_body(
    resp: http::Response<hyper::body::Incoming>,
    stats: &Stats,
) -> Result<(), String> {
    let status = resp.status();
    let expected = content_length(resp.headers());
    let mut body = resp.into_body();
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("body: {e}"))?;
        if let Some(data) = frame.data_ref() {
            n += data.len() as u64;
            stats.bytes.fetch_add(data.len() as u64, Relaxed);
        }
    }
    finish_response(status, expected, n, stats)
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn finish_response(
    status: http::StatusCode,
    expected: Option<u64>,
    got: u64,
    stats: &Stats,
) -> Result<(), String> {
    if !status.is_success() {
        return Err(format!("status {status}"));
    }
    if let Some(len) = expected {
        if len != got {
            return Err(format!("body of {got} bytes, Content-Length {len}"));
        }
    }
    stats.done.fetch_add(1, Relaxed);
    Ok(())
}

// ---------------------------------------------------------------- HTTP/2

type H2Sender = hyper::client::conn::http2::SendRequest<Empty<Bytes>>;

async fn h2_connect(
    target: &Target,
    tls: &Arc<rustls::ClientConfig>,
    args: &Args,
) -> Result<H2Sender, String> {
    let io = hyper_util::rt::TokioIo::new(tls_connect(target, tls).await?);
    let (sender, conn) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .adaptive_window(false)
            .initial_stream_window_size(args.stream_window)
            .initial_connection_window_size(args.conn_window)
            .max_frame_size(args.h2_max_frame)
            .handshake(io)
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One HTTP/2 stream slot: requests one after the other on a shared connection.
async fn h2_stream(
    mut sender: H2Sender,
    target: Arc<Target>,
    stats: Arc<Stats>,
    limit: Option<u64>,
) {
    while stats.take(limit) {
        if let Err(e) = h2_request(&mut sender, &target, &stats).await {
            stats.error(e);
            if sender.is_closed() {
                return;
            }
        }
    }
}

async fn h2_request(sender: &mut H2Sender, target: &Target, stats: &Stats) -> Result<(), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let req = Request::get(target.uri.clone()).body(Empty::new()).unwrap();
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    read_hyper_body(resp, stats).await
}

// ---------------------------------------------------------------- HTTP/3

type H3Sender = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

async fn h3_connect(
    target: &Target,
    tls: &Arc<rustls::ClientConfig>,
    args: &Args,
) -> Result<(quinn::Endpoint, quinn::Connection, H3Sender), String> {
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from((**tls).clone())
        .map_err(|e| e.to_string())?;
    let mut cfg = quinn::ClientConfig::new(Arc::new(crypto));
    let mut t = quinn::TransportConfig::default();
    t.stream_receive_window(quinn::VarInt::from_u32(args.stream_window));
    t.receive_window(quinn::VarInt::from_u32(args.conn_window));
    t.max_idle_timeout(Some(Duration::from_secs(30).try_into().unwrap()));
    t.enable_segmentation_offload(args.gso);
    let mut mtu = quinn::MtuDiscoveryConfig::default();
    mtu.upper_bound(args.mtu);
    t.mtu_discovery_config(Some(mtu));
    cfg.transport_config(Arc::new(t));

    let domain = if target.addr.is_ipv4() {
        socket2::Domain::IPV4
    } else {
        socket2::Domain::IPV6
    };
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))
        .map_err(|e| e.to_string())?;
    // Best effort: the kernel caps these at net.core.rmem_max / wmem_max.
    let _ = socket.set_recv_buffer_size(args.udp_buffer);
    let _ = socket.set_send_buffer_size(args.udp_buffer);
    let local: SocketAddr = if target.addr.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    socket.bind(&local.into()).map_err(|e| e.to_string())?;
    let mut ec = quinn::EndpointConfig::default();
    ec.max_udp_payload_size(args.mtu.max(1200))
        .map_err(|e| e.to_string())?;
    let mut endpoint = quinn::Endpoint::new(ec, None, socket.into(), Arc::new(quinn::TokioRuntime))
        .map_err(|e| e.to_string())?;
    endpoint.set_default_client_config(cfg);
    let conn = endpoint
        .connect(target.addr, &target.server_name)
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(conn.clone()))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = driver.wait_idle().await;
    });
    Ok((endpoint, conn, send))
}

/// One HTTP/3 stream slot: requests one after the other on a shared connection.
async fn h3_stream(mut send: H3Sender, target: Arc<Target>, stats: Arc<Stats>, limit: Option<u64>) {
    let mut failures = 0;
    while stats.take(limit) {
        match h3_request(&mut send, &target, &stats).await {
            Ok(()) => failures = 0,
            Err(e) => {
                stats.error(e);
                failures += 1;
                if failures >= 3 {
                    return;
                }
            }
        }
    }
}

async fn h3_request(send: &mut H3Sender, target: &Target, stats: &Stats) -> Result<(), String> {
    let req = Request::get(target.uri.clone()).body(()).unwrap();
    // On any error the stream is dropped (never stop_sending: h3-quinn 0.0.10 panics
    // on it client-side); dropping it resets what is left.
    let mut stream = send
        .send_request(req)
        .await
        .map_err(|e| format!("send request: {e}"))?;
    stream.finish().await.map_err(|e| format!("finish: {e}"))?;
    let resp = stream
        .recv_response()
        .await
        .map_err(|e| format!("response: {e}"))?;
    let status = resp.status();
    let expected = content_length(resp.headers());
    let mut n = 0u64;
    loop {
        match stream.recv_data().await {
            Ok(Some(chunk)) => {
                let len = chunk.remaining() as u64;
                n += len;
                stats.bytes.fetch_add(len, Relaxed);
            }
            Ok(None) => break,
            Err(e) => return Err(format!("body: {e}")),
        }
    }
    finish_response(status, expected, n, stats)
}
