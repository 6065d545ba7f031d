//! Broadcasting binary ops on random compatible shapes (rank 0 to 4, size-1 and size-0
//! dimensions included) against a reference that maps every output index back to each
//! operand by explicit index arithmetic, plus the errors for incompatible shapes.

use proptest::prelude::*;
use tensile::ops::math;
use tensile::{Result, Tensor};

/// The broadcast output shape, computed independently of the engine.
fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() >= n { s[i + s.len() - n] } else { 1 };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// Row-major flat index into an operand of shape `sh` for the output multi-index `idx`.
fn operand_index(idx: &[usize], sh: &[usize]) -> usize {
    let off = idx.len() - sh.len();
    let mut flat = 0;
    for (d, &size) in sh.iter().enumerate() {
        let i = if size == 1 { 0 } else { idx[off + d] };
        flat = flat * size + i;
    }
    flat
}

/// Applies `f` over the broadcast of `a` and `b` the slow, obvious way.
fn reference<T: Copy, U>(
    a: &[T],
    ash: &[usize],
    b: &[T],
    bsh: &[usize],
    f: impl Fn(T, T) -> U,
) -> (Vec<usize>, Vec<U>) {
    let out = broadcast_shape(ash, bsh).expect("compatible shapes");
    let n: usize = out.iter().product();
    let mut idx = vec![0usize; out.len()];
    let mut res = Vec::with_capacity(n);
    for flat in 0..n {
        let mut rem = flat;
        for d in (0..out.len()).rev() {
            idx[d] = rem % out[d];
            rem /= out[d];
        }
        res.push(f(a[operand_index(&idx, ash)], b[operand_index(&idx, bsh)]));
    }
    (out, res)
}

/// An output shape of rank 0..=4 and two operand shapes that broadcast to it: each operand
/// takes a suffix of the output's dimensions, some of them replaced by 1.
fn compatible_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (prop::collection::vec(prop_oneof![1 => Just(0usize), 12 => 1usize..6], 0..=4))
        .prop_flat_map(|out| {
            let r = out.len();
            (Just(out), 0..=r, 0..=r, prop::collection::vec(any::<bool>(), r), prop::collection::vec(any::<bool>(), r))
        })
        .prop_map(|(out, ra, rb, ones_a, ones_b)| {
            let pick = |rank: usize, ones: &[bool]| -> Vec<usize> {
                let off = out.len() - rank;
                (0..rank).map(|d| if ones[off + d] { 1 } else { out[off + d] }).collect()
            };
            (pick(ra, &ones_a), pick(rb, &ones_b))
        })
}

fn values(n: usize, seed: u64) -> Vec<i32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 19) as i32 - 9
        })
        .collect()
}

fn check(ash: &[usize], bsh: &[usize], seed: u64) -> Result<()> {
    let na: usize = ash.iter().product();
    let nb: usize = bsh.iter().product();
    let (av, bv) = (values(na, seed), values(nb, seed + 1));
    let a = Tensor::from_vec(av.clone(), ash)?;
    let b = Tensor::from_vec(bv.clone(), bsh)?;

    let (out, want) = reference(&av, ash, &bv, bsh, |x, y| x.wrapping_sub(y));
    let got = math::sub(&a, &b)?;
    assert_eq!(got.shape(), &out[..], "sub {ash:?} {bsh:?}");
    assert_eq!(got.to_vec::<i32>()?, want, "sub {ash:?} {bsh:?}");

    let (_, want) = reference(&av, ash, &bv, bsh, |x, y| x.wrapping_mul(y));
    assert_eq!(math::mul(&a, &b)?.to_vec::<i32>()?, want, "mul {ash:?} {bsh:?}");

    let (_, want) = reference(&av, ash, &bv, bsh, |x, y| x < y);
    assert_eq!(math::less(&a, &b)?.to_vec::<bool>()?, want, "less {ash:?} {bsh:?}");

    let af: Vec<f64> = av.iter().map(|&x| x as f64 * 0.5).collect();
    let bf: Vec<f64> = bv.iter().map(|&x| x as f64 + 0.25).collect();
    let (_, want) = reference(&af, ash, &bf, bsh, |x, y| x.max(y));
    let got = math::maximum(&Tensor::from_vec(af.clone(), ash)?, &Tensor::from_vec(bf.clone(), bsh)?)?;
    assert_eq!(got.to_vec::<f64>()?, want, "maximum {ash:?} {bsh:?}");

    let (_, want) = reference(&af, ash, &bf, bsh, |x, y| x / y);
    let got = math::div(&Tensor::from_vec(af, ash)?, &Tensor::from_vec(bf, bsh)?)?;
    assert_eq!(got.to_vec::<f64>()?, want, "div {ash:?} {bsh:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn binary_ops_match_index_arithmetic((ash, bsh) in compatible_shapes(), seed in any::<u64>()) {
        check(&ash, &bsh, seed).unwrap();
    }
}

#[test]
fn large_row_column_and_outer_broadcasts_match_the_reference() -> Result<()> {
    // Big enough for the parallel path, with rows that do not divide the parallel chunk size.
    check(&[301, 517], &[517], 1)?;
    check(&[301, 517], &[301, 1], 2)?;
    check(&[301, 1], &[1, 517], 3)?;
    check(&[7, 1, 97, 61], &[5, 1, 61], 4)?;
    check(&[20000, 3], &[3], 5)?;
    check(&[3, 20000], &[3, 1], 6)?;
    Ok(())
}

#[test]
fn incompatible_shapes_name_both_shapes_and_the_op() {
    let cases: [(&[usize], &[usize]); 4] = [(&[2, 3], &[3, 2]), (&[4], &[5]), (&[2, 1, 3], &[4, 2]), (&[0], &[2])];
    for (ash, bsh) in cases {
        let a = Tensor::from_vec(vec![1.0f32; ash.iter().product()], ash).unwrap();
        let b = Tensor::from_vec(vec![1.0f32; bsh.iter().product()], bsh).unwrap();
        for (name, r) in
            [("add", math::add(&a, &b)), ("greater", math::greater(&a, &b)), ("maximum", math::maximum(&a, &b))]
        {
            let msg = r.unwrap_err().to_string();
            assert!(msg.contains(name), "{msg}");
            assert!(msg.contains(&format!("{ash:?}")) && msg.contains(&format!("{bsh:?}")), "{msg}");
            assert!(msg.contains("broadcast"), "{msg}");
        }
    }
}
