//! TLS set-up: the server's identity (a certificate chain and key from PEM files, or
//! a self-signed certificate made at start-up for development) and the two rustls
//! configurations built from it: TCP (TLS 1.2 and 1.3, ALPN `h2` then `http/1.1`) and
//! QUIC (TLS 1.3 only, ALPN `h3`).

use std::path::Path;
use std::sync::Arc;

pub struct Identity {
    certs: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            certs: self.certs.clone(),
            key: self.key.clone_key(),
        }
    }
}

pub fn from_pem(cert: &Path, key: &Path) -> Result<Identity, String> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert)
            .map_err(|e| format!("cannot open --tls-cert {}: {e}", cert.display()))?,
    ))
    .collect::<Result<_, _>>()
    .map_err(|e| format!("cannot read certificates from {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", cert.display()));
    }
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key)
            .map_err(|e| format!("cannot open --tls-key {}: {e}", key.display()))?,
    ))
    .map_err(|e| format!("cannot read the private key from {}: {e}", key.display()))?
    .ok_or_else(|| format!("{} holds no PEM private key", key.display()))?;
    Ok(Identity { certs, key })
}

/// A certificate for `localhost`, `127.0.0.1` and `::1`, valid from now.
pub fn self_signed() -> Result<Identity, String> {
    let cert = rcgen::generate_simple_self_signed(vec![
        "localhost".into(),
        "127.0.0.1".into(),
        "::1".into(),
    ])
    .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    Ok(Identity {
        certs: vec![der],
        key,
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// HTTPS over TCP: HTTP/2 and HTTP/1.1 by ALPN.
pub fn tcp(id: &Identity) -> Result<Arc<rustls::ServerConfig>, String> {
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(id.certs.clone(), id.key.clone_key())
        .map_err(|e| format!("the certificate and key do not form a usable pair: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // Left at rustls's defaults: TLS 1.2 and 1.3; records of up to 16 KiB; resumption
    // from an in-memory cache of 256 sessions (TLS 1.3: 2 tickets per handshake name
    // entries there); no 0-RTT data; at most 64 KiB of records queued per connection
    // before writes wait (tokio-rustls passes that wait on as backpressure).
    Ok(Arc::new(cfg))
}

/// HTTP/3 over QUIC: TLS 1.3, ALPN `h3`.
pub fn quic(id: &Identity) -> Result<Arc<quinn::crypto::rustls::QuicServerConfig>, String> {
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(id.certs.clone(), id.key.clone_key())
        .map_err(|e| format!("the certificate and key do not form a usable pair: {e}"))?;
    cfg.alpn_protocols = vec![b"h3".to_vec()];
    cfg.max_early_data_size = 0;
    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(cfg)
        .map_err(|e| format!("no QUIC cipher suite: {e}"))?;
    Ok(Arc::new(quic))
}
