//! An HTTP/3 client for the tests: quinn + h3, trusting one test certificate.

#![allow(dead_code)]

use bytes::{Buf, Bytes};
use std::net::SocketAddr;
use std::sync::Arc;

pub type SendRequest = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;
pub type Stream = h3::client::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>;

/// A certificate for localhost written as PEM files in `dir`: (cert path, key path, DER).
pub fn test_cert(
    dir: &std::path::Path,
) -> (String, String, rustls::pki_types::CertificateDer<'static>) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    (
        cert_path.display().to_string(),
        key_path.display().to_string(),
        cert.cert.der().clone(),
    )
}

pub struct Client {
    pub endpoint: quinn::Endpoint,
    pub conn: quinn::Connection,
    pub send: SendRequest,
    pub driver: tokio::task::JoinHandle<h3::error::ConnectionError>,
}

/// A QUIC connection to `addr` (ALPN h3) that trusts `ca`, and its HTTP/3 session.
pub async fn connect(addr: SocketAddr, ca: &rustls::pki_types::CertificateDer<'static>) -> Client {
    try_connect(addr, ca).await.expect("HTTP/3 connection")
}

pub async fn try_connect(
    addr: SocketAddr,
    ca: &rustls::pki_types::CertificateDer<'static>,
) -> Result<Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let mut cfg = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.stream_receive_window(quinn::VarInt::from_u32(8 << 20));
    transport.receive_window(quinn::VarInt::from_u32(32 << 20));
    transport.max_idle_timeout(Some(std::time::Duration::from_secs(20).try_into().unwrap()));
    cfg.transport_config(Arc::new(transport));
    let mut endpoint =
        quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).map_err(|e| e.to_string())?;
    endpoint.set_default_client_config(cfg);
    let conn = endpoint
        .connect(addr, "localhost")
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(conn.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move { driver.wait_idle().await });
    Ok(Client {
        endpoint,
        conn,
        send,
        driver,
    })
}

pub fn request(method: &str, path: &str) -> http::Request<()> {
    http::Request::builder()
        .method(method)
        .uri(format!("https://localhost{path}"))
        .body(())
        .unwrap()
}

/// Sends a request with `body` (none when empty) and reads the whole response.
/// The body result is `Err` when the stream was reset.
pub async fn fetch(
    send: &mut SendRequest,
    req: http::Request<()>,
    body: &[u8],
) -> (http::Response<()>, Result<Vec<u8>, String>) {
    let mut stream = send.send_request(req).await.expect("send request");
    if !body.is_empty() {
        for chunk in body.chunks(256 << 10) {
            stream
                .send_data(Bytes::copy_from_slice(chunk))
                .await
                .expect("send body");
        }
    }
    stream.finish().await.expect("finish request");
    let resp = stream.recv_response().await.expect("response head");
    let body = read_body(&mut stream).await;
    (resp, body)
}

pub async fn read_body(stream: &mut Stream) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        match stream.recv_data().await {
            Ok(Some(mut chunk)) => {
                while chunk.has_remaining() {
                    let c = chunk.chunk();
                    out.extend_from_slice(c);
                    let n = c.len();
                    chunk.advance(n);
                }
            }
            Ok(None) => return Ok(out),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Reads a body to its end, hashing it: (length, SHA-256 hex).
pub async fn hash_body(stream: &mut Stream) -> Result<(u64, String), String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut n = 0u64;
    loop {
        match stream.recv_data().await {
            Ok(Some(mut chunk)) => {
                while chunk.has_remaining() {
                    let c = chunk.chunk();
                    h.update(c);
                    n += c.len() as u64;
                    let len = c.len();
                    chunk.advance(len);
                }
            }
            Ok(None) => return Ok((n, format!("{:x}", h.finalize()))),
            Err(e) => return Err(e.to_string()),
        }
    }
}
