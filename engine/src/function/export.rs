//! Exporting a concrete function to a directory and loading it back as a callable that runs
//! without the tracer.
//!
//! A saved function is three files:
//! - `graph.json`: the differentiable graph in the versioned JSON of `graph::serial` (the
//!   loader optimizes it again, so fused kernels never need a stable format);
//! - `variables.safetensors`: the captured variables' values, named `v0`, `v1`, ... in the
//!   graph's capture order, with the variables' names in the metadata;
//! - `manifest.json`: format version, function name, argument names and signature, result
//!   structure, and each variable's name, dtype, shape and trainable flag.
//!
//! Files are written to temporary names and renamed, the manifest last, so a crash never
//! leaves a directory that loads as something half-written. Loading checks everything
//! (sizes before reading, versions, dtypes and shapes against the graph) and fails with an
//! error naming the file; it never panics or allocates without bound.

use super::concrete::{ConcreteFunction, Out};
use super::signature::{ArgSpec, TensorSpec};
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{serial, Graph};
use crate::shape;
use crate::tensor::{Storage, Tensor};
use crate::variable::Variable;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const WHO: &str = "saved function";
const FORMAT: &str = "tensile-function";
const FORMAT_VERSION: u64 = 1;
const MANIFEST: &str = "manifest.json";
const GRAPH: &str = "graph.json";
const WEIGHTS: &str = "variables.safetensors";
/// Largest manifest accepted (it holds names and signatures, never values).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Deepest nesting of signatures and result structures accepted.
const MAX_DEPTH: usize = 64;

fn bad(file: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidArgument, WHO, format!("{file}: {msg}"))
}

fn io(path: &Path, e: std::io::Error) -> Error {
    let kind = if e.kind() == std::io::ErrorKind::NotFound { ErrorKind::NotFound } else { ErrorKind::InvalidArgument };
    Error::new(kind, WHO, format!("{}: {e}", path.display()))
}

/// Saves `cf` (graph, variable values, signature) into directory `dir`, creating it.
pub fn save(cf: &ConcreteFunction, dir: &Path) -> Result<()> {
    if let Some(o) = cf.signature().iter().find_map(find_object) {
        return Err(Error::invalid(
            WHO,
            format!("the function was traced for the object {}, which cannot be saved; pass tensors instead", o.repr),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let graph = serial::to_json(cf.tape_graph())?;
    let weights = weights_bytes(cf.variables())?;
    let manifest = json!({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": cf.name(),
        "arg_names": cf.arg_names,
        "signature": cf.signature().iter().map(spec_to_json).collect::<Vec<_>>(),
        "outputs": out_to_json(cf.output_structure()),
        "variables": cf.variables().iter().map(|v| json!({
            "name": v.name(),
            "dtype": v.dtype().name(),
            "shape": v.shape(),
            "trainable": v.trainable(),
        })).collect::<Vec<_>>(),
    });
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::new(ErrorKind::Internal, WHO, format!("cannot encode the manifest: {e}")))?;
    write_atomic(&dir.join(GRAPH), graph.as_bytes())?;
    write_atomic(&dir.join(WEIGHTS), &weights)?;
    write_atomic(&dir.join(MANIFEST), &manifest)
}

/// The first object argument in a signature (objects are keys by identity, meaningless on load).
fn find_object(s: &ArgSpec) -> Option<&super::signature::ObjectKey> {
    match s {
        ArgSpec::Object(o) => Some(o),
        ArgSpec::List(v) | ArgSpec::Tuple(v) => v.iter().find_map(find_object),
        ArgSpec::Dict(v) => v.iter().find_map(|(_, s)| find_object(s)),
        _ => None,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn weights_bytes(vars: &[Variable]) -> Result<Vec<u8>> {
    let values: Vec<(String, Tensor)> = vars.iter().enumerate().map(|(i, v)| (format!("v{i}"), v.peek())).collect();
    let bytes: Vec<(String, DType, Vec<usize>, Vec<u8>)> =
        values.iter().map(|(k, t)| (k.clone(), t.dtype(), t.shape().to_vec(), le_bytes(t.storage()))).collect();
    let views = bytes
        .iter()
        .map(|(k, d, s, b)| {
            safetensors::tensor::TensorView::new(st_dtype(*d), s.clone(), b)
                .map(|v| (k.clone(), v))
                .map_err(|e| Error::new(ErrorKind::Internal, WHO, format!("cannot encode variable {k}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let names: HashMap<String, String> =
        vars.iter().enumerate().map(|(i, v)| (format!("v{i}"), v.name().to_string())).collect();
    safetensors::serialize(views, Some(names))
        .map_err(|e| Error::new(ErrorKind::Internal, WHO, format!("cannot encode the variables: {e}")))
}

fn le_bytes(s: &Storage) -> Vec<u8> {
    match s {
        Storage::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::Bool(v) => v.iter().map(|&x| x as u8).collect(),
    }
}

fn st_dtype(d: DType) -> safetensors::Dtype {
    match d {
        DType::F32 => safetensors::Dtype::F32,
        DType::F64 => safetensors::Dtype::F64,
        DType::I32 => safetensors::Dtype::I32,
        DType::I64 => safetensors::Dtype::I64,
        DType::Bool => safetensors::Dtype::BOOL,
    }
}

fn storage_from(file: &str, name: &str, dtype: DType, data: &[u8]) -> Result<Storage> {
    fn chunks<const N: usize, T>(data: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
        data.chunks_exact(N).map(|c| f(c.try_into().unwrap_or([0; N]))).collect()
    }
    Ok(match dtype {
        DType::F32 => Storage::F32(chunks(data, f32::from_le_bytes)),
        DType::F64 => Storage::F64(chunks(data, f64::from_le_bytes)),
        DType::I32 => Storage::I32(chunks(data, i32::from_le_bytes)),
        DType::I64 => Storage::I64(chunks(data, i64::from_le_bytes)),
        DType::Bool => Storage::Bool(
            data.iter()
                .map(|&b| match b {
                    0 => Ok(false),
                    1 => Ok(true),
                    _ => Err(bad(file, format!("variable {name}: bool byte {b} is neither 0 nor 1"))),
                })
                .collect::<Result<_>>()?,
        ),
    })
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
    if len > cap {
        return Err(Error::new(
            ErrorKind::ResourceExhausted,
            WHO,
            format!("{}: {len} bytes exceeds the limit of {cap}", path.display()),
        ));
    }
    std::fs::read(path).map_err(|e| io(path, e))
}

/// Loads a function saved by [`save`]: a concrete function that runs its graph with the
/// saved variable values (fresh variables, not shared with the saving process).
pub fn load(dir: &Path) -> Result<Arc<ConcreteFunction>> {
    let manifest = read_capped(&dir.join(MANIFEST), MAX_MANIFEST_BYTES)?;
    let m: Value = serde_json::from_slice(&manifest).map_err(|e| bad(MANIFEST, format!("invalid JSON: {e}")))?;
    match (m.get("format").and_then(Value::as_str), m.get("format_version").and_then(Value::as_u64)) {
        (Some(FORMAT), Some(FORMAT_VERSION)) => {}
        (Some(FORMAT), v) => {
            return Err(bad(MANIFEST, format!("unsupported format_version {v:?} (this build reads {FORMAT_VERSION})")))
        }
        _ => return Err(bad(MANIFEST, format!("not a saved function (expected \"format\": \"{FORMAT}\")"))),
    }
    let name = m.get("name").and_then(Value::as_str).ok_or_else(|| bad(MANIFEST, "missing \"name\""))?.to_string();
    let strings = |key: &str| -> Result<Vec<String>> {
        m.get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| bad(MANIFEST, format!("missing \"{key}\" list")))?
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| bad(MANIFEST, format!("\"{key}\" must hold strings")))
            })
            .collect()
    };
    let arg_names = strings("arg_names")?;
    let signature = m
        .get("signature")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(MANIFEST, "missing \"signature\" list"))?
        .iter()
        .map(|v| spec_from_json(v, 0))
        .collect::<Result<Vec<_>>>()?;
    if arg_names.len() != signature.len() {
        return Err(bad(MANIFEST, format!("{} argument names for {} arguments", arg_names.len(), signature.len())));
    }
    let outputs = out_from_json(m.get("outputs").ok_or_else(|| bad(MANIFEST, "missing \"outputs\""))?, 0)?;
    let var_docs =
        m.get("variables").and_then(Value::as_array).ok_or_else(|| bad(MANIFEST, "missing \"variables\" list"))?;

    let graph_path = dir.join(GRAPH);
    let graph_text = String::from_utf8(read_capped(&graph_path, shape::max_tensor_bytes() as u64)?)
        .map_err(|_| bad(GRAPH, "not UTF-8"))?;
    let graph = serial::from_json(&graph_text).map_err(|mut e| {
        e.message = format!("{GRAPH}: {}", e.message);
        e
    })?;
    let flat_args: usize = signature.iter().map(|s| s.tensor_specs().len()).sum();
    if graph.inputs().len() != flat_args {
        return Err(bad(
            GRAPH,
            format!("the graph takes {} arguments, the signature has {flat_args}", graph.inputs().len()),
        ));
    }
    let flat: Vec<TensorSpec> = signature.iter().flat_map(ArgSpec::tensor_specs).collect();
    for (i, (s, g)) in flat.iter().zip(graph.input_specs()).enumerate() {
        if s.spec() != g {
            return Err(bad(
                MANIFEST,
                format!(
                    "tensor argument {i} is {} in the signature but {} in the graph",
                    s.spec().describe(),
                    g.describe()
                ),
            ));
        }
    }
    check_slots(&outputs, graph.outputs().len())?;

    let weights = read_capped(&dir.join(WEIGHTS), shape::max_tensor_bytes() as u64)?;
    let st = safetensors::SafeTensors::deserialize(&weights).map_err(|e| bad(WEIGHTS, e))?;
    if var_docs.len() < graph.num_variables() {
        return Err(bad(
            MANIFEST,
            format!("{} variables listed, the graph reads {}", var_docs.len(), graph.num_variables()),
        ));
    }
    let variables = var_docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let vname = doc
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(MANIFEST, format!("variable {i}: no name")))?;
            let dtype = doc
                .get("dtype")
                .and_then(Value::as_str)
                .and_then(DType::from_name)
                .ok_or_else(|| bad(MANIFEST, format!("variable {vname}: missing or unknown dtype")))?;
            let trainable = doc.get("trainable").and_then(Value::as_bool).unwrap_or(true);
            let key = format!("v{i}");
            let view = st.tensor(&key).map_err(|e| bad(WEIGHTS, format!("variable {vname} ({key}): {e}")))?;
            if view.dtype() != st_dtype(dtype) {
                return Err(bad(
                    WEIGHTS,
                    format!("variable {vname}: stored as {:?}, the manifest says {dtype}", view.dtype()),
                ));
            }
            let shape = view.shape().to_vec();
            shape::check_allocation(WHO, dtype, &shape)?;
            let storage = storage_from(WEIGHTS, vname, dtype, view.data())?;
            let value =
                Tensor::from_storage(storage, &shape).map_err(|e| bad(WEIGHTS, format!("variable {vname}: {e}")))?;
            let base = vname.strip_suffix(":0").unwrap_or(vname);
            Ok(Variable::with_trainable(value, base, trainable))
        })
        .collect::<Result<Vec<_>>>()?;
    check_variables(&graph, &variables)?;

    let traced_nodes = graph.len();
    let (optimized, reports) = super::polymorphic::optimize(&graph, true)?;
    Ok(Arc::new(ConcreteFunction {
        name,
        arg_names,
        signature,
        graph: optimized,
        tape_graph: graph,
        traced_nodes,
        reports,
        variables,
        outputs,
        gradient_pairs: Default::default(),
    }))
}

/// Every variable node of the graph must match the loaded variable's dtype and shape.
fn check_variables(graph: &Graph, vars: &[Variable]) -> Result<()> {
    for n in graph.nodes() {
        let Some(i) = n.kind.variable_index() else { continue };
        let v =
            vars.get(i).ok_or_else(|| bad(GRAPH, format!("node %{} reads variable {i}, which is not saved", n.id)))?;
        let want = TensorSpec { dtype: v.dtype(), dims: shape::to_dims(v.shape()), name: None };
        let spec = &n.outputs[0];
        if spec.dtype != want.dtype || !super::signature::dims_accept(&spec.dims, &want.dims) {
            return Err(bad(
                GRAPH,
                format!(
                    "node %{} expects variable '{}' as {}, the saved value is {}",
                    n.id,
                    v.name(),
                    spec.describe(),
                    want.spec().describe()
                ),
            ));
        }
    }
    Ok(())
}

fn check_slots(o: &Out, n: usize) -> Result<()> {
    match o {
        Out::Slot(i) if *i >= n => Err(bad(MANIFEST, format!("result slot {i} but the graph has {n} outputs"))),
        Out::List(v) | Out::Tuple(v) => v.iter().try_for_each(|x| check_slots(x, n)),
        Out::Dict(v) => v.iter().try_for_each(|(_, x)| check_slots(x, n)),
        _ => Ok(()),
    }
}

fn spec_to_json(s: &ArgSpec) -> Value {
    match s {
        ArgSpec::Tensor(t) => json!({"tensor": {"dtype": t.dtype.name(), "shape": t.dims.as_slice(), "name": t.name}}),
        ArgSpec::Int(v) => json!({ "int": v }),
        ArgSpec::Float(bits) => json!({ "float_bits": bits }),
        ArgSpec::Bool(v) => json!({ "bool": v }),
        ArgSpec::Str(v) => json!({ "str": v }),
        ArgSpec::None => json!({ "none": null }),
        ArgSpec::List(v) => json!({ "list": v.iter().map(spec_to_json).collect::<Vec<_>>() }),
        ArgSpec::Tuple(v) => json!({ "tuple": v.iter().map(spec_to_json).collect::<Vec<_>>() }),
        // `save` refuses signatures with objects before getting here.
        ArgSpec::Object(o) => json!({ "object": o.repr }),
        ArgSpec::Dict(v) => json!({ "dict": v.iter().map(|(k, s)| json!([k, spec_to_json(s)])).collect::<Vec<_>>() }),
    }
}

fn single(v: &Value, depth: usize) -> Result<(&str, &Value)> {
    if depth > MAX_DEPTH {
        return Err(bad(MANIFEST, format!("structure nested deeper than {MAX_DEPTH}")));
    }
    match v.as_object() {
        Some(o) if o.len() == 1 => o.iter().next().map(|(k, v)| (k.as_str(), v)).ok_or_else(|| bad(MANIFEST, "empty")),
        _ => Err(bad(MANIFEST, format!("expected an object with one key, got {v}"))),
    }
}

fn spec_from_json(v: &Value, depth: usize) -> Result<ArgSpec> {
    let (k, x) = single(v, depth)?;
    let wrong = || bad(MANIFEST, format!("malformed \"{k}\" entry: {x}"));
    Ok(match k {
        "tensor" => {
            let dtype = x.get("dtype").and_then(Value::as_str).and_then(DType::from_name).ok_or_else(wrong)?;
            let dims = x
                .get("shape")
                .and_then(Value::as_array)
                .ok_or_else(wrong)?
                .iter()
                .map(|d| match d {
                    Value::Null => Ok(None),
                    d => d.as_u64().and_then(|d| usize::try_from(d).ok()).map(Some).ok_or_else(wrong),
                })
                .collect::<Result<shape::Dims>>()?;
            if dims.len() > crate::graph::ir::MAX_RANK {
                return Err(wrong());
            }
            let name = x.get("name").and_then(Value::as_str).map(str::to_string);
            ArgSpec::Tensor(TensorSpec { dtype, dims, name })
        }
        "int" => ArgSpec::Int(x.as_i64().ok_or_else(wrong)?),
        "float_bits" => ArgSpec::Float(x.as_u64().ok_or_else(wrong)?),
        "bool" => ArgSpec::Bool(x.as_bool().ok_or_else(wrong)?),
        "str" => ArgSpec::Str(x.as_str().ok_or_else(wrong)?.to_string()),
        "none" => ArgSpec::None,
        "list" => ArgSpec::List(
            x.as_array().ok_or_else(wrong)?.iter().map(|e| spec_from_json(e, depth + 1)).collect::<Result<_>>()?,
        ),
        "tuple" => ArgSpec::Tuple(
            x.as_array().ok_or_else(wrong)?.iter().map(|e| spec_from_json(e, depth + 1)).collect::<Result<_>>()?,
        ),
        "dict" => ArgSpec::Dict(
            x.as_array()
                .ok_or_else(wrong)?
                .iter()
                .map(|e| match e.as_array().map(Vec::as_slice) {
                    Some([Value::String(k), s]) => Ok((k.clone(), spec_from_json(s, depth + 1)?)),
                    _ => Err(wrong()),
                })
                .collect::<Result<_>>()?,
        ),
        other => return Err(bad(MANIFEST, format!("unknown signature entry \"{other}\""))),
    })
}

fn out_to_json(o: &Out) -> Value {
    match o {
        Out::Slot(i) => json!({ "slot": i }),
        Out::Value(a) => json!({ "value": spec_to_json(&a.spec()) }),
        Out::List(v) => json!({ "list": v.iter().map(out_to_json).collect::<Vec<_>>() }),
        Out::Tuple(v) => json!({ "tuple": v.iter().map(out_to_json).collect::<Vec<_>>() }),
        Out::Dict(v) => json!({ "dict": v.iter().map(|(k, o)| json!([k, out_to_json(o)])).collect::<Vec<_>>() }),
    }
}

fn out_from_json(v: &Value, depth: usize) -> Result<Out> {
    let (k, x) = single(v, depth)?;
    let wrong = || bad(MANIFEST, format!("malformed result entry \"{k}\": {x}"));
    Ok(match k {
        "slot" => Out::Slot(x.as_u64().and_then(|i| usize::try_from(i).ok()).ok_or_else(wrong)?),
        "value" => {
            let spec = spec_from_json(x, depth + 1)?;
            Out::Value(spec.rebuild(&mut std::iter::empty()).map_err(|_| wrong())?)
        }
        "list" => Out::List(
            x.as_array().ok_or_else(wrong)?.iter().map(|e| out_from_json(e, depth + 1)).collect::<Result<_>>()?,
        ),
        "tuple" => Out::Tuple(
            x.as_array().ok_or_else(wrong)?.iter().map(|e| out_from_json(e, depth + 1)).collect::<Result<_>>()?,
        ),
        "dict" => Out::Dict(
            x.as_array()
                .ok_or_else(wrong)?
                .iter()
                .map(|e| match e.as_array().map(Vec::as_slice) {
                    Some([Value::String(k), o]) => Ok((k.clone(), out_from_json(o, depth + 1)?)),
                    _ => Err(wrong()),
                })
                .collect::<Result<_>>()?,
        ),
        other => return Err(bad(MANIFEST, format!("unknown result entry \"{other}\""))),
    })
}

impl ConcreteFunction {
    /// Saves this function into `dir` (see the `export` module docs).
    pub fn save(&self, dir: &Path) -> Result<()> {
        save(self, dir)
    }
}
