//! The summary writer and reader: TensorBoard event files (`events.out.tfevents.*`).
//!
//! Event files are TFRecord files of protobuf `Event`s ([`proto`], [`record`]).

pub mod context;
pub mod graph_def;
pub mod histogram;
pub mod image;
pub mod proto;
pub mod reader;
pub mod record;
pub mod tensor_proto;
pub mod trace;
pub mod view;
pub mod write;
pub mod writer;

pub use context::{
    default_writer, flush_default, get_step, record_if, set_step, should_record_summaries, DefaultWriterGuard,
    RecordIfGuard, Step,
};
pub use view::{SummaryValue, SummaryView, ValueRow};
pub use write::{graph, histogram, image, scalar, text, trace_export, trace_off, trace_on, write_raw};
pub use writer::{create_file_writer, create_noop_writer, flush_all, SummaryWriter, WriterOptions};
