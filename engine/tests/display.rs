//! Printing of tensors, compared byte for byte with NumPy 2 and TensorFlow 2.
//!
//! The expected strings in `fixtures/display_*.txt` come from `fixtures/gen_display.py`.

use tensile::{numpy_repr, numpy_str, numpy_value_repr, DType, Storage, Tensor};

fn parse_values(dtype: DType, tokens: &[&str]) -> Storage {
    let hex32 = |t: &&str| f32::from_bits(u32::from_str_radix(t, 16).expect("hex float32 bits"));
    let hex64 = |t: &&str| f64::from_bits(u64::from_str_radix(t, 16).expect("hex float64 bits"));
    match dtype {
        DType::F32 => Storage::F32(tokens.iter().map(hex32).collect()),
        DType::F64 => Storage::F64(tokens.iter().map(hex64).collect()),
        DType::I32 => Storage::I32(tokens.iter().map(|t| t.parse().expect("int32")).collect()),
        DType::I64 => Storage::I64(tokens.iter().map(|t| t.parse().expect("int64")).collect()),
        DType::Bool => Storage::Bool(tokens.iter().map(|t| *t == "1").collect()),
    }
}

fn tensor_from(dtype: &str, shape: &[usize], values: &str) -> Tensor {
    let dtype = DType::from_name(dtype).expect("known dtype");
    let tokens: Vec<&str> = values.split_whitespace().collect();
    Tensor::from_storage(parse_values(dtype, &tokens), shape).expect("values fill the shape")
}

struct Case {
    name: String,
    tensor: Tensor,
    expected: Vec<(String, String)>,
}

fn load_cases() -> Vec<Case> {
    let text = include_str!("fixtures/display_cases.txt");
    let mut cases = Vec::new();
    for block in text.split("=== ").skip(1) {
        let mut lines = block.lines();
        let name = lines.next().expect("case name").to_string();
        let mut field = |key: &str| {
            let line = lines.next().expect("header line");
            line.strip_prefix(key)
                .unwrap_or_else(|| panic!("{name}: expected '{key}', got '{line}'"))
                .trim()
                .to_string()
        };
        let dtype = field("dtype");
        let shape: Vec<usize> = field("shape").split_whitespace().map(|d| d.parse().expect("dim")).collect();
        let values = field("values");
        let tensor = tensor_from(&dtype, &shape, &values);
        let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
        for line in lines {
            if let Some(key) = line.strip_prefix("--- ") {
                sections.push((key.to_string(), Vec::new()));
            } else if let Some((_, body)) = sections.last_mut() {
                body.push(line);
            }
        }
        let expected = sections.into_iter().map(|(key, body)| (key, body.join("\n"))).collect();
        cases.push(Case { name, tensor, expected });
    }
    cases
}

fn render(key: &str, t: &Tensor) -> String {
    match key {
        "np_str" => numpy_str(t),
        "np_repr" => numpy_repr(t),
        "value_repr" => numpy_value_repr(t),
        "tf_str" => format!("{t}"),
        "tf_repr" => format!("{t:?}"),
        other => panic!("unknown fixture section '{other}'"),
    }
}

#[test]
fn corpus_matches_numpy_and_tensorflow() {
    let cases = load_cases();
    assert!(cases.len() >= 40, "fixture has only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        assert_eq!(case.expected.len(), 5, "{}: expected 5 sections", case.name);
        for (key, want) in &case.expected {
            let got = render(key, &case.tensor);
            checked += 1;
            if &got != want {
                failures.push(format!("{} [{key}]\n--- expected\n{want}\n--- got\n{got}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} outputs differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn float_digits_match_numpy() {
    let text = include_str!("fixtures/display_floats.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        assert_eq!(parts.len(), 4, "bad fixture line: {line}");
        let (dtype, values, want_array, want_scalar) = (parts[0], parts[1], parts[2], parts[3]);
        let n = values.split_whitespace().count();
        let array = tensor_from(dtype, &[n], values);
        let first = values.split_whitespace().next().expect("one value");
        let scalar = tensor_from(dtype, &[], first);
        count += 1;
        let got_array = numpy_str(&array);
        if got_array != want_array {
            failures.push(format!("{dtype} {values}: array expected {want_array:?}, got {got_array:?}"));
        }
        let got_scalar = numpy_str(&scalar);
        if got_scalar != want_scalar {
            failures.push(format!("{dtype} {first}: scalar expected {want_scalar:?}, got {got_scalar:?}"));
        }
    }
    assert!(count >= 500, "fixture has only {count} lines");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn documented_examples() {
    let t = Tensor::from([1.0f32, 2.0]);
    assert_eq!(format!("{t}"), "tf.Tensor([1. 2.], shape=(2,), dtype=float32)");
    assert_eq!(format!("{t:?}"), "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>");
    assert_eq!(format!("{}", Tensor::scalar(3i32)), "tf.Tensor(3, shape=(), dtype=int32)");
    let m = Tensor::from([[1i32, 2], [3, 4]]);
    assert_eq!(format!("{m}"), "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)");
    assert_eq!(
        format!("{m:?}"),
        "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\narray([[1, 2],\n       [3, 4]], dtype=int32)>"
    );
    assert_eq!(numpy_str(&Tensor::from([0.1f64, 0.25])), "[0.1  0.25]");
    assert_eq!(numpy_str(&Tensor::from([1.0f64, 2.5])), "[1.  2.5]");
    assert_eq!(numpy_repr(&Tensor::from([1.0f64, 2.5])), "array([1. , 2.5])");
    assert_eq!(numpy_str(&Tensor::from([true, false])), "[ True False]");
    assert_eq!(numpy_repr(&Tensor::from([true, false])), "array([ True, False])");
    assert_eq!(numpy_str(&Tensor::from([0.1f32])), "[0.1]");
    assert_eq!(numpy_value_repr(&Tensor::scalar(0.1f32)), "np.float32(0.1)");
    assert_eq!(numpy_value_repr(&Tensor::scalar(true)), "np.True_");
    assert_eq!(numpy_repr(&Tensor::scalar(5i64)), "array(5)");
}

#[test]
fn large_tensors_print_only_their_corners() {
    let n = 1_000_000usize;
    let t = Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), &[1000, 1000]).expect("shape");
    let s = numpy_str(&t);
    assert_eq!(
        s,
        "[[     0      1      2 ...    997    998    999]\n [  1000   1001   1002 ...   1997   1998   1999]\n \
         [  2000   2001   2002 ...   2997   2998   2999]\n ...\n [997000 997001 997002 ... 997997 997998 997999]\n \
         [998000 998001 998002 ... 998997 998998 998999]\n [999000 999001 999002 ... 999997 999998 999999]]"
    );
}
