//! The in-memory copy of what a writer wrote: recent values per tag, for dashboards that read
//! a run live (no file tailing). Every writer keeps one; [`SummaryView`] is a cheap handle.

use crate::summary::proto::{self, summary::value::Value as ProtoValue, DataType, Event, TensorProto};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Values kept per tag unless configured otherwise.
pub const DEFAULT_VIEW_CAPACITY: usize = 10_000;

/// One summary value as the view keeps it.
#[derive(Clone, Debug, PartialEq)]
pub enum SummaryValue {
    /// A scalar (plugin `scalars`, or a legacy `simple_value`).
    Scalar(f64),
    /// A text value (plugin `text`).
    Text(String),
    /// Histogram buckets `[left_edge, right_edge, count]` (plugin `histograms`).
    Histogram(Vec<[f64; 3]>),
    /// Images (plugin `images`): their size and count, not the PNG bytes.
    Image {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Number of images in the value.
        count: usize,
        /// Total size of the encoded images in bytes.
        bytes: usize,
    },
    /// Any other tensor: its plugin, dtype (`DataType` value) and shape.
    Tensor {
        /// The plugin that owns it (empty when unknown).
        plugin: String,
        /// A `proto::DataType` value.
        dtype: i32,
        /// The dimensions.
        shape: Vec<i64>,
    },
}

/// One value of a tag at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueRow {
    /// The step.
    pub step: i64,
    /// Seconds since the Unix epoch when it was written.
    pub wall_time: f64,
    /// The value.
    pub value: SummaryValue,
}

struct State {
    version: u64,
    order: Vec<String>,
    tags: HashMap<String, VecDeque<ValueRow>>,
    graph: Option<Arc<Vec<u8>>>,
    waiters: usize,
}

struct Inner {
    run: String,
    capacity: usize,
    state: Mutex<State>,
    changed: Condvar,
}

/// A live, bounded view of a run's summaries: recent values per tag and a version that bumps on
/// every write. Cloning shares the same view.
#[derive(Clone)]
pub struct SummaryView(Arc<Inner>);

impl std::fmt::Debug for SummaryView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SummaryView({:?}, version {})", self.0.run, self.version())
    }
}

impl SummaryView {
    /// An empty view of run `run` keeping the last `capacity` values of every tag (at least 1).
    pub fn new(run: &str, capacity: usize) -> SummaryView {
        SummaryView(Arc::new(Inner {
            run: run.to_string(),
            capacity: capacity.max(1),
            state: Mutex::new(State { version: 0, order: Vec::new(), tags: HashMap::new(), graph: None, waiters: 0 }),
            changed: Condvar::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The run's name: its log directory (empty for a no-op writer).
    pub fn run(&self) -> &str {
        &self.0.run
    }

    /// How many values are kept per tag.
    pub fn capacity(&self) -> usize {
        self.0.capacity
    }

    /// Tags in the order of their first value.
    pub fn tags(&self) -> Vec<String> {
        self.lock().order.clone()
    }

    /// The kept values of `tag`, oldest first.
    pub fn values(&self, tag: &str) -> Vec<ValueRow> {
        self.lock().tags.get(tag).map(|q| q.iter().cloned().collect()).unwrap_or_default()
    }

    /// The kept scalars of `tag` as `(step, wall_time, value)`, oldest first.
    pub fn scalars(&self, tag: &str) -> Vec<(i64, f64, f64)> {
        let s = self.lock();
        let Some(q) = s.tags.get(tag) else { return Vec::new() };
        q.iter()
            .filter_map(|r| match r.value {
                SummaryValue::Scalar(v) => Some((r.step, r.wall_time, v)),
                _ => None,
            })
            .collect()
    }

    /// The kept texts of `tag` as `(step, wall_time, text)`, oldest first.
    pub fn texts(&self, tag: &str) -> Vec<(i64, f64, String)> {
        let s = self.lock();
        let Some(q) = s.tags.get(tag) else { return Vec::new() };
        q.iter()
            .filter_map(|r| match &r.value {
                SummaryValue::Text(t) => Some((r.step, r.wall_time, t.clone())),
                _ => None,
            })
            .collect()
    }

    /// The last graph written (a serialized `GraphDef`), if any.
    pub fn graph(&self) -> Option<Arc<Vec<u8>>> {
        self.lock().graph.clone()
    }

    /// A number that grows with every write to the view.
    pub fn version(&self) -> u64 {
        self.lock().version
    }

    /// Blocks until the version exceeds `version` or `timeout` passes; returns the version then.
    pub fn wait_newer(&self, version: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now().checked_add(timeout);
        let mut s = self.lock();
        while s.version <= version {
            let left = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => break,
                },
                None => Duration::from_secs(3600),
            };
            s.waiters += 1;
            let (next, _) = self.0.changed.wait_timeout(s, left).unwrap_or_else(|p| p.into_inner());
            s = next;
            s.waiters -= 1;
        }
        s.version
    }

    fn bump(&self, mut s: MutexGuard<'_, State>) {
        s.version += 1;
        // Waking costs a system call: only when someone waits.
        if s.waiters > 0 {
            drop(s);
            self.0.changed.notify_all();
        }
    }

    /// Adds one value of `tag`.
    pub fn push(&self, tag: &str, row: ValueRow) {
        let mut s = self.lock();
        let capacity = self.0.capacity;
        match s.tags.get_mut(tag) {
            Some(q) => {
                if q.len() >= capacity {
                    q.pop_front();
                }
                q.push_back(row);
            }
            None => {
                s.order.push(tag.to_string());
                s.tags.insert(tag.to_string(), VecDeque::from([row]));
            }
        }
        self.bump(s);
    }

    /// Adds what an event carries: its summary values, or its graph.
    pub fn record_event(&self, event: &Event) {
        match &event.what {
            Some(proto::event::What::Summary(summary)) => {
                for v in &summary.value {
                    if let Some(value) = decode_value(v) {
                        self.push(&v.tag, ValueRow { step: event.step, wall_time: event.wall_time, value });
                    }
                }
            }
            Some(proto::event::What::GraphDef(bytes)) => {
                let mut s = self.lock();
                s.graph = Some(Arc::new(bytes.clone()));
                self.bump(s);
            }
            _ => {}
        }
    }
}

/// What a summary value holds, read through its plugin's conventions (`docs/formats.md` §2).
pub fn decode_value(v: &proto::summary::Value) -> Option<SummaryValue> {
    let plugin = v.metadata.as_ref().and_then(|m| m.plugin_data.as_ref()).map_or("", |p| p.plugin_name.as_str());
    match v.value.as_ref()? {
        ProtoValue::SimpleValue(x) => Some(SummaryValue::Scalar(*x as f64)),
        ProtoValue::Tensor(t) => Some(decode_tensor(plugin, t)),
        ProtoValue::Histo(h) => {
            let mut rows = Vec::with_capacity(h.bucket.len());
            let mut left = h.min;
            for (limit, count) in h.bucket_limit.iter().zip(&h.bucket) {
                rows.push([left, limit.min(h.max), *count]);
                left = *limit;
            }
            Some(SummaryValue::Histogram(rows))
        }
        ProtoValue::Image(i) => Some(SummaryValue::Image {
            width: i.width.max(0) as u32,
            height: i.height.max(0) as u32,
            count: 1,
            bytes: i.encoded_image_string.len(),
        }),
    }
}

fn dims(t: &TensorProto) -> Vec<i64> {
    t.tensor_shape.as_ref().map(|s| s.dim.iter().map(|d| d.size).collect()).unwrap_or_default()
}

/// The elements of a numeric tensor as f64, from `tensor_content` or the typed field.
pub fn tensor_f64s(t: &TensorProto) -> Option<Vec<f64>> {
    fn raw<const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
        bytes.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))).collect()
    }
    let c = &t.tensor_content;
    let dtype = DataType::try_from(t.dtype).ok()?;
    Some(match dtype {
        DataType::DtFloat if !c.is_empty() => raw::<4>(c, |b| f32::from_le_bytes(b) as f64),
        DataType::DtFloat => t.float_val.iter().map(|&x| x as f64).collect(),
        DataType::DtDouble if !c.is_empty() => raw::<8>(c, f64::from_le_bytes),
        DataType::DtDouble => t.double_val.clone(),
        DataType::DtInt32 if !c.is_empty() => raw::<4>(c, |b| i32::from_le_bytes(b) as f64),
        DataType::DtInt32 | DataType::DtInt16 | DataType::DtInt8 | DataType::DtUint8 if c.is_empty() => {
            t.int_val.iter().map(|&x| x as f64).collect()
        }
        DataType::DtInt64 if !c.is_empty() => raw::<8>(c, |b| i64::from_le_bytes(b) as f64),
        DataType::DtInt64 => t.int64_val.iter().map(|&x| x as f64).collect(),
        DataType::DtBool if !c.is_empty() => c.iter().map(|&b| (b != 0) as u8 as f64).collect(),
        DataType::DtBool => t.bool_val.iter().map(|&b| b as u8 as f64).collect(),
        _ => return None,
    })
}

fn decode_tensor(plugin: &str, t: &TensorProto) -> SummaryValue {
    let other = || SummaryValue::Tensor { plugin: plugin.to_string(), dtype: t.dtype, shape: dims(t) };
    match plugin {
        "scalars" => match tensor_f64s(t).as_deref() {
            Some([x]) => SummaryValue::Scalar(*x),
            _ => other(),
        },
        "text" if t.dtype == DataType::DtString as i32 => {
            // A text tensor of several strings shows them one per line, as TensorBoard's table does.
            let parts: Vec<String> = t.string_val.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect();
            SummaryValue::Text(parts.join("\n"))
        }
        "histograms" => match (tensor_f64s(t), dims(t).as_slice()) {
            (Some(v), [_, 3]) => SummaryValue::Histogram(v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()),
            _ => other(),
        },
        "images" if t.dtype == DataType::DtString as i32 && t.string_val.len() >= 2 => {
            let num = |b: &[u8]| std::str::from_utf8(b).ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
            SummaryValue::Image {
                width: num(&t.string_val[0]),
                height: num(&t.string_val[1]),
                count: t.string_val.len() - 2,
                bytes: t.string_val[2..].iter().map(Vec::len).sum(),
            }
        }
        _ => other(),
    }
}
