//! `Function`: TensorFlow's `tf.function` for a Rust closure. A call looks up a concrete
//! function whose signature accepts the arguments; a miss traces the closure with symbolic
//! tensors, optimizes the graph and caches it.
//!
//! Beyond TensorFlow, every retrace records why it happened (which argument differed from the
//! nearest cached signature, and how), and frequent retracing produces a warning that names the
//! argument and the fix.

use super::concrete::{ConcreteFunction, Out};
use super::signature::{Arg, ArgSpec, TensorSpec};
use super::trace::{self, TraceOptions};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

/// The traced body: plain and tensor arguments in, a nested structure of results out.
pub type Body = dyn Fn(&[Arg]) -> Result<Arg>;

/// How many recent calls the retrace warning looks at, and how many of them must have traced.
const WINDOW: usize = 10;
const WARN_AT: usize = 5;

/// Options of [`Function`] (`tf.function(input_signature=..., reduce_retracing=...)`).
#[derive(Clone, Debug, Default)]
pub struct FunctionOptions {
    /// One spec per positional argument: the function traces exactly once, for these specs, and
    /// rejects calls that do not fit them.
    pub input_signature: Option<Vec<TensorSpec>>,
    /// On a cache miss, trace for the most specific signature that also covers the cached
    /// ones (`[3]` then `[5]` traces `[None]`).
    pub reduce_retracing: bool,
    /// Argument names for signatures and messages (`arg0`, `arg1`, ... when absent).
    pub arg_names: Vec<String>,
    /// Print retrace warnings to stderr as well as keeping them (default: keep only).
    pub warn_to_stderr: bool,
    /// When the first trace creates variables, trace once more with creation forbidden and
    /// keep that second graph, as TensorFlow does: the body then runs against the variables
    /// it made, and a body that creates variables on every run fails on its first call.
    pub retrace_after_creating_variables: bool,
}

/// One trace of a function: the signature it traced and why it was needed.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    /// The signature traced, as TensorFlow prints argument specs.
    pub signature: String,
    /// Why the cached functions did not fit (`x: shape [3] → [5]`); empty for the first trace.
    pub reasons: Vec<String>,
}

#[derive(Default)]
struct State {
    concrete: Vec<Arc<ConcreteFunction>>,
    traces: Vec<TraceRecord>,
    recent: VecDeque<bool>,
    warnings: Vec<String>,
    warned: bool,
}

struct Inner {
    name: String,
    body: Option<Box<Body>>,
    options: FunctionOptions,
    state: RefCell<State>,
}

/// A traced, cached function (`tf.function`). Cloning shares the cache.
#[derive(Clone)]
pub struct Function(Rc<Inner>);

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<tf.function '{}' traces={}>", self.0.name, self.tracing_count())
    }
}

/// Wraps `body` as a `tf.function` named `name` with default options.
pub fn function(name: &str, body: impl Fn(&[Arg]) -> Result<Arg> + 'static) -> Function {
    Function::new(name, FunctionOptions::default(), body)
}

impl Function {
    /// Wraps `body` as a `tf.function` with `options`.
    pub fn new(name: &str, options: FunctionOptions, body: impl Fn(&[Arg]) -> Result<Arg> + 'static) -> Function {
        Function(Rc::new(Inner {
            name: name.to_string(),
            body: Some(Box::new(body)),
            options,
            state: RefCell::default(),
        }))
    }

    /// A function whose body is given at each call ([`Function::call_with`]), for bodies that
    /// borrow a context (an interpreter) which cannot be stored in a `'static` closure.
    pub fn with_body_per_call(name: &str, options: FunctionOptions) -> Function {
        Function(Rc::new(Inner { name: name.to_string(), body: None, options, state: RefCell::default() }))
    }

    /// A function of tensors only: `body` gets the tensor arguments and returns tensors.
    pub fn of_tensors(
        name: &str,
        options: FunctionOptions,
        body: impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + 'static,
    ) -> Function {
        Function::new(name, options, move |args| {
            let ts = args.iter().map(|a| a.tensor().cloned()).collect::<Result<Vec<_>>>()?;
            Ok(Arg::List(body(&ts)?.into_iter().map(Arg::Tensor).collect()))
        })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// How many times the body was traced (`experimental_get_tracing_count`).
    pub fn tracing_count(&self) -> usize {
        self.0.state.borrow().traces.len()
    }

    /// Every trace with its reason, oldest first.
    pub fn trace_log(&self) -> Vec<TraceRecord> {
        self.0.state.borrow().traces.clone()
    }

    /// Retrace warnings issued so far.
    pub fn warnings(&self) -> Vec<String> {
        self.0.state.borrow().warnings.clone()
    }

    /// The cached concrete functions, oldest first.
    pub fn concrete_functions(&self) -> Vec<Arc<ConcreteFunction>> {
        self.0.state.borrow().concrete.clone()
    }

    /// Calls the function with tensors only, returning the flat tensor results.
    pub fn call_tensors(&self, args: &[&Tensor]) -> Result<Vec<Tensor>> {
        let args: Vec<Arg> = args.iter().map(|t| Arg::Tensor((*t).clone())).collect();
        Ok(self.call(&args)?.tensors())
    }

    /// The body stored by [`Function::new`].
    fn stored_body(&self) -> Result<&Body> {
        self.0.body.as_deref().ok_or_else(|| {
            Error::new(
                crate::ErrorKind::FailedPrecondition,
                &self.0.name,
                "this function takes its body at each call (call_with), not from call",
            )
        })
    }

    /// Calls the function: runs the cached graph whose signature accepts `args`, tracing a new
    /// one on a miss. Inside another trace the concrete function's graph is copied into the
    /// enclosing graph (the function is traced on its own first, as TensorFlow does).
    pub fn call(&self, args: &[Arg]) -> Result<Arg> {
        let body = self.stored_body()?;
        self.call_with(args, &mut |a: &[Arg]| body(a))
    }

    /// [`Function::call`] with the body given for this call: `body` runs only when a trace is
    /// needed, and may borrow whatever the caller holds.
    pub fn call_with(&self, args: &[Arg], body: &mut dyn FnMut(&[Arg]) -> Result<Arg>) -> Result<Arg> {
        let args = self.apply_input_signature(args)?;
        let cf = self.concrete_for(&args, None, body)?;
        cf.call(&args)
    }

    /// The concrete function for arguments of these specs, tracing it if needed
    /// (`get_concrete_function(tf.TensorSpec(...))`).
    pub fn get_concrete_function(&self, specs: &[ArgSpec]) -> Result<Arc<ConcreteFunction>> {
        let body = self.stored_body()?;
        self.get_concrete_function_with(specs, &mut |a: &[Arg]| body(a))
    }

    /// [`Function::get_concrete_function`] with the body given for this call.
    pub fn get_concrete_function_with(
        &self,
        specs: &[ArgSpec],
        body: &mut dyn FnMut(&[Arg]) -> Result<Arg>,
    ) -> Result<Arc<ConcreteFunction>> {
        if let Some(sig) = &self.0.options.input_signature {
            let want: Vec<ArgSpec> = sig.iter().cloned().map(ArgSpec::Tensor).collect();
            if !specs.is_empty() && specs != want.as_slice() {
                return Err(Error::invalid(
                    &self.0.name,
                    "get_concrete_function: the specs must equal the input_signature (or be omitted)",
                ));
            }
            return self.concrete_for(&[], Some(want), body);
        }
        if let Some(cf) = self.0.state.borrow().concrete.iter().find(|c| c.signature() == specs) {
            return Ok(cf.clone());
        }
        self.concrete_for(&[], Some(specs.to_vec()), body)
    }

    /// TensorFlow's listing of every concrete signature, separated by blank lines.
    pub fn pretty_printed_concrete_signatures(&self) -> String {
        let st = self.0.state.borrow();
        st.concrete.iter().map(|c| c.pretty_printed_signature()).collect::<Vec<_>>().join("\n\n")
    }

    fn arg_name(&self, i: usize) -> String {
        self.0.options.arg_names.get(i).cloned().unwrap_or_else(|| format!("arg{i}"))
    }

    /// With an input signature, checks every argument against its spec (converting plain
    /// numbers to tensors of the spec's dtype, as TensorFlow does).
    fn apply_input_signature(&self, args: &[Arg]) -> Result<Vec<Arg>> {
        let Some(sig) = &self.0.options.input_signature else { return Ok(args.to_vec()) };
        if args.len() != sig.len() {
            return Err(Error::invalid(
                &self.0.name,
                format!("the input_signature has {} arguments, but {} were given", sig.len(), args.len()),
            ));
        }
        sig.iter()
            .zip(args)
            .enumerate()
            .map(|(i, (spec, a))| {
                let t = match a {
                    Arg::Tensor(t) => t.clone(),
                    Arg::Int(v) => Tensor::scalar_of(spec.dtype, *v as f64),
                    Arg::Float(v) => Tensor::scalar_of(spec.dtype, *v),
                    Arg::Bool(v) => Tensor::scalar_of(spec.dtype, *v as u8 as f64),
                    other => {
                        return Err(Error::invalid(
                            &self.0.name,
                            format!(
                                "argument {} must be a tensor matching {}, got {}",
                                self.arg_name(i),
                                spec,
                                other.kind()
                            ),
                        ))
                    }
                };
                if !spec.accepts(&t) {
                    return Err(Error::invalid(
                        &self.0.name,
                        format!(
                            "argument {}: expected a {} tensor with shape {} (input_signature {}), got {}",
                            self.arg_name(i),
                            spec.dtype,
                            crate::shape::fmt_dims(&spec.dims),
                            spec,
                            Arg::Tensor(t).kind()
                        ),
                    ));
                }
                Ok(Arg::Tensor(t))
            })
            .collect()
    }

    /// Finds or traces the concrete function for `args` (or for `forced` specs).
    fn concrete_for(
        &self,
        args: &[Arg],
        forced: Option<Vec<ArgSpec>>,
        body: &mut dyn FnMut(&[Arg]) -> Result<Arg>,
    ) -> Result<Arc<ConcreteFunction>> {
        let hit = match &forced {
            Some(specs) => self.0.state.borrow().concrete.iter().find(|c| c.signature() == specs.as_slice()).cloned(),
            None => self.0.state.borrow().concrete.iter().find(|c| c.accepts(args)).cloned(),
        };
        if let Some(cf) = hit {
            if forced.is_none() {
                self.note_call(false, &[]);
            }
            return Ok(cf);
        }
        let key: Vec<ArgSpec> = match forced {
            Some(specs) => specs,
            None => match &self.0.options.input_signature {
                Some(sig) => sig.iter().cloned().map(ArgSpec::Tensor).collect(),
                None => args.iter().map(Arg::spec).collect(),
            },
        };
        let (key, reasons) = self.relax_and_explain(key);
        let signature = key.iter().map(ArgSpec::repr).collect::<Vec<_>>().join(", ");
        let first = self.0.state.borrow().traces.is_empty();
        let (mut traced, mut structure) = self.trace(&key, first, body)?;
        let mut reasons_last = reasons.clone();
        if first && self.0.options.retrace_after_creating_variables && !traced.created_variables.is_empty() {
            self.0
                .state
                .borrow_mut()
                .traces
                .push(TraceRecord { signature: signature.clone(), reasons: reasons.clone() });
            let names: Vec<String> = traced.created_variables.iter().map(|v| format!("'{}'", v.name())).collect();
            reasons_last = vec![format!(
                "the first trace created the variable{} {}: traced again to use {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            )];
            (traced, structure) = self.trace(&key, false, body)?;
        }
        let cf = Arc::new(self.finish(&key, traced, structure)?);
        {
            let mut st = self.0.state.borrow_mut();
            st.traces.push(TraceRecord { signature, reasons: reasons_last });
            // The specific functions a relaxed signature covers stay cached (TensorFlow lists them
            // too); lookups find them first, so their calls keep running the more specialized graph.
            st.concrete.push(cf.clone());
        }
        if args.len() == key.len() {
            self.note_call(true, &reasons);
        }
        Ok(cf)
    }

    /// The key to trace (relaxed under `reduce_retracing`) and how it differs from the nearest
    /// cached signature.
    fn relax_and_explain(&self, key: Vec<ArgSpec>) -> (Vec<ArgSpec>, Vec<String>) {
        let st = self.0.state.borrow();
        let mut best: Option<Vec<String>> = None;
        let mut relaxed = key.clone();
        for c in &st.concrete {
            let old = c.signature();
            if old.len() != key.len() {
                let r = vec![format!("number of arguments {} → {}", old.len(), key.len())];
                if best.as_ref().is_none_or(|b| b.len() > 1) {
                    best = Some(r);
                }
                continue;
            }
            let mut diffs = Vec::new();
            for (i, (n, o)) in key.iter().zip(old).enumerate() {
                n.diff(o, &self.arg_name(i), &mut diffs);
            }
            // Among equally near signatures the latest wins: it tells what changed most recently.
            if best.as_ref().is_none_or(|b| diffs.len() <= b.len()) {
                best = Some(diffs);
            }
            if self.0.options.reduce_retracing {
                let r: Option<Vec<ArgSpec>> = relaxed.iter().zip(old).map(|(n, o)| n.relax(o)).collect();
                if let Some(r) = r {
                    relaxed = r;
                }
            }
        }
        (relaxed, best.unwrap_or_default())
    }

    /// Traces `body` for `key`, returning the graph and the structure of its results.
    fn trace(
        &self,
        key: &[ArgSpec],
        allow_variable_creation: bool,
        body: &mut dyn FnMut(&[Arg]) -> Result<Arg>,
    ) -> Result<(trace::Traced, Out)> {
        let specs: Vec<crate::ops::Spec> = key.iter().flat_map(|k| k.tensor_specs()).map(|s| s.spec()).collect();
        let mut structure: Option<Out> = None;
        let traced = trace::trace_graph(&specs, TraceOptions { root: true, allow_variable_creation }, |syms| {
            let mut it = syms.iter().cloned();
            let args = key.iter().map(|k| k.rebuild(&mut it)).collect::<Result<Vec<_>>>()?;
            let result = body(&args)?;
            let (s, tensors) = Out::flatten(&result);
            structure = Some(s);
            Ok(tensors)
        })
        .map_err(|mut e| {
            e.message = format!("while tracing tf.function '{}': {}", self.0.name, e.message);
            e
        })?;
        if let Some(t) = traced.captures.first() {
            return Err(Error::invalid(
                &self.0.name,
                format!(
                    "the body used a symbolic {} tensor with shape {} of the function that calls it; pass it as an \
                     argument instead",
                    t.dtype(),
                    crate::shape::fmt_dims(&t.dims())
                ),
            ));
        }
        Ok((traced, structure.unwrap_or(Out::List(Vec::new()))))
    }

    /// Optimizes a traced graph into the concrete function for `key`.
    fn finish(&self, key: &[ArgSpec], traced: trace::Traced, outputs: Out) -> Result<ConcreteFunction> {
        let traced_nodes = traced.graph.len();
        let (tape_graph, _) = optimize(&traced.graph, false)?;
        let (graph, reports) = optimize(&traced.graph, true)?;
        Ok(ConcreteFunction {
            name: self.0.name.clone(),
            arg_names: (0..key.len()).map(|i| self.arg_name(i)).collect(),
            signature: key.to_vec(),
            graph,
            tape_graph,
            traced_nodes,
            reports,
            variables: traced.variables,
            outputs,
            gradient_pairs: Default::default(),
        })
    }

    /// Keeps the last calls' trace flags and warns once when retracing is frequent.
    fn note_call(&self, traced: bool, reasons: &[String]) {
        let mut st = self.0.state.borrow_mut();
        st.recent.push_back(traced);
        if st.recent.len() > WINDOW {
            st.recent.pop_front();
        }
        let count = st.recent.iter().filter(|&&t| t).count();
        if count < WARN_AT || st.warned || reasons.is_empty() {
            return;
        }
        st.warned = true;
        let first = &reasons[0];
        let arg = first.split(':').next().unwrap_or("an argument").to_string();
        let fix = if first.contains("shape") {
            format!(
                "pass input_signature with None for the dimensions that vary, or reduce_retracing=True, so that `{arg}` \
                 of any size reuses one trace"
            )
        } else if first.contains("dtype") {
            format!("cast `{arg}` to one dtype before calling")
        } else {
            format!("pass `{arg}` as a tensor (tf.constant) instead of a Python value, so that its value is not part of the cache key")
        };
        let msg = format!(
            "{count} of the last {} calls to tf.function '{}' retraced. The argument `{arg}` keeps changing \
             (last: {}). Tracing is expensive: {fix}.",
            st.recent.len(),
            self.0.name,
            reasons.join(", ")
        );
        if self.0.options.warn_to_stderr {
            eprintln!("WARNING: {msg}");
        }
        st.warnings.push(msg);
    }
}

/// Runs the graph optimizer over a traced graph, with or without fusing kernels (the graph a
/// tape differentiates keeps one registered op per node), returning the graph and one report
/// line per pass.
pub(crate) fn optimize(graph: &crate::graph::Graph, fuse: bool) -> Result<(crate::graph::Graph, Vec<String>)> {
    use crate::graph::passes::{optimize_with, PassOptions};
    let options =
        PassOptions { fuse_matmul: fuse, fuse_elementwise: fuse, fuse_assign: fuse, ..PassOptions::default() };
    let (g, reports) = optimize_with(graph, &options)?;
    Ok((g, reports.iter().map(|r| r.to_string()).collect()))
}
