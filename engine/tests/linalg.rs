//! Value and error tests for linalg ops against naive references written here.

use proptest::prelude::*;
use tensile::ops::linalg::{einsum, l2_normalize, matmul, matmul_t, norm, tensordot, NormOrd};
use tensile::testing::{assert_close, test_values};
use tensile::{DType, GradientTape, Tensor};

/// Row-major `[..batch, m, n]` product of two stacks of matrices with NumPy batch broadcasting,
/// by the textbook triple loop.
fn naive_matmul(a: &[f64], ash: &[usize], b: &[f64], bsh: &[usize], ta: bool, tb: bool) -> (Vec<f64>, Vec<usize>) {
    let (ra, rb) = (ash.len(), bsh.len());
    let (ar, ac, br, bc) = (ash[ra - 2], ash[ra - 1], bsh[rb - 2], bsh[rb - 1]);
    let (m, k, n) = (if ta { ac } else { ar }, if ta { ar } else { ac }, if tb { br } else { bc });
    let nbat = (ra - 2).max(rb - 2);
    let pad = |sh: &[usize]| -> Vec<usize> {
        let mut v = vec![1; nbat - (sh.len() - 2)];
        v.extend_from_slice(&sh[..sh.len() - 2]);
        v
    };
    let (pa, pb) = (pad(ash), pad(bsh));
    let ob: Vec<usize> = pa.iter().zip(&pb).map(|(&x, &y)| x.max(y)).collect();
    let count: usize = ob.iter().product();
    let mut out = Vec::new();
    for bi in 0..count {
        let (mut rem, mut ia, mut ib) = (bi, 0, 0);
        let (mut sa, mut sb) = (1, 1);
        for d in (0..nbat).rev() {
            let i = rem % ob[d];
            rem /= ob[d];
            ia += if pa[d] == 1 { 0 } else { i * sa };
            ib += if pb[d] == 1 { 0 } else { i * sb };
            sa *= pa[d];
            sb *= pb[d];
        }
        let (oa, obb) = (ia * ar * ac, ib * br * bc);
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    let x = if ta { a[oa + p * ac + i] } else { a[oa + i * ac + p] };
                    let y = if tb { b[obb + j * bc + p] } else { b[obb + p * bc + j] };
                    s += x * y;
                }
                out.push(s);
            }
        }
    }
    let mut shape = ob;
    shape.extend([m, n]);
    (out, shape)
}

/// Einsum by summing over every assignment of every label (explicit `->` equations only).
fn naive_einsum(eq: &str, ops: &[(&[f64], &[usize])]) -> (Vec<f64>, Vec<usize>) {
    let (lhs, out) = eq.split_once("->").unwrap();
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    let mut labels: Vec<char> = Vec::new();
    let mut sizes = Vec::new();
    for (t, (_, sh)) in terms.iter().zip(ops) {
        for (&c, &s) in t.iter().zip(sh.iter()) {
            if !labels.contains(&c) {
                labels.push(c);
                sizes.push(s);
            }
        }
    }
    let pos = |c: char| labels.iter().position(|&x| x == c).unwrap();
    let out_shape: Vec<usize> = out.chars().map(|c| sizes[pos(c)]).collect();
    let mut res = vec![0.0; out_shape.iter().product()];
    let flat = |t: &[char], sh: &[usize], idx: &[usize]| -> usize {
        t.iter().zip(sh).fold(0, |acc, (&c, &s)| acc * s + idx[pos(c)])
    };
    let total: usize = sizes.iter().product();
    let mut idx = vec![0usize; labels.len()];
    for _ in 0..total {
        let mut p = 1.0;
        for (t, (data, sh)) in terms.iter().zip(ops) {
            p *= data[flat(t, sh, &idx)];
        }
        let oc: Vec<char> = out.chars().collect();
        res[flat(&oc, &out_shape, &idx)] += p;
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < sizes[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    (res, out_shape)
}

fn t64(shape: &[usize], seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(test_values(n, seed, -2.0, 2.0), shape).unwrap()
}

fn small_ints(shape: &[usize], seed: u64) -> Vec<f64> {
    test_values(shape.iter().product(), seed, -5.0, 5.0).into_iter().map(f64::round).collect()
}

fn check_matmul(ash: &[usize], bsh: &[usize], ta: bool, tb: bool, seed: u64) {
    let (av, bv) = (small_ints(ash, seed), small_ints(bsh, seed + 1));
    let (want, wsh) = naive_matmul(&av, ash, &bv, bsh, ta, tb);
    for dtype in [DType::F32, DType::F64, DType::I32, DType::I64] {
        let mk = |v: &[f64], sh: &[usize]| -> Tensor {
            match dtype {
                DType::F32 => Tensor::from_vec(v.iter().map(|&x| x as f32).collect(), sh).unwrap(),
                DType::F64 => Tensor::from_vec(v.to_vec(), sh).unwrap(),
                DType::I32 => Tensor::from_vec(v.iter().map(|&x| x as i32).collect(), sh).unwrap(),
                _ => Tensor::from_vec(v.iter().map(|&x| x as i64).collect(), sh).unwrap(),
            }
        };
        let got = matmul_t(&mk(&av, ash), &mk(&bv, bsh), ta, tb).unwrap();
        assert_eq!(got.dtype(), dtype);
        assert_eq!(got.shape(), &wsh[..], "{dtype} {ash:?} {bsh:?} ta={ta} tb={tb}");
        // Small integer values: every path (loops, gemm, f32 accumulation) is exact.
        assert_eq!(got.to_f64_vec(), want, "{dtype} {ash:?} {bsh:?} ta={ta} tb={tb}");
    }
}

#[test]
fn matmul_by_hand() {
    let a = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = Tensor::from([[7.0f32, 8.0], [9.0, 10.0], [11.0, 12.0]]);
    let c = matmul(&a, &b).unwrap();
    assert_eq!(c.shape(), &[2, 2]);
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![58.0, 64.0, 139.0, 154.0]);
    let ct = matmul_t(&a, &a, false, true).unwrap();
    assert_eq!(ct.to_vec::<f32>().unwrap(), vec![14.0, 32.0, 32.0, 77.0]);
    let i = Tensor::from([[1i64, 2], [3, 4]]);
    assert_eq!(matmul(&i, &i).unwrap().to_vec::<i64>().unwrap(), vec![7, 10, 15, 22]);
}

#[test]
fn matmul_all_transposes_and_dtypes() {
    let mut seed = 1;
    for &(m, n, k) in &[(1, 1, 1), (2, 3, 4), (4, 4, 4), (5, 1, 7), (1, 6, 3), (17, 19, 23), (40, 33, 50)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let ash = if ta { [k, m] } else { [m, k] };
                let bsh = if tb { [n, k] } else { [k, n] };
                check_matmul(&ash, &bsh, ta, tb, seed);
                seed += 2;
            }
        }
    }
}

#[test]
fn matmul_large_products_use_every_path() {
    // Above the small-product and threading thresholds, in every orientation.
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (m, n, k) = (130, 120, 110);
        let ash = if ta { [k, m] } else { [m, k] };
        let bsh = if tb { [n, k] } else { [k, n] };
        check_matmul(&ash, &bsh, ta, tb, 77);
    }
}

#[test]
fn matmul_batches_broadcast() {
    check_matmul(&[2, 1, 3, 4], &[5, 4, 2], false, false, 11);
    check_matmul(&[3, 4], &[2, 4, 5], false, false, 13);
    check_matmul(&[2, 3, 4, 5], &[5, 4], true, true, 15);
    check_matmul(&[1, 4, 5], &[6, 1, 5, 3], false, false, 17);
    // Many small products spread over threads.
    check_matmul(&[256, 8, 8], &[256, 8, 8], false, true, 19);
    check_matmul(&[64, 40, 40], &[40, 40], false, false, 21);
}

#[test]
fn matmul_empty_dimensions() {
    let a = Tensor::from_vec(Vec::<f32>::new(), &[3, 0]).unwrap();
    let b = Tensor::from_vec(Vec::<f32>::new(), &[0, 2]).unwrap();
    let c = matmul(&a, &b).unwrap();
    assert_eq!(c.shape(), &[3, 2]);
    assert_eq!(c.to_vec::<f32>().unwrap(), vec![0.0; 6]);
    let z = Tensor::from_vec(Vec::<f64>::new(), &[0, 4]).unwrap();
    assert_eq!(matmul(&z, &t64(&[4, 2], 1)).unwrap().shape(), &[0, 2]);
    let zb = Tensor::from_vec(Vec::<i32>::new(), &[0, 2, 2]).unwrap();
    assert_eq!(matmul(&zb, &Tensor::from([[1i32, 2], [3, 4]])).unwrap().shape(), &[0, 2, 2]);
}

#[test]
fn integer_matmul_wraps_instead_of_panicking() {
    let a = Tensor::from([[i32::MAX, 1]]);
    let b = Tensor::from([[2i32], [3]]);
    let c = matmul(&a, &b).unwrap();
    assert_eq!(c.to_vec::<i32>().unwrap(), vec![i32::MAX.wrapping_mul(2).wrapping_add(3)]);
}

#[test]
fn matmul_errors_name_shapes_and_dtypes() {
    let a = Tensor::from([[1.0f32, 2.0, 3.0]]);
    let e = matmul(&a, &a).unwrap_err().to_string();
    assert!(e.contains("matmul") && e.contains("[1, 3]") && e.contains("3 and 1"), "{e}");
    let v = Tensor::from([1.0f32, 2.0]);
    let e = matmul(&v, &a).unwrap_err().to_string();
    assert!(e.contains("rank >= 2") && e.contains("float32[2]"), "{e}");
    let d = Tensor::from([[1.0f64, 2.0, 3.0]]);
    let e = matmul_t(&a, &d, false, true).unwrap_err().to_string();
    assert!(e.contains("float32") && e.contains("float64"), "{e}");
    let e = matmul(&t64(&[2, 2, 3], 1), &t64(&[3, 3, 2], 2)).unwrap_err().to_string();
    assert!(e.contains("batch dimensions [2] and [3]"), "{e}");
    let bb = Tensor::from([[true]]);
    let e = matmul(&bb, &bb).unwrap_err().to_string();
    assert!(e.contains("matmul") && e.contains("bool"), "{e}");
}

fn check_einsum(eq: &str, shapes: &[&[usize]]) {
    let ts: Vec<Tensor> = shapes.iter().enumerate().map(|(i, s)| t64(s, 100 + i as u64)).collect();
    let vals: Vec<Vec<f64>> = ts.iter().map(|t| t.to_f64_vec()).collect();
    let ops: Vec<(&[f64], &[usize])> = vals.iter().zip(shapes).map(|(v, s)| (&v[..], *s)).collect();
    let (want, wsh) = naive_einsum(eq, &ops);
    let got = einsum(eq, &ts).unwrap();
    assert_eq!(got.shape(), &wsh[..], "{eq}");
    assert_close(&got.to_f64_vec(), &want, 1e-12, 1e-12);
}

#[test]
fn einsum_matches_naive_sums() {
    check_einsum("ij,jk->ik", &[&[3, 4], &[4, 5]]);
    check_einsum("ij,kj->ik", &[&[3, 4], &[5, 4]]);
    check_einsum("ji,jk->ik", &[&[4, 3], &[4, 5]]);
    check_einsum("ij,jk->ki", &[&[3, 4], &[4, 5]]);
    check_einsum("bij,bjk->bik", &[&[2, 3, 4], &[2, 4, 5]]);
    check_einsum("bij,bkj->bki", &[&[2, 3, 4], &[2, 5, 4]]);
    check_einsum("ij->ji", &[&[3, 4]]);
    check_einsum("ijk->kij", &[&[2, 3, 4]]);
    check_einsum("ii->i", &[&[4, 4]]);
    check_einsum("ii->", &[&[4, 4]]);
    check_einsum("iij->ji", &[&[3, 3, 2]]);
    check_einsum("ij->", &[&[3, 4]]);
    check_einsum("ij->j", &[&[3, 4]]);
    check_einsum("i,i->", &[&[7], &[7]]);
    check_einsum("i,i->i", &[&[7], &[7]]);
    check_einsum("i,j->ij", &[&[3], &[4]]);
    check_einsum("ij,j->i", &[&[3, 4], &[4]]);
    check_einsum("bi,bi->b", &[&[3, 5], &[3, 5]]);
    check_einsum("ab,bc->", &[&[3, 4], &[4, 2]]);
    check_einsum("abc,cd->dba", &[&[2, 3, 4], &[4, 2]]);
    check_einsum("ab,cd->abcd", &[&[2, 3], &[2, 2]]);
    check_einsum("ab,ab->ba", &[&[2, 3], &[2, 3]]);
    check_einsum("ij,jk->i", &[&[3, 4], &[4, 2]]);
    check_einsum("ii,ij->j", &[&[3, 3], &[3, 2]]);
    check_einsum("ij,jk,kl->il", &[&[2, 3], &[3, 4], &[4, 2]]);
    check_einsum("bhqd,bhkd->bhqk", &[&[2, 2, 3, 4], &[2, 2, 5, 4]]);
}

#[test]
fn einsum_implicit_output_and_ellipsis() {
    let (a, b) = (t64(&[3, 4], 1), t64(&[4, 5], 2));
    let explicit = einsum("ij,jk->ik", &[a.clone(), b.clone()]).unwrap();
    let implicit = einsum("ij,jk", &[a.clone(), b.clone()]).unwrap();
    assert_eq!(implicit.to_f64_vec(), explicit.to_f64_vec());
    // Implicit mode sorts the remaining labels: "ba" keeps axis order a, b -> transposes.
    let tr = einsum("ba", std::slice::from_ref(&a)).unwrap();
    assert_eq!(tr.shape(), &[4, 3]);
    assert_eq!(einsum(" i j , j k -> i k ", &[a.clone(), b.clone()]).unwrap().to_f64_vec(), explicit.to_f64_vec());

    // "...ij,...jk->...ik" with broadcasting batch dims equals matmul's broadcasting.
    let x = t64(&[2, 1, 3, 4], 3);
    let y = t64(&[5, 4, 2], 4);
    let e = einsum("...ij,...jk->...ik", &[x.clone(), y.clone()]).unwrap();
    let m = matmul(&x, &y).unwrap();
    assert_eq!(e.shape(), &[2, 5, 3, 2]);
    assert_close(&e.to_f64_vec(), &m.to_f64_vec(), 1e-12, 1e-12);
    // Ellipsis in the middle, and summed when absent from the output.
    let z = t64(&[3, 2, 2, 4], 5);
    let mid = einsum("i...j->j...i", std::slice::from_ref(&z)).unwrap();
    let want = einsum("iabj->jabi", std::slice::from_ref(&z)).unwrap();
    assert_eq!(mid.shape(), &[4, 2, 2, 3]);
    assert_eq!(mid.to_f64_vec(), want.to_f64_vec());
    let summed = einsum("...j->j", std::slice::from_ref(&z)).unwrap();
    assert_close(&summed.to_f64_vec(), &einsum("abcj->j", &[z]).unwrap().to_f64_vec(), 1e-12, 1e-12);
    // Implicit output with an ellipsis puts broadcast axes first.
    let imp = einsum("...ij,...jk", &[x, y]).unwrap();
    assert_eq!(imp.shape(), &[2, 5, 3, 2]);
}

#[test]
fn einsum_integers() {
    let a = Tensor::from([[1i32, 2], [3, 4]]);
    assert_eq!(einsum("ii->", std::slice::from_ref(&a)).unwrap().to_vec::<i32>().unwrap(), vec![5]);
    assert_eq!(einsum("ij,jk->ik", &[a.clone(), a.clone()]).unwrap().to_vec::<i32>().unwrap(), vec![7, 10, 15, 22]);
    assert_eq!(einsum("ij->ji", &[a]).unwrap().to_vec::<i32>().unwrap(), vec![1, 3, 2, 4]);
}

#[test]
fn einsum_errors() {
    let a = t64(&[2, 3], 1);
    let b = t64(&[4, 5], 2);
    let e = einsum("ij,jk->ik", &[a.clone(), b.clone()]).unwrap_err().to_string();
    assert!(e.contains("einsum") && e.contains("label 'j'") && e.contains("[2, 3]") && e.contains("[4, 5]"), "{e}");
    let e = einsum("ijk->i", std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(e.contains("rank 2") && e.contains("'ijk'"), "{e}");
    let e = einsum("ij,jk->ik", std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(e.contains("2 input subscripts but 1 operands"), "{e}");
    let e = einsum("ij->iz", std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(e.contains("'z' does not appear"), "{e}");
    let e = einsum("ij->ii", std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(e.contains("more than once"), "{e}");
    let e = einsum("i1->i", std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(e.contains("unexpected character '1'"), "{e}");
    let e = einsum("i..j->i", std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(e.contains("'...'"), "{e}");
    let e = einsum("...i,...i->...", &[t64(&[2, 3], 1), t64(&[4, 3], 2)]).unwrap_err().to_string();
    assert!(e.contains("'...'") && e.contains("incompatible"), "{e}");
    let e = einsum("ij,jk->ik", &[a.clone(), Tensor::from([[1.0f32]])]).unwrap_err().to_string();
    assert!(e.contains("float64") && e.contains("float32"), "{e}");
}

#[test]
fn tensordot_matches_naive() {
    let (a, b) = (t64(&[2, 3, 4], 1), t64(&[4, 3, 5], 2));
    let got = tensordot(&a, &b, (vec![1, 2], vec![1, 0])).unwrap();
    let (av, bv) = (a.to_f64_vec(), b.to_f64_vec());
    let mut want = vec![0.0; 10];
    for i in 0..2 {
        for l in 0..5 {
            for j in 0..3 {
                for k in 0..4 {
                    want[i * 5 + l] += av[i * 12 + j * 4 + k] * bv[k * 15 + j * 5 + l];
                }
            }
        }
    }
    assert_eq!(got.shape(), &[2, 5]);
    assert_close(&got.to_f64_vec(), &want, 1e-12, 1e-12);
    // axes=N: last N of a with first N of b; axes=0 is the outer product.
    let (x, y) = (t64(&[2, 3], 3), t64(&[3, 4], 4));
    assert_close(&tensordot(&x, &y, 1).unwrap().to_f64_vec(), &matmul(&x, &y).unwrap().to_f64_vec(), 1e-12, 1e-12);
    assert_eq!(tensordot(&x, &y, 0).unwrap().shape(), &[2, 3, 3, 4]);
    assert_eq!(tensordot(&a, &t64(&[3, 4, 2], 5), 2).unwrap().shape(), &[2, 2]);
    assert_eq!(tensordot(&x, &y, (-1, 0)).unwrap().shape(), &[2, 4]);
    let e = tensordot(&x, &y, ([0], [1])).unwrap_err().to_string();
    assert!(e.contains("tensordot") && e.contains("size 2") && e.contains("size 4"), "{e}");
    let e = tensordot(&x, &y, 3).unwrap_err().to_string();
    assert!(e.contains("tensordot") && e.contains("cannot contract 3 axes"), "{e}");
    let e = tensordot(&x, &y, ([5], [0])).unwrap_err().to_string();
    assert!(e.contains("axis 5"), "{e}");
}

#[test]
fn gradients_can_be_taken_twice() {
    // d/dx sum(grad_x sum((x @ x) * w)) is a second-order gradient through matmul.
    let x = t64(&[3, 3], 9);
    let outer = GradientTape::new();
    let inner_grad_sum = outer
        .scope(|o| -> tensile::Result<Tensor> {
            o.watch(&x);
            let inner = GradientTape::new();
            let y = inner.scope(|t| {
                t.watch(&x);
                let xx = matmul(&x, &x)?;
                tensile::ops::reduce::reduce_sum(&einsum("ij,ij->", &[xx.clone(), xx])?, None, false)
            })??;
            let g = inner.gradient(&y, &[&x])?.remove(0).unwrap();
            tensile::ops::reduce::reduce_sum(&g, None, false)
        })
        .unwrap()
        .unwrap();
    let h = outer.gradient(&inner_grad_sum, &[&x]).unwrap().remove(0).unwrap();
    assert_eq!(h.shape(), &[3, 3]);
    // Check against finite differences of the first-order gradient sum.
    let f = |xv: &[f64]| -> f64 {
        let xt = Tensor::from_vec(xv.to_vec(), &[3, 3]).unwrap();
        let tape = GradientTape::new();
        let y = tape
            .scope(|t| {
                t.watch(&xt);
                let xx = matmul(&xt, &xt)?;
                tensile::ops::reduce::reduce_sum(&einsum("ij,ij->", &[xx.clone(), xx])?, None, false)
            })
            .unwrap()
            .unwrap();
        tape.gradient(&y, &[&xt]).unwrap()[0].as_ref().unwrap().to_f64_vec().iter().sum()
    };
    let base = x.to_f64_vec();
    let hv = h.to_f64_vec();
    for i in 0..9 {
        let (mut p, mut m) = (base.clone(), base.clone());
        p[i] += 1e-5;
        m[i] -= 1e-5;
        let num = (f(&p) - f(&m)) / 2e-5;
        assert!((num - hv[i]).abs() < 1e-4 * num.abs().max(1.0), "element {i}: {num} vs {}", hv[i]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn matmul_matches_naive_on_random_shapes(
        m in 0usize..24, n in 0usize..24, k in 0usize..24,
        ba in proptest::collection::vec(1usize..4, 0..3),
        bcast_a in proptest::collection::vec(any::<bool>(), 3),
        bcast_b in proptest::collection::vec(any::<bool>(), 3),
        ta in any::<bool>(), tb in any::<bool>(), seed in 0u64..1000,
    ) {
        // b's batch dims are a suffix of a's; either side may hold a size-1 (broadcast) axis.
        let mut ash: Vec<usize> = ba.iter().zip(&bcast_a).map(|(&d, &one)| if one { 1 } else { d }).collect();
        let mut bsh: Vec<usize> =
            ba.iter().zip(&bcast_b).skip(ba.len() / 2).map(|(&d, &one)| if one { 1 } else { d }).collect();
        ash.extend(if ta { [k, m] } else { [m, k] });
        bsh.extend(if tb { [n, k] } else { [k, n] });
        check_matmul(&ash, &bsh, ta, tb, seed);
    }

    #[test]
    fn einsum_matches_naive_on_random_contractions(
        sizes in proptest::collection::vec(1usize..5, 5),
        pick_a in proptest::collection::vec(any::<bool>(), 5),
        pick_b in proptest::collection::vec(any::<bool>(), 5),
        pick_o in proptest::collection::vec(any::<bool>(), 5),
        seed in 0u64..1000,
    ) {
        let letters = ['p', 'q', 'r', 's', 't'];
        let term = |pick: &[bool]| -> String { letters.iter().zip(pick).filter(|(_, &p)| p).map(|(c, _)| *c).collect() };
        let (ta, tb) = (term(&pick_a), term(&pick_b));
        let used: Vec<char> = letters.iter().copied().filter(|c| ta.contains(*c) || tb.contains(*c)).collect();
        let to: String = used.iter().zip(&pick_o).filter(|(_, &p)| p).map(|(c, _)| *c).rev().collect();
        let shape = |t: &str| -> Vec<usize> { t.chars().map(|c| sizes[letters.iter().position(|&x| x == c).unwrap()]).collect() };
        let (sa, sb) = (shape(&ta), shape(&tb));
        let eq = format!("{ta},{tb}->{to}");
        let a = Tensor::from_vec(test_values(sa.iter().product(), seed, -1.0, 1.0), &sa).unwrap();
        let b = Tensor::from_vec(test_values(sb.iter().product(), seed + 7, -1.0, 1.0), &sb).unwrap();
        let (av, bv) = (a.to_f64_vec(), b.to_f64_vec());
        let (want, wsh) = naive_einsum(&eq, &[(&av, &sa), (&bv, &sb)]);
        let got = einsum(&eq, &[a, b]).unwrap();
        prop_assert_eq!(got.shape(), &wsh[..]);
        assert_close(&got.to_f64_vec(), &want, 1e-12, 1e-12);
    }
}

fn x34() -> (Tensor, Vec<f64>) {
    let v: Vec<f64> = vec![3.0, -4.0, 1.0, 2.0, -1.0, 0.5, 2.5, -3.0, 0.0, 6.0, -2.0, 1.5];
    (Tensor::from_vec(v.clone(), &[3, 4]).unwrap(), v)
}

#[test]
fn vector_norms() {
    let (x, v) = x34();
    let all = norm(&x, NormOrd::Euclidean, None, false).unwrap();
    assert_eq!(all.shape(), &[] as &[usize]);
    assert_close(&all.to_f64_vec(), &[v.iter().map(|a| a * a).sum::<f64>().sqrt()], 1e-12, 0.0);
    assert_eq!(norm(&x, NormOrd::Euclidean, None, true).unwrap().shape(), &[1, 1]);
    let rows: Vec<f64> = (0..3).map(|i| v[i * 4..i * 4 + 4].iter().map(|a| a * a).sum::<f64>().sqrt()).collect();
    let r = norm(&x, 2.0, Some(&[1]), false).unwrap();
    assert_eq!(r.shape(), &[3]);
    assert_close(&r.to_f64_vec(), &rows, 1e-12, 0.0);
    assert_eq!(norm(&x, NormOrd::Euclidean, Some(&[-1]), true).unwrap().shape(), &[3, 1]);
    let cols1: Vec<f64> = (0..4).map(|j| (0..3).map(|i| v[i * 4 + j].abs()).sum()).collect();
    assert_close(&norm(&x, 1.0, Some(&[0]), false).unwrap().to_f64_vec(), &cols1, 1e-12, 0.0);
    let p3: Vec<f64> =
        (0..3).map(|i| v[i * 4..i * 4 + 4].iter().map(|a| a.abs().powi(3)).sum::<f64>().cbrt()).collect();
    assert_close(&norm(&x, 3.0, Some(&[1]), false).unwrap().to_f64_vec(), &p3, 1e-12, 0.0);
    // float32 keeps its dtype.
    let f = Tensor::from([3.0f32, 4.0]);
    let n = norm(&f, NormOrd::Euclidean, None, false).unwrap();
    assert_eq!(n.dtype(), DType::F32);
    assert_eq!(n.to_vec::<f32>().unwrap(), vec![5.0]);
}

#[test]
fn inf_and_matrix_norms() {
    let (x, v) = x34();
    let rows_inf: Vec<f64> = (0..3).map(|i| v[i * 4..i * 4 + 4].iter().fold(0.0f64, |m, a| m.max(a.abs()))).collect();
    assert_close(&norm(&x, NormOrd::Inf, Some(&[1]), false).unwrap().to_f64_vec(), &rows_inf, 0.0, 0.0);
    assert_close(&norm(&x, f64::INFINITY, None, false).unwrap().to_f64_vec(), &[6.0], 0.0, 0.0);
    let fro = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let m = norm(&x, NormOrd::Fro, Some(&[0, 1]), false).unwrap();
    assert_eq!(m.shape(), &[] as &[usize]);
    assert_close(&m.to_f64_vec(), &[fro], 1e-12, 0.0);
    // Matrix 1-norm: largest absolute column sum; inf-norm: largest absolute row sum.
    let col_sums: Vec<f64> = (0..4).map(|j| (0..3).map(|i| v[i * 4 + j].abs()).sum()).collect();
    let row_sums: Vec<f64> = (0..3).map(|i| (0..4).map(|j| v[i * 4 + j].abs()).sum()).collect();
    let max = |s: &[f64]| s.iter().fold(0.0f64, |m, &a| m.max(a));
    assert_close(&norm(&x, 1.0, Some(&[0, 1]), false).unwrap().to_f64_vec(), &[max(&col_sums)], 1e-12, 0.0);
    let mi = norm(&x, NormOrd::Inf, Some(&[0, 1]), true).unwrap();
    assert_eq!(mi.shape(), &[1, 1]);
    assert_close(&mi.to_f64_vec(), &[max(&row_sums)], 1e-12, 0.0);
    // Axes in the other order transpose the matrix: 1-norm becomes the max row sum.
    assert_close(&norm(&x, 1.0, Some(&[1, 0]), false).unwrap().to_f64_vec(), &[max(&row_sums)], 1e-12, 0.0);
    // Batched matrix norms.
    let b = Tensor::from_vec(v.iter().chain(&v).map(|a| a * 2.0).collect::<Vec<f64>>(), &[2, 3, 4]).unwrap();
    let bn = norm(&b, NormOrd::Euclidean, Some(&[1, 2]), false).unwrap();
    assert_eq!(bn.shape(), &[2]);
    assert_close(&bn.to_f64_vec(), &[2.0 * fro, 2.0 * fro], 1e-12, 0.0);
}

#[test]
fn norm_errors() {
    let (x, _) = x34();
    let e = norm(&Tensor::from([1i32, 2]), NormOrd::Euclidean, None, false).unwrap_err().to_string();
    assert!(e.contains("norm") && e.contains("int32[2]") && e.contains("float32 or float64"), "{e}");
    let e = norm(&x, NormOrd::Fro, None, false).unwrap_err().to_string();
    assert!(e.contains("'fro' is not a supported vector norm"), "{e}");
    let e = norm(&x, 2.0, Some(&[0, 1]), false).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::Unimplemented);
    let e = norm(&x, 0.0, Some(&[0]), false).unwrap_err().to_string();
    assert!(e.contains("ord 0"), "{e}");
    let e = norm(&x, 3.0, Some(&[0, 1]), false).unwrap_err().to_string();
    assert!(e.contains("not a supported matrix norm"), "{e}");
    let e = norm(&x, NormOrd::Euclidean, Some(&[1, -1]), false).unwrap_err().to_string();
    assert!(e.contains("two distinct axes") && e.contains("[3, 4]"), "{e}");
    let e = norm(&x, NormOrd::Euclidean, Some(&[2]), false).unwrap_err().to_string();
    assert!(e.contains("axis 2 is out of range"), "{e}");
}

#[test]
fn l2_normalize_values() {
    let (x, v) = x34();
    let y = l2_normalize(&x, Some(&[1]), 1e-12).unwrap();
    let mut want = Vec::new();
    for i in 0..3 {
        let n = v[i * 4..i * 4 + 4].iter().map(|a| a * a).sum::<f64>().sqrt();
        want.extend(v[i * 4..i * 4 + 4].iter().map(|a| a / n));
    }
    assert_close(&y.to_f64_vec(), &want, 1e-12, 0.0);
    // A zero vector stays zero instead of dividing by zero; epsilon bounds small norms.
    let z = l2_normalize(&Tensor::from([0.0f32, 0.0]), None, 1e-12).unwrap();
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
    let s = l2_normalize(&Tensor::from([0.1f64]), None, 1.0).unwrap();
    assert_close(&s.to_f64_vec(), &[0.1], 1e-15, 0.0);
    let all = l2_normalize(&x, None, 1e-12).unwrap();
    let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    assert_close(&all.to_f64_vec(), &v.iter().map(|a| a / n).collect::<Vec<_>>(), 1e-12, 0.0);
    assert!(l2_normalize(&Tensor::from([1i64]), None, 1e-12).unwrap_err().to_string().contains("l2_normalize"));
}

#[test]
fn huge_outputs_are_errors_not_aborts() {
    let a = Tensor::from_vec(Vec::<f32>::new(), &[1 << 40, 0]).unwrap();
    let b = Tensor::from_vec(Vec::<f32>::new(), &[0, 1 << 40]).unwrap();
    let e = matmul(&a, &b).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
    let e = einsum("ik,jl->ij", &[a.clone(), a.clone()]).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
    let c = Tensor::from_vec(Vec::<f64>::new(), &[usize::MAX / 2, 0]).unwrap();
    let e = tensordot(&c, &c, ([1], [1])).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
    // Empty results with huge sizes elsewhere are fine.
    assert_eq!(tensordot(&c, &c, 0).unwrap().shape(), &[usize::MAX / 2, 0, usize::MAX / 2, 0]);
    let d = Tensor::from_vec(Vec::<f64>::new(), &[0, 1 << 40, 1 << 40]).unwrap();
    assert_eq!(
        einsum("abc,bd->abcd", &[d.clone(), Tensor::from_vec(Vec::<f64>::new(), &[1 << 40, 0]).unwrap()])
            .unwrap()
            .shape(),
        &[0, 1 << 40, 1 << 40, 0]
    );
    assert_eq!(
        matmul(&d, &Tensor::from_vec(Vec::<f64>::new(), &[1 << 40, 0]).unwrap()).unwrap().shape(),
        &[0, 1 << 40, 0]
    );
}

#[test]
fn shape_rules_accept_unknown_dimensions() {
    use tensile::attrs::{Attr, Attrs};
    use tensile::ops::Spec;
    let spec = |dims: &[Option<usize>]| Spec { dtype: DType::F32, dims: dims.iter().copied().collect() };
    let mm = Attrs::new().with("transpose_a", Attr::Bool(false)).with("transpose_b", Attr::Bool(true));
    let out =
        (tensile::ops::linalg::MATMUL.infer)(&[spec(&[None, Some(2), Some(3)]), spec(&[Some(4), None])], &mm).unwrap();
    assert_eq!(out[0].dims.as_slice(), &[None, Some(2), Some(4)]);
    let bad = (tensile::ops::linalg::MATMUL.infer)(&[spec(&[Some(2), Some(3)]), spec(&[Some(4), Some(5)])], &mm);
    assert!(bad.unwrap_err().to_string().contains("3 and 5"));
    let es = Attrs::new().with("equation", Attr::Str("...ij,jk->...ik".into()));
    let out =
        (tensile::ops::linalg::EINSUM.infer)(&[spec(&[None, Some(1), None, Some(3)]), spec(&[None, Some(5)])], &es)
            .unwrap();
    assert_eq!(out[0].dims.as_slice(), &[None, Some(1), None, Some(5)]);
    let bad = (tensile::ops::linalg::EINSUM.infer)(&[spec(&[Some(2), Some(3)]), spec(&[Some(4), None])], &es);
    assert!(bad.unwrap_err().to_string().contains("label 'j'"));
}

// ---------------------------------------------------------------------------------------------
// inverses, determinants, diagonals and bands

use tensile::ops::linalg::{
    log_matrix_determinant, matrix_band_part, matrix_determinant, matrix_diag, matrix_diag_part, matrix_inverse,
    matrix_set_diag, trace, DiagOptions,
};

/// Two 3 x 3 matrices (the second needs row swaps) and NumPy's `inv`, `det` and `slogdet` of them.
fn batch_with_numpy_results() -> (Tensor, Vec<f64>, Vec<f64>, Vec<f64>) {
    let a = Tensor::from_vec(
        vec![4.0, 7.0, 2.0, 3.0, 6.0, 1.0, 2.0, 5.0, 3.0, 0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.5, -2.0],
        &[2, 3, 3],
    )
    .unwrap();
    let inv = vec![
        1.4444444444444442,
        -1.222222222222222,
        -0.5555555555555556,
        -0.7777777777777777,
        0.8888888888888888,
        0.22222222222222224,
        0.3333333333333333,
        -0.6666666666666666,
        0.3333333333333333,
        -1.3333333333333335,
        3.0000000000000004,
        -0.6666666666666667,
        1.3333333333333335,
        -2.0000000000000004,
        0.6666666666666667,
        -1.6666666666666672,
        4.000000000000001,
        -1.3333333333333335,
    ];
    (a, inv, vec![8.999999999999998, 1.4999999999999998], vec![2.197224577336219, 0.40546510810816416])
}

#[test]
fn inverse_and_determinants_match_numpy() {
    let (a, inv, det, logdet) = batch_with_numpy_results();
    let got = matrix_inverse(&a).unwrap();
    assert_eq!(got.shape(), &[2, 3, 3]);
    assert_close(&got.to_f64_vec(), &inv, 4e-16, 1e-15);
    assert_close(&matrix_determinant(&a).unwrap().to_f64_vec(), &det, 4e-16, 0.0);
    let (sign, log_abs) = log_matrix_determinant(&a).unwrap();
    assert_eq!(sign.to_f64_vec(), vec![1.0, 1.0]);
    assert_close(&log_abs.to_f64_vec(), &logdet, 4e-16, 0.0);
    // A tiny leading entry forces a row swap; the determinant changes sign with it.
    let b = Tensor::from([[1e-3f64, 2.0], [3.0, -4.5]]);
    assert_close(
        &matrix_inverse(&b).unwrap().to_f64_vec(),
        &[0.7494379215588307, 0.3330835206928137, 0.49962528103922055, -0.00016654176034640685],
        4e-16,
        0.0,
    );
    assert_close(&matrix_determinant(&b).unwrap().to_f64_vec(), &[-6.0045], 4e-16, 0.0);
    let (s, l) = log_matrix_determinant(&b).unwrap();
    assert_eq!(s.to_f64_vec(), vec![-1.0]);
    assert_close(&l.to_f64_vec(), &[6.0045f64.ln()], 4e-16, 0.0);
}

#[test]
fn inverse_times_matrix_is_the_identity_in_float32() {
    let v = test_values(4 * 16, 31, -1.0, 1.0);
    let mut m: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    for b in 0..4 {
        for i in 0..4 {
            m[b * 16 + i * 5] += 3.0;
        }
    }
    let a = Tensor::from_vec(m, &[4, 4, 4]).unwrap();
    let inv = matrix_inverse(&a).unwrap();
    assert_eq!(inv.dtype(), DType::F32);
    let prod = matmul(&a, &inv).unwrap().to_f64_vec();
    let eye: Vec<f64> = (0..64).map(|i| if (i % 16) % 5 == 0 { 1.0 } else { 0.0 }).collect();
    assert_close(&prod, &eye, 0.0, 2e-6);
    // det(A) det(A⁻¹) = 1 and log|det| agrees with det.
    let d = matrix_determinant(&a).unwrap().to_f64_vec();
    let di = matrix_determinant(&inv).unwrap().to_f64_vec();
    let (_, l) = log_matrix_determinant(&a).unwrap();
    for ((x, y), z) in d.iter().zip(&di).zip(l.to_f64_vec()) {
        assert!((x * y - 1.0).abs() < 1e-5, "{x} * {y}");
        assert!((x.abs().ln() - z).abs() < 1e-5, "{x} vs log {z}");
    }
}

#[test]
fn singular_empty_and_permutation_matrices() {
    let singular = Tensor::from([[1.0f32, 2.0], [2.0, 4.0]]);
    let e = matrix_inverse(&singular).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("matrix_inverse") && e.to_string().contains("not invertible"), "{e}");
    // TensorFlow: det = -0.0 (one row swap, a zero pivot), slogdet = (-0.0, -inf).
    let d = matrix_determinant(&singular).unwrap().to_f64_vec();
    assert!(d[0] == 0.0 && d[0].is_sign_negative(), "{d:?}");
    let (s, l) = log_matrix_determinant(&singular).unwrap();
    assert!(s.to_f64_vec()[0] == 0.0 && s.to_f64_vec()[0].is_sign_negative());
    assert_eq!(l.to_f64_vec(), vec![f64::NEG_INFINITY]);
    // A batch fails as a whole when one matrix is singular.
    let batch = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], &[2, 2, 2]).unwrap();
    assert!(matrix_inverse(&batch).unwrap_err().to_string().contains("matrix 1"));
    // 0 x 0 matrices: empty inverse, determinant 1 (the empty product).
    let empty = Tensor::from_vec(Vec::<f32>::new(), &[3, 0, 0]).unwrap();
    assert_eq!(matrix_inverse(&empty).unwrap().shape(), &[3, 0, 0]);
    assert_eq!(matrix_determinant(&empty).unwrap().to_f64_vec(), vec![1.0; 3]);
    let (s, l) = log_matrix_determinant(&empty).unwrap();
    assert_eq!((s.to_f64_vec(), l.to_f64_vec()), (vec![1.0; 3], vec![0.0; 3]));
    let no_batch = Tensor::from_vec(Vec::<f64>::new(), &[0, 2, 2]).unwrap();
    assert_eq!(matrix_determinant(&no_batch).unwrap().shape(), &[0]);
    // A permutation matrix is its own transpose-inverse; an odd permutation has det -1.
    let p = Tensor::from([[0.0f64, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
    assert_eq!(matrix_inverse(&p).unwrap().to_f64_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(matrix_determinant(&p).unwrap().to_f64_vec(), vec![1.0]);
    let swap = Tensor::from([[0.0f64, 1.0], [1.0, 0.0]]);
    assert_eq!(matrix_determinant(&swap).unwrap().to_f64_vec(), vec![-1.0]);
}

#[test]
fn square_matrix_ops_reject_bad_inputs() {
    let cases: Vec<(Tensor, &str)> = vec![
        (Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]), "square"),
        (Tensor::from([1.0f32, 2.0]), "rank >= 2"),
        (Tensor::from([[1i32, 2], [3, 4]]), "int32"),
    ];
    for (x, what) in cases {
        for (op, r) in [
            ("matrix_inverse", matrix_inverse(&x).map(|_| ())),
            ("matrix_determinant", matrix_determinant(&x).map(|_| ())),
            ("log_matrix_determinant", log_matrix_determinant(&x).map(|_| ())),
        ] {
            let e = r.unwrap_err().to_string();
            assert!(e.contains(op) && e.contains(what), "{e}");
        }
    }
}

#[test]
fn gradients_of_inverse_and_determinant_have_closed_forms() {
    // d det(A) / dA = det(A) A⁻ᵀ; for A = [[a, b], [c, d]] that is [[d, -c], [-b, a]].
    let a = Tensor::from([[2.0f64, 3.0], [5.0, 7.0]]);
    let tape = GradientTape::new();
    let d = tape
        .scope(|t| {
            t.watch(&a);
            matrix_determinant(&a)
        })
        .unwrap()
        .unwrap();
    let g = tape.gradient(&d, &[&a]).unwrap()[0].clone().unwrap();
    assert_close(&g.to_f64_vec(), &[7.0, -5.0, -3.0, 2.0], 1e-15, 1e-15);
    // d sum(A⁻¹) / dA = -A⁻ᵀ 1 1ᵀ A⁻ᵀ; A⁻¹ = [[-7, 3], [5, -2]], so A⁻ᵀ 1 = [-2, 1] and
    // 1ᵀ A⁻ᵀ = [-4, 3]: the gradient is -[[8, -6], [-4, 3]].
    let tape = GradientTape::new();
    let s = tape
        .scope(|t| {
            t.watch(&a);
            tensile::ops::reduce::reduce_sum(&matrix_inverse(&a)?, None, false)
        })
        .unwrap()
        .unwrap();
    let g = tape.gradient(&s, &[&a]).unwrap()[0].clone().unwrap();
    assert_close(&g.to_f64_vec(), &[-8.0, 6.0, 4.0, -3.0], 1e-14, 1e-14);
}

#[test]
fn diag_builds_matrices_like_tensorflow() {
    let d = Tensor::from([1.0f32, 2.0, 3.0]);
    let v = |o: DiagOptions| {
        let t = matrix_diag(&d, o).unwrap();
        (t.shape().to_vec(), t.to_f64_vec())
    };
    let base = DiagOptions::default();
    assert_eq!(v(base), (vec![3, 3], vec![1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0]));
    // Values from tf.linalg.diag with the same arguments.
    assert_eq!(
        v(DiagOptions { k: 1, ..base }),
        (vec![4, 4], vec![0., 1., 0., 0., 0., 0., 2., 0., 0., 0., 0., 3., 0., 0., 0., 0.])
    );
    assert_eq!(
        v(DiagOptions { k: -1, ..base }),
        (vec![4, 4], vec![0., 0., 0., 0., 1., 0., 0., 0., 0., 2., 0., 0., 0., 0., 3., 0.])
    );
    assert_eq!(v(DiagOptions { num_rows: 4, ..base }).0, vec![4, 3]);
    assert_eq!(
        v(DiagOptions { num_cols: 5, padding_value: 9.0, ..base }),
        (vec![3, 5], vec![1., 9., 9., 9., 9., 9., 2., 9., 9., 9., 9., 9., 3., 9., 9.])
    );
    for (o, what) in [
        (DiagOptions { num_rows: 4, num_cols: 5, ..base }, "not consistent"),
        (DiagOptions { num_rows: 2, num_cols: 5, ..base }, "num_rows = 2 is too small"),
        (DiagOptions { k: 1, num_rows: 3, num_cols: 3, ..base }, "num_cols = 3 is too small"),
        (DiagOptions { k: i64::MIN, ..base }, "too large"),
    ] {
        let e = matrix_diag(&d, o).unwrap_err().to_string();
        assert!(e.contains("matrix_diag") && e.contains(what), "{e}");
    }
    let e = matrix_diag(&Tensor::from(1.0f32), base).unwrap_err().to_string();
    assert!(e.contains("rank >= 1"), "{e}");
    // Batched, integer and bool diagonals; an empty one.
    let b = matrix_diag(&Tensor::from([[1i32, 2], [3, 4]]), base).unwrap();
    assert_eq!((b.shape(), b.to_vec::<i32>().unwrap()), (&[2usize, 2, 2][..], vec![1, 0, 0, 2, 3, 0, 0, 4]));
    let t = matrix_diag(&Tensor::from([true, false]), base).unwrap();
    assert_eq!(t.to_vec::<bool>().unwrap(), vec![true, false, false, false]);
    let e = matrix_diag(&Tensor::from_vec(Vec::<f64>::new(), &[0]).unwrap(), base).unwrap();
    assert_eq!(e.shape(), &[0, 0]);
}

#[test]
fn diag_part_set_diag_and_trace_like_tensorflow() {
    let m = Tensor::from_vec((0..12).map(|v| v as f32).collect::<Vec<_>>(), &[3, 4]).unwrap();
    let part = |k| matrix_diag_part(&m, k).unwrap().to_f64_vec();
    assert_eq!(part(0), vec![0.0, 5.0, 10.0]);
    assert_eq!(part(1), vec![1.0, 6.0, 11.0]);
    assert_eq!(part(3), vec![3.0]);
    assert_eq!(part(-2), vec![8.0]);
    for k in [4, -3, i64::MAX, i64::MIN] {
        let e = matrix_diag_part(&m, k).unwrap_err().to_string();
        assert!(e.contains("matrix_diag_part") && e.contains("out of bounds"), "{e}");
    }
    assert!(matrix_diag_part(&Tensor::from([1.0f32]), 0).unwrap_err().to_string().contains("rank >= 2"));
    assert_eq!(
        matrix_diag_part(&Tensor::from_vec(Vec::<f32>::new(), &[2, 0, 3]).unwrap(), 0).unwrap().shape(),
        &[2, 0]
    );
    assert_eq!(trace(&m).unwrap().to_f64_vec(), vec![15.0]);
    assert_eq!(
        trace(&Tensor::from([[[1i32, 2], [3, 4]], [[5, 6], [7, -8]]])).unwrap().to_vec::<i32>().unwrap(),
        vec![5, -3]
    );

    let nines = Tensor::from([9.0f32, 9.0, 9.0]);
    let set = |k| matrix_set_diag(&m, &nines, k).map(|t| t.to_f64_vec());
    assert_eq!(set(0).unwrap(), vec![9., 1., 2., 3., 4., 9., 6., 7., 8., 9., 9., 11.]);
    assert_eq!(set(1).unwrap(), vec![0., 9., 2., 3., 4., 5., 9., 7., 8., 9., 10., 9.]);
    let e = set(-1).unwrap_err().to_string();
    assert!(e.contains("matrix_set_diag") && e.contains("[2]") && e.contains("[3]"), "{e}");
    let e = matrix_set_diag(&m, &Tensor::from([9.0f64, 9.0, 9.0]), 0).unwrap_err().to_string();
    assert!(e.contains("float64"), "{e}");
}

#[test]
fn band_part_keeps_the_band_like_tensorflow() {
    let m = Tensor::from_vec((0..12).map(|v| v as f32).collect::<Vec<_>>(), &[3, 4]).unwrap();
    let band = |lo: i64, up: i64| matrix_band_part(&m, &Tensor::from(lo), &Tensor::from(up)).map(|t| t.to_f64_vec());
    assert_eq!(band(1, 0).unwrap(), vec![0., 0., 0., 0., 4., 5., 0., 0., 0., 9., 10., 0.]);
    assert_eq!(band(-1, 0).unwrap(), vec![0., 0., 0., 0., 4., 5., 0., 0., 8., 9., 10., 0.]);
    assert_eq!(band(0, -1).unwrap(), vec![0., 1., 2., 3., 0., 5., 6., 7., 0., 0., 10., 11.]);
    assert_eq!(band(3, 0).unwrap(), band(-1, 0).unwrap());
    assert_eq!(band(-1, -1).unwrap(), m.to_f64_vec());
    let e = band(5, 0).unwrap_err().to_string();
    assert!(e.contains("matrix_band_part") && e.contains("num_lower") && e.contains('5'), "{e}");
    let e = band(0, 5).unwrap_err().to_string();
    assert!(e.contains("num_upper"), "{e}");
    let ints = Tensor::from([[1i32, 2], [3, 4]]);
    let r = matrix_band_part(&ints, &Tensor::from(0i32), &Tensor::from(0i32)).unwrap();
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 0, 0, 4]);
    let e = matrix_band_part(&ints, &Tensor::from(0.5f32), &Tensor::from(0i32)).unwrap_err().to_string();
    assert!(e.contains("num_lower") && e.contains("float32"), "{e}");
    let e = matrix_band_part(&Tensor::from([1.0f32]), &Tensor::from(0i32), &Tensor::from(0i32)).unwrap_err();
    assert!(e.to_string().contains("rank >= 2"), "{e}");
}
