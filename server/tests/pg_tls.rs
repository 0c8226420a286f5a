//! PostgreSQL over TLS, against a real PostgreSQL with `ssl = on` that this test starts itself
//! from the installed server binaries (`initdb` + `pg_ctl` in a temporary folder, as the
//! `postgres` user when run as root, since PostgreSQL refuses to run as root), with a CA and a
//! server certificate made here. Its `pg_hba.conf` rejects unencrypted connections, so a
//! connection that succeeds was encrypted. The machine's own cluster is left alone.
//!
//! Skipped with a note when no PostgreSQL server binaries are installed, unless
//! `TXSTATE_TEST_POSTGRES_REQUIRED` is set (CI sets it): then it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use txstate_server::metrics::Metrics;
use txstate_server::store::{PostgresStore, Store};

/// A CA: its certificate (PEM) and what signs with it.
fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    (cert.pem(), Issuer::new(params, key))
}

/// A throwaway PostgreSQL cluster; stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    /// The `bin` folder of an installed PostgreSQL server, newest first.
    fn binaries() -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
            .collect();
        found.sort();
        found.pop()
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts one with TLS on, its certificate signed by `issuer` for `localhost` and
    /// 127.0.0.1 (not 127.0.0.2).
    fn start(bin: PathBuf, issuer: &Issuer<'static, KeyPair>) -> Cluster {
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let dir = tempfile::tempdir().expect("dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let cluster = Cluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.dir.path()));
        }
        run(cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(cluster.data()));

        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, issuer).expect("signed");
        let data = cluster.data();
        std::fs::write(data.join("server.crt"), cert.pem()).expect("crt");
        std::fs::write(data.join("server.key"), key.serialize_pem()).expect("key");
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.0/8 trust\nhostnossl all all 127.0.0.0/8 reject\n",
        )
        .expect("hba");
        let conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1,127.0.0.2'\nunix_socket_directories = '{}'\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n",
            cluster.dir.path().display()
        );
        let mut existing =
            std::fs::read_to_string(data.join("postgresql.conf")).expect("postgresql.conf");
        existing.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), existing).expect("conf");
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.dir.path()));
        }
        run(Command::new("chmod")
            .arg("600")
            .arg(data.join("server.key")));
        run(cluster
            .command("pg_ctl")
            .args(["-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.path().join("log"))
            .arg("start"));
        cluster
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{query}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.data())
            .arg("stop")
            .output();
    }
}

async fn open(url: &str, ca: Option<&Path>) -> Result<Arc<dyn Store>, String> {
    let store = PostgresStore::open(url, 2, 256, ca, Arc::new(Metrics::default())).await?;
    Ok(Arc::new(store))
}

async fn opens(url: &str, ca: Option<&Path>) {
    match open(url, ca).await {
        Ok(store) => {
            store.ping().await.expect("ping");
            store.close().await;
        }
        Err(e) => panic!("{url}: {e}"),
    }
}

async fn refused(url: &str, ca: Option<&Path>) -> String {
    match open(url, ca).await {
        Ok(store) => {
            store.close().await;
            panic!("{url} connected")
        }
        Err(e) => e,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_over_tls_honours_sslmode() {
    let Some(bin) = Cluster::binaries() else {
        assert!(
            std::env::var_os("TXSTATE_TEST_POSTGRES_REQUIRED").is_none(),
            "PostgreSQL's server binaries are required (TXSTATE_TEST_POSTGRES_REQUIRED) and not installed under /usr/lib/postgresql"
        );
        eprintln!("note: no PostgreSQL server binaries; the TLS test is skipped");
        return;
    };
    let (ca_pem, issuer) = ca("txstate test CA");
    let (wrong_pem, _) = ca("someone else's CA");
    let cluster = Cluster::start(bin, &issuer);
    let files = tempfile::tempdir().expect("dir");
    let ca_file = files.path().join("ca.pem");
    let wrong_file = files.path().join("wrong-ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("ca");
    std::fs::write(&wrong_file, wrong_pem).expect("wrong ca");

    // The cluster refuses unencrypted connections: disable fails, every TLS mode connects.
    let e = refused(&cluster.url("127.0.0.1", "sslmode=disable"), None).await;
    assert!(e.contains("no encryption") || e.contains("pg_hba"), "{e}");
    opens(&cluster.url("127.0.0.1", "sslmode=require"), None).await;
    opens(&cluster.url("127.0.0.1", "sslmode=prefer"), None).await;
    opens(&cluster.url("127.0.0.1", ""), None).await;

    // verify-full: the right CA, by name and by address (TXSTATE_PG_CA_FILE or sslrootcert).
    opens(
        &cluster.url("localhost", "sslmode=verify-full"),
        Some(&ca_file),
    )
    .await;
    opens(
        &cluster.url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={}", ca_file.display()),
        ),
        None,
    )
    .await;
    // A host the certificate does not name: verify-full refuses, verify-ca accepts.
    let e = refused(
        &cluster.url("127.0.0.2", "sslmode=verify-full"),
        Some(&ca_file),
    )
    .await;
    assert!(e.contains("does not name the host"), "{e}");
    opens(
        &cluster.url("127.0.0.2", "sslmode=verify-ca"),
        Some(&ca_file),
    )
    .await;

    // The wrong CA: refused, and the message says why and which file.
    for mode in ["verify-full", "verify-ca", "require"] {
        let e = refused(
            &cluster.url("localhost", &format!("sslmode={mode}")),
            Some(&wrong_file),
        )
        .await;
        assert!(
            e.contains("not signed by a CA in") && e.contains("wrong-ca.pem"),
            "{mode}: {e}"
        );
    }

    // The binary, configured as an operator would: exit statuses and the message.
    let migrate = |url: String, ca: &Path| {
        Command::new(env!("CARGO_BIN_EXE_txstate-server"))
            .arg("migrate")
            .env("TXSTATE_DATABASE_URL", url)
            .env("TXSTATE_PG_CA_FILE", ca)
            .env("NO_COLOR", "1")
            .output()
            .expect("run")
    };
    let ok = migrate(cluster.url("localhost", "sslmode=verify-full"), &ca_file);
    assert!(ok.status.success(), "{ok:?}");
    let bad = migrate(cluster.url("localhost", "sslmode=verify-full"), &wrong_file);
    assert_eq!(bad.status.code(), Some(1));
    let said = String::from_utf8_lossy(&bad.stdout);
    assert!(said.contains("not signed by a CA in"), "{said}");
}
