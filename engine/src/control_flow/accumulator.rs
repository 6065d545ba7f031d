//! TensorArray loop variables of a differentiated `while_loop`: a buffer the body reads rows of
//! as it enters the iteration, then writes rows of or grows (`ta = ta.write(i, ta.read(i - 1) * x)`),
//! reading at most its shape in between.
//!
//! The backward loop of a differentiated loop normally replays each iteration from the loop
//! variables it entered with, which the forward loop stacks (one row per iteration). A buffer
//! does not need its values for that: the gradient of a write needs only the row index, and a
//! read needs only the row it read. So for these variables the forward loop stacks the shape each
//! iteration entered with and the rows it read, and the backward loop walks the writes in
//! reverse on the buffer's adjoint (TensorFlow's `TensorListSetItem` gradient), then adds the
//! read rows' gradients at their indices (`TensorListGetItem`'s). That keeps a loop that grows a
//! `dynamic_size` array differentiable (a growing buffer cannot be stacked densely), and spares
//! an array of n rows used over n iterations O(n²) stacked rows.
//!
//! A read after a write in the same iteration is not handled here (its gradient would have to
//! reach the buffer between two writes); such a variable is stacked whole, or refused if it grows.
//!
//! Growing only ever appends rows, and earlier iterations write only rows that existed then, so
//! the adjoint keeps the final row count through the backward loop (rows appended later are
//! never read there) and is cut to the initial count after it. A loop variable of fixed shape is
//! what a further tape needs to differentiate the backward loop (higher order).

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Graph, NodeId, NodeKind, Output};
use crate::ops::array::{CONCAT, EXPAND_DIMS, IDENTITY};
use crate::ops::math::CAST;
use crate::ops::shape_like::reshape_like;
use crate::ops::slicing::SLICE;
use crate::ops::tensor_list::{tensor_list_get_item, tensor_list_set_item};
use crate::ops::{array, Spec};
use crate::tensor::Tensor;
use crate::DType;
use std::collections::HashMap;

/// One write-side op between the value a variable enters an iteration with and its next value.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `tensor_list_set_item(buffer, index, value)`.
    Set { index: Output, value: Output },
    /// `tensor_list_resize(buffer, rows)` where `rows` is at least the buffer's row count.
    Grow { rows: Output },
}

/// A `tensor_list_get_item` of the buffer a variable enters an iteration with.
#[derive(Clone, Debug)]
struct Read {
    node: NodeId,
    index: Output,
    /// The row's spec.
    spec: Spec,
}

/// A loop variable the body reads rows of on entry, then only writes rows of, grows, or passes on.
#[derive(Clone, Debug)]
pub(super) struct Accumulator {
    /// The loop variable's position.
    pub var: usize,
    /// The writes, from the entering value to the body's result.
    steps: Vec<Step>,
    /// The `shape` nodes reading the buffer, each with how many steps precede what it reads.
    shape_nodes: Vec<(NodeId, usize)>,
    /// The rows read from the entering buffer.
    reads: Vec<Read>,
    /// The buffer's rank.
    rank: usize,
}

impl Accumulator {
    fn set_count(&self) -> usize {
        self.steps.iter().filter(|s| matches!(s, Step::Set { .. })).count()
    }

    /// How many values of one replayed iteration [`replay_graph`] adds as outputs for this
    /// variable: index and value per write, then the index of each read.
    pub fn side_count(&self) -> usize {
        2 * self.set_count() + self.reads.len()
    }

    /// The specs of the rows the body reads, in the order [`forward_graph`] outputs them.
    pub fn read_specs(&self) -> impl Iterator<Item = &Spec> {
        self.reads.iter().map(|r| &r.spec)
    }
}

/// The accumulators among the first `n` inputs (the loop variables) of `body`.
///
/// Besides the next write, only `shape` may read the buffer at any point of the chain (a write
/// into a growing array reads the row count of the buffer it grows), and `tensor_list_get_item`
/// the entering buffer.
pub(super) fn find(body: &Graph, n: usize) -> Vec<Accumulator> {
    let mut uses: HashMap<Output, usize> = HashMap::new();
    let mut shape_readers: HashMap<Output, Vec<NodeId>> = HashMap::new();
    let mut row_readers: HashMap<Output, Vec<Read>> = HashMap::new();
    for node in body.nodes() {
        for &o in &node.inputs {
            *uses.entry(o).or_default() += 1;
        }
        match (node.kind.op().map(|op| op.name), node.inputs.as_slice()) {
            (Some("shape"), [o]) => shape_readers.entry(*o).or_default().push(node.id),
            (Some("tensor_list_get_item"), &[buffer, index]) => {
                if let Some(spec) = body.spec(Output::new(node.id, 0)) {
                    row_readers.entry(buffer).or_default().push(Read { node: node.id, index, spec: spec.clone() });
                }
            }
            _ => {}
        }
    }
    for &o in body.outputs() {
        *uses.entry(o).or_default() += 1;
    }
    let controlled: Vec<NodeId> = body.nodes().iter().flat_map(|n| n.control_inputs.iter().copied()).collect();
    // Every use of a chain value but the next write (or the body's output) is a `shape` read.
    let only_shapes_besides_one = |o: Output| {
        let shapes = shape_readers.get(&o).map_or(0, Vec::len);
        uses.get(&o).copied().unwrap_or(0) == 1 + shapes && !controlled.contains(&o.node)
    };
    let mut found = Vec::new();
    for (var, (&input, &result)) in body.inputs().iter().zip(body.outputs()).enumerate().take(n) {
        let entering = Output::new(input, 0);
        let Some(rank) = body.spec(entering).map(Spec::rank) else { continue };
        let mut chain = Vec::new();
        let mut steps = Vec::new();
        let mut at = result;
        while at != entering {
            let Some(node) = body.node(at.node) else { break };
            let name = node.kind.op().map(|op| op.name);
            let step = match (name, node.inputs.as_slice()) {
                (Some("tensor_list_set_item"), &[_, index, value]) => Step::Set { index, value },
                (Some("tensor_list_resize"), &[buffer, rows]) if grows(body, rows, buffer) => Step::Grow { rows },
                _ => break,
            };
            if !only_shapes_besides_one(at) {
                break;
            }
            steps.push(step);
            chain.push(at);
            at = node.inputs[0];
        }
        let reads = row_readers.get(&entering).cloned().unwrap_or_default();
        let shapes = shape_readers.get(&entering).map_or(0, Vec::len);
        let entering_uses = uses.get(&entering).copied().unwrap_or(0);
        let only_reads = entering_uses == 1 + shapes + reads.len() && !controlled.contains(&entering.node);
        if at != entering || !only_reads || rank == 0 {
            continue;
        }
        chain.push(entering);
        steps.reverse();
        chain.reverse();
        let shape_nodes = chain
            .iter()
            .enumerate()
            .flat_map(|(k, o)| shape_readers.get(o).into_iter().flatten().map(move |&id| (id, k)))
            .collect();
        found.push(Accumulator { var, steps, shape_nodes, reads, rank });
    }
    found
}

/// Whether `rows` is `maximum(…, rows of buffer …)`: a resize that only ever grows `buffer`, as a
/// write past the end of a `dynamic_size` TensorArray does.
fn grows(body: &Graph, rows: Output, buffer: Output) -> bool {
    let reads_rows = |mut o: Output| {
        for _ in 0..4 {
            let Some(node) = body.node(o.node) else { return false };
            match (node.kind.op().map(|op| op.name), node.inputs.first()) {
                (Some("shape"), Some(&x)) => return x == buffer,
                (
                    Some("cast" | "gather" | "strided_slice" | "slice" | "reshape" | "squeeze" | "identity"),
                    Some(&x),
                ) => o = x,
                _ => return false,
            }
        }
        false
    };
    let Some(node) = body.node(rows.node) else { return false };
    node.kind.op().is_some_and(|op| op.name == "maximum") && node.inputs.iter().any(|&x| reads_rows(x))
}

/// `body` with the rows it reads from accumulators added as outputs (accumulator by
/// accumulator, read by read), for the forward loop to stack.
pub(super) fn forward_graph(body: &Graph, accs: &[Accumulator]) -> Result<Graph> {
    let (nodes, inputs, mut outputs) = body.clone().into_parts();
    outputs.extend(accs.iter().flat_map(|a| a.reads.iter().map(|r| Output::new(r.node, 0))));
    Graph::from_parts(nodes, inputs, outputs)
}

/// `body` rewritten for the backward loop's replay: each accumulator's result is replaced by
/// its entering value (never computed), and its side values are added as outputs (accumulator
/// by accumulator: the writes' index and value inputs, then the reads' indices). After the
/// existing arguments it takes, per accumulator, the shape it entered with (fed from the
/// stacked shapes), then each row read (fed from the stacked rows, in [`forward_graph`]'s
/// order). Its `shape` nodes compute from the shape argument and the row counts of the growths
/// before them, and its reads forward the row arguments, so nothing reads the buffer.
pub(super) fn replay_graph(body: &Graph, accs: &[Accumulator]) -> Result<Graph> {
    let (nodes, inputs, mut outputs) = body.clone().into_parts();
    for acc in accs {
        outputs[acc.var] = Output::new(inputs[acc.var], 0);
        for step in &acc.steps {
            if let Step::Set { index, value } = *step {
                outputs.extend([index, value]);
            }
        }
        outputs.extend(acc.reads.iter().map(|r| r.index));
    }
    let mut g = Graph::from_parts(nodes, inputs, outputs)?;
    let mut rewired: Vec<(NodeId, Output)> = Vec::new();
    for acc in accs {
        let entering = g.add_placeholder(Spec { dtype: DType::I32, dims: [Some(acc.rank)].into_iter().collect() });
        // The shape after each step: a write keeps it, a growth replaces the row count.
        let mut shapes = vec![entering];
        for step in &acc.steps {
            let last = *shapes.last().unwrap_or(&entering);
            shapes.push(match *step {
                Step::Set { .. } => last,
                Step::Grow { rows } => {
                    let rows = match g.spec(rows).map(|s| s.dtype) {
                        Some(DType::I32) => rows,
                        _ => g.add_op1(&CAST, &[rows], Attrs::new().with("dtype", Attr::DType(DType::I32)))?,
                    };
                    let rows = g.add_op1(&EXPAND_DIMS, &[rows], Attrs::new().with("axis", Attr::Int(0)))?;
                    let rest = i64::try_from(acc.rank - 1).unwrap_or(i64::MAX);
                    let slice = Attrs::new().with("begin", Attr::Ints(vec![1])).with("size", Attr::Ints(vec![rest]));
                    let tail = g.add_op1(&SLICE, &[last], slice)?;
                    g.add_op1(&CONCAT, &[rows, tail], Attrs::new().with("axis", Attr::Int(0)))?
                }
            });
        }
        rewired.extend(acc.shape_nodes.iter().map(|&(id, k)| (id, shapes[k])));
    }
    for read in accs.iter().flat_map(|a| &a.reads) {
        rewired.push((read.node, g.add_placeholder(read.spec.clone())));
    }
    let (mut nodes, inputs, outputs) = g.into_parts();
    for (id, value) in rewired {
        let node = &mut nodes[id];
        node.kind = NodeKind::Op(&IDENTITY);
        node.inputs = vec![value];
        node.attrs = Attrs::new();
    }
    Graph::from_parts(nodes, inputs, outputs)
}

/// One accumulator's part of a replayed iteration's backward step: given the adjoint of the
/// body's result (`adjoint`, with the final row count) and the replayed side values (`sides`,
/// from the outputs [`replay_graph`] added for it), returns the adjoint of the buffer before
/// its writes (again with the final row count; [`add_reads`] completes it) and a gradient seed
/// for each side value (the written float values).
pub(super) fn backward(acc: &Accumulator, adjoint: &Tensor, sides: &[Tensor]) -> Result<(Tensor, Vec<Option<Tensor>>)> {
    if sides.len() != acc.side_count() {
        return Err(Error::new(ErrorKind::Internal, "while_loop", "accumulator side values missing"));
    }
    let mut a = adjoint.clone();
    let mut seeds = vec![None; sides.len()];
    // Sides are (index, value) per write, in program order, then the reads' indices.
    for at in (0..2 * acc.set_count()).step_by(2).rev() {
        let (index, value) = (&sides[at], &sides[at + 1]);
        if value.dtype().is_float() {
            let row = tensor_list_get_item(&a, index)?;
            let row = if row.dims() == value.dims() { row } else { reshape_like(&row, value)? };
            seeds[at + 1] = Some(row);
        }
        // The overwritten row did not reach the result.
        a = tensor_list_set_item(&a, index, &array::zeros_like(value)?)?;
    }
    Ok((a, seeds))
}

/// The adjoint of the entering buffer: `adjoint` (from [`backward`]) plus the gradients of the
/// rows read from it (`grads`, one per read; `sides` as for [`backward`]).
pub(super) fn add_reads(acc: &Accumulator, adjoint: Tensor, sides: &[Tensor], grads: &[Tensor]) -> Result<Tensor> {
    let indices = sides.get(2 * acc.set_count()..).unwrap_or(&[]);
    if indices.len() != acc.reads.len() || grads.len() != acc.reads.len() {
        return Err(Error::new(ErrorKind::Internal, "while_loop", "accumulator read gradients missing"));
    }
    let mut a = adjoint;
    for (index, g) in indices.iter().zip(grads) {
        let row = tensor_list_get_item(&a, index)?;
        let sum = crate::ops::math::add(&row, g)?;
        let sum = if sum.dims() == row.dims() { sum } else { reshape_like(&sum, &row)? };
        a = tensor_list_set_item(&a, index, &sum)?;
    }
    Ok(a)
}

/// The spec of the per-iteration shape stack of a variable of `spec`: `[iterations + 1, rank]`.
pub(super) fn shape_stack_spec(spec: &Spec) -> Spec {
    Spec { dtype: DType::I32, dims: [None, Some(spec.rank())].into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::array::SHAPE;
    use crate::ops::indexing::GATHER;
    use crate::ops::math::MAXIMUM;
    use crate::ops::tensor_list::{TENSOR_LIST_GET_ITEM, TENSOR_LIST_RESIZE, TENSOR_LIST_SET_ITEM};

    fn spec(dtype: DType, dims: &[Option<usize>]) -> Spec {
        Spec { dtype, dims: dims.iter().copied().collect() }
    }

    /// A loop body over (i, buffer): writes `i` as a float row, growing the buffer first when
    /// `grow` (or resizing it to i rows when `resize_to_i`), and also reading row i of the
    /// entering buffer when `read`;
    /// returns (i, buffer, the read row or i).
    fn body(grow: bool, read: bool, resize_to_i: bool) -> Result<Graph> {
        let mut g = Graph::new();
        let i = g.add_placeholder(spec(DType::I32, &[]));
        let buffer = g.add_placeholder(spec(DType::F32, &[None, Some(2)]));
        let mut b = buffer;
        if grow {
            let shape = g.add_op1(&SHAPE, &[b], Attrs::new())?;
            let zero = g.add_const(Tensor::from(0i32));
            let gather = Attrs::new().with("axis", Attr::Int(0)).with("batch_dims", Attr::Int(0));
            let rows = g.add_op1(&GATHER, &[shape, zero], gather)?;
            let needed = g.add_const(Tensor::from(7i32));
            let rows = g.add_op1(&MAXIMUM, &[rows, needed], Attrs::new())?;
            b = g.add_op1(&TENSOR_LIST_RESIZE, &[b, rows], Attrs::new())?;
        }
        if resize_to_i {
            b = g.add_op1(&TENSOR_LIST_RESIZE, &[b, i], Attrs::new())?;
        }
        let value = g.add_const(Tensor::from([1.0f32, 2.0]));
        b = g.add_op1(&TENSOR_LIST_SET_ITEM, &[b, i, value], Attrs::new())?;
        let third = match read {
            true => g.add_op1(&TENSOR_LIST_GET_ITEM, &[buffer, i], Attrs::new())?,
            false => i,
        };
        g.set_outputs(&[i, b, third])?;
        Ok(g)
    }

    #[test]
    fn a_written_buffer_is_an_accumulator() -> Result<()> {
        let found = find(&body(false, false, false)?, 2);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].var, found[0].side_count(), found[0].rank), (1, 2, 2));
        Ok(())
    }

    #[test]
    fn a_growing_buffer_is_an_accumulator_whose_shape_reads_are_replaced() -> Result<()> {
        let g = body(true, false, false)?;
        let found = find(&g, 2);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].shape_nodes.len(), 1);
        let replay = replay_graph(&g, &found)?;
        // The index and value written, after the loop variables; one shape argument added.
        assert_eq!(replay.outputs().len(), 5);
        assert_eq!(replay.inputs().len(), 3);
        assert_eq!(replay.outputs()[1], Output::new(replay.inputs()[1], 0));
        assert!(!replay.nodes().iter().any(|n| n.kind.op().is_some_and(|op| op.name == "shape")), "{replay}");
        Ok(())
    }

    #[test]
    fn rows_read_on_entry_are_replay_arguments() -> Result<()> {
        for grow in [false, true] {
            let g = body(grow, true, false)?;
            let found = find(&g, 2);
            assert_eq!(found.len(), 1);
            assert_eq!((found[0].reads.len(), found[0].side_count()), (1, 3));
            // The forward graph outputs the row read; the replay takes it as an argument.
            assert_eq!(forward_graph(&g, &found)?.outputs().len(), 4);
            let replay = replay_graph(&g, &found)?;
            assert_eq!(replay.inputs().len(), 4);
            assert!(!replay.nodes().iter().any(|n| n.kind.op().is_some_and(|op| op.name == "tensor_list_get_item")));
        }
        Ok(())
    }

    #[test]
    fn a_buffer_the_body_shrinks_is_not_an_accumulator() -> Result<()> {
        // A resize that may shrink needs the rows it had, which only a dense stack keeps.
        assert!(find(&body(false, false, true)?, 2).is_empty());
        // Only the loop variables (the first n inputs) are candidates.
        assert!(find(&body(false, false, false)?, 1).is_empty());
        Ok(())
    }
}
