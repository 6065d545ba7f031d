//! Seeded random number generation, bit-compatible with TensorFlow on CPU.
//!
//! - [`Philox`]: the Philox4x32-10 counter-based generator (128-bit counter, 64-bit key).
//! - Distributions as TensorFlow's `random_distributions.h`: uniform floats from 23/52
//!   mantissa bits, normals by Box–Muller, truncated normals by rejection at 2 std, integers
//!   by modulo. Output element `i` depends only on the key, the counter and `i`, so large
//!   outputs are filled in parallel with values identical to a sequential fill.
//! - Seeds for stateful ops: a thread-local global seed ([`set_seed`]) plus op seeds
//!   ([`get_seed`]), and per-(op, dtype, seeds) counters like TensorFlow's cached eager kernels.
//! - [`Generator`]: `tf.random.Generator` with the Philox algorithm, its state in a variable.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variable::Variable;
use crate::DType;
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const PHILOX_W32A: u32 = 0x9E37_79B9;
const PHILOX_W32B: u32 = 0xBB67_AE85;
const PHILOX_M4X32A: u32 = 0xD251_1F53;
const PHILOX_M4X32B: u32 = 0xCD9E_8D57;

/// Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3"), with
/// TensorFlow's counter/key layout: each call yields 4 `u32`s and advances the counter by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Philox {
    counter: [u32; 4],
    key: [u32; 2],
}

#[inline(always)]
fn mul_hi_lo(a: u32, b: u32) -> (u32, u32) {
    let p = (a as u64) * (b as u64);
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn philox_round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mul_hi_lo(PHILOX_M4X32A, c[0]);
    let (hi1, lo1) = mul_hi_lo(PHILOX_M4X32B, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// The 10-round Philox block function.
#[inline(always)]
fn philox_block(mut c: [u32; 4], mut k: [u32; 2]) -> [u32; 4] {
    for _ in 0..9 {
        c = philox_round(c, k);
        k[0] = k[0].wrapping_add(PHILOX_W32A);
        k[1] = k[1].wrapping_add(PHILOX_W32B);
    }
    philox_round(c, k)
}

impl Philox {
    /// A generator with an explicit 128-bit counter and 64-bit key (as 32-bit words, low first).
    pub fn new(counter: [u32; 4], key: [u32; 2]) -> Philox {
        Philox { counter, key }
    }

    /// TensorFlow's `PhiloxRandom(seed_lo, seed_hi)`: key from `seed_lo`, upper counter from `seed_hi`.
    pub fn from_seeds(seed_lo: u64, seed_hi: u64) -> Philox {
        Philox {
            counter: [0, 0, seed_hi as u32, (seed_hi >> 32) as u32],
            key: [seed_lo as u32, (seed_lo >> 32) as u32],
        }
    }

    /// A generator from 64-bit counter words `[low, high]` and a 64-bit key (a `Generator` state).
    pub fn from_counter_key(counter: [u64; 2], key: u64) -> Philox {
        Philox {
            counter: [counter[0] as u32, (counter[0] >> 32) as u32, counter[1] as u32, (counter[1] >> 32) as u32],
            key: [key as u32, (key >> 32) as u32],
        }
    }

    /// The key and counter of a stateless op seeded with `seed` (TensorFlow's seed scrambling:
    /// one Philox block over the seed under a fixed key).
    pub fn from_stateless_seed(seed: [i64; 2]) -> Philox {
        let (s0, s1) = (seed[0] as u64, seed[1] as u64);
        let counter = [s0 as u32, (s0 >> 32) as u32, s1 as u32, (s1 >> 32) as u32];
        let mix = philox_block(counter, [0x3ec8_f720, 0x0246_1e29]);
        Philox { counter: [0, 0, mix[2], mix[3]], key: [mix[0], mix[1]] }
    }

    /// The counter, as 32-bit words (low first).
    pub fn counter(&self) -> [u32; 4] {
        self.counter
    }

    /// The key, as 32-bit words (low first).
    pub fn key(&self) -> [u32; 2] {
        self.key
    }

    /// The counter as 64-bit words `[low, high]`.
    pub fn counter_u64(&self) -> [u64; 2] {
        [
            self.counter[0] as u64 | (self.counter[1] as u64) << 32,
            self.counter[2] as u64 | (self.counter[3] as u64) << 32,
        ]
    }

    /// The key as one 64-bit word.
    pub fn key_u64(&self) -> u64 {
        self.key[0] as u64 | (self.key[1] as u64) << 32
    }

    /// Advances the counter by `count` blocks (carry rules exactly as TensorFlow's `Skip`).
    pub fn skip(&mut self, count: u64) {
        let count_lo = count as u32;
        let mut count_hi = (count >> 32) as u32;
        self.counter[0] = self.counter[0].wrapping_add(count_lo);
        if self.counter[0] < count_lo {
            count_hi = count_hi.wrapping_add(1);
        }
        self.counter[1] = self.counter[1].wrapping_add(count_hi);
        if self.counter[1] < count_hi {
            self.counter[2] = self.counter[2].wrapping_add(1);
            if self.counter[2] == 0 {
                self.counter[3] = self.counter[3].wrapping_add(1);
            }
        }
    }

    /// The next block of 4 random words.
    #[inline(always)]
    pub fn next_block(&mut self) -> [u32; 4] {
        let out = philox_block(self.counter, self.key);
        self.counter[0] = self.counter[0].wrapping_add(1);
        if self.counter[0] == 0 {
            self.counter[1] = self.counter[1].wrapping_add(1);
            if self.counter[1] == 0 {
                self.counter[2] = self.counter[2].wrapping_add(1);
                if self.counter[2] == 0 {
                    self.counter[3] = self.counter[3].wrapping_add(1);
                }
            }
        }
        out
    }
}

/// Hands out a generator's words one at a time (TensorFlow's `SingleSampleAdapter`).
pub(crate) struct SingleSample<'a> {
    gen: &'a mut Philox,
    buf: [u32; 4],
    used: usize,
}

impl SingleSample<'_> {
    /// Words from `gen`, starting at its next block.
    pub(crate) fn new(gen: &mut Philox) -> SingleSample<'_> {
        SingleSample { gen, buf: [0; 4], used: 4 }
    }

    /// The next word.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> u32 {
        if self.used == 4 {
            self.buf = self.gen.next_block();
            self.used = 0;
        }
        let v = self.buf[self.used];
        self.used += 1;
        v
    }
}

/// A float in `[0, 1)` from the low 23 bits of `x`.
#[inline(always)]
pub fn uint32_to_float(x: u32) -> f32 {
    f32::from_bits((127u32 << 23) | (x & 0x7f_ffff)) - 1.0
}

/// A double in `[0, 1)` from the low 20 bits of `hi` and all bits of `lo`.
#[inline(always)]
pub fn uint64_to_double(hi: u32, lo: u32) -> f64 {
    let man = ((hi & 0xf_ffff) as u64) << 32 | lo as u64;
    f64::from_bits((1023u64 << 52) | man) - 1.0
}

/// Box–Muller on two words, in float arithmetic as TensorFlow computes it.
#[inline(always)]
fn box_muller_f32(x0: u32, x1: u32) -> (f32, f32) {
    let mut u1 = uint32_to_float(x0);
    if u1 < 1.0e-7 {
        u1 = 1.0e-7;
    }
    // `2.0f * M_PI * u` is evaluated in double in the C++ source, then rounded to float.
    let v1 = (2.0 * std::f64::consts::PI * uint32_to_float(x1) as f64) as f32;
    let u2 = (-2.0f32 * u1.ln()).sqrt();
    let (s, c) = (v1.sin(), v1.cos());
    (s * u2, c * u2)
}

/// Box–Muller on four words (two doubles), as TensorFlow computes it.
#[inline(always)]
fn box_muller_f64(x0: u32, x1: u32, x2: u32, x3: u32) -> (f64, f64) {
    let mut u1 = uint64_to_double(x0, x1);
    if u1 < 1.0e-7 {
        u1 = 1.0e-7;
    }
    let v1 = 2.0 * std::f64::consts::PI * uint64_to_double(x2, x3);
    let u2 = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (v1.sin(), v1.cos());
    (s * u2, c * u2)
}

/// A distribution over output groups: group `g` is computed from `base` advanced by
/// `g * STRIDE` blocks, so any range of groups can be filled independently.
pub(crate) trait Distribution: Sync {
    /// Element type.
    type Out: Copy + Send + Sync;
    /// Elements per group.
    const GROUP: usize;
    /// Philox blocks reserved per group.
    const STRIDE: u64;
    /// The group starting at `gen`'s counter.
    fn sample(&self, gen: &mut Philox) -> [Self::Out; 4];
}

/// Uniform `[0, 1)` floats (4 per block).
pub(crate) struct UniformF32;
impl Distribution for UniformF32 {
    type Out = f32;
    const GROUP: usize = 4;
    const STRIDE: u64 = 1;
    #[inline(always)]
    fn sample(&self, gen: &mut Philox) -> [f32; 4] {
        gen.next_block().map(uint32_to_float)
    }
}

/// Uniform `[0, 1)` doubles (2 per block).
pub(crate) struct UniformF64;
impl Distribution for UniformF64 {
    type Out = f64;
    const GROUP: usize = 2;
    const STRIDE: u64 = 1;
    #[inline(always)]
    fn sample(&self, gen: &mut Philox) -> [f64; 4] {
        let s = gen.next_block();
        [uint64_to_double(s[0], s[1]), uint64_to_double(s[2], s[3]), 0.0, 0.0]
    }
}

/// Standard normal floats (4 per block).
pub(crate) struct NormalF32;
impl Distribution for NormalF32 {
    type Out = f32;
    const GROUP: usize = 4;
    const STRIDE: u64 = 1;
    #[inline(always)]
    fn sample(&self, gen: &mut Philox) -> [f32; 4] {
        let s = gen.next_block();
        let (a, b) = box_muller_f32(s[0], s[1]);
        let (c, d) = box_muller_f32(s[2], s[3]);
        [a, b, c, d]
    }
}

/// Standard normal doubles (2 per block).
pub(crate) struct NormalF64;
impl Distribution for NormalF64 {
    type Out = f64;
    const GROUP: usize = 2;
    const STRIDE: u64 = 1;
    #[inline(always)]
    fn sample(&self, gen: &mut Philox) -> [f64; 4] {
        let s = gen.next_block();
        let (a, b) = box_muller_f64(s[0], s[1], s[2], s[3]);
        [a, b, 0.0, 0.0]
    }
}

/// Normal floats with `|x| < 2` by rejection; 256 words reserved per output element.
pub(crate) struct TruncatedF32;
impl Distribution for TruncatedF32 {
    type Out = f32;
    const GROUP: usize = 4;
    const STRIDE: u64 = 256;
    fn sample(&self, gen: &mut Philox) -> [f32; 4] {
        let mut src = SingleSample::new(gen);
        let mut out = [0.0f32; 4];
        let mut n = 0;
        loop {
            let (x0, x1) = (src.next(), src.next());
            let (a, b) = box_muller_f32(x0, x1);
            for v in [a, b] {
                if v.abs() < 2.0 {
                    out[n] = v;
                    n += 1;
                    if n == 4 {
                        return out;
                    }
                }
            }
        }
    }
}

/// Normal doubles with `|x| < 2` by rejection; 256 words reserved per output element.
pub(crate) struct TruncatedF64;
impl Distribution for TruncatedF64 {
    type Out = f64;
    const GROUP: usize = 2;
    const STRIDE: u64 = 128;
    fn sample(&self, gen: &mut Philox) -> [f64; 4] {
        let mut src = SingleSample::new(gen);
        let mut out = [0.0f64; 4];
        let mut n = 0;
        loop {
            let (x0, x1, x2, x3) = (src.next(), src.next(), src.next(), src.next());
            let (a, b) = box_muller_f64(x0, x1, x2, x3);
            for v in [a, b] {
                if v.abs() < 2.0 {
                    out[n] = v;
                    n += 1;
                    if n == 2 {
                        return out;
                    }
                }
            }
        }
    }
}

/// Integers in `[lo, lo + range)` by `word % range` (TensorFlow's slightly biased rule).
pub(crate) struct UniformI32 {
    lo: i32,
    range: u32,
}
impl Distribution for UniformI32 {
    type Out = i32;
    const GROUP: usize = 4;
    const STRIDE: u64 = 1;
    #[inline(always)]
    fn sample(&self, gen: &mut Philox) -> [i32; 4] {
        gen.next_block().map(|w| self.lo.wrapping_add((w % self.range) as i32))
    }
}

/// 64-bit integers in `[lo, lo + range)` from two words each.
pub(crate) struct UniformI64 {
    lo: i64,
    range: u64,
}
impl Distribution for UniformI64 {
    type Out = i64;
    const GROUP: usize = 2;
    const STRIDE: u64 = 1;
    #[inline(always)]
    fn sample(&self, gen: &mut Philox) -> [i64; 4] {
        let s = gen.next_block();
        let a = s[0] as u64 | (s[1] as u64) << 32;
        let b = s[2] as u64 | (s[3] as u64) << 32;
        [self.lo.wrapping_add((a % self.range) as i64), self.lo.wrapping_add((b % self.range) as i64), 0, 0]
    }
}

/// Elements per parallel work item (a multiple of every group size).
const CHUNK: usize = 8192;
/// Outputs at least this large are filled on the rayon pool.
const PARALLEL_MIN: usize = 32 * 1024;

/// Fills `out` from `dist` starting at `base`; independent of how the work is split.
pub(crate) fn fill<D: Distribution>(base: Philox, dist: &D, out: &mut [D::Out]) {
    let fill_chunk = |chunk_index: usize, chunk: &mut [D::Out]| {
        let first_group = (chunk_index * CHUNK / D::GROUP) as u64;
        for (k, dst) in chunk.chunks_mut(D::GROUP).enumerate() {
            let mut gen = base;
            gen.skip((first_group + k as u64).wrapping_mul(D::STRIDE));
            let vals = dist.sample(&mut gen);
            dst.copy_from_slice(&vals[..dst.len()]);
        }
    };
    if out.len() >= PARALLEL_MIN {
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(i, c)| fill_chunk(i, c));
    } else {
        out.chunks_mut(CHUNK).enumerate().for_each(|(i, c)| fill_chunk(i, c));
    }
}

/// A zeroed buffer of `n` elements, or an error (instead of an abort) when it cannot be allocated.
pub(crate) fn alloc<T: Copy + Default>(op: &str, n: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::new(
            crate::ErrorKind::ResourceExhausted,
            op,
            format!("cannot allocate {n} elements of {} bytes", std::mem::size_of::<T>()),
        )
    })?;
    v.resize(n, T::default());
    Ok(v)
}

/// The float distributions of the random ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatDist {
    /// Uniform in `[0, 1)`.
    Uniform,
    /// Standard normal.
    Normal,
    /// Standard normal restricted to `(-2, 2)`.
    TruncatedNormal,
}

/// A float tensor of `shape` with values of `dist` drawn from `base`.
pub(crate) fn float_tensor(op: &str, dist: FloatDist, dtype: DType, shape: &[usize], base: Philox) -> Result<Tensor> {
    crate::shape::check_allocation(op, dtype, shape)?;
    let n = crate::shape::num_elements(shape);
    match dtype {
        DType::F32 => {
            let mut v = alloc::<f32>(op, n)?;
            match dist {
                FloatDist::Uniform => fill(base, &UniformF32, &mut v),
                FloatDist::Normal => fill(base, &NormalF32, &mut v),
                FloatDist::TruncatedNormal => fill(base, &TruncatedF32, &mut v),
            }
            Tensor::from_vec(v, shape)
        }
        DType::F64 => {
            let mut v = alloc::<f64>(op, n)?;
            match dist {
                FloatDist::Uniform => fill(base, &UniformF64, &mut v),
                FloatDist::Normal => fill(base, &NormalF64, &mut v),
                FloatDist::TruncatedNormal => fill(base, &TruncatedF64, &mut v),
            }
            Tensor::from_vec(v, shape)
        }
        other => Err(Error::invalid(op, format!("dtype {other} is not supported; expected float32 or float64"))),
    }
}

/// An integer tensor of `shape` uniform in `[lo, hi)` drawn from `base` (requires `lo < hi`).
pub(crate) fn int_tensor(op: &str, dtype: DType, shape: &[usize], lo: i64, hi: i64, base: Philox) -> Result<Tensor> {
    crate::shape::check_allocation(op, dtype, shape)?;
    let n = crate::shape::num_elements(shape);
    match dtype {
        DType::I32 => {
            let (lo, hi) = (lo as i32, hi as i32);
            let mut v = alloc::<i32>(op, n)?;
            fill(base, &UniformI32 { lo, range: (hi as u32).wrapping_sub(lo as u32) }, &mut v);
            Tensor::from_vec(v, shape)
        }
        DType::I64 => {
            let mut v = alloc::<i64>(op, n)?;
            fill(base, &UniformI64 { lo, range: (hi as u64).wrapping_sub(lo as u64) }, &mut v);
            Tensor::from_vec(v, shape)
        }
        other => Err(Error::invalid(op, format!("dtype {other} is not supported; expected int32 or int64"))),
    }
}

/// MT19937 with CPython's seeding, so op seeds derived from a global seed follow the same
/// sequence as TensorFlow's eager context (`random.Random(seed).randint(0, 2**31 - 1)`).
#[derive(Clone)]
struct Mt19937 {
    mt: Box<[u32; 624]>,
    index: usize,
}

impl Mt19937 {
    fn init_genrand(s: u32) -> Mt19937 {
        let mut mt = Box::new([0u32; 624]);
        mt[0] = s;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32.wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        Mt19937 { mt, index: 624 }
    }

    /// CPython's `random.Random(seed)` for an integer seed.
    fn from_python_seed(seed: i64) -> Mt19937 {
        let a = seed.unsigned_abs();
        let key: Vec<u32> = if a >> 32 == 0 { vec![a as u32] } else { vec![a as u32, (a >> 32) as u32] };
        let mut g = Mt19937::init_genrand(19_650_218);
        let mt = &mut g.mt;
        let n = 624usize;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..n.max(key.len()) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525)).wrapping_add(key[j]).wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= n {
                mt[0] = mt[n - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..n - 1 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= n {
                mt[0] = mt[n - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        g
    }

    fn next_u32(&mut self) -> u32 {
        const N: usize = 624;
        const M: usize = 397;
        if self.index >= N {
            let mt = &mut self.mt;
            for k in 0..N {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % N] & 0x7fff_ffff);
                let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                mt[k] = mt[(k + M) % N] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `randint(0, 2**31 - 1)`: 32 bits, rejected until below 2**31.
    fn randint_maxint32(&mut self) -> i64 {
        loop {
            let r = self.next_u32();
            if r < 0x8000_0000 {
                return r as i64;
            }
        }
    }
}

/// TensorFlow's default global seed, used when only an op seed is given.
pub const DEFAULT_GRAPH_SEED: i64 = 87_654_321;
const MAXINT32: i64 = (1 << 31) - 1;
/// Kernel counters kept per generation before older ones may be dropped.
const KERNEL_CACHE_GENERATION: usize = 1 << 16;

/// The counter state of one stateful random kernel, keyed like TF's eager kernel cache.
type KernelKey = (&'static str, DType, i64, i64);

#[derive(Default)]
struct SeedState {
    global: Option<i64>,
    op_seeds: Option<Mt19937>,
    // Two generations approximate an LRU: counters unused for a whole generation are dropped.
    kernels: HashMap<KernelKey, Philox>,
    old_kernels: HashMap<KernelKey, Philox>,
}

thread_local! {
    static SEEDS: RefCell<SeedState> = RefCell::new(SeedState::default());
}

/// Sets (or with `None` clears) this thread's global seed, as `tf.random.set_seed`: it also
/// restarts the op-seed sequence and resets the counters of every stateful random op.
pub fn set_seed(seed: impl Into<Option<i64>>) {
    let seed = seed.into();
    SEEDS.with(|s| {
        let mut s = s.borrow_mut();
        s.global = seed;
        s.op_seeds = seed.map(Mt19937::from_python_seed);
        s.kernels.clear();
        s.old_kernels.clear();
    });
}

/// This thread's global seed, if set.
pub fn global_seed() -> Option<i64> {
    SEEDS.with(|s| s.borrow().global)
}

/// The `(seed, seed2)` pair a stateful random op uses, following `tf.random.set_seed`'s rules:
/// global and op seed → both; global only → an op seed drawn from the global seed's sequence;
/// op only → [`DEFAULT_GRAPH_SEED`] and the op seed; neither → `(None, None)` (nondeterministic).
pub fn get_seed(op_seed: Option<i64>) -> (Option<i64>, Option<i64>) {
    let (global, op) = SEEDS.with(|s| {
        let mut s = s.borrow_mut();
        let global = s.global;
        let op = match (global, op_seed) {
            (Some(_), None) => s.op_seeds.as_mut().map(Mt19937::randint_maxint32),
            _ => op_seed,
        };
        (global, op)
    });
    let seeds = match (global, op) {
        (Some(g), Some(o)) => (Some(g.rem_euclid(MAXINT32)), Some(o.rem_euclid(MAXINT32))),
        (Some(g), None) => (Some(g.rem_euclid(MAXINT32)), Some(0)),
        (None, Some(o)) => (Some(DEFAULT_GRAPH_SEED), Some(o.rem_euclid(MAXINT32))),
        (None, None) => (None, None),
    };
    // (0, 0) means "nondeterministic" to the kernels.
    if seeds == (Some(0), Some(0)) {
        return (Some(0), Some(MAXINT32));
    }
    seeds
}

/// 64 bits from the operating system's per-process entropy (for unseeded ops).
pub(crate) fn nondeterministic_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

/// Reserves the generator for one call of a stateful op producing `n` elements: returns the
/// kernel's current generator and advances it by `256 * n` blocks, as TensorFlow's kernels do.
/// Seeds `(0, 0)` draw a fresh nondeterministic generator.
pub(crate) fn reserve(op: &'static str, dtype: DType, seed: i64, seed2: i64, n: usize) -> Philox {
    reserve_blocks(op, dtype, seed, seed2, (n as u64).wrapping_mul(256))
}

/// Like [`reserve`], advancing the kernel's generator by exactly `blocks` Philox blocks (what
/// TensorFlow's `ReserveSamples128` does for ops that count their own draws).
pub(crate) fn reserve_blocks(op: &'static str, dtype: DType, seed: i64, seed2: i64, blocks: u64) -> Philox {
    if seed == 0 && seed2 == 0 {
        return Philox::from_seeds(nondeterministic_u64(), nondeterministic_u64());
    }
    SEEDS.with(|s| {
        let mut s = s.borrow_mut();
        let key = (op, dtype, seed, seed2);
        let current = match s.kernels.get(&key) {
            Some(p) => *p,
            None => s.old_kernels.remove(&key).unwrap_or_else(|| Philox::from_seeds(seed as u64, seed2 as u64)),
        };
        let mut next = current;
        next.skip(blocks);
        if s.kernels.len() >= KERNEL_CACHE_GENERATION && !s.kernels.contains_key(&key) {
            s.old_kernels = std::mem::take(&mut s.kernels);
        }
        s.kernels.insert(key, next);
        current
    })
}

/// `tf.random.Generator` with the Philox algorithm: state `[counter_low, counter_high, key]`
/// as int64, advanced by every call; clones share the state.
#[derive(Clone, Debug)]
pub struct Generator {
    state: Variable,
    lock: Arc<Mutex<()>>,
}

impl Generator {
    /// A generator whose state is `[seed, 0, 0]` (`[-1, -1, -1]` for `seed = -1`), like
    /// `tf.random.Generator.from_seed(seed)`.
    pub fn from_seed(seed: i64) -> Generator {
        let fill = if seed < 0 { -1 } else { 0 };
        Generator::from_state([seed, fill, fill])
    }

    /// A generator with an explicit Philox state `[counter_low, counter_high, key]`.
    pub fn from_state(state: [i64; 3]) -> Generator {
        let t = Tensor::from(state.to_vec());
        Generator { state: Variable::with_trainable(t, "generator_state", false), lock: Arc::new(Mutex::new(())) }
    }

    /// A generator seeded from operating-system entropy.
    pub fn from_non_deterministic_state() -> Generator {
        Generator::from_state([
            nondeterministic_u64() as i64,
            nondeterministic_u64() as i64,
            nondeterministic_u64() as i64,
        ])
    }

    /// The variable holding the state (for checkpoints and inspection).
    pub fn state(&self) -> &Variable {
        &self.state
    }

    /// The current state `[counter_low, counter_high, key]`.
    pub fn state_values(&self) -> [i64; 3] {
        let v = self.state.peek().to_vec::<i64>().unwrap_or_default();
        match v.as_slice() {
            [a, b, c] => [*a, *b, *c],
            _ => [0, 0, 0],
        }
    }

    /// The key part of the state.
    pub fn key(&self) -> i64 {
        self.state_values()[2]
    }

    /// Reads the state and advances it as a call producing `delta` elements would
    /// (`rng_read_and_skip`); returns the generator to draw from.
    pub fn read_and_skip(&self, delta: u64) -> Result<Philox> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let [c0, c1, k] = self.state_values();
        let current = Philox::from_counter_key([c0 as u64, c1 as u64], k as u64);
        let mut next = current;
        next.skip(delta.wrapping_mul(256));
        let [n0, n1] = next.counter_u64();
        self.state.assign(&Tensor::from(vec![n0 as i64, n1 as i64, k]))?;
        Ok(current)
    }

    /// Advances the state as drawing `delta` values would (`Generator.skip`).
    pub fn skip(&self, delta: u64) -> Result<()> {
        self.read_and_skip(delta).map(|_| ())
    }

    /// Key and counter tensors for the next call producing `shape`'s elements.
    fn key_counter(&self, op: &str, shape: &[i64]) -> Result<(Tensor, Tensor)> {
        let dims = crate::ops::random_ops::check_shape(op, shape)?;
        let n = crate::shape::num_elements(&dims) as u64;
        let p = self.read_and_skip(n)?;
        let [c0, c1] = p.counter_u64();
        Ok((Tensor::from(vec![p.key_u64() as i64]), Tensor::from(vec![c0 as i64, c1 as i64])))
    }

    /// Normal values with `mean` and `stddev` (`Generator.normal`).
    pub fn normal(&self, shape: &[i64], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
        crate::ops::random_ops::check_float_dtype("Generator.normal", dtype)?;
        let (key, counter) = self.key_counter("Generator.normal", shape)?;
        let rnd = crate::ops::random_ops::stateless_random_normal_v2(shape, &key, &counter, dtype)?;
        crate::ops::random_ops::scale_shift(&rnd, stddev, mean, true)
    }

    /// Normal values cut at two standard deviations (`Generator.truncated_normal`).
    pub fn truncated_normal(&self, shape: &[i64], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
        crate::ops::random_ops::check_float_dtype("Generator.truncated_normal", dtype)?;
        let (key, counter) = self.key_counter("Generator.truncated_normal", shape)?;
        let rnd = crate::ops::random_ops::stateless_truncated_normal_v2(shape, &key, &counter, dtype)?;
        crate::ops::random_ops::scale_shift(&rnd, stddev, mean, true)
    }

    /// Uniform values in `[minval, maxval)` (`Generator.uniform`); for integer dtypes the
    /// bounds must be integers with `minval < maxval`.
    pub fn uniform(&self, shape: &[i64], minval: f64, maxval: f64, dtype: DType) -> Result<Tensor> {
        const OP: &str = "Generator.uniform";
        if dtype.is_int() {
            let (lo, hi) = crate::ops::random_ops::int_bounds(OP, dtype, minval, maxval)?;
            let (key, counter) = self.key_counter(OP, shape)?;
            return crate::ops::random_ops::stateless_random_uniform_int_v2(shape, &key, &counter, lo, hi, dtype);
        }
        crate::ops::random_ops::check_float_dtype(OP, dtype)?;
        let (key, counter) = self.key_counter(OP, shape)?;
        let rnd = crate::ops::random_ops::stateless_random_uniform_v2(shape, &key, &counter, dtype)?;
        crate::ops::random_ops::scale_shift(&rnd, maxval - minval, minval, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_matches_the_random123_known_answers() {
        // Known-answer vectors of Philox4x32-10 from the Random123 distribution.
        assert_eq!(philox_block([0; 4], [0; 2]), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]);
        assert_eq!(
            philox_block([0xffff_ffff; 4], [0xffff_ffff; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox_block([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0]),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn skip_carries_across_words() {
        let mut p = Philox::new([0xffff_ffff, 0xffff_ffff, 7, 0], [0, 0]);
        p.skip(1);
        assert_eq!(p.counter(), [0, 0, 8, 0]);
        let mut q = Philox::new([5, 0, 0, 0], [0, 0]);
        q.skip(3 << 32 | 2);
        assert_eq!(q.counter(), [7, 3, 0, 0]);
        let mut r = Philox::default();
        r.next_block();
        assert_eq!(r.counter(), [1, 0, 0, 0]);
    }

    #[test]
    fn python_seeded_mersenne_twister() {
        // random.Random(1234).randint(0, 2**31 - 1), twice, in CPython.
        let mut m = Mt19937::from_python_seed(1234);
        assert_eq!(m.randint_maxint32(), 1_892_932_127);
        assert_eq!(m.randint_maxint32(), 501_869_158);
    }

    #[test]
    fn parallel_fill_equals_sequential_order() {
        let base = Philox::from_seeds(42, 7);
        let n = PARALLEL_MIN * 2 + 3;
        let mut par = vec![0.0f32; n];
        fill(base, &NormalF32, &mut par);
        let mut gen = base;
        let mut seq = Vec::with_capacity(n + 4);
        while seq.len() < n {
            seq.extend_from_slice(&NormalF32.sample(&mut gen));
        }
        seq.truncate(n);
        assert_eq!(par, seq);
    }
}
