//! `trace_on` / `trace_export`: the graphs of the traced functions that run between the two
//! calls, collected on this thread and written as one graph for TensorBoard's Graphs tab.

use crate::graph::Graph;
use std::cell::RefCell;

thread_local! {
    static TRACE: RefCell<Option<Vec<(String, Graph)>>> = const { RefCell::new(None) };
}

/// Starts collecting the graphs of functions called on this thread (`graph=True`); a
/// collection already running is restarted.
pub fn trace_on() {
    TRACE.with(|t| *t.borrow_mut() = Some(Vec::new()));
}

/// Stops collecting and drops what was collected.
pub fn trace_off() {
    TRACE.with(|t| *t.borrow_mut() = None);
}

/// True while graphs are being collected.
pub fn is_tracing() -> bool {
    TRACE.with(|t| t.borrow().is_some())
}

/// Notes that the concrete function `name` ran with `graph` (once per distinct function).
pub(crate) fn record(name: &str, graph: &Graph) {
    TRACE.with(|t| {
        if let Some(graphs) = t.borrow_mut().as_mut() {
            if !graphs.iter().any(|(n, _)| n == name) {
                graphs.push((name.to_string(), graph.clone()));
            }
        }
    });
}

/// Stops collecting and returns the collected graphs with their functions' names.
pub fn take() -> Vec<(String, Graph)> {
    TRACE.with(|t| t.borrow_mut().take()).unwrap_or_default()
}
