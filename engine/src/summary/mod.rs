//! The summary writer and reader: TensorBoard event files (`events.out.tfevents.*`).
//!
//! Event files are TFRecord files of protobuf `Event`s ([`proto`], [`record`]).

pub mod graph_def;
pub mod histogram;
pub mod image;
pub mod proto;
pub mod record;
pub mod tensor_proto;
