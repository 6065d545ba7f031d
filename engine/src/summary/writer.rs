//! `SummaryWriter`: appends events to an `events.out.tfevents.*` file on a background thread
//! (`tf.summary.create_file_writer`), and keeps a live in-memory [`SummaryView`].
//!
//! Callers encode and frame each event themselves and append the bytes to a shared pending
//! buffer; the writer's thread writes that buffer out in one call when `max_queue` records are
//! pending, when `flush_millis` have passed, or when asked to by `flush`/`close`/the drop of
//! the last handle. An I/O failure on the thread is reported by the next `flush` or `close`.
//!
//! Rust does not reliably run the destructors of thread-locals (where the default writer
//! lives) at process exit: programs and the REPL call [`flush_all`] before exiting.

use crate::error::{Error, ErrorKind, Result};
use crate::summary::context::{self, DefaultWriterGuard, Step};
use crate::summary::proto::{self, Event};
use crate::summary::record::encode_record;
use crate::summary::view::{SummaryView, DEFAULT_VIEW_CAPACITY};
use prost::Message;
use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Options of [`create_file_writer`] (TensorFlow's defaults).
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Records kept pending before they are written out (TensorFlow: 10).
    pub max_queue: usize,
    /// Longest time pending records wait before being written out, in ms (TensorFlow: 120 000).
    pub flush_millis: u64,
    /// Appended to the event file's name (TensorFlow 2: `.v2`).
    pub filename_suffix: String,
    /// Values kept per tag by the writer's [`SummaryView`].
    pub view_capacity: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_queue: 10,
            flush_millis: 120_000,
            filename_suffix: ".v2".into(),
            view_capacity: DEFAULT_VIEW_CAPACITY,
        }
    }
}

/// The pending records and the progress of the writer thread.
struct Queue {
    pending: Vec<u8>,
    pending_records: usize,
    /// Records handed to the writer so far.
    queued: u64,
    /// Records the thread has written out so far.
    written: u64,
    /// `flush` waits until `written` reaches this.
    flush_target: u64,
    closing: bool,
    stopped: bool,
    thread_waiting: bool,
    flush_waiters: usize,
    error: Option<Error>,
}

/// What the writer thread and the handles share.
struct Shared {
    path: PathBuf,
    max_queue: usize,
    queue: Mutex<Queue>,
    /// Wakes the thread.
    wake: Condvar,
    /// Tells `flush` callers the thread made progress.
    progress: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn closed_error(&self) -> Error {
        Error::new(
            ErrorKind::FailedPrecondition,
            "summary",
            format!("the summary writer of {} is already closed", self.path.display()),
        )
    }

    /// Appends one framed record.
    fn push(&self, record: &[u8]) -> Result<()> {
        let mut q = self.lock();
        if q.closing || q.stopped {
            return Err(self.closed_error());
        }
        q.pending.extend_from_slice(record);
        q.pending_records += 1;
        q.queued += 1;
        // The thread sleeps without a deadline while nothing is pending: the first record
        // starts its `flush_millis` clock, `max_queue` records make it write.
        if q.thread_waiting && (q.pending_records == 1 || q.pending_records >= self.max_queue) {
            q.thread_waiting = false;
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Waits until everything queued so far is written; returns (and clears, with `take`) the
    /// first I/O error the thread met.
    fn flush(&self, take: bool) -> Result<()> {
        let mut q = self.lock();
        let target = q.queued;
        if q.written < target && !q.stopped {
            q.flush_target = q.flush_target.max(target);
            if q.thread_waiting {
                q.thread_waiting = false;
                self.wake.notify_one();
            }
            q.flush_waiters += 1;
            while q.written < target && !q.stopped {
                q = self.progress.wait(q).unwrap_or_else(|p| p.into_inner());
            }
            q.flush_waiters -= 1;
        }
        let error = if take { q.error.take() } else { q.error.clone() };
        error.map_or(Ok(()), Err)
    }

    /// The thread's loop: writes pending records out when due, until closed.
    fn run(self: Arc<Shared>, mut file: File, every: Duration) {
        let mut batch: Vec<u8> = Vec::new();
        let mut last_write = Instant::now();
        loop {
            let (target, closing) = {
                let mut q = self.lock();
                loop {
                    let since = last_write.elapsed();
                    let due = q.pending_records > 0 && (q.pending_records >= self.max_queue || since >= every);
                    if due || q.flush_target > q.written || q.closing {
                        break;
                    }
                    q.thread_waiting = true;
                    q = if q.pending_records > 0 {
                        // A day at most per wait: huge `flush_millis` must not overflow a deadline.
                        let left = (every - since).min(Duration::from_secs(86_400));
                        self.wake.wait_timeout(q, left).unwrap_or_else(|p| p.into_inner()).0
                    } else {
                        self.wake.wait(q).unwrap_or_else(|p| p.into_inner())
                    };
                    q.thread_waiting = false;
                }
                std::mem::swap(&mut batch, &mut q.pending);
                q.pending_records = 0;
                (q.queued, q.closing)
            };
            let result = if batch.is_empty() { Ok(()) } else { file.write_all(&batch).and_then(|_| file.flush()) };
            batch.clear();
            last_write = Instant::now();
            let mut q = self.lock();
            q.written = target;
            if let Err(e) = result {
                if q.error.is_none() {
                    q.error = Some(Error::io("summary writer", &self.path, &e));
                }
            }
            let done = closing && q.pending_records == 0;
            if done {
                q.stopped = true;
            }
            if q.flush_waiters > 0 || done {
                self.progress.notify_all();
            }
            if done {
                return;
            }
        }
    }
}

/// Every live file writer, so that [`flush_all`] can reach writers held in thread-locals.
static LIVE: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

/// Writes out every live summary writer's pending records; call it before the process exits.
/// Returns the first failure.
pub fn flush_all() -> Result<()> {
    let live: Vec<Arc<Shared>> = {
        let mut l = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        l.retain(|w| w.strong_count() > 0);
        l.iter().filter_map(Weak::upgrade).collect()
    };
    let mut first = Ok(());
    for s in live {
        if let Err(e) = s.flush(true) {
            if first.is_ok() {
                first = Err(e);
            }
        }
    }
    first
}

struct FileWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    logdir: PathBuf,
}

impl FileWriter {
    /// Writes out everything and stops the thread; the first I/O error is returned.
    fn close(&self) -> Result<()> {
        {
            let mut q = self.shared.lock();
            q.closing = true;
            q.thread_waiting = false;
            self.shared.wake.notify_one();
        }
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            if h.join().is_err() {
                let mut q = self.shared.lock();
                q.stopped = true;
                return Err(Error::new(
                    ErrorKind::Internal,
                    "summary writer",
                    format!("the writer thread of {} panicked", self.shared.path.display()),
                ));
            }
        }
        self.shared.flush(true)
    }
}

struct Inner {
    file: Option<FileWriter>,
    view: SummaryView,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            // Nothing can receive the error of the last write-out: report it like TensorFlow's log.
            if let Err(e) = f.close() {
                eprintln!("{e}");
            }
        }
    }
}

/// A summary writer (TensorFlow's `tf.summary.SummaryWriter`): cheap to clone; the last handle
/// dropped writes everything out and closes the file.
#[derive(Clone)]
pub struct SummaryWriter(Arc<Inner>);

impl std::fmt::Debug for SummaryWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.file {
            Some(fw) => write!(f, "SummaryWriter({})", fw.shared.path.display()),
            None => write!(f, "SummaryWriter(noop)"),
        }
    }
}

fn hostname() -> String {
    let from_proc = std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|s| s.trim().to_string());
    from_proc
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".into())
}

/// Seconds since the Unix epoch, fractional.
pub(crate) fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Creates `logdir` if needed and a new event file in it (`tf.summary.create_file_writer`).
pub fn create_file_writer(logdir: impl AsRef<Path>, options: WriterOptions) -> Result<SummaryWriter> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const OP: &str = "create_file_writer";
    let logdir = logdir.as_ref().to_path_buf();
    if logdir.exists() && !logdir.is_dir() {
        return Err(Error::new(ErrorKind::FailedPrecondition, OP, format!("{} is not a directory", logdir.display())));
    }
    std::fs::create_dir_all(&logdir).map_err(|e| Error::io(OP, &logdir, &e))?;
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let name = format!(
        "events.out.tfevents.{secs:010}.{}.{}.{}{}",
        hostname(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        options.filename_suffix
    );
    let path = logdir.join(name);
    let mut file = File::create(&path).map_err(|e| Error::io(OP, &path, &e))?;
    // The header is written now, as TensorFlow does: a file that cannot be written fails here.
    let header =
        Event { wall_time: secs as f64, step: 0, what: Some(proto::event::What::FileVersion("brain.Event:2".into())) };
    let mut framed = Vec::new();
    encode_record(&header.encode_to_vec(), &mut framed);
    file.write_all(&framed).and_then(|_| file.flush()).map_err(|e| Error::io(OP, &path, &e))?;
    let shared = Arc::new(Shared {
        path: path.clone(),
        max_queue: options.max_queue.max(1),
        queue: Mutex::new(Queue {
            pending: Vec::new(),
            pending_records: 0,
            queued: 0,
            written: 0,
            flush_target: 0,
            closing: false,
            stopped: false,
            thread_waiting: false,
            flush_waiters: 0,
            error: None,
        }),
        wake: Condvar::new(),
        progress: Condvar::new(),
    });
    let every = Duration::from_millis(options.flush_millis);
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("summary-writer".into())
            .spawn(move || shared.run(file, every))
            .map_err(|e| Error::io(OP, &path, &e))?
    };
    {
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&shared));
    }
    let view = SummaryView::new(&logdir.to_string_lossy(), options.view_capacity);
    Ok(SummaryWriter(Arc::new(Inner {
        file: Some(FileWriter { shared, thread: Mutex::new(Some(thread)), logdir }),
        view,
    })))
}

/// A writer that writes nothing; its `as_default` leaves the current default unchanged, as
/// TensorFlow's `tf.summary.create_noop_writer` does.
pub fn create_noop_writer() -> SummaryWriter {
    SummaryWriter(Arc::new(Inner { file: None, view: SummaryView::new("", 1) }))
}

thread_local! {
    /// Reused encoding buffers: (payload, framed record).
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl SummaryWriter {
    /// Makes this the default writer (and `step` the default step, when given) until the guard
    /// drops; the guard then flushes this writer and restores the previous default and step.
    pub fn as_default(&self, step: Option<Step>) -> DefaultWriterGuard {
        if self.0.file.is_none() {
            return context::inert_guard();
        }
        context::install(self, step)
    }

    /// Makes this the default writer of the thread for good (and `step` the default step).
    pub fn set_as_default(&self, step: Option<Step>) {
        if self.0.file.is_some() {
            context::install_forever(self, step);
        }
    }

    /// Blocks until everything written so far is in the file; reports an earlier I/O failure.
    pub fn flush(&self) -> Result<()> {
        match &self.0.file {
            Some(f) => f.shared.flush(true),
            None => Ok(()),
        }
    }

    /// Like `flush`, but a failure stays to be reported by the next `flush` or `close`.
    pub(crate) fn flush_keep_error(&self) -> Result<()> {
        match &self.0.file {
            Some(f) => f.shared.flush(false),
            None => Ok(()),
        }
    }

    /// Writes everything out and closes the file; later writes fail. Closing twice is harmless.
    pub fn close(&self) -> Result<()> {
        match &self.0.file {
            Some(f) => f.close(),
            None => Ok(()),
        }
    }

    /// True once `close` was called.
    pub fn is_closed(&self) -> bool {
        self.0.file.as_ref().is_some_and(|f| {
            let q = f.shared.lock();
            q.closing || q.stopped
        })
    }

    /// The log directory (`None` for a no-op writer).
    pub fn logdir(&self) -> Option<&Path> {
        self.0.file.as_ref().map(|f| f.logdir.as_path())
    }

    /// The event file (`None` for a no-op writer).
    pub fn path(&self) -> Option<PathBuf> {
        self.0.file.as_ref().map(|f| f.shared.path.clone())
    }

    /// The live in-memory copy of what this writer wrote.
    pub fn view(&self) -> SummaryView {
        self.0.view.clone()
    }

    /// True when both handles are the same writer.
    pub fn same(&self, other: &SummaryWriter) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Appends `event` to the file (summary values and graphs also go to the view).
    pub fn write_event(&self, event: Event) -> Result<()> {
        self.write_event_ref(&event)
    }

    pub(crate) fn write_event_ref(&self, event: &Event) -> Result<()> {
        let Some(f) = &self.0.file else { return Ok(()) };
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let (payload, framed) = &mut *s;
            payload.clear();
            framed.clear();
            event.encode(payload).map_err(|e| Error::new(ErrorKind::Internal, "summary", e.to_string()))?;
            encode_record(payload, framed);
            f.shared.push(framed)
        })?;
        self.0.view.record_event(event);
        Ok(())
    }
}
