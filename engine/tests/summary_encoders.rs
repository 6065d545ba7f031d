//! Summary payload encoders: histogram buckets and image PNGs checked against what TensorFlow
//! 2.21 with TensorBoard 2.21 wrote into real event files (`fixtures/summary_encoders/gen.py`),
//! tensor protos, and graphs as `GraphDef`s.

use prost::Message;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tensile::attrs::Attrs;
use tensile::graph::Graph;
use tensile::ops::{math, Spec};
use tensile::prelude::*;
use tensile::summary::graph_def::{graph_def, graph_def_bytes, tf_op_name};
use tensile::summary::histogram::{
    encode_histogram, histogram_buckets, histogram_metadata, histogram_tensor, DEFAULT_BUCKETS,
};
use tensile::summary::image::{encode_image_summary, encode_images, encode_uint8_images, image_metadata, image_tensor};
use tensile::summary::proto::{attr_value, DataClass, DataType, GraphDef, NodeDef, TensorProto};
use tensile::summary::tensor_proto::{
    f64_matrix, metadata, scalar_f32, shape, string_scalar, string_vector, tensor_to_proto,
};
use tensile::testing::power_while_graph;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/summary_encoders/expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture file")).expect("fixture JSON")
}

/// A float stored as Python's `repr` (`nan`, `inf`, `-0.0` included).
fn float(v: &Value) -> f64 {
    v.as_str().expect("float string").parse().expect("float repr")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(float).collect()
}

/// Integers stored as decimal strings, parsed exactly (a float would round 2^63 - 1).
fn exact_ints<T: std::str::FromStr>(v: &Value) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("integer string").parse().expect("integer")).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(|x| x.as_u64().expect("size") as usize).collect()
}

/// Bitwise equality, except that any NaN equals any NaN.
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn dims(t: &TensorProto) -> Vec<i64> {
    t.tensor_shape.as_ref().expect("shape").dim.iter().map(|d| d.size).collect()
}

fn f64s_of(content: &[u8]) -> Vec<f64> {
    content.chunks(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

fn tensor(dtype: &str, values: &[f64], shape: &[usize]) -> Tensor {
    let t = match dtype {
        "float64" => Tensor::from_vec(values.to_vec(), shape),
        "float32" => Tensor::from_vec(values.iter().map(|&v| v as f32).collect::<Vec<_>>(), shape),
        "int32" => Tensor::from_vec(values.iter().map(|&v| v as i32).collect::<Vec<_>>(), shape),
        "int64" => Tensor::from_vec(values.iter().map(|&v| v as i64).collect::<Vec<_>>(), shape),
        "bool" => Tensor::from_vec(values.iter().map(|&v| v != 0.0).collect::<Vec<_>>(), shape),
        other => panic!("fixture dtype {other}"),
    };
    t.expect("fixture tensor")
}

#[test]
fn histogram_buckets_match_tensorflow_bit_for_bit() {
    let fx = fixture();
    let cases = fx["histograms"].as_array().expect("cases");
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let values = floats(&case["values"]);
        let buckets = case["buckets"].as_u64().expect("buckets") as usize;
        let expected: Vec<Vec<f64>> = case["rows"].as_array().expect("rows").iter().map(floats).collect();
        assert_eq!(usizes(&case["shape"]), vec![expected.len(), 3], "{name}");
        let rows = histogram_buckets(&values, buckets);
        assert_eq!(rows.len(), expected.len(), "{name}: row count");
        for (i, (got, want)) in rows.iter().zip(&expected).enumerate() {
            assert!(
                got.iter().zip(want).all(|(&a, &b)| same(a, b)),
                "{name} row {i}: got {got:?}, TensorFlow {want:?}"
            );
        }
        // The tensor path casts the input dtype to float64 as TensorFlow does.
        let shape = [values.len()];
        let proto = encode_histogram(&tensor(case["dtype"].as_str().expect("dtype"), &values, &shape), buckets)
            .expect("encode_histogram");
        assert_eq!(proto.dtype, DataType::DtDouble as i32, "{name}");
        assert_eq!(dims(&proto), vec![expected.len() as i64, 3], "{name}");
        let flat: Vec<f64> = expected.iter().flatten().copied().collect();
        let got = f64s_of(&proto.tensor_content);
        assert_eq!(got.len(), flat.len(), "{name}");
        assert!(got.iter().zip(&flat).all(|(&a, &b)| same(a, b)), "{name}: tensor {got:?} vs {flat:?}");
        assert_eq!(case["metadata"]["plugin_name"], "histograms");
        assert_eq!(case["metadata"]["content_len"], 0);
    }
}

#[test]
fn histogram_edge_cases_and_metadata() {
    assert_eq!(DEFAULT_BUCKETS, 30);
    // A constant input: zero-width buckets at the value, everything counted in the last one.
    let rows = histogram_buckets(&[7.0, 7.0, 7.0], DEFAULT_BUCKETS);
    assert_eq!(rows.len(), 30);
    assert!(rows[..29].iter().all(|r| *r == [7.0, 7.0, 0.0]));
    assert_eq!(rows[29], [7.0, 7.0, 3.0]);
    // The maximum lands in the last bucket, which is closed.
    assert_eq!(histogram_buckets(&[0.0, 1.0, 2.0], 2), vec![[0.0, 1.0, 1.0], [1.0, 2.0, 2.0]]);
    assert!(histogram_buckets(&[], 4).iter().all(|r| *r == [0.0; 3]));
    assert!(histogram_buckets(&[1.0, 2.0], 0).is_empty());

    let t = histogram_tensor(&[[0.0, 1.0, 2.0], [1.0, 2.0, 5.0]]);
    assert_eq!(dims(&t), vec![2, 3]);
    assert_eq!(f64s_of(&t.tensor_content), vec![0.0, 1.0, 2.0, 1.0, 2.0, 5.0]);
    let m = histogram_metadata("weights");
    let plugin = m.plugin_data.as_ref().expect("plugin data");
    assert_eq!((plugin.plugin_name.as_str(), plugin.content.len()), ("histograms", 0));
    assert_eq!(m.data_class, DataClass::Tensor as i32);
    assert_eq!(m.summary_description, "weights");

    let err = encode_histogram(&Tensor::from(1.0f32), usize::MAX / 2).expect_err("huge bucket count");
    assert_eq!(err.op.as_deref(), Some("histogram"));
}

fn png_pixels(png_bytes: &[u8]) -> (u32, u32, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type.samples(), buf)
}

#[test]
fn images_match_tensorflow_pixels() {
    let fx = fixture();
    let cases = fx["images"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let dtype = case["dtype"].as_str().expect("dtype");
        let shape = usizes(&case["shape"]);
        let t = match dtype {
            // Integer probes reach 2^63 - 1, which a float would round.
            "int64" => Tensor::from_vec(exact_ints::<i64>(&case["values"]), &shape).expect("tensor"),
            "int32" => Tensor::from_vec(exact_ints::<i32>(&case["values"]), &shape).expect("tensor"),
            _ => tensor(dtype, &floats(&case["values"]), &shape),
        };
        let max_outputs = case["max_outputs"].as_u64().expect("max_outputs") as usize;
        let (width, height, pngs) = encode_images(&t, max_outputs).expect(name);
        assert_eq!(width.to_string(), case["width"].as_str().unwrap(), "{name}");
        assert_eq!(height.to_string(), case["height"].as_str().unwrap(), "{name}");
        let expected = case["pixels"].as_array().expect("pixels");
        let channels = usizes(&case["png_channels"]);
        assert_eq!(pngs.len(), expected.len(), "{name}: image count");
        for (i, png_bytes) in pngs.iter().enumerate() {
            let (w, h, c, pixels) = png_pixels(png_bytes);
            assert_eq!((w, h, c), (width, height, channels[i]), "{name} image {i}");
            let want: Vec<u8> = expected[i].as_array().unwrap().iter().map(|p| p.as_u64().unwrap() as u8).collect();
            assert_eq!(pixels, want, "{name} image {i}");
        }
        let proto = encode_image_summary(&t, max_outputs).expect(name);
        assert_eq!(dims(&proto), usizes(&case["tensor_shape"]).iter().map(|&d| d as i64).collect::<Vec<_>>());
        assert_eq!(proto.dtype, DataType::DtString as i32);
        assert_eq!(proto.string_val[0], case["width"].as_str().unwrap().as_bytes());
        assert_eq!(proto.string_val[1], case["height"].as_str().unwrap().as_bytes());
        assert_eq!(case["metadata"]["plugin_name"], "images");
    }
}

#[test]
fn image_errors_name_the_op_and_shape() {
    let rank3 = Tensor::from_vec(vec![0.5f32; 6], &[2, 3, 1]).unwrap();
    let err = encode_images(&rank3, 3).expect_err("rank 3");
    assert_eq!(err.op.as_deref(), Some("image"));
    assert!(err.message.contains("rank 3") && err.message.contains("[2, 3, 1]"), "{err}");

    let five = Tensor::from_vec(vec![0.5f32; 10], &[1, 1, 2, 5]).unwrap();
    let err = encode_images(&five, 3).expect_err("5 channels");
    assert!(err.message.contains("got 5") && err.message.contains("[1, 1, 2, 5]"), "{err}");

    let bools = Tensor::from_vec(vec![true; 4], &[1, 2, 2, 1]).unwrap();
    assert!(encode_images(&bools, 3).expect_err("bool").message.contains("bool"));

    // An image with no pixels cannot be a PNG, unless no image is encoded at all.
    let flat = Tensor::from_vec(Vec::<f32>::new(), &[2, 0, 3, 3]).unwrap();
    assert!(encode_images(&flat, 1).is_err());
    assert_eq!(encode_images(&flat, 0).unwrap(), (3, 0, vec![]));

    assert!(encode_uint8_images(&[1, 2, 3], [1, 2, 2, 1], 1).is_err());
}

#[test]
fn uint8_images_keep_their_bytes() {
    let pixels: Vec<u8> = (0..=255).collect();
    let (w, h, pngs) = encode_uint8_images(&pixels, [2, 4, 8, 4], 5).unwrap();
    assert_eq!((w, h, pngs.len()), (8, 4, 2));
    assert_eq!(png_pixels(&pngs[0]), (8, 4, 4, pixels[..128].to_vec()));
    assert_eq!(png_pixels(&pngs[1]), (8, 4, 4, pixels[128..].to_vec()));

    let t = image_tensor(3, 2, vec![b"png".to_vec()]);
    assert_eq!(dims(&t), vec![3]);
    assert_eq!(t.string_val, vec![b"3".to_vec(), b"2".to_vec(), b"png".to_vec()]);
    let m = image_metadata("");
    assert_eq!(m.plugin_data.unwrap().plugin_name, "images");
    assert_eq!(m.data_class, DataClass::BlobSequence as i32);
}

#[test]
fn tensor_protos_hold_raw_little_endian_values() {
    let s = scalar_f32(1.5);
    assert_eq!(
        (s.dtype, dims(&s), s.tensor_content.clone()),
        (DataType::DtFloat as i32, vec![], 1.5f32.to_le_bytes().to_vec())
    );
    // The wire form decodes back to the same message.
    assert_eq!(TensorProto::decode(s.encode_to_vec().as_slice()).unwrap(), s);

    let t = string_scalar("héllo");
    assert_eq!((t.dtype, dims(&t)), (DataType::DtString as i32, vec![]));
    assert_eq!(t.string_val, vec!["héllo".as_bytes().to_vec()]);
    let v = string_vector(vec![b"a".to_vec(), vec![0, 255]]);
    assert_eq!(dims(&v), vec![2]);

    let m = f64_matrix(2, 1, &[1.0, -2.0]).unwrap();
    assert_eq!(
        (m.dtype, dims(&m), f64s_of(&m.tensor_content)),
        (DataType::DtDouble as i32, vec![2, 1], vec![1.0, -2.0])
    );
    assert!(f64_matrix(2, 2, &[1.0]).is_err());
    assert_eq!(dims(&TensorProto { tensor_shape: Some(shape(&[4, -1])), ..Default::default() }), vec![4, -1]);

    let meta = metadata("scalars", DataClass::Scalar, "loss");
    assert_eq!(meta.plugin_data.as_ref().unwrap().plugin_name, "scalars");
    assert_eq!((meta.data_class, meta.summary_description.as_str()), (DataClass::Scalar as i32, "loss"));

    let cases: Vec<(Tensor, DataType, Vec<u8>)> = vec![
        (
            Tensor::from_vec(vec![1.0f32, -0.5], &[2, 1]).unwrap(),
            DataType::DtFloat,
            [1.0f32.to_le_bytes(), (-0.5f32).to_le_bytes()].concat(),
        ),
        (Tensor::from(2.25f64), DataType::DtDouble, 2.25f64.to_le_bytes().to_vec()),
        (Tensor::from_vec(vec![-1i32, 258], &[2]).unwrap(), DataType::DtInt32, vec![255, 255, 255, 255, 2, 1, 0, 0]),
        (Tensor::from_vec(vec![1i64 << 40], &[1]).unwrap(), DataType::DtInt64, (1i64 << 40).to_le_bytes().to_vec()),
        (Tensor::from_vec(vec![true, false, true], &[3]).unwrap(), DataType::DtBool, vec![1, 0, 1]),
    ];
    for (t, dtype, bytes) in cases {
        let p = tensor_to_proto(&t).unwrap();
        assert_eq!(p.dtype, dtype as i32);
        assert_eq!(dims(&p), t.shape().iter().map(|&d| d as i64).collect::<Vec<_>>());
        assert_eq!(p.tensor_content, bytes, "{dtype:?}");
    }
}

fn by_name(g: &GraphDef) -> HashMap<&str, &NodeDef> {
    let map: HashMap<&str, &NodeDef> = g.node.iter().map(|n| (n.name.as_str(), n)).collect();
    assert_eq!(map.len(), g.node.len(), "node names are unique");
    map
}

fn attr_type(n: &NodeDef, key: &str) -> Option<DataType> {
    match n.attr.get(key)?.value {
        Some(attr_value::Value::Type(t)) => DataType::try_from(t).ok(),
        _ => None,
    }
}

#[test]
fn a_traced_function_becomes_a_graph_def() -> Result<()> {
    let w = Variable::new(Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2])?, "w");
    let f = Function::new("dense", FunctionOptions::default(), move |args| {
        let x = args[0].tensor()?;
        let y = (matmul(x, &w.value())? + Tensor::from(vec![0.5f32, -0.5]))?;
        Ok(Arg::Tensor(exp(&y)?))
    });
    let cf = f.get_concrete_function(&[TensorSpec::new(&[None, Some(3)], DType::F32).into()])?;
    let graph = cf.graph();
    let decoded = GraphDef::decode(graph_def_bytes(graph).as_slice()).expect("GraphDef parses");
    assert_eq!(decoded, graph_def(graph));
    assert_eq!(decoded.versions.as_ref().map(|v| v.producer), Some(1));
    let nodes = by_name(&decoded);
    // One node per graph node plus one Identity per result.
    assert_eq!(decoded.node.len(), graph.len() + 1);

    let placeholder = decoded.node.iter().find(|n| n.op == "Placeholder").expect("a Placeholder");
    assert_eq!(attr_type(placeholder, "dtype"), Some(DataType::DtFloat));
    let Some(attr_value::Value::Shape(s)) = &placeholder.attr["shape"].value else { panic!("shape attr") };
    assert_eq!(s.dim.iter().map(|d| d.size).collect::<Vec<_>>(), vec![-1, 3]);

    let read = decoded.node.iter().find(|n| n.op == "ReadVariableOp").expect("the variable read");
    let ops: Vec<&str> = decoded.node.iter().map(|n| n.op.as_str()).collect();
    // The optimizer fuses matmul, bias and activation into one node.
    assert!(ops.contains(&"MatMul") || ops.contains(&"FusedMatmul"), "{ops:?}\n{graph}");
    // Every input names an existing node (an optional `:k` output index, `^` for control).
    for n in &decoded.node {
        for i in &n.input {
            let base = i.trim_start_matches('^').split(':').next().unwrap();
            assert!(nodes.contains_key(base), "{} has input {i}", n.name);
        }
    }
    // Walk back from the result to the placeholder and the variable.
    let out = nodes["output_0"];
    assert_eq!(out.op, "Identity");
    let result = nodes[out.input[0].as_str()];
    assert_eq!(attr_type(result, "T"), Some(DataType::DtFloat));
    let mut reached = Vec::new();
    let mut stack = vec![result.name.as_str()];
    while let Some(name) = stack.pop() {
        reached.push(name);
        stack.extend(nodes[name].input.iter().map(|i| i.split(':').next().unwrap()));
    }
    assert!(reached.contains(&placeholder.name.as_str()) && reached.contains(&read.name.as_str()), "{reached:?}");
    Ok(())
}

fn scalar(dtype: DType) -> Spec {
    Spec::new(dtype, &[])
}

#[test]
fn nodes_names_inputs_and_attrs() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F64, &[2, 2]));
    let y = g.add_op1(
        &tensile::ops::linalg::MATMUL,
        &[x, x],
        Attrs::new()
            .with("transpose_a", tensile::attrs::Attr::Bool(false))
            .with("transpose_b", tensile::attrs::Attr::Bool(true)),
    )?;
    let parts = g.add_op(
        &tensile::ops::array::SPLIT,
        &[y],
        Attrs::new()
            .with("size_splits", tensile::attrs::Attr::Ints(vec![1, 1]))
            .with("axis", tensile::attrs::Attr::Int(0)),
    )?;
    let z = g.add_op1(&math::ADD, &[parts[0], parts[1]], Attrs::new())?;
    g.add_control_input(z.node, y.node)?;
    g.set_outputs(&[z, parts[1]])?;

    let def = graph_def(&g);
    let nodes = by_name(&def);
    let mm = nodes["matmul_1"];
    assert_eq!(
        (mm.op.as_str(), mm.input.clone()),
        ("MatMul", vec!["placeholder_0".to_string(), "placeholder_0".into()])
    );
    assert_eq!(mm.attr["transpose_b"].value, Some(attr_value::Value::B(true)));
    assert_eq!(attr_type(mm, "T"), Some(DataType::DtDouble));
    let split = nodes["split_2"];
    assert_eq!(split.op, "Split");
    assert_eq!(split.attr["axis"].value, Some(attr_value::Value::I(0)));
    assert_eq!(split.attr["size_splits"].value, Some(attr_value::Value::S(b"[1, 1]".to_vec())));
    let add = nodes["add_3"];
    assert_eq!(add.op, "AddV2");
    assert_eq!(add.input, vec!["split_2", "split_2:1", "^matmul_1"]);
    assert_eq!(nodes["output_1"].input, vec!["split_2:1"]);
    assert_eq!(nodes["output_0"].input, vec!["add_3"]);

    for (ours, tf) in [
        ("reduce_sum", "Sum"),
        ("relu", "Relu"),
        ("stateless_random_uniform_v2", "StatelessRandomUniformV2"),
        ("conv2d", "Conv2D"),
        ("gather_nd", "GatherNd"),
        ("leaky_relu", "LeakyRelu"),
    ] {
        assert_eq!(tf_op_name(ours), tf);
    }
    Ok(())
}

/// The while graph of [`power_while_graph`] (at most 10 iterations), then
/// `cond(y > 0, y * y, y)` on its result.
fn power_graph() -> Result<Graph> {
    let f = scalar(DType::F64);
    let (mut g, outs) = power_while_graph(Some(10))?;
    // cond(x > 0, x * x, x) on the loop's result.
    let mut then_g = Graph::new();
    let t = then_g.add_placeholder(f.clone());
    let tt = then_g.add_op1(&math::MUL, &[t, t], Attrs::new())?;
    then_g.set_outputs(&[tt])?;
    let mut else_g = Graph::new();
    let e = else_g.add_placeholder(f.clone());
    else_g.set_outputs(&[e])?;
    let zero_f = g.add_const(Tensor::from(0.0f64));
    let pred = g.add_op1(&math::GREATER, &[outs[1], zero_f], Attrs::new())?;
    let r = g.add_cond(pred, &[outs[1]], Arc::new(then_g), Arc::new(else_g))?;
    g.set_outputs(&[outs[0], r[0]])?;
    Ok(g)
}

#[test]
fn control_flow_sub_graphs_are_flattened_under_their_node() -> Result<()> {
    let g = power_graph()?;
    let def = GraphDef::decode(graph_def_bytes(&g).as_slice()).expect("GraphDef parses");
    let nodes = by_name(&def);
    let w = nodes["while_2"];
    assert_eq!(w.op, "StatelessWhile");
    assert_eq!(w.attr["maximum_iterations"].value, Some(attr_value::Value::I(10)));
    assert_eq!(attr_type(w, "T"), Some(DataType::DtInt32));
    assert_eq!(
        w.input,
        vec![
            "const_1",
            "placeholder_0",
            "placeholder_0",
            "^while_2/cond/result_0",
            "^while_2/body/result_0",
            "^while_2/body/result_1"
        ]
    );
    // Sub-graph arguments are fed by the loop's inputs, in order.
    assert_eq!(nodes["while_2/body/placeholder_0"].op, "Identity");
    assert_eq!(attr_type(nodes["while_2/body/placeholder_0"], "T"), Some(DataType::DtInt32));
    assert_eq!(nodes["while_2/body/placeholder_0"].input, vec!["const_1"]);
    assert_eq!(nodes["while_2/body/placeholder_2"].input, vec!["placeholder_0"]);
    assert_eq!(nodes["while_2/body/add_4"].op, "AddV2");
    assert_eq!(nodes["while_2/body/add_4"].input, vec!["while_2/body/placeholder_0", "while_2/body/const_3"]);
    assert_eq!(nodes["while_2/body/result_1"].input, vec!["while_2/body/mul_5"]);
    assert_eq!(nodes["while_2/cond/less_4"].op, "Less");

    let c = nodes["cond_5"];
    assert_eq!(c.op, "StatelessIf");
    assert_eq!(c.input[..2], ["greater_4".to_string(), "while_2:1".to_string()]);
    // The predicate does not feed the branches; the other inputs do.
    assert_eq!(nodes["cond_5/then_branch/placeholder_0"].input, vec!["while_2:1"]);
    assert_eq!(nodes["cond_5/else_branch/placeholder_0"].input, vec!["while_2:1"]);
    assert_eq!(nodes["cond_5/else_branch/result_0"].input, vec!["cond_5/else_branch/placeholder_0"]);
    assert_eq!(nodes["output_1"].input, vec!["cond_5"]);
    assert_eq!(nodes["output_0"].input, vec!["while_2"]);
    Ok(())
}
