//! The protobuf messages of TensorBoard event files (`docs/formats.md` §2), as `prost`
//! messages. Field numbers are the wire contract with TensorFlow and TensorBoard.

use std::collections::HashMap;

/// One record of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch, fractional.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// Global step the record belongs to.
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the record carries.
    #[prost(oneof = "event::What", tags = "3, 4, 5")]
    pub what: Option<event::What>,
}

/// Nested types of [`Event`].
pub mod event {
    /// The payload of an [`Event`](super::Event).
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum What {
        /// `"brain.Event:2"` in the first record of a file.
        #[prost(string, tag = "3")]
        FileVersion(String),
        /// A serialized [`GraphDef`](super::GraphDef).
        #[prost(bytes = "vec", tag = "4")]
        GraphDef(Vec<u8>),
        /// Summary values.
        #[prost(message, tag = "5")]
        Summary(super::Summary),
    }
}

/// A set of tagged values written at one step.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<summary::Value>,
}

/// Nested types of [`Summary`].
pub mod summary {
    /// A legacy (TF1) encoded image.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Image {
        /// Height in pixels.
        #[prost(int32, tag = "1")]
        pub height: i32,
        /// Width in pixels.
        #[prost(int32, tag = "2")]
        pub width: i32,
        /// 1 grayscale, 3 RGB, 4 RGBA.
        #[prost(int32, tag = "3")]
        pub colorspace: i32,
        /// PNG bytes.
        #[prost(bytes = "vec", tag = "4")]
        pub encoded_image_string: Vec<u8>,
    }

    /// One tagged value.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Value {
        /// Legacy node name.
        #[prost(string, tag = "7")]
        pub node_name: String,
        /// The tag (the chart's name in TensorBoard).
        #[prost(string, tag = "1")]
        pub tag: String,
        /// Which plugin shows the value (required on a tag's first value).
        #[prost(message, optional, tag = "9")]
        pub metadata: Option<super::SummaryMetadata>,
        /// The value itself.
        #[prost(oneof = "value::Value", tags = "2, 4, 5, 8")]
        pub value: Option<value::Value>,
    }

    /// Nested types of [`Value`].
    pub mod value {
        /// The payload of a summary value.
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Value {
            /// Legacy TF1 scalar.
            #[prost(float, tag = "2")]
            SimpleValue(f32),
            /// Legacy TF1 image.
            #[prost(message, tag = "4")]
            Image(super::Image),
            /// Legacy TF1 histogram.
            #[prost(message, tag = "5")]
            Histo(super::super::HistogramProto),
            /// TF2: every kind is a tensor plus plugin metadata.
            #[prost(message, tag = "8")]
            Tensor(super::super::TensorProto),
        }
    }
}

/// Which plugin owns a summary value, and how it is classified.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    /// Plugin name and plugin-specific content.
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<summary_metadata::PluginData>,
    /// Display name.
    #[prost(string, tag = "2")]
    pub display_name: String,
    /// Markdown description shown by TensorBoard.
    #[prost(string, tag = "3")]
    pub summary_description: String,
    /// A [`DataClass`] value.
    #[prost(enumeration = "DataClass", tag = "4")]
    pub data_class: i32,
}

/// Nested types of [`SummaryMetadata`].
pub mod summary_metadata {
    /// A plugin's name and its serialized settings.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PluginData {
        /// `scalars`, `histograms`, `text`, `images`, ...
        #[prost(string, tag = "1")]
        pub plugin_name: String,
        /// Plugin-specific bytes (empty for the four kinds written here).
        #[prost(bytes = "vec", tag = "2")]
        pub content: Vec<u8>,
    }
}

/// How TensorBoard's data layer classifies a time series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum DataClass {
    /// Not set (what TF 2.21's `tf.summary.*` writes).
    Unknown = 0,
    /// A rank-0 float.
    Scalar = 1,
    /// Any tensor.
    Tensor = 2,
    /// A sequence of blobs (images).
    BlobSequence = 3,
}

/// A legacy (TF1) histogram.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistogramProto {
    /// Smallest value.
    #[prost(double, tag = "1")]
    pub min: f64,
    /// Largest value.
    #[prost(double, tag = "2")]
    pub max: f64,
    /// Number of values.
    #[prost(double, tag = "3")]
    pub num: f64,
    /// Sum of the values.
    #[prost(double, tag = "4")]
    pub sum: f64,
    /// Sum of the squared values.
    #[prost(double, tag = "5")]
    pub sum_squares: f64,
    /// Right edges of the buckets.
    #[prost(double, repeated, tag = "6")]
    pub bucket_limit: Vec<f64>,
    /// Counts per bucket.
    #[prost(double, repeated, tag = "7")]
    pub bucket: Vec<f64>,
}

/// A serialized tensor.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// A [`DataType`] value.
    #[prost(enumeration = "DataType", tag = "1")]
    pub dtype: i32,
    /// The shape.
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    /// Raw little-endian values, row-major (numbers only).
    #[prost(bytes = "vec", tag = "4")]
    pub tensor_content: Vec<u8>,
    /// Typed float values.
    #[prost(float, repeated, tag = "5")]
    pub float_val: Vec<f32>,
    /// Typed double values.
    #[prost(double, repeated, tag = "6")]
    pub double_val: Vec<f64>,
    /// Typed int32 (and narrower) values.
    #[prost(int32, repeated, tag = "7")]
    pub int_val: Vec<i32>,
    /// Strings (byte strings).
    #[prost(bytes = "vec", repeated, tag = "8")]
    pub string_val: Vec<Vec<u8>>,
    /// Typed int64 values.
    #[prost(int64, repeated, tag = "10")]
    pub int64_val: Vec<i64>,
    /// Typed bool values.
    #[prost(bool, repeated, tag = "11")]
    pub bool_val: Vec<bool>,
}

/// A tensor's shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// Dimensions, outermost first (size -1 = unknown).
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<tensor_shape_proto::Dim>,
    /// True when not even the rank is known.
    #[prost(bool, tag = "3")]
    pub unknown_rank: bool,
}

/// Nested types of [`TensorShapeProto`].
pub mod tensor_shape_proto {
    /// One dimension.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dim {
        /// Size, -1 when unknown.
        #[prost(int64, tag = "1")]
        pub size: i64,
        /// Optional name.
        #[prost(string, tag = "2")]
        pub name: String,
    }
}

/// TensorFlow's dtype enum (the values used here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum DataType {
    /// Not set.
    DtInvalid = 0,
    /// float32.
    DtFloat = 1,
    /// float64.
    DtDouble = 2,
    /// int32.
    DtInt32 = 3,
    /// uint8.
    DtUint8 = 4,
    /// int16.
    DtInt16 = 5,
    /// int8.
    DtInt8 = 6,
    /// Byte strings.
    DtString = 7,
    /// int64.
    DtInt64 = 9,
    /// bool.
    DtBool = 10,
}

/// A graph as TensorBoard's Graphs tab reads it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphDef {
    /// The nodes.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeDef>,
    /// Producer version.
    #[prost(message, optional, tag = "4")]
    pub versions: Option<VersionDef>,
}

/// Versions of a [`GraphDef`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct VersionDef {
    /// Version of the producer.
    #[prost(int32, tag = "1")]
    pub producer: i32,
    /// Oldest consumer that can read it.
    #[prost(int32, tag = "2")]
    pub min_consumer: i32,
}

/// One node of a [`GraphDef`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeDef {
    /// Unique name; `/` groups nodes into scopes in TensorBoard.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Op name.
    #[prost(string, tag = "2")]
    pub op: String,
    /// Inputs: `node`, `node:1` (output index) or `^node` (control input).
    #[prost(string, repeated, tag = "3")]
    pub input: Vec<String>,
    /// Device placement (empty).
    #[prost(string, tag = "4")]
    pub device: String,
    /// Attributes (`T`, `dtype`, `shape`, ...).
    #[prost(map = "string, message", tag = "5")]
    pub attr: HashMap<String, AttrValue>,
}

/// A node attribute's value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttrValue {
    /// The value.
    #[prost(oneof = "attr_value::Value", tags = "2, 3, 4, 5, 6, 7")]
    pub value: Option<attr_value::Value>,
}

/// Nested types of [`AttrValue`].
pub mod attr_value {
    /// The payload of an [`AttrValue`](super::AttrValue).
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// Bytes.
        #[prost(bytes = "vec", tag = "2")]
        S(Vec<u8>),
        /// An integer.
        #[prost(int64, tag = "3")]
        I(i64),
        /// A float.
        #[prost(float, tag = "4")]
        F(f32),
        /// A flag.
        #[prost(bool, tag = "5")]
        B(bool),
        /// A [`DataType`](super::DataType) value.
        #[prost(enumeration = "super::DataType", tag = "6")]
        Type(i32),
        /// A shape.
        #[prost(message, tag = "7")]
        Shape(super::TensorShapeProto),
    }
}
