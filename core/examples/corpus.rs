//! Validates the benchmark corpus (`core/benches/support/corpus.rs`) a number of times: the
//! loop to count instructions on, since callgrind's counts repeat where timings do not.
//!
//! ```sh
//! cargo build --profile bench -p txstate-core --example corpus
//! valgrind --tool=callgrind target/release/examples/corpus 100 [group]
//! ```
//!
//! Run it with 0 passes too and subtract: what is left is validation alone. `group` keeps only
//! the fixtures of one expected code (`1100`, `499`, `voice-ok`, ...), or `typical-notify`
//! (`typical-notify:N` for its Nth body alone, from 0), or `#N` for the corpus's Nth body alone
//! (from 0, in `support::corpus()`'s order: notify's fixtures then voice's, by file name).

use std::hint::black_box;

#[path = "../benches/support/corpus.rs"]
mod support;

use txstate_core::{validate, Options};

fn main() {
    let mut args = std::env::args().skip(1);
    let passes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let only = args.next();
    // The typical bodies are fixtures of group 1100 too: only asked for by name.
    let corpus: Vec<_> = match only.as_deref() {
        Some("typical-notify") => support::typical_notify(),
        Some(o) if o.starts_with("typical-notify:") => {
            let n: usize = o["typical-notify:".len()..]
                .parse()
                .expect("typical-notify:N");
            vec![support::typical_notify().swap_remove(n)]
        }
        Some(o) if o.starts_with('#') => {
            let n: usize = o[1..].parse().expect("#N");
            vec![support::corpus().swap_remove(n)]
        }
        _ => support::corpus()
            .into_iter()
            .filter(|(group, _, _)| only.as_ref().is_none_or(|o| o == group))
            .collect(),
    };
    let catalog = support::demo_catalog();
    let opts = Options {
        catalog: Some(&catalog),
        now_ms: Some(1_700_000_000_000),
        ..Options::default()
    };
    for _ in 0..passes {
        for (_, api, body) in &corpus {
            black_box(validate(*api, black_box(body), &opts));
        }
    }
    eprintln!("{} bodies x {passes} passes", corpus.len());
}
