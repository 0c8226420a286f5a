//! txstate-server: the authoritative axum server. Not written yet: `cargo xtask run` says so.

fn main() {
    eprintln!("txstate-server is not written yet; see README, \"Status\".");
    std::process::exit(2);
}
