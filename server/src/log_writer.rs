//! Where the log's lines go: gathered in memory and written to stdout by one thread, every
//! [`FLUSH_EVERY`] or as soon as [`SOON_BYTES`] are waiting, so that a request's access-log
//! line costs a copy into a buffer, not a wake-up of a writer thread and a `write` of its own.
//!
//! Hand-written because `tracing-appender`'s non-blocking writer (used before) wakes its thread
//! for every line: with one access-log line a request, that wake-up, the thread's `write` and
//! its going back to sleep cost ~3 µs of CPU a request under load, 6 % of what a notification
//! costs the server (docs/benchmarks.md, "The access log"). Like it, a stdout that does not keep up
//! never holds up a request: past [`MAX_BYTES`] waiting, lines are dropped and counted, and
//! the count is written when the writer catches up. Dropping the [`Guard`] writes what is left
//! (a panic unwinds through `main`, which holds it), waiting at most [`SHUTDOWN_WAIT`] for a
//! stdout that does not take it, as tracing-appender's guard did; a process killed outright
//! loses at most the last [`FLUSH_EVERY`] of lines, as the queue of the writer before could be
//! lost.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// A line waits at most this long before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// This much waiting wakes the writer before its time.
pub const SOON_BYTES: usize = 64 * 1024;
/// Past this much waiting, lines are dropped (and counted).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// How long dropping the [`Guard`] waits for the last lines to be written: a stdout that takes
/// nothing must not keep the process from exiting.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// The lines waiting, shared by the threads that log and the one that writes.
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Lines to write, or closing: for the writer.
    ready: Condvar,
    /// The writer has written its last lines: for the guard.
    finished: Condvar,
}

#[derive(Debug, Default)]
struct State {
    lines: Vec<u8>,
    dropped: u64,
    closing: bool,
    /// Set by the writer when it stops.
    done: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while holding it left whole lines only.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The `MakeWriter` of the log's subscriber.
#[derive(Clone, Debug)]
pub struct Batched {
    shared: Arc<Shared>,
}

/// Writes the lines still waiting and stops the writer thread when dropped: keep it until the
/// end of `main`.
#[derive(Debug)]
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the thread that writes the lines to `out`.
pub fn batched<W: Write + Send + 'static>(mut out: W) -> (Batched, Guard) {
    let shared = Arc::new(Shared::default());
    let theirs = shared.clone();
    let thread = std::thread::Builder::new()
        .name("txstate-log".into())
        .spawn(move || {
            write_loop(&theirs, &mut out);
            theirs.lock().done = true;
            theirs.finished.notify_all();
        })
        .map_err(|e| eprintln!("txstate-server: no log writer thread ({e}); logging to nowhere"))
        .ok();
    (
        Batched {
            shared: shared.clone(),
        },
        Guard { shared, thread },
    )
}

fn write_loop(shared: &Shared, out: &mut impl Write) {
    let mut batch = Vec::new();
    loop {
        let (closing, dropped) = {
            let mut s = shared.lock();
            if !s.closing && s.lines.len() < SOON_BYTES {
                s = shared
                    .ready
                    .wait_timeout(s, FLUSH_EVERY)
                    .map_or_else(|p| p.into_inner().0, |(s, _)| s);
            }
            std::mem::swap(&mut s.lines, &mut batch);
            (s.closing, std::mem::take(&mut s.dropped))
        };
        if dropped > 0 {
            let _ = writeln!(
                batch,
                "txstate-server: {dropped} log lines dropped: stdout did not keep up"
            );
        }
        if !batch.is_empty() {
            // A closed or failing stdout loses lines, never a request.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
            if batch.capacity() > SOON_BYTES * 4 {
                batch = Vec::new();
            }
        }
        if closing {
            return;
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.ready.notify_one();
        let Some(thread) = self.thread.take() else {
            return;
        };
        let s = self.shared.lock();
        let done = self
            .shared
            .finished
            .wait_timeout_while(s, SHUTDOWN_WAIT, |s| !s.done)
            .is_ok_and(|(s, _)| s.done);
        if done {
            let _ = thread.join();
        }
        // Otherwise the thread is left blocked on stdout; the process exits without it.
    }
}

/// One event's line: `tracing-subscriber` formats a line whole and writes it with one
/// `write_all`, so lines never interleave.
#[derive(Debug)]
pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self.0.lock();
        if s.lines.len() + buf.len() > MAX_BYTES {
            s.dropped += 1;
            return Ok(buf.len());
        }
        let was_below = s.lines.len() < SOON_BYTES;
        s.lines.extend_from_slice(buf);
        if was_below && s.lines.len() >= SOON_BYTES {
            self.0.ready.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test reads back, counting the writes that reach it.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut s = self.0.lock().expect("sink");
            s.0.extend_from_slice(buf);
            s.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_of_every_thread_is_written_whole_and_in_its_order_by_the_guard_at_the_latest() {
        let sink = Sink::default();
        let (make, guard) = batched(sink.clone());
        std::thread::scope(|s| {
            for t in 0..4 {
                let make = &make;
                s.spawn(move || {
                    for i in 0..5_000 {
                        let line = format!("thread {t} line {i} {}\n", "x".repeat(i % 97));
                        make.make_writer()
                            .write_all(line.as_bytes())
                            .expect("write");
                    }
                });
            }
        });
        drop(guard);
        let (bytes, writes) = sink.0.lock().expect("sink").clone();
        let text = String::from_utf8(bytes).expect("UTF-8");
        let mut next = [0usize; 4];
        for line in text.lines() {
            let mut words = line.split(' ');
            let t: usize = words.nth(1).expect("thread").parse().expect("t");
            let i: usize = words.nth(1).expect("line").parse().expect("i");
            assert_eq!(i, next[t], "thread {t}: {line}");
            assert_eq!(words.next().unwrap_or("").len(), i % 97, "{line}");
            next[t] += 1;
        }
        assert_eq!(next, [5_000; 4]);
        // Gathered: far fewer writes than lines.
        assert!(writes < 20_000 / 10, "{writes} writes for 20,000 lines");
    }

    /// A stdout that does not take anything until the test opens its gate.
    #[derive(Clone)]
    struct Stuck(Arc<(Mutex<bool>, Condvar)>, Sink);

    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (open, cv) = &*self.0;
            let mut o = open.lock().expect("gate");
            while !*o {
                o = cv.wait(o).expect("gate");
            }
            self.1.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_guard_does_not_wait_for_ever_on_a_stdout_that_takes_nothing() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let sink = Sink::default();
        let (make, guard) = batched(Stuck(gate.clone(), sink.clone()));
        make.make_writer()
            .write_all(b"never taken\n")
            .expect("write");
        // Returns (after at most SHUTDOWN_WAIT) although the writer is blocked on stdout.
        drop(guard);
        assert!(sink.0.lock().expect("sink").0.is_empty());
        assert!(!make.shared.lock().done);
        // Let the writer go: it writes what it held and stops.
        *gate.0.lock().expect("gate") = true;
        gate.1.notify_all();
        let mut s = make.shared.lock();
        while !s.done {
            s = make.shared.finished.wait(s).expect("finished");
        }
        drop(s);
        assert_eq!(sink.0.lock().expect("sink").0, b"never taken\n");
    }

    #[test]
    fn lines_past_the_limit_are_dropped_counted_and_said() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let sink = Sink::default();
        let (make, guard) = batched(Stuck(gate.clone(), sink.clone()));
        // The writer takes the first line, then blocks on the stuck stdout with it.
        make.make_writer().write_all(b"first\n").expect("write");
        while !make.shared.lock().lines.is_empty() {
            std::thread::yield_now();
        }
        let line = vec![b'y'; 1023];
        let fit = MAX_BYTES / 1024;
        for _ in 0..fit + 7 {
            let mut l = line.clone();
            l.push(b'\n');
            make.make_writer().write_all(&l).expect("write");
        }
        assert_eq!(make.shared.lock().dropped, 7);
        *gate.0.lock().expect("gate") = true;
        gate.1.notify_all();
        drop(guard);
        let text = String::from_utf8(sink.0.lock().expect("sink").0.clone()).expect("UTF-8");
        assert_eq!(text.lines().filter(|l| l.len() == 1023).count(), fit);
        assert!(text.starts_with("first\n"), "{}", &text[..20]);
        assert!(
            text.contains("txstate-server: 7 log lines dropped: stdout did not keep up\n"),
            "no count"
        );
    }
}
