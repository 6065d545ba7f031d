//! Segment reductions under `tf.math`: `segment_sum/mean/max/min/prod` (sorted ids) and
//! `unsorted_segment_sum/mean/max/min/prod` (any order, `num_segments` given).

use super::args::{r, t, Params};
use super::Entry;
use crate::interp::exceptions::PyResult;
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use tensile::ops::{indexing, segment};

type Out = PyResult<Value>;

macro_rules! sorted {
    ($($fname:ident : $tf:literal => $op:path;)*) => {$(
        #[doc = concat!("`tf.math.", $tf, "(data, segment_ids, name=None)`.")]
        fn $fname(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
            let p = Params::bind($tf, &["data", "segment_ids", "name"], a)?;
            Ok(t(r($op(&p.tensor("data")?, &p.tensor("segment_ids")?))?))
        }
    )*};
}

macro_rules! unsorted {
    ($($fname:ident : $tf:literal => $op:path;)*) => {$(
        #[doc = concat!("`tf.math.", $tf, "(data, segment_ids, num_segments, name=None)`.")]
        fn $fname(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
            let p = Params::bind($tf, &["data", "segment_ids", "num_segments", "name"], a)?;
            let n = p.req_int("num_segments")?;
            Ok(t(r($op(&p.tensor("data")?, &p.tensor("segment_ids")?, n))?))
        }
    )*};
}

sorted! {
    segment_sum: "segment_sum" => segment::segment_sum;
    segment_mean: "segment_mean" => segment::segment_mean;
    segment_max: "segment_max" => segment::segment_max;
    segment_min: "segment_min" => segment::segment_min;
    segment_prod: "segment_prod" => segment::segment_prod;
}

unsorted! {
    unsorted_segment_sum: "unsorted_segment_sum" => indexing::unsorted_segment_sum;
    unsorted_segment_mean: "unsorted_segment_mean" => segment::unsorted_segment_mean;
    unsorted_segment_max: "unsorted_segment_max" => segment::unsorted_segment_max;
    unsorted_segment_min: "unsorted_segment_min" => segment::unsorted_segment_min;
    unsorted_segment_prod: "unsorted_segment_prod" => segment::unsorted_segment_prod;
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["math.segment_sum"], segment_sum),
        (&["math.segment_mean"], segment_mean),
        (&["math.segment_max"], segment_max),
        (&["math.segment_min"], segment_min),
        (&["math.segment_prod"], segment_prod),
        (&["math.unsorted_segment_sum"], unsorted_segment_sum),
        (&["math.unsorted_segment_mean"], unsorted_segment_mean),
        (&["math.unsorted_segment_max"], unsorted_segment_max),
        (&["math.unsorted_segment_min"], unsorted_segment_min),
        (&["math.unsorted_segment_prod"], unsorted_segment_prod),
    ]
}
