//! Top-k selection along the last axis, and the gather/scatter along the last axis its
//! gradient needs.

use super::Arith;
use crate::kernels::elementwise::PAR_THRESHOLD;
use rayon::prelude::*;
use std::cmp::Ordering;

/// Order in which top-k reports values: larger first, NaN above everything, equal values by
/// lower index first.
#[inline]
fn rank_order<T: PartialOrd>(a: T, ia: u32, b: T, ib: u32) -> Ordering {
    let a_nan = a.partial_cmp(&a).is_none();
    let b_nan = b.partial_cmp(&b).is_none();
    let by_value = match (a_nan, b_nan) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    };
    by_value.then(ia.cmp(&ib))
}

/// Fills `vals`/`idx` (length k) with the top k of `row`, using `buf` as scratch.
fn top_k_row<T: Copy + PartialOrd>(row: &[T], k: usize, vals: &mut [T], idx: &mut [i32], buf: &mut Vec<u32>) {
    buf.clear();
    buf.extend(0..row.len() as u32);
    let cmp = |&a: &u32, &b: &u32| rank_order(row[a as usize], a, row[b as usize], b);
    if k < row.len() {
        buf.select_nth_unstable_by(k, cmp);
    }
    let top = &mut buf[..k];
    top.sort_unstable_by(cmp);
    for ((v, i), &j) in vals.iter_mut().zip(idx.iter_mut()).zip(top.iter()) {
        *v = row[j as usize];
        *i = j as i32;
    }
}

/// The `k` largest entries of each row of `[rows, n]` (n < 2^31), sorted descending with ties by
/// lower index, and their indices. NaN ranks above every number.
pub fn top_k<T: Copy + PartialOrd + Send + Sync>(src: &[T], n: usize, k: usize) -> (Vec<T>, Vec<i32>) {
    let rows = src.len().checked_div(n).unwrap_or(0);
    if k == 0 || rows == 0 {
        return (Vec::new(), Vec::new());
    }
    let Some(&fill) = src.first() else { return (Vec::new(), Vec::new()) };
    let mut vals = vec![fill; rows * k];
    let mut idx = vec![0i32; rows * k];
    if src.len() >= PAR_THRESHOLD && rows > 1 {
        let min_rows = (PAR_THRESHOLD / n).max(1);
        vals.par_chunks_mut(k)
            .zip(idx.par_chunks_mut(k))
            .zip(src.par_chunks(n))
            .with_min_len(min_rows)
            .for_each_init(Vec::new, |buf, ((v, i), row)| top_k_row(row, k, v, i, buf));
    } else {
        let mut buf = Vec::with_capacity(n);
        for ((v, i), row) in vals.chunks_mut(k).zip(idx.chunks_mut(k)).zip(src.chunks(n)) {
            top_k_row(row, k, v, i, &mut buf);
        }
    }
    (vals, idx)
}

/// An index out of `[0, n)`: its flat position and value.
#[derive(Debug)]
pub struct BadIndex {
    /// Flat position in the index tensor.
    pub position: usize,
    /// The offending index.
    pub value: i64,
}

fn check(idx: &[i64], n: usize) -> Result<(), BadIndex> {
    match idx.iter().position(|&i| i < 0 || i as u64 >= n as u64) {
        Some(position) => Err(BadIndex { position, value: idx[position] }),
        None => Ok(()),
    }
}

/// `out[r, j] = x[r, idx[r, j]]` for `x: [rows, n]`, `idx: [rows, k]`.
pub fn gather_last<T: Copy>(x: &[T], n: usize, idx: &[i64], k: usize) -> Result<Vec<T>, BadIndex> {
    check(idx, n)?;
    if k == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(idx.len());
    for (row, ir) in x.chunks_exact(n.max(1)).zip(idx.chunks_exact(k)) {
        out.extend(ir.iter().map(|&i| row[i as usize]));
    }
    Ok(out)
}

/// `out[r, idx[r, j]] += u[r, j]` into zeros `[rows, n]` for `u, idx: [rows, k]`.
pub fn scatter_add_last<T: Arith>(u: &[T], idx: &[i64], rows: usize, n: usize) -> Result<Vec<T>, BadIndex> {
    check(idx, n)?;
    let k = u.len().checked_div(rows).unwrap_or(0);
    let mut out = vec![T::ZERO; rows * n];
    if k == 0 || n == 0 {
        return Ok(out);
    }
    for ((orow, ur), ir) in out.chunks_exact_mut(n).zip(u.chunks_exact(k)).zip(idx.chunks_exact(k)) {
        for (&v, &i) in ur.iter().zip(ir) {
            let o = &mut orow[i as usize];
            *o = o.add(v);
        }
    }
    Ok(out)
}
