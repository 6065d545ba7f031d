//! The summary writer and reader: TensorBoard event files (`events.out.tfevents.*`).
//!
//! Event files are TFRecord files of protobuf `Event`s ([`proto`], [`record`]).

pub mod proto;
pub mod reader;
pub mod record;
pub mod trace;
