//! TLS to PostgreSQL, with rustls, honouring libpq's `sslmode` (managed databases require or
//! default to TLS). tokio-postgres knows only disable / prefer / require, so the URL's
//! `sslmode` and `sslrootcert` are read here and the certificate checks are ours:
//!
//! | `sslmode` | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (libpq's default) | when the server offers it | no |
//! | `require` | always | no; as `verify-ca` when a CA file is given (libpq does the same) |
//! | `verify-ca` | always | signed by the CA (file, else the system's roots) |
//! | `verify-full` | always | signed by the CA, and names the host connected to |
//!
//! The CA file is the URL's `sslrootcert`, else `TXSTATE_PG_CA_FILE`; `sslrootcert=system`
//! takes the system's roots.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode as PgSslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreResult;

/// libpq's `sslmode` values this server honours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// Never encrypt.
    Disable,
    /// Encrypt when the server offers it; check nothing.
    Prefer,
    /// Always encrypt; check the certificate only when a CA file is given.
    Require,
    /// Always encrypt; the certificate must be signed by the CA.
    VerifyCa,
    /// Always encrypt; signed by the CA and naming the host.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> StoreResult<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "TXSTATE_DATABASE_URL: sslmode={other} is not supported; use disable, prefer, require, verify-ca or verify-full"
                ))
            }
        })
    }

    /// What tokio-postgres is told: whether TLS may be skipped.
    fn for_driver(self) -> PgSslMode {
        match self {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
        }
    }
}

/// Where the trusted roots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Roots {
    /// A PEM file of CA certificates.
    File(PathBuf),
    /// The operating system's store.
    System,
}

/// The TLS half of a database URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    /// The mode.
    pub mode: SslMode,
    roots: Option<Roots>,
}

/// Splits the TLS parameters off a PostgreSQL URL (`postgres://…?sslmode=…&sslrootcert=…`, or
/// the `key=value` form): the rest for tokio-postgres, and the settings. `ca_file` is
/// `TXSTATE_PG_CA_FILE`, used when the URL names no `sslrootcert`.
pub fn split_url(url: &str, ca_file: Option<&Path>) -> StoreResult<(String, TlsSettings)> {
    let mut mode = None;
    let mut rootcert = None;
    let mut take = |key: &str, value: &str| -> StoreResult<bool> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(value)?),
            "sslrootcert" => rootcert = Some(value.to_owned()),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            None => url.to_owned(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(k, v)? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = Vec::new();
        for token in url.split_whitespace() {
            let (k, v) = token.split_once('=').unwrap_or((token, ""));
            if !take(k.trim(), v.trim_matches('\'').trim())? {
                kept.push(token);
            }
        }
        kept.join(" ")
    };
    let roots = match rootcert.as_deref() {
        Some("system") => Some(Roots::System),
        Some(path) => Some(Roots::File(PathBuf::from(path))),
        None => ca_file.map(|p| Roots::File(p.to_owned())),
    };
    Ok((
        rest,
        TlsSettings {
            mode: mode.unwrap_or(SslMode::Prefer),
            roots,
        },
    ))
}

impl TlsSettings {
    /// Tells tokio-postgres whether it may go without TLS.
    pub fn apply(&self, config: &mut tokio_postgres::Config) {
        config.ssl_mode(self.mode.for_driver());
    }

    /// The connector that makes and checks TLS sessions as the mode asks.
    pub fn connector(&self) -> StoreResult<MakeRustlsConnect> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?;
        let check = match (self.mode, &self.roots) {
            (SslMode::Disable | SslMode::Prefer, _) | (SslMode::Require, None) => None,
            (SslMode::Require | SslMode::VerifyCa, Some(roots)) => Some((roots, false)),
            (SslMode::VerifyCa, None) => Some((&Roots::System, false)),
            (SslMode::VerifyFull, roots) => Some((roots.as_ref().unwrap_or(&Roots::System), true)),
        };
        let chain = match check {
            None => None,
            Some((roots, names)) => Some((
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(load_roots(roots)?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| format!("TLS: {e}"))?,
                names,
            )),
        };
        let config = match chain {
            Some((verifier, true)) => builder.with_webpki_verifier(verifier).with_no_client_auth(),
            lenient => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient {
                    provider,
                    chain: lenient.map(|(v, _)| v),
                }))
                .with_no_client_auth(),
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// A connection error in words an operator can act on.
    pub fn explain(&self, error: String) -> String {
        let hint = if error.contains("UnknownIssuer") || error.contains("BadSignature") {
            match &self.roots {
                Some(Roots::File(p)) => format!(
                    "the database's TLS certificate is not signed by a CA in {} (sslrootcert / TXSTATE_PG_CA_FILE)",
                    p.display()
                ),
                _ => "the database's TLS certificate is not signed by a CA the system trusts: give its CA in TXSTATE_PG_CA_FILE".to_owned(),
            }
        } else if error.contains("NotValidForName") || error.contains("not valid for name") {
            "the database's TLS certificate does not name the host in TXSTATE_DATABASE_URL (sslmode=verify-full): connect by a name the certificate holds, or use verify-ca".to_owned()
        } else if error.contains("server does not support TLS")
            || error.contains("TLS is not supported")
        {
            "the database does not offer TLS and sslmode asks for it".to_owned()
        } else {
            return error;
        };
        format!("{hint} ({error})")
    }
}

fn load_roots(roots: &Roots) -> StoreResult<RootCertStore> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("TXSTATE_PG_CA_FILE {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("TXSTATE_PG_CA_FILE {}: {e}", path.display()))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "TXSTATE_PG_CA_FILE {} holds no usable CA certificate (PEM expected)",
                    path.display()
                ));
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err("no system CA certificates found to check the database's TLS certificate: give its CA in TXSTATE_PG_CA_FILE".into());
            }
        }
    }
    Ok(store)
}

/// The checks libpq's weaker modes ask for, which rustls' own verifier cannot be told:
/// `verify-ca` checks the chain against the roots but not the host name; `prefer` and
/// `require` without a CA check no certificate at all (they promise encryption, not identity).
/// Either way the handshake's signatures are checked, so the session is bound to the
/// certificate shown.
#[derive(Debug)]
struct Lenient {
    provider: Arc<CryptoProvider>,
    /// The chain check of `verify-ca`; `None`: no certificate check.
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_split_off_both_url_forms() {
        let (rest, s) = split_url(
            "postgres://u@db.example.com:5432/app?application_name=x&sslmode=verify-full&sslrootcert=/etc/ca.pem",
            None,
        )
        .expect("valid");
        assert_eq!(
            rest,
            "postgres://u@db.example.com:5432/app?application_name=x"
        );
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.roots, Some(Roots::File("/etc/ca.pem".into())));

        let (rest, s) =
            split_url("host=db user=u sslmode=require", Some(Path::new("/ca"))).expect("valid");
        assert_eq!(rest, "host=db user=u");
        assert_eq!(s.mode, SslMode::Require);
        assert_eq!(
            s.roots,
            Some(Roots::File("/ca".into())),
            "TXSTATE_PG_CA_FILE"
        );

        let (rest, s) = split_url("postgres://u@h/db?sslmode=disable", None).expect("valid");
        assert_eq!(
            (rest.as_str(), s.mode),
            ("postgres://u@h/db", SslMode::Disable)
        );

        let (_, s) = split_url("postgres://u@h/db", None).expect("valid");
        assert_eq!(s.mode, SslMode::Prefer, "libpq's default");

        let (_, s) = split_url(
            "postgres://h/db?sslrootcert=system&sslmode=verify-ca",
            Some(Path::new("/ca")),
        )
        .expect("valid");
        assert_eq!(
            s.roots,
            Some(Roots::System),
            "the URL wins over the setting"
        );

        let e = split_url("postgres://h/db?sslmode=allow", None).expect_err("refused");
        assert!(e.contains("sslmode=allow is not supported"), "{e}");
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let (_, s) = split_url(
            "postgres://h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            None,
        )
        .expect("valid");
        let e = s.connector().map(|_| ()).expect_err("no file");
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
