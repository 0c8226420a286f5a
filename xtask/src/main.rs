//! Developer tasks: `cargo xtask <task>`. The README's two commands are `cargo xtask run` and
//! `cargo xtask test`; `.ci/run` calls `cargo xtask test`.

// A command-line tool: its closing summary line goes to stdout on purpose.
#![allow(clippy::print_stdout)]

mod tools;
mod ui;
mod verdicts;
mod wasm;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use tools::WASM_TARGET;

/// Debian's Chromium: the browser every browser test drives.
const CHROMIUM: &str = "/usr/bin/chromium";

const HELP: &str = "\
cargo xtask <task>

  run [-- ARGS]  build and run the server with demo data (SQLite in target/run/)
  test           every check CI runs: fmt, clippy, tests, wasm32 build, docs, the npm package,
                 the UI end to end in headless Chromium, newman and schemathesis on a live server
  ui             build the web UI into dist/ (trunk; the server embeds it when built next)
  wasm [test]    build the npm package into wasm/pkg/ and pack it into target/npm/; with
                 `test`, also install the tarball into a fresh project and run its tests
  bench          benchmarks: core vs jsonschema, the npm package vs ajv, the release server
                 vs axum's hello-world under wrk (SQLite; PostgreSQL with one and two
                 servers), dashboards at 1M notifications
  verdicts       native verdicts of JSONL cases on stdin (used by the package's parity test)
  fuzz <target>  cargo fuzz for a while [seconds, default 600]: notify | voice (a validator
                 never fails), json (the body reader against serde_json)
  soak [s] [rps]  the release server fed notifications at a fixed rate for a long time
                 (default 600 s at 8,500/s): errors, latency, memory at start and end
";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("run") => run(&args[1..]),
        Some("bench") => bench(),
        Some("ui") => ui::build(),
        Some("wasm") => wasm::package().and_then(|t| {
            eprintln!("\npacked {}", t.display());
            if args.get(1).map(String::as_str) != Some("test") {
                return Ok(());
            }
            let totals = wasm::test_package(&t)?;
            println!("tests: {} passed, {} failed", totals.passed, totals.failed);
            Ok(())
        }),
        Some("verdicts") => verdicts::run(),
        Some("soak") => soak(
            args.get(1).map(String::as_str),
            args.get(2).map(String::as_str),
        ),
        Some("fuzz") => fuzz(
            args.get(1).map(String::as_str),
            args.get(2).map(String::as_str),
        ),
        Some("help" | "--help" | "-h") | None => {
            eprint!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task '{other}'\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    // `cargo run` (the `cargo xtask` alias) sets it when it starts the task, so a checkout
    // moved since the task was built is still the one worked on; the path it was built in is
    // only the fallback.
    let here = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    here.as_deref()
        .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, echoing it; fails with its exit status.
fn step(title: &str, mut cmd: Command) -> Result {
    eprintln!("\n== {title}\n   $ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("{title}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{title}: failed ({status})"))
    }
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn test() -> Result {
    tools::wasm_target()?;
    // First, so the server the tests build embeds the UI.
    ui::build()?;
    let mut c = cargo();
    c.args(["fmt", "--all", "--check"]);
    step("format", c)?;
    let mut c = cargo();
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]);
    step("clippy", c)?;
    let mut c = cargo();
    c.args(["test", "--workspace", "--locked"]);
    let mut totals = counted_step("tests", c)?;
    let mut c = cargo();
    c.args([
        "check",
        "--locked",
        "-p",
        "txstate-core",
        "-p",
        "txstate-wasm",
        "--target",
        WASM_TARGET,
    ]);
    // (The UI was built for wasm32 by trunk above.)
    step("core and wasm build for wasm32", c)?;
    let mut c = cargo();
    c.args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-D warnings");
    step("docs", c)?;
    let tarball = wasm::package()?;
    totals.add(wasm::test_package(&tarball)?);
    let server = root().join("target/debug/txstate-server");
    totals.add(ui::test(&server)?);
    totals.add(clients(&server)?);
    eprintln!("\nxtask test: every check passed");
    // The closing line CI reads: the sum of every test binary's result.
    println!("tests: {} passed, {} failed", totals.passed, totals.failed);
    Ok(())
}

/// Clients we did not write against the server binary `server`: newman runs the served
/// Postman collection, schemathesis the served OpenAPI document.
fn clients(server: &Path) -> Result<Totals> {
    tools::npm()?;
    let st = tools::schemathesis()?;
    let mut c = Command::new("node");
    c.args([
        "--test",
        "--test-reporter=spec",
        "server/clients/clients.test.mjs",
    ])
    .current_dir(root())
    .env("TXSTATE_SERVER_BIN", server)
    .env("TXSTATE_SCHEMATHESIS", st);
    counted_step("OpenAPI and Postman: schemathesis and newman", c)
}

/// Sums of cargo test's `test result:` lines.
#[derive(Debug, Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.passed += other.passed;
        self.failed += other.failed;
    }

    /// Reads cargo's `test result: ok. N passed; M failed; ...` and node's `ℹ pass N` /
    /// `ℹ fail M` summary lines.
    fn add_line(&mut self, line: &str) {
        let node = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|n| n.trim().parse::<u64>().ok())
        };
        if let Some(n) = node("ℹ pass ") {
            self.passed += n;
            return;
        }
        if let Some(n) = node("ℹ fail ") {
            self.failed += n;
            return;
        }
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let n: u64 = n.parse().unwrap_or(0);
            match kind {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                _ => {}
            }
        }
    }
}

/// Like [`step`], echoing the command's stdout while summing its test results.
fn counted_step(title: &str, mut cmd: Command) -> Result<Totals> {
    use std::io::{BufRead, BufReader};
    eprintln!("\n== {title}\n   $ {cmd:?}");
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{title}: cannot start: {e}"))?;
    let mut totals = Totals::default();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.map_err(|e| format!("{title}: reading output: {e}"))?;
            totals.add_line(&line);
            eprintln!("{line}");
        }
    }
    let status = child.wait().map_err(|e| format!("{title}: {e}"))?;
    if status.success() {
        Ok(totals)
    } else {
        println!("tests: {} passed, {} failed", totals.passed, totals.failed);
        Err(format!("{title}: failed ({status})"))
    }
}

/// Builds the release server and runs it with demo data on SQLite, from `target/run/`. The
/// admin token is generated once and kept in `target/run/admin-token`, so it can be shown at
/// every start; extra arguments go to the server (`cargo xtask run -- --bind 0.0.0.0:8080`).
fn run(extra: &[String]) -> Result {
    ui::build()?;
    let mut c = cargo();
    c.args(["build", "--locked", "--release", "-p", "txstate-server"]);
    step("build the server (release)", c)?;
    let dir = root().join("target/run");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let token_file = dir.join("admin-token");
    let token = match env::var("TXSTATE_ADMIN_TOKEN") {
        Ok(t) => t,
        Err(_) => match std::fs::read_to_string(&token_file) {
            Ok(t) if t.trim().len() >= 16 => t.trim().to_owned(),
            _ => {
                let t = random_token()?;
                std::fs::write(&token_file, &t)
                    .map_err(|e| format!("{}: {e}", token_file.display()))?;
                t
            }
        },
    };
    eprintln!(
        "\n== txstate: demo data on SQLite ({})",
        dir.join("txstate.db").display()
    );
    eprintln!(
        "   admin token: {token}   (kept in {})",
        token_file.display()
    );
    let mut server = Command::new(root().join("target/release/txstate-server"));
    server
        .args(extra.iter().skip_while(|a| *a == "--"))
        .current_dir(&dir)
        .env("TXSTATE_ADMIN_TOKEN", &token)
        .env("TXSTATE_DEMO", "true");
    step("txstate-server (Ctrl-C stops it)", server)
}

/// 32 random bytes from the OS as hex.
fn random_token() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn bench() -> Result {
    let mut c = cargo();
    c.args([
        "bench",
        "--locked",
        "-p",
        "txstate-core",
        "--bench",
        "validate",
    ]);
    step("core validation benchmark (criterion)", c)?;
    wasm::package()?;
    let mut c = Command::new("node");
    c.arg("wasm/bench/ajv.mjs").current_dir(root());
    step("npm package vs ajv (Node)", c)?;
    tools::wrk()?;
    let mut c = cargo();
    c.args([
        "build",
        "--release",
        "--locked",
        "-p",
        "txstate-server",
        "--bin",
        "txstate-server",
        "--example",
        "hello",
    ]);
    step("build the release server and the hello-world anchor", c)?;
    let mut c = Command::new("bash");
    c.args([
        "server/benches/wrk/compare.sh",
        "target/release/txstate-server",
        "target/release/examples/hello",
    ])
    .current_dir(root());
    step(
        "notify under wrk: hello-world, SQLite, PostgreSQL with one and with two servers",
        c,
    )?;
    step(
        "dashboards and report at 1M notifications",
        server_bench("dashboards"),
    )
}

/// `cargo bench` of one of the server's benchmarks (`server/benches/<name>.rs`).
fn server_bench(name: &str) -> Command {
    let mut c = cargo();
    c.args(["bench", "--locked", "-p", "txstate-server", "--bench", name]);
    c
}

fn fuzz(target: Option<&str>, seconds: Option<&str>) -> Result {
    let target = match target {
        Some(t @ ("notify" | "voice" | "json")) => t,
        _ => {
            return Err(format!(
                "fuzz needs a target: notify | voice | json\n\n{HELP}"
            ))
        }
    };
    let seconds = seconds.unwrap_or("600");
    if output("cargo", &["fuzz", "--version"]).is_none() {
        let mut c = cargo();
        c.args(["install", "cargo-fuzz", "--locked"]);
        step("install cargo-fuzz", c)?;
    }
    let mut c = cargo();
    // cargo fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
    c.env("RUSTC_BOOTSTRAP", "1")
        .args([
            "fuzz",
            "run",
            target,
            "--",
            &format!("-max_total_time={seconds}"),
        ])
        .current_dir(root().join("fuzz"));
    step(&format!("fuzz {target} for {seconds} s"), c)
}

/// The soak run: `server/benches/soak.rs` with its duration and rate.
fn soak(seconds: Option<&str>, rate: Option<&str>) -> Result {
    let mut c = server_bench("soak");
    c.env("TXSTATE_SOAK_SECONDS", seconds.unwrap_or("600"))
        .env("TXSTATE_SOAK_RATE", rate.unwrap_or("8500"));
    step("soak", c)
}

#[cfg(test)]
mod tests {
    use super::Totals;

    #[test]
    fn sums_cargo_test_result_lines() {
        let mut t = Totals::default();
        t.add_line("test result: ok. 21 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        t.add_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        t.add_line("running 4 tests");
        t.add_line("ℹ pass 190");
        t.add_line("ℹ fail 1");
        t.add_line("ℹ tests 191");
        assert_eq!((t.passed, t.failed), (214, 3));
    }
}
